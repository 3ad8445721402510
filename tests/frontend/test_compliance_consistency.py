"""One number everywhere: on random estates, every place a compliance score is shown agrees with every other and
with a recomputation from the findings themselves (per framework, per account, per team, and for everything).

Places compared: the overview card, the compliance list, the framework page, the report page, the compliance API
(list and one framework), the newest trend point, the per-team and per-account roll-ups, and the command line.
"""

from __future__ import annotations

import json
import random
from collections import defaultdict
from datetime import timedelta
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.core.management import call_command
from django.utils import timezone

from posture.findings.attestations import AttestationInput, create_attestation
from posture.findings.compliance import MEMO, rollup
from posture.findings.models import Attestation, ComplianceScore, Finding, MuteRule
from posture.findings.mutes import apply_mutes
from posture.inventory.accounts import AccountInput, create_account
from posture.inventory.models import CloudAccount
from posture.rules import frameworks
from posture.scans.pipeline import create_scan, run_scan
from tests.frontend.conftest import client_for

pytestmark = pytest.mark.django_db
BUCKET, MFA = "testcloud.storage.bucket_not_public", "testcloud.iam.user_has_mfa"
FW = "consistency-1.0"
# Manual controls a rule evaluates, one with two rules, ones with none (attestable), one out of scope.
CONTROLS = [
    {"id": "A.1", "title": "Buckets private (CIS: manual)", "assessment": "manual", "rules": [BUCKET]},
    {"id": "A.2", "title": "MFA", "assessment": "automated", "rules": [MFA]},
    {"id": "A.3", "title": "Reviewed by hand", "assessment": "manual"},
    {"id": "A.4", "title": "Both", "assessment": "automated", "rules": [BUCKET, MFA]},
    {"id": "A.5", "title": "Out of scope", "assessment": "automated", "rules": [BUCKET], "in_scope": False},
    {"id": "A.6", "title": "No rule yet", "assessment": "automated"},
]


@pytest.fixture
def consistency_framework(tmp_path: Path):
    folder = tmp_path / "frameworks"
    folder.mkdir()
    doc = {
        "id": FW,
        "title": "Consistency Benchmark",
        "version": "1.0.0",
        "provider": "testcloud",
        "sections": [{"id": "A", "title": "All", "controls": CONTROLS}],
    }
    (folder / "consistency.yaml").write_text(yaml.safe_dump(doc))
    frameworks.add_directory(folder)
    yield frameworks.catalog().get(FW)
    frameworks._extra_dirs.remove(folder)
    frameworks.reset()


def random_doc(rng: random.Random) -> dict[str, Any]:
    resources = [
        {
            "service": "storage",
            "region": "r1",
            "type": "testcloud.storage.bucket",
            "uid": f"b-{n}",
            "config": {"public": rng.random() < 0.4},
        }
        for n in range(rng.randint(0, 5))
    ]
    resources += [
        {"service": "iam", "type": "testcloud.iam.user", "uid": f"u-{n}", "config": {"mfa": rng.random() < 0.5}}
        for n in range(rng.randint(0, 3))
    ]
    return {"id": f"test-{rng.randint(0, 10**6)}", "regions": ["r1"], "resources": resources, "fail": []}


def build_estate(rng: random.Random, tmp_path: Path) -> list[CloudAccount]:
    accounts = []
    for n in range(rng.randint(1, 4)):
        path = tmp_path / f"estate-{n}.json"
        path.write_text(json.dumps(random_doc(rng)))
        account = create_account(
            AccountInput(
                provider="testcloud",
                name=f"acct-{n}",
                regions=[],
                credentials={"estate": str(path)},
                team=rng.choice(["red", "blue", ""]),
            ),
            source="cli",
        )
        for _ in range(rng.randint(1, 3)):  # history: earlier scans, then changes
            run_scan(create_scan(account).pk)
            path.write_text(json.dumps(random_doc(rng)))
        ComplianceScore.objects.filter(account=account).update(taken_at=timezone.now() - timedelta(days=3))
        run_scan(create_scan(account).pk)
        accounts.append(account)
    return accounts


def add_mutes_and_attestations(rng: random.Random, accounts: list[CloudAccount]) -> None:
    for account in accounts:
        if rng.random() < 0.4:
            MuteRule.objects.create(account=account, resource_pattern="b-0", reason="accepted")
    apply_mutes()  # counts at once: the accounts' latest scans are scored again
    now = timezone.now()
    for _ in range(rng.randint(0, 4)):
        where = rng.choice(["account", "team", "all"])
        account = rng.choice(accounts)
        create_attestation(
            AttestationInput(
                framework_id=FW,
                control_id=rng.choice(["A.3", "A.6", "A.1"]),
                result=rng.choice(["pass", "pass", "fail"]),
                note="reviewed",
                expires_at=now + timedelta(days=30),
                account=account if where == "account" else None,
                team=account.team if where == "team" else "",
            )
        )
    if rng.random() < 0.5:  # an expired one counts for nothing
        Attestation.objects.create(
            framework_id=FW,
            control_id="A.3",
            result="fail",
            note="old",
            expires_at=now - timedelta(days=1),
            created_at=now - timedelta(days=40),
        )


