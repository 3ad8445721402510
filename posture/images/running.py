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
from dataclasses import dataclass, field
from typing import Any

from collectors.image_scans import SEVERITIES
from posture.images.models import ImageScanResult
from posture.inventory.images import ImageUse, workload_images

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


@dataclass
class ImageVulnerabilities:
    """One image in use with the scan results of the digests it runs (None: a digest nobody scanned)."""

    use: ImageUse
    scans: dict[str, ImageScanResult | None] = field(default_factory=dict)

    def __getattr__(self, name: str) -> Any:
        """Reads as the :class:`ImageUse` it wraps too (``ref``, ``image``, ``workloads``, ``failing``...)."""
        if name.startswith("__") or name == "use":
            raise AttributeError(name)
        return getattr(self.use, name)

    @property
    def results(self) -> list[ImageScanResult]:
        return [r for r in self.scans.values() if r is not None]

    def worst(self, name: str) -> int:
        """The highest count of ``name`` (``critical``, ``high_fixable``...) among its digests' results."""
        return max((getattr(r, name) for r in self.results if r.status == "complete"), default=0)

    @property
    def counts(self) -> dict[str, dict[str, int]]:
        return {s: {"total": self.worst(s.lower()), "fixable": self.worst(f"{s.lower()}_fixable")} for s in SEVERITIES}

    @property
    def scanned(self) -> bool:
        return any(r.status == "complete" for r in self.results)

    @property
    def sources(self) -> list[str]:
        return sorted({r.source for r in self.results})

    @property
    def imported(self) -> bool:
        return any(r.imported for r in self.results)

    @property
    def scanned_at(self) -> Any:
        """The oldest scan among its running digests (the one that ages first)."""
        times = [r.scanned_at for r in self.results if r.scanned_at]
        return min(times) if times else None

    @property
    def pushed_at(self) -> Any:
        times = [r.pushed_at for r in self.results if r.pushed_at]
        return min(times) if times else self.use.pushed_at

    def has(self, severity: str | None, fixable: bool | None) -> bool:
        """Whether it carries a vulnerability of ``severity`` (any when None): with a fix (``fixable`` true),
        only without one (false), either way (None)."""
        levels = [severity.upper()] if severity else list(SEVERITIES)
        counts = self.counts
        total, fix = sum(counts[s]["total"] for s in levels), sum(counts[s]["fixable"] for s in levels)
        if fixable is None:
            return total > 0
        return fix > 0 if fixable else (total > 0 and fix == 0)


def use_digests(use: ImageUse) -> list[str]:
    """The digests an image in use runs as: the pods' ``imageID`` of the containers running it (and a pinned
    digest in the spec, for workloads whose pods were not seen)."""
    key = str(use.ref) if use.ref else use.image
    digests: set[str] = set()
    for workload in use.workloads:
        names = {c.container for c in workload_images(workload.config) if (str(c.ref) if c.ref else c.image) == key}
        seen = False
        for pod in workload.config.get("_pods") or []:
            for status in (pod.get("containers") or []) if isinstance(pod, dict) else []:
                if isinstance(status, dict) and status.get("name") in names and digest_of(status.get("imageID")):
                    digests.add(str(digest_of(status.get("imageID"))))
                    seen = True
        if not seen and use.ref and use.ref.digest:
            digests.add(use.ref.digest)
    return sorted(digests)


def image_vulnerabilities(uses: Iterable[ImageUse]) -> list[ImageVulnerabilities]:
    """Each image in use with its digests' scan results: one query whatever their number."""
    rows = [(use, use_digests(use)) for use in uses]
    stored = results_by_digest(d for _, digests in rows for d in digests)
    return [ImageVulnerabilities(use, {d: freshest(stored.get(d, ())) for d in digests}) for use, digests in rows]


def filtered(rows: Iterable[ImageVulnerabilities], severity: str | None, fixable: bool | None) -> list:
    """The images carrying a vulnerability of ``severity`` (and with a fix, or none, as ``fixable`` asks)."""
    if severity is None and fixable is None:
        return list(rows)
    return [r for r in rows if r.has(severity, fixable)]


def running_digest_set(workload_configs: Iterable[dict[str, Any]]) -> set[str]:
    """Every digest the given workloads' pods run."""
    return {d for config in workload_configs for d in running_digests(config)}


@dataclass
class DigestScans:
    """One digest: every stored result for it (each scanner's), the result to go by, and who runs it."""

    digest: str
    results: list[ImageScanResult]
    running: list[dict[str, Any]] = field(default_factory=list)

    @property
    def best(self) -> ImageScanResult | None:
        return freshest(self.results)

    @property
    def name(self) -> str:
        r = self.best
        return f"{r.registry}/{r.repository}" if r else ""


def digest_scans(digest: str, workloads: Iterable[tuple[int, str, str, dict[str, Any]]]) -> DigestScans:
    """All results for one digest (one query) and the workloads, of those given as ``(id, account, uid,
    config)``, whose pods run it."""
    results = results_by_digest([digest]).get(digest, [])
    running = []
    for pk, account, uid, config in workloads:
        containers = running_digests(config).get(digest)
        if containers:
            running.append({"id": pk, "account": account, "uid": uid, "containers": containers})
    return DigestScans(digest, results, running)


def finding_vulnerabilities(rule_id: str, config: dict[str, Any] | None) -> list[tuple[str, ImageScanResult, list]]:
    """For a finding of an image vulnerability rule: each digest its workload runs with a result, and that
    result's fixable critical and high vulnerabilities (one query; none for other rules)."""
    if not rule_id.startswith("kubernetes.image_vulnerabilities.") or not isinstance(config, dict):
        return []
    scans = scans_for_workload(config)
    return [(d, r, urgent_fixable(r.vulnerabilities or [])) for d, r in scans.items() if r is not None]
