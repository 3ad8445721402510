"""The finding lifecycle every history must follow: opened, then resolved and reopened in turn."""

from __future__ import annotations

from collections import defaultdict

from posture.findings.models import EventKind, FindingEvent

LIFECYCLE = {EventKind.OPENED, EventKind.RESOLVED, EventKind.REOPENED}
# After each lifecycle event (None: before any), the ones that may follow it.
NEXT = {
    None: {EventKind.OPENED},
    EventKind.OPENED: {EventKind.RESOLVED},
    EventKind.RESOLVED: {EventKind.REOPENED},
    EventKind.REOPENED: {EventKind.RESOLVED},
}


def problems_in(kinds: list[str]) -> list[str]:
    """What is wrong with one finding's events, oldest first (empty: a valid history).

    opened -> resolved -> reopened -> resolved ...; an unmute only after a mute; changes (to or from an
    error) and mutes in between leave the lifecycle where it was.
    """
    problems = []
    last, muted = None, False
    for n, kind in enumerate(kinds):
        if kind in LIFECYCLE:
            if kind not in NEXT[last]:
                problems.append(f"#{n} {kind} after {last or 'nothing'}")
            last = kind
        elif kind == EventKind.UNMUTED and not muted:
            problems.append(f"#{n} unmuted while not muted")
        muted = kind == EventKind.MUTED or (muted and kind != EventKind.UNMUTED)
    return problems


def invalid_histories() -> dict[int, tuple[list[str], list[str]]]:
    """Every finding whose events break the lifecycle: {finding id: (its kinds, what is wrong)}."""
    kinds: dict[int, list[str]] = defaultdict(list)
    for finding_id, kind in FindingEvent.objects.order_by("at", "id").values_list("finding_id", "kind"):
        kinds[finding_id].append(kind)
    return {pk: (seq, p) for pk, seq in kinds.items() if (p := problems_in(seq))}
