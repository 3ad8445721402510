"""Text search over findings: one lowercased column, kept by the scan pipeline.

``Finding.search_text`` holds what the findings list shows and what people search for: the rule id
and the rule's title, the resource uid and name, the images the resource runs or holds, the message,
and the evidence values. A search is one ``LIKE '%term%'`` on it; on PostgreSQL a trigram GIN index
(migration 0004) answers that without reading every row, so a search at a million findings costs
about what a filter does. :func:`rebuild_search_text` refills the column for rows written before a
change to what it holds (migration 0010 runs it).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from django.db.models import Q

from posture.rules.registry import RULES

IMAGE_KEYS = frozenset({"image", "imageUri", "repositoryUri"})
VALUE_CHARS = 300  # one evidence value's share of the column
REBUILD_BATCH = 2000


def rule_title(rule_id: str) -> str:
    return RULES.get(rule_id).title if rule_id in RULES else ""


def images_in(config: Any, depth: int = 0) -> Iterator[str]:
    """Image references anywhere in a resource's configuration (containers' ``image``, registry URIs)."""
    if depth > 12:
        return
    if isinstance(config, dict):
        for key, value in config.items():
            if key in IMAGE_KEYS and isinstance(value, str):
                yield value
            else:
                yield from images_in(value, depth + 1)
    elif isinstance(config, list):
        for item in config:
            yield from images_in(item, depth + 1)


def resource_label(name: str, config: Any) -> str:
    """A resource's name and the distinct images in its configuration, one per line."""
    return "\n".join([name, *dict.fromkeys(images_in(config))])


def evidence_values(evidence: Iterable[dict[str, Any]] | None) -> list[str]:
    return [str(e.get("value", ""))[:VALUE_CHARS] for e in evidence or () if isinstance(e, dict)]


def search_text(
    rule_id: str,
    resource_uid: str,
    resource_name: str,
    message: str,
    evidence: Iterable[dict[str, Any]] | None = None,
) -> str:
    """The search column's value; ``resource_name`` may carry the resource's images (:func:`resource_label`)."""
    parts = (rule_id, rule_title(rule_id), resource_uid, resource_name, message, *evidence_values(evidence))
    return "\n".join(parts).lower()


def search_q(term: str) -> Q:
    """Findings whose rule (id or title), resource (uid, name, images), message or evidence contain ``term``."""
    return Q(search_text__contains=term.strip().lower())


def rebuild_search_text(finding_model: Any, batch: int = REBUILD_BATCH) -> int:
    """Refill ``search_text`` of every finding, ``batch`` rows at a time (by id); returns how many it wrote."""
    last, changed = 0, 0
    while True:
        rows = list(
            finding_model.objects.filter(pk__gt=last)
            .order_by("pk")
            .values_list("pk", "rule_id", "resource_uid", "resource__name", "resource__config", "message", "evidence")[
                :batch
            ]
        )
        if not rows:
            return changed
        updates = [
            finding_model(pk=pk, search_text=search_text(rule, uid, resource_label(name or "", config), msg, ev))
            for pk, rule, uid, name, config, msg, ev in rows
        ]
        finding_model.objects.bulk_update(updates, ["search_text"], batch_size=500)
        changed += len(updates)
        last = rows[-1][0]
