"""Footholds: internet-exposed Services and Ingresses that reach a running workload whose image carries a
critical vulnerability with a fix.

Read from stored findings and resources like the rest of the exposure page: the failing findings of
``kubernetes.image_vulnerabilities.no_fixable_critical_or_high`` whose evidence lists a CRITICAL (one query),
and, only when there are some, the Services and Ingresses of those workloads' accounts (a second query),
matched in memory by selector and Ingress backend.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from posture.access.scoping import scope
from posture.findings.models import Finding
from posture.images.export import evidence_vulnerabilities
from posture.inventory.models import Resource
from posture.inventory.workloads import INGRESS_TYPE, SERVICE_TYPE, ingress_backends, selects, template_labels
from posture.rules.verdicts import Status

FIXABLE_RULE = "kubernetes.image_vulnerabilities.no_fixable_critical_or_high"
MAX_VULNERABLE = 2000


def critical_fixable(user: Any) -> list[dict[str, Any]]:
    """Running workloads (the user may see) with a failing finding listing a fixable CRITICAL: one query."""
    rows = (
        scope(Finding.objects.all(), user)
        .filter(rule_id=FIXABLE_RULE, status=Status.FAIL, resource__gone_at__isnull=True)
        .values("id", "muted", "account_id", "resource_id", "resource__uid", "resource__config", "evidence")
    )
    found = []
    for row in rows[:MAX_VULNERABLE]:
        cves = [v["id"] for v in evidence_vulnerabilities(row["evidence"]) if v.get("severity") == "CRITICAL"]
        if cves:
            found.append({**row, "cves": cves})
    return found


def namespace_of(uid: str) -> str:
    return uid.split("/", 1)[0]


def footholds(user: Any, exposed_ids: set[int]) -> dict[int, list[dict[str, Any]]]:
    """Exposed resource id -> the vulnerable workloads it reaches: ``{id, uid, finding, muted, cves}``."""
    vulnerable = critical_fixable(user)
    if not vulnerable or not exposed_ids:
        return {}
    namespaces = {(w["account_id"], namespace_of(w["resource__uid"])) for w in vulnerable}
    routes = Resource.objects.filter(
        account_id__in={a for a, _ in namespaces}, type__in=(SERVICE_TYPE, INGRESS_TYPE), gone_at__isnull=True
    ).values_list("id", "account_id", "uid", "type", "name", "config")
    services, ingresses = defaultdict(list), defaultdict(list)
    for pk, account, uid, type_, name, config in routes:
        key = (account, namespace_of(uid))
        if key in namespaces:
            (services if type_ == SERVICE_TYPE else ingresses)[key].append((pk, name, config))
    found: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for w in vulnerable:
        key = (w["account_id"], namespace_of(w["resource__uid"]))
        labels = template_labels(w["resource__config"] or {})
        selecting = [(pk, name) for pk, name, config in services[key] if selects(selector(config), labels)]
        names = {name for _, name in selecting}
        reaching = [pk for pk, _ in selecting]
        reaching += [pk for pk, _, config in ingresses[key] if ingress_backends(config) & names]
        item = {"id": w["resource_id"], "uid": w["resource__uid"], "finding": w["id"], "muted": w["muted"]}
        for pk in reaching:
            if pk in exposed_ids:
                found[pk].append({**item, "cves": w["cves"]})
    return dict(found)


def selector(config: dict[str, Any]) -> dict[str, Any]:
    value = (config.get("spec") or {}).get("selector")
    return value if isinstance(value, dict) else {}
