"""Trivy and Grype JSON reports as :class:`collectors.image_scans.ImageScan`: what ``images import`` and the
upload endpoint take.

Every report is hostile until read: it must be a JSON object of the format claimed, name the image by a
registry digest (``RepoDigests`` / ``repoDigests`` / ``manifestDigest``: the digest a pod's ``imageID``
shows, not the local config id), and stay within :data:`MAX_VULNERABILITIES`. Anything else raises
:class:`ReportError` with the reason, and nothing is stored.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from collectors.image_scans import ImageScan, Vulnerability, image_scan, vulnerability
from posture.inventory.images import DIGEST, BadImageRef, parse_image_ref

FORMATS = ("trivy", "grype")
MAX_REPORT_BYTES = 20 * 1024 * 1024
MAX_VULNERABILITIES = 50_000


class ReportError(ValueError):
    """A report that is not a Trivy or Grype image report this server can take; the message says why."""


def load(raw: bytes | str) -> dict[str, Any]:
    """The report's JSON object; size-checked before parsing."""
    if len(raw) > MAX_REPORT_BYTES:
        raise ReportError(f"the report is larger than {MAX_REPORT_BYTES // (1024 * 1024)} MB")
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError) as exc:
        raise ReportError(f"the report is not JSON ({type(exc).__name__})") from None
    if not isinstance(data, dict):
        raise ReportError("the report is not a JSON object")
    return data


def detect(data: dict[str, Any]) -> str:
    """``trivy`` or ``grype`` by the report's top-level keys."""
    if "ArtifactName" in data and "Results" in data:
        return "trivy"
    if "matches" in data and "source" in data:
        return "grype"
    raise ReportError("the report is neither a Trivy (ArtifactName, Results) nor a Grype (matches, source) report")


def parse(data: dict[str, Any], fmt: str = "auto") -> ImageScan:
    """One report as an image scan result (``fmt``: trivy, grype or auto)."""
    fmt = detect(data) if fmt == "auto" else fmt
    if fmt not in FORMATS:
        raise ReportError(f"unknown format {fmt!r}: use trivy, grype or auto")
    if fmt != detect(data):
        raise ReportError(f"the report is not a {fmt} report")
    return parse_trivy(data) if fmt == "trivy" else parse_grype(data)


def _text(value: Any, limit: int = 500) -> str:
    return value[:limit] if isinstance(value, str) else ""


