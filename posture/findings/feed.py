"""The change feed: every change to a finding takes the next ``change_seq``.

Numbers come from one counter row that the writer locks until it commits, so
writers hand out numbers in commit order: once a reader sees number N, every
number below N is already visible. A consumer that polls ``after=N`` never
skips a change and never gets one twice (a finding changed twice shows once,
in its latest state, at its latest number).
"""

from __future__ import annotations

from posture.findings.models import ChangeCounter


def allocate(count: int) -> int:
    """Reserve ``count`` numbers and return the first. Call inside the writing transaction."""
    if count <= 0:
        return 0
    counter, _ = ChangeCounter.objects.select_for_update().get_or_create(pk=1)
    first = counter.value + 1
    counter.value += count
    counter.save(update_fields=["value"])
    return first