def recompute(fw: Any, accounts: list[CloudAccount]) -> dict[str, Any]:
    """The score from the findings the accounts' latest scans saw, and the attestations, written out again."""
    failed, passed, failing_resources = set(), set(), set()
    for account in accounts:
        taken = ComplianceScore.objects.filter(account=account, framework_id=fw.id).order_by("-scan_id").first()
        seen = Finding.objects.filter(account=account, muted=False, last_seen__gte=taken.taken_at)
        for control in fw.controls:
            if not control.in_scope:
                continue
            mine = seen.filter(rule_id__in=control.rules)
            if mine.filter(status="FAIL").exists():
                failed.add(control.id)
                failing_resources |= set(mine.filter(status="FAIL").values_list("resource_id", flat=True))
            elif mine.filter(status="PASS").exists():
                passed.add(control.id)
    passed -= failed
    now = timezone.now()
    active = [
        a
        for a in Attestation.objects.filter(framework_id=fw.id, revoked_at__isnull=True, expires_at__gt=now)
        if a.created_at <= now
    ]

    def covers(a: Attestation, account: CloudAccount) -> bool:
        return a.account_id == account.pk if a.account_id else (a.team == account.team if a.team else True)

    att_pass = att_fail = 0
    for control in fw.controls:
        if not control.in_scope or control.id in failed | passed or not accounts:
            continue
        mine = [a for a in active if a.control_id == control.id]
        if any(a.result == "fail" and any(covers(a, x) for x in accounts) for a in mine):
            att_fail += 1
        elif all(any(a.result == "pass" and covers(a, x) for a in mine) for x in accounts):
            att_pass += 1
    good, scored = len(passed) + att_pass, len(passed) + len(failed) + att_pass + att_fail
    return {
        "score": round(100 * good / scored, 1) if scored else None,
        "controls_passed": good,
        "controls_evaluated": scored,
        "resources_failed": len(failing_resources),
        "accounts": len(accounts),
    }


KEYS = ("score", "controls_passed", "controls_evaluated", "resources_failed", "accounts")


def pick(summary: dict[str, Any]) -> dict[str, Any]:
    return {k: summary[k] for k in KEYS}


def shown_everywhere(client: Any, query: str) -> list[tuple[str, dict[str, Any]]]:
    """The framework's numbers as each page, the API and the command line show them for one scope."""
    qs = f"?{query}" if query else ""
    shown = [
        ("framework page", pick(client.get(f"/compliance/{FW}/{qs}").context["summary"])),
        ("report page", pick(client.get(f"/compliance/{FW}/report/{qs}").context["report"]["summary"])),
        ("api", pick(client.get(f"/api/v1/compliance/{FW}/{qs}").json())),
    ]
    listing = client.get(f"/api/v1/compliance/{qs}").json()
    shown.append(("api list", pick(next(s for s in listing if s["framework"]["id"] == FW))))
    rows = client.get(f"/compliance/{qs}").context["rows"]
    shown.append(("compliance list", pick(next(r["summary"] for r in rows if r["fw"].id == FW))))
    newest = client.get(f"/api/v1/compliance/{FW}/trend/{qs}{'&' if qs else '?'}days=7").json()["points"][-1]
    shown.append(("trend", {k: newest[k] for k in KEYS}))
    out = StringIO()
    args = ["compliance", "show", FW, "--format", "json"]
    for part in filter(None, query.split("&")):
        name, value = part.split("=")
        args += [f"--{name}", value]
    call_command(*args, stdout=out)
    shown.append(("command line", pick(json.loads(out.getvalue()))))
    if not query:
        cards = client.get("/").context["cards"]
        shown.extend(("overview card", pick(c["summary"])) for c in cards if c["fw"]["id"] == FW)
    return shown


@pytest.mark.parametrize("seed", range(5))
def test_every_place_shows_the_same_score_as_the_findings_give(seed, tmp_path, consistency_framework, make_user):
    rng = random.Random(seed)
    accounts = build_estate(rng, tmp_path)
    add_mutes_and_attestations(rng, accounts)
    client = client_for(make_user("admin"))
    teams = defaultdict(list)
    for a in accounts:
        teams[a.team].append(a)
    scopes = [("", accounts)] + [(f"account={a.name}", [a]) for a in accounts]
    scopes += [(f"team={team}", members) for team, members in teams.items() if team]
    fw = consistency_framework
    for query, members in scopes:
        MEMO.clear()
        expected = recompute(fw, members)
        if expected["resources_failed"]:  # failing findings never read "—" or "0 failing"
            assert expected["score"] is not None
        for place, numbers in shown_everywhere(client, query):
            assert numbers == expected, (seed, query or "everything", place)
    everything = CloudAccount.objects.filter(pk__in=[a.pk for a in accounts])
    by_account = {r["key"]: r for r in rollup(fw, everything, by="account")}
    for a in accounts:
        assert pick(by_account[a.pk]) == recompute(fw, [a]), (seed, a.name)
    by_team = {r["key"]: r for r in rollup(fw, everything, by="team")}
    for team, members in teams.items():
        assert pick(by_team[team]) == recompute(fw, members), (seed, team)
