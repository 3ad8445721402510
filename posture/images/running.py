"""What runs joined to what was scanned: running containers' image digests matched to stored scan results.

A pod's container status names the digest it runs (``imageID``, kept by the workload collector under
``_pods[].containers[]``); an image scan result is stored per digest (:mod:`posture.images.models`). Plain
functions: the scan pipeline's enrichment, the images and workload pages and the API all call them.

The compact summary of one result (:func:`summary`) is what a workload record carries under
``_imageScans`` for the rules (``posture.rules.packs.kubernetes.image_vulnerabilities``):
``{scanner, status, scanned_at, pushed_at, imported, counts: {SEVERITY: {total, fixable}},
fixable: [{id, severity, package, installed_version, fixed_version}] (CRITICAL/HIGH, capped), fixable_total}``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from collectors.image_scans import SEVERITIES
from posture.images.models import ImageScanResult

IMAGE_SCANS_KEY = "_imageScans"
URGENT = ("CRITICAL", "HIGH")
MAX_LISTED = 20


def digest_of(image_id: Any) -> str | None:
    """``sha256:...`` of an ``imageID`` (``docker-pullable://repo@sha256:...``, ``repo@sha256:...``)."""
    text = str(image_id or "")
    digest = text.rsplit("@", 1)[1] if "@" in text else (text if text.startswith("sha256:") else "")
    return digest[:100] or None


def running_digests(config: dict[str, Any]) -> dict[str, list[str]]:
    """digest -> the ``pod/container`` names running it, from a stored workload's ``_pods``."""
    found: dict[str, list[str]] = defaultdict(list)
    for pod in config.get("_pods") or []:
        for status in (pod.get("containers") or []) if isinstance(pod, dict) else []:
            digest = digest_of(status.get("imageID")) if isinstance(status, dict) else None
            if digest:
                found[digest].append(f"{pod.get('name')}/{status.get('name')}")
    return dict(found)


def urgent_fixable(vulnerabilities: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The CRITICAL and HIGH vulnerabilities with a fixed version, the critical first."""
    found = [v for v in vulnerabilities if v.get("severity") in URGENT and v.get("fixed_version")]
    found.sort(key=lambda v: (URGENT.index(v["severity"]), str(v.get("id")), str(v.get("package"))))
    return found


def tally(result: ImageScanResult) -> dict[str, dict[str, int]]:
    return {
        s: {"total": getattr(result, s.lower()), "fixable": getattr(result, f"{s.lower()}_fixable")} for s in SEVERITIES
    }


def iso(moment: Any) -> str | None:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ") if moment else None


def summary(result: ImageScanResult) -> dict[str, Any]:
    """The compact form of one stored result that a workload record carries for the rules."""
    fixable = urgent_fixable(result.vulnerabilities or [])
    keys = ("id", "severity", "package", "installed_version", "fixed_version")
    return {
        "scanner": result.source,
        "status": result.status,
        "scanned_at": iso(result.scanned_at),
        "pushed_at": iso(result.pushed_at),
        "imported": result.imported,
        "counts": tally(result),
        "fixable": [{k: str(v.get(k, "")) for k in keys} for v in fixable[:MAX_LISTED]],
        "fixable_total": len(fixable),
    }


def freshest(results: Iterable[ImageScanResult]) -> ImageScanResult | None:
    """The result to go by: a complete one before any other, then the most recently scanned."""
    ranked = sorted(results, key=lambda r: (r.status == "complete", r.scanned_at is not None, r.scanned_at or 0))
    return ranked[-1] if ranked else None


def results_by_digest(digests: Iterable[str]) -> dict[str, list[ImageScanResult]]:
    """Every stored result for these digests, one query."""
    found: dict[str, list[ImageScanResult]] = defaultdict(list)
    wanted = sorted(set(digests))
    if wanted:
        for result in ImageScanResult.objects.filter(digest__in=wanted).order_by("digest", "source"):
            found[result.digest].append(result)
    return dict(found)


def scans_for_workload(config: dict[str, Any]) -> dict[str, ImageScanResult | None]:
    """Each digest the workload runs -> the result to go by (None: never scanned); one query."""
    digests = running_digests(config)
    stored = results_by_digest(digests)
    return {d: freshest(stored.get(d, ())) for d in sorted(digests)}


def running_digest_set(workload_configs: Iterable[dict[str, Any]]) -> set[str]:
    """Every digest the given workloads' pods run."""
    return {d for config in workload_configs for d in running_digests(config)}
