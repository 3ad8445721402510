"""What moved the score between two dates: the controls whose status changed, and the findings behind them.

The status of every control at each date is the scoring model's (:func:`posture.findings.scoring.score_controls`)
over each account's latest score at the end of that day (carried forward as in
:func:`posture.findings.compliance.trend`), with the attestations then in force: so the two scores shown are
the trend's points at those dates. The findings behind a changed control are its rules' findings that were
opened, resolved or reopened between the two moments (``FindingEvent`` rows).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from posture.findings.compliance import _day_end, attestations_of
from posture.findings.group_trends import latest_scores
from posture.findings.models import EventKind, FindingEvent
from posture.findings.scoring import STATUS_LABELS, STATUS_ORDER, Score, active, score_controls
from posture.inventory.models import CloudAccount
from posture.rules.frameworks import Framework

TRANSITIONS = (EventKind.OPENED, EventKind.RESOLVED, EventKind.REOPENED)
EVENT_FIELDS = (
    "at",
    "kind",
    "from_status",
    "to_status",
    "finding_id",
    "finding__rule_id",
    "finding__resource_uid",
    "finding__severity",
    "finding__account__name",
)
MAX_EVENTS = 500  # the findings listed across all changed controls; the rest are counted, not listed


class BadWindow(ValueError):
    """Dates that are not a window: malformed, in the future, or ``from`` after ``to``."""


@dataclass(frozen=True)
class Window:
    """Two dates and the moments their scores are taken at (the trend's: end of day, or now for today)."""

    start: date
    end: date
    start_at: datetime
    end_at: datetime

    @property
    def trend_start(self) -> datetime:
        """The ``start`` to give ``trend`` for points from ``self.start`` to ``self.end``."""
        return timezone.make_aware(datetime.combine(self.start, datetime.min.time()))


def parse_date(raw: str, name: str) -> date:
    try:
        return date.fromisoformat(raw.strip())
    except ValueError:
        raise BadWindow(f"{name}: {raw!r} is not a date (YYYY-MM-DD)") from None


def window(raw_from: str, raw_to: str, now: datetime | None = None) -> Window:
    """The window between two ``YYYY-MM-DD`` dates (``to`` defaults to today); :class:`BadWindow` if not one."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    end = parse_date(raw_to, "to") if raw_to.strip() else today
    if not raw_from.strip():
        raise BadWindow("from: a date is required (YYYY-MM-DD)")
    start = parse_date(raw_from, "from")
    if end > today:
        raise BadWindow(f"to: {end} is in the future")
    if start > end:
        raise BadWindow(f"from ({start}) is after to ({end})")
    end_at = now if end == today else _day_end(end + timedelta(days=1))
    start_at = end_at if start == end else _day_end(start + timedelta(days=1))
    return Window(start, end, start_at, end_at)


def score_at(fw: Framework, accounts: QuerySet[CloudAccount], at: datetime, attestations: list) -> Score:
    """The score of ``fw`` over each account's latest score taken by ``at`` (one query)."""
    return score_controls(fw, latest_scores(fw, accounts, taken_at__lte=at), active(attestations, at))


def _findings_behind(
    fw: Framework, accounts: QuerySet[CloudAccount], controls: list[str], win: Window
) -> tuple[dict[str, list[dict]], bool]:
    """The transitions of the changed controls' rules' findings in the window, per control (one query)."""
    rules_of = {c: fw.control(c).rules for c in controls}
    rules = sorted({r for rs in rules_of.values() for r in rs})
    events = (
        FindingEvent.objects.filter(
            finding__account__in=accounts,
            finding__rule_id__in=rules,
            kind__in=TRANSITIONS,
            at__gt=win.start_at,
            at__lte=win.end_at,
        )
        .order_by("-at", "-id")
        .values(*EVENT_FIELDS)[: MAX_EVENTS + 1]
    )
    events = list(events) if rules else []
    out: dict[str, list[dict]] = defaultdict(list)
    for event in events[:MAX_EVENTS]:
        for control, its_rules in rules_of.items():
            if event["finding__rule_id"] in its_rules:
                out[control].append(event)
    return out, len(events) > MAX_EVENTS


def movement(fw: Framework, accounts: QuerySet[CloudAccount], win: Window) -> dict[str, Any]:
    """The scores at both dates and each control whose status changed between them, worst (now) first."""
    attestations = attestations_of([fw.id])[fw.id]
    before = score_at(fw, accounts, win.start_at, attestations)
    after = score_at(fw, accounts, win.end_at, attestations)
    changed = [c.id for c in fw.controls if before.statuses[c.id] != after.statuses[c.id]]
    behind, truncated = _findings_behind(fw, accounts, changed, win)
    controls = [
        {
            "id": c,
            "title": fw.control(c).title,
            "before": before.statuses[c],
            "after": after.statuses[c],
            "before_label": STATUS_LABELS[before.statuses[c]],
            "after_label": STATUS_LABELS[after.statuses[c]],
            "findings": behind.get(c, []),
        }
        for c in changed
    ]
    controls.sort(key=lambda c: (STATUS_ORDER.index(c["after"]), c["id"]))
    return {
        "framework": fw.id,
        "from": win.start.isoformat(),
        "to": win.end.isoformat(),
        "before": before.as_dict(),
        "after": after.as_dict(),
        "controls": controls,
        "findings_truncated": truncated,
    }
