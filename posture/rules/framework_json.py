"""One framework as JSON: what ``frameworks show ID --format json`` prints and GET /api/v1/frameworks/{id}/ answers."""

from __future__ import annotations

from typing import Any

from posture.rules.frameworks import Framework


def framework_json(fw: Framework) -> dict[str, Any]:
    """The framework with every control, its section path and the rules that evidence it."""
    return {
        "id": fw.id,
        "title": fw.title,
        "version": fw.version,
        "provider": fw.provider,
        "description": fw.description,
        "controls": [
            {
                "id": c.id,
                "title": c.title,
                "section": " > ".join(f"{s.id} {s.title}" for s in fw.section_path(c.section_id)),
                "assessment": c.assessment,
                "in_scope": c.in_scope,
                "rules": list(c.rules),
            }
            for c in fw.controls
        ],
    }
