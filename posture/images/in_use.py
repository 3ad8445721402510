"""What the pages and the API show of images in use: each image with its running digests' scan results, one
digest with every scanner's result and who runs it, and the CVEs behind an image rule's finding.

Built on :mod:`posture.images.running` (the join by digest); plain functions, one query each.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from collectors.image_scans import SEVERITIES
from posture.images.models import ImageScanResult
from posture.images.running import (
    digest_of,
    freshest,
    results_by_digest,
    running_digests,
    scans_for_workload,
    urgent_fixable,
)
from posture.inventory.images import ImageUse, workload_images


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
