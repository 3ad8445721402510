"""Register the demo accounts and replay a month of scans, each stamped on its own day."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from django.utils import timezone

from posture.demo.clouds import DemoAccount, DemoCloud
from posture.demo.inside import InsideSpec, add_inside
from posture.inventory.accounts import AccountInput, create_account
from posture.inventory.models import CloudAccount
from posture.scans.models import Scan
from posture.scans.pipeline import create_scan, run_scan, shifted_clock

DEMO_LABEL = {"demo": "true"}
# Scan days, as days ago: twice a week for a month, and today.
SCAN_DAYS = (29, 26, 23, 20, 17, 14, 11, 8, 5, 2, 0)


def demo_accounts() -> list[CloudAccount]:
    return list(CloudAccount.objects.filter(labels__demo="true"))


def reset() -> int:
    """Remove every demo account with everything scanned from it (clusters scanned via a cloud account first)."""
    accounts = sorted(demo_accounts(), key=lambda a: a.via_id is None)
    for account in accounts:
        account.delete()
    return len(accounts)


def register(spec: DemoAccount) -> CloudAccount:
    """Create the account, or point an existing demo account at this run's emulator."""
    existing = CloudAccount.objects.filter(name=spec.name).first()
    if existing is not None:
        existing.endpoint_url = spec.endpoint_url
        existing.set_credentials(spec.credentials, by_operator=True)  # the operator runs the demo (source="cli")
        existing.save(update_fields=["endpoint_url", "credentials_encrypted", "updated_at"])
        return existing
    return create_account(
        AccountInput(
            provider=spec.provider,
            name=spec.name,
            regions=spec.regions,
            endpoint_url=spec.endpoint_url,
            credentials=spec.credentials,
            team=spec.team,
            labels={**spec.labels, **DEMO_LABEL},
        ),
        source="cli",
    )


def step_for(day_index: int, days: int, steps: int) -> int:
    """Spread a cloud's history steps evenly over the scan days."""
    return min(steps - 1, day_index * steps // days)


def _scan(account: CloudAccount, day: datetime, say: Callable[[str], None]) -> None:
    scan = create_scan(account, trigger="demo")
    Scan.objects.filter(pk=scan.pk).update(created_at=day)
    scan = run_scan(scan.pk, clock=shifted_clock(day))
    failing = (scan.counts or {}).get("findings", {}).get("FAIL", 0)
    say(f"  {day:%Y-%m-%d}  {account.name:<22} {scan.state:<9} {failing} failing")


def _inside_specs(cloud: DemoCloud) -> list[InsideSpec]:
    return list(getattr(cloud, "inside", []))


def _add_inside_and_scan(spec: InsideSpec, day: datetime, say: Callable[[str], None]) -> CloudAccount | None:
    """Add the inside cluster's account (unless it exists or cannot be added yet) and scan it once."""
    inside = add_inside(spec, DEMO_LABEL)
    if inside is not None:
        say(f"  added {inside.name}: inside {inside.via_cluster}, with {spec.via}'s identity")
        _scan(inside, day, say)
    return inside


def replay(
    clouds: list[tuple[DemoCloud, list[CloudAccount]]],
    scan_days: tuple[int, ...] = SCAN_DAYS,
    say: Callable[[str], None] = print,
) -> int:
    """Scan every account on every scan day, each cloud moved to that day's step first.

    A managed cluster the cloud lists as ``inside`` is added via its cloud account right after that
    account's first scan (which finds the cluster) and scanned from then on.
    """
    now = timezone.now()
    scans = 0
    for index, days_ago in enumerate(scan_days):
        day = now - timedelta(days=days_ago)
        for cloud, accounts in clouds:
            cloud.apply(step_for(index, len(scan_days), cloud.steps))
            for account in list(accounts):
                _scan(account, day, say)
                scans += 1
                for spec in _inside_specs(cloud):
                    if spec.via == account.name and (inside := _add_inside_and_scan(spec, day, say)):
                        accounts.append(inside)
                        scans += 1
    return scans


def add_missing_inside(clouds: list[tuple[DemoCloud, list[CloudAccount]]], say: Callable[[str], None] = print) -> int:
    """For a demo estate replayed before: add (and scan once, today) the inside clusters it lacks."""
    specs = [spec for cloud, _ in clouds for spec in _inside_specs(cloud)]
    return sum(1 for spec in specs if _add_inside_and_scan(spec, timezone.now(), say))
