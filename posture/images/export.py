"""Image vulnerabilities in finding exports: the fixable CVEs an image rule put in a finding's evidence, as
OCSF ``vulnerabilities[]`` and as SARIF result properties.

Read from the evidence (``_imageScans.<digest>.fixable.<n>`` = ``{id, severity, package, installed_version,
fixed_version}``), so exports stay one streamed query whatever their size.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

FIXABLE_PATH = re.compile(r"^_imageScans\.(?P<digest>[^.]+)\.fixable\.\d+$")


def evidence_vulnerabilities(evidence: Iterable[Any]) -> list[dict[str, str]]:
    """The fixable vulnerabilities a finding's evidence lists, each with the digest of the image carrying it."""
    found = []
    for item in evidence or ():
        match = FIXABLE_PATH.match(str(item.get("path", ""))) if isinstance(item, dict) else None
        value = item.get("value") if match else None
        if isinstance(value, dict) and value.get("id"):
            found.append({**{k: str(v) for k, v in value.items()}, "digest": match.group("digest")})
    return found


def ocsf_vulnerability(v: dict[str, str]) -> dict[str, Any]:
    """OCSF 1.1 ``vulnerability`` object: the CVE, its severity, the affected package and the fixed version."""
    fixed = v.get("fixed_version", "")
    vulnerability: dict[str, Any] = {
        "title": v["id"],
        "severity": v.get("severity", "").capitalize(),
        "is_fix_available": bool(fixed),
        "affected_packages": [
            {"name": v.get("package", ""), "version": v.get("installed_version", ""), "fixed_in_version": fixed}
        ],
        "vendor_name": "Posture",
    }
    if v["id"].startswith("CVE-"):
        vulnerability["cve"] = {"uid": v["id"]}
    return vulnerability


def ocsf_fields(evidence: Iterable[Any]) -> dict[str, Any]:
    found = evidence_vulnerabilities(evidence)
    return {"vulnerabilities": [ocsf_vulnerability(v) for v in found]} if found else {}


def sarif_fields(evidence: Iterable[Any]) -> dict[str, Any]:
    found = evidence_vulnerabilities(evidence)
    return {"vulnerabilities": found} if found else {}
