"""Group claims to role and teams, and the SSO settings checked at start-up."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from posture.access.claims import ROLES, GroupMapping, claimed_groups, map_groups, parse_group_map
from posture.access.roles import ROLE_NAMES

ROOT = Path(__file__).resolve().parents[2]
MAPPING = GroupMapping(
    roles={"posture-admins": "admin", "sec": "analyst", "all": "viewer"},
    teams={"pay-eng": "payments"},
    team_prefix="team-",
)


def test_the_role_names_are_posture_roles() -> None:
    assert ROLES == ROLE_NAMES


def test_the_highest_mapped_role_wins_and_teams_come_from_the_map_and_the_prefix() -> None:
    assert map_groups(["all", "sec", "team-platform", "pay-eng", "other"], MAPPING) == (
        "analyst",
        {"platform", "payments"},
    )
    assert map_groups(["posture-admins", "all"], MAPPING) == ("admin", set())
    assert map_groups(["other", "team-"], MAPPING) == (None, set())


@pytest.mark.parametrize(
    ("claims", "claim", "groups"),
    [
        ({"groups": ["a", "b", 3, ""]}, "groups", ["a", "b"]),
        ({"groups": "a b,c"}, "groups", ["a", "b", "c"]),
        ({"realm_access": {"roles": ["x"]}}, "realm_access.roles", ["x"]),
        ({"groups": {"not": "a list"}}, "groups", []),
        ({}, "groups", []),
    ],
)
def test_group_claims(claims, claim, groups) -> None:
    assert claimed_groups(claims, claim) == groups


def test_parse_group_map() -> None:
    assert parse_group_map("X", "posture-admins=admin, sec = analyst,,", ROLES) == {
        "posture-admins": "admin",
        "sec": "analyst",
    }
    assert parse_group_map("X", "role=ops=viewer", ROLES) == {"role=ops": "viewer"}  # the last = splits
    with pytest.raises(ImproperlyConfigured, match="X: 'sec=root' maps to 'root'"):
        parse_group_map("X", "sec=root", ROLES)
    with pytest.raises(ImproperlyConfigured, match="is not group=value"):
        parse_group_map("X", "sec", ROLES)


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"POSTURE_OIDC_ROLE_MAP": "admins=superuser"}, "POSTURE_OIDC_ROLE_MAP: 'admins=superuser' maps to"),
        ({"POSTURE_OIDC_ISSUER": "https://idp.example.test"}, "POSTURE_OIDC_CLIENT_ID, POSTURE_OIDC_CLIENT_SECRET"),
        ({"POSTURE_LOCAL_LOGIN": "false"}, "POSTURE_LOCAL_LOGIN=false needs POSTURE_OIDC_ISSUER"),
        ({"POSTURE_REQUIRE_ADMIN_TOTP": "sometimes"}, "POSTURE_REQUIRE_ADMIN_TOTP='sometimes' is not a boolean"),
    ],
)
def test_a_bad_sso_setting_stops_start_up(tmp_path, env, message) -> None:
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT,
        env={**os.environ, "POSTURE_DATA_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "posture.settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert message in result.stderr
