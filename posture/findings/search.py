"""Text search over findings: one lowercased column, kept by the scan pipeline.

``Finding.search_text`` holds the rule id, the resource uid and name, and the
message, lowercased. A search is one ``LIKE '%term%'`` on it; on PostgreSQL a
trigram GIN index (migration 0004) answers that without reading every row, so
a search at a million findings costs about what a filter does.
"""

from __future__ import annotations

from django.db.models import Q


def search_text(rule_id: str, resource_uid: str, resource_name: str, message: str) -> str:
    return "\n".join((rule_id, resource_uid, resource_name, message)).lower()


def search_q(term: str) -> Q:
    """Findings whose rule, resource uid or name, or message contain ``term`` (any case)."""
    return Q(search_text__contains=term.lower())
