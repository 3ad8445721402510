"""Helpers the AWS rules share: policy statements, timestamps, port ranges, context lookups."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from collectors.records import ResourceRecord
from posture.rules.verdicts import Evidence, Verdict, check, lookup, unreadable

WORLD_V4 = "0.0.0.0/0"


WORLD_V6 = "::/0"


ADMIN_PORTS = (22, 3389)


# conditions that tie a "Principal: *" statement to known callers (an account, organization, VPC, source)
RESTRICTING_CONDITION_KEYS = {
    "aws:sourceaccount",
    "aws:sourceowner",
    "aws:sourcearn",
    "aws:sourcevpc",
    "aws:sourcevpce",
    "aws:sourceip",
    "aws:principalaccount",
    "aws:principalorgid",
    "aws:principalorgpaths",
    "aws:principalarn",
    "aws:resourceaccount",
    "aws:resourceorgid",
    "kms:calleraccount",
    "kms:viaservice",
}


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def parse_time(value: Any) -> dt.datetime | None:
    """An ISO 8601 timestamp as an aware datetime; None for "N/A", "no_information" and the like."""
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    if not isinstance(value, str) or not value[:4].isdigit():
        return None
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def age_days(value: Any) -> float | None:
    when = parse_time(value)
    return None if when is None else (now() - when).total_seconds() / 86400


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def statements(policy: Any) -> list[dict[str, Any]]:
    if not isinstance(policy, dict):
        return []
    return [s for s in as_list(policy.get("Statement")) if isinstance(s, dict)]


def is_public_principal(principal: Any) -> bool:
    """``"*"`` or ``{"AWS": "*"}`` (or a list holding ``*``): anyone, authenticated or not."""
    if principal == "*":
        return True
    if isinstance(principal, dict):
        return any("*" in as_list(v) for k, v in principal.items() if k in ("AWS", "*"))
    return False


def condition_keys(statement: dict[str, Any]) -> set[str]:
    keys: set[str] = set()
    for operator_block in (statement.get("Condition") or {}).values():
        if isinstance(operator_block, dict):
            keys |= {str(k).lower() for k in operator_block}
    return keys


# condition values that restrict nothing: any string, any address
OPEN_CONDITION_VALUES = {"*", "0.0.0.0/0", "::/0"}


def restricting_conditions(statement: dict[str, Any]) -> list[str]:
    """The condition keys that tie a statement to known callers: a restricting key under a positive operator
    (not ``...IfExists``, which passes a caller without the key; not a ``Not...`` operator, which admits
    everyone outside a list; not ``Null``), with a value that is not everything (``*``, ``0.0.0.0/0``)."""
    found = []
    for operator, block in (statement.get("Condition") or {}).items():
        op = str(operator).split(":")[-1].lower()
        if not isinstance(block, dict) or op.endswith("ifexists") or "not" in op or op == "null":
            continue
        for key, value in block.items():
            values = {str(v).strip() for v in as_list(value)}
            if str(key).lower() in RESTRICTING_CONDITION_KEYS and values and not values & OPEN_CONDITION_VALUES:
                found.append(str(key).lower())
    return found


def public_allow_statements(policy: Any) -> list[dict[str, Any]]:
    """Allow statements open to ``Principal: "*"`` with no condition restricting who may call."""
    return [
        s
        for s in statements(policy)
        if s.get("Effect") == "Allow" and is_public_principal(s.get("Principal")) and not restricting_conditions(s)
    ]


def ports_cover(from_port: Any, to_port: Any, port: int) -> bool:
    if from_port is None or to_port is None:
        return True
    try:
        low, high = int(from_port), int(to_port)
    except (TypeError, ValueError):
        return False
    if low == -1 and high == -1:
        return True
    return low <= port <= high


def open_ports(group_config: dict[str, Any], ports: tuple[int, ...], world: str) -> list[dict[str, Any]]:
    """Ingress permissions of a security group letting ``world`` (0.0.0.0/0 or ::/0) reach any of ``ports``."""
    found = []
    range_key, cidr_key = ("IpRanges", "CidrIp") if world == WORLD_V4 else ("Ipv6Ranges", "CidrIpv6")
    for perm in group_config.get("IpPermissions") or []:
        protocol = str(perm.get("IpProtocol", ""))
        if protocol not in ("-1", "tcp", "6", "udp", "17"):
            continue
        if not any(r.get(cidr_key) == world for r in perm.get(range_key) or []):
            continue
        hit = [p for p in ports if protocol == "-1" or ports_cover(perm.get("FromPort"), perm.get("ToPort"), p)]
        if hit:
            found.append(
                {"IpProtocol": protocol, "FromPort": perm.get("FromPort"), "ToPort": perm.get("ToPort"), "Ports": hit}
            )
    return found


def same_region(ctx: Any, type_: str, region: str) -> Iterator[ResourceRecord]:
    return (r for r in ctx.resources(type_) if r.region == region)


def where(record: ResourceRecord, path: str) -> str:
    """An evidence path into another record of the account: ``<uid>:<path>``."""
    return f"{record.uid}:{path}" if path else record.uid


def public_principal_verdict(resource: ResourceRecord, path: str, error_key: str) -> Verdict:
    problem = unreadable(resource, error_key)
    if problem:
        return problem
    open_statements = public_allow_statements(lookup(resource.config, path))
    return check(
        not open_statements,
        'no statement allows Principal "*" without a restricting condition',
        f'{len(open_statements)} statement(s) allow Principal "*" without a restricting condition',
        Evidence(f"{path}.Statement", open_statements or lookup(resource.config, f"{path}.Statement")),
    )