def _list(value: Any, what: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise ReportError(f"{what} is not a list")
    return value


def _dict(value: Any, what: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ReportError(f"{what} is not an object")
    return value


def _time(value: Any, what: str) -> str | None:
    """An ISO 8601 time as UTC ``...Z``; None when absent; an error when unreadable."""
    if value in (None, ""):
        return None
    try:
        parsed = datetime.fromisoformat(str(value)[:64].replace("Z", "+00:00"))
    except ValueError:
        raise ReportError(f"{what} {str(value)[:40]!r} is not an ISO 8601 time") from None
    parsed = parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _image(name: str, repo_digests: list[Any], manifest_digest: str = "") -> tuple[str, str, str, str]:
    """``(registry, repository, tag, digest)`` from the scanned name and its registry digests."""
    try:
        ref = parse_image_ref(name)
    except BadImageRef as exc:
        raise ReportError(f"the scanned image: {exc}") from None
    digest = ref.digest or manifest_digest
    for item in repo_digests:
        if not digest and isinstance(item, str) and "@" in item:
            digest = item.rsplit("@", 1)[1]
    if not digest:
        raise ReportError("the report names no registry digest of the image (scan it from its registry)")
    if not DIGEST.match(digest) or len(digest) > 100:
        raise ReportError(f"the digest {digest[:80]!r} is not algorithm:hex")
    return ref.registry, ref.repository, ref.tag, digest


def _capped(items: Iterator[Vulnerability]) -> list[Vulnerability]:
    found = []
    for item in items:
        found.append(item)
        if len(found) > MAX_VULNERABILITIES:
            raise ReportError(f"the report lists more than {MAX_VULNERABILITIES} vulnerabilities")
    return found


def parse_trivy(data: dict[str, Any]) -> ImageScan:
    """``trivy image -f json``: ``ArtifactName``, ``Metadata.RepoDigests``, ``Results[].Vulnerabilities[]``."""
    if data.get("ArtifactType") not in (None, "container_image"):
        raise ReportError(f"the report scanned a {_text(data.get('ArtifactType'), 40)!r}, not a container image")
    metadata = _dict(data.get("Metadata"), "Metadata")
    registry, repository, tag, digest = _image(
        _text(data.get("ArtifactName")), _list(metadata.get("RepoDigests"), "Metadata.RepoDigests")
    )

    def vulns() -> Iterator[Vulnerability]:
        for n, result in enumerate(_list(data.get("Results"), "Results")):
            for v in _list(_dict(result, f"Results.{n}").get("Vulnerabilities"), f"Results.{n}.Vulnerabilities"):
                v = _dict(v, "a vulnerability")
                if not _text(v.get("VulnerabilityID")):
                    raise ReportError(f"a vulnerability of Results.{n} has no VulnerabilityID")
                yield vulnerability(
                    _text(v["VulnerabilityID"], 100),
                    _text(v.get("Severity"), 20),
                    _text(v.get("PkgName"), 200),
                    _text(v.get("InstalledVersion"), 200),
                    _text(v.get("FixedVersion"), 200),
                    _text(v.get("Title"), 300),
                    _url(v.get("PrimaryURL")),
                )

    config = _dict(metadata.get("ImageConfig"), "Metadata.ImageConfig")
    tags = [t.rsplit(":", 1)[1] for t in _list(metadata.get("RepoTags"), "Metadata.RepoTags") if _tag_of(t)]
    return image_scan(
        digest=digest,
        registry=registry,
        repository=repository,
        tags=[t for t in [tag, *tags] if t][:50],
        scanner="trivy",
        scanned_at=_time(data.get("CreatedAt"), "CreatedAt"),
        pushed_at=_time(config.get("created"), "Metadata.ImageConfig.created"),
        vulnerabilities=_capped(vulns()),
    )


def _tag_of(item: Any) -> bool:
    return isinstance(item, str) and ":" in item.rsplit("/", 1)[-1] and len(item) < 300


def _url(value: Any) -> str:
    text = _text(value, 500)
    return text if text.startswith(("https://", "http://")) else ""


def parse_grype(data: dict[str, Any]) -> ImageScan:
    """``grype -o json``: ``matches[]``, ``source.target`` (an image), ``descriptor.timestamp``."""
    source = _dict(data.get("source"), "source")
    if source.get("type") not in (None, "image"):
        raise ReportError(f"the report scanned a {_text(source.get('type'), 40)!r}, not an image")
    target = _dict(source.get("target"), "source.target")
    name = _text(target.get("userInput")) or next(iter(_text(t) for t in _list(target.get("tags"), "tags")), "")
    registry, repository, tag, digest = _image(
        name, _list(target.get("repoDigests"), "source.target.repoDigests"), _text(target.get("manifestDigest"), 100)
    )

    def vulns() -> Iterator[Vulnerability]:
        for n, match in enumerate(_list(data.get("matches"), "matches")):
            match = _dict(match, f"matches.{n}")
            v, artifact = _dict(match.get("vulnerability"), "vulnerability"), _dict(match.get("artifact"), "artifact")
            if not _text(v.get("id")):
                raise ReportError(f"matches.{n}.vulnerability has no id")
            fix = _dict(v.get("fix"), f"matches.{n}.vulnerability.fix")
            versions = [_text(x, 100) for x in _list(fix.get("versions"), "fix.versions") if isinstance(x, str)]
            fixed = ", ".join(versions[:5]) if fix.get("state") == "fixed" else ""
            yield vulnerability(
                _text(v["id"], 100),
                _text(v.get("severity"), 20),
                _text(artifact.get("name"), 200),
                _text(artifact.get("version"), 200),
                fixed,
                _text(v.get("description"), 300),
                _url(v.get("dataSource")),
            )

    descriptor = _dict(data.get("descriptor"), "descriptor")
    return image_scan(
        digest=digest,
        registry=registry,
        repository=repository,
        tags=[tag] if tag else [],
        scanner="grype",
        scanned_at=_time(descriptor.get("timestamp"), "descriptor.timestamp"),
        vulnerabilities=_capped(vulns()),
    )
