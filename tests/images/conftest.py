"""Image scan results: reports on disk, normalized scans built with the collectors' own helpers."""

from __future__ import annotations

import hashlib
from pathlib import Path

from collectors.image_scans import ImageScan, image_scan, vulnerability

REPORTS = Path(__file__).parent / "reports"
WEB_DIGEST = "sha256:" + hashlib.sha256(b"posture").hexdigest()  # the emulator's pinned shop/web image
MINER_DIGEST = "sha256:" + hashlib.sha256(b"evil.example.com/miner:latest").hexdigest()  # what its tag runs as


def report(name: str) -> bytes:
    return (REPORTS / name).read_bytes()


def ecr_scan(digest: str = WEB_DIGEST, scanned_at: str = "2026-11-01T00:00:00Z", fixed: str = "3.0.14") -> ImageScan:
    return image_scan(
        digest=digest,
        registry="123456789012.dkr.ecr.eu-west-1.amazonaws.com",
        repository="acme/web",
        tags=["3.4.1"],
        scanner="inspector",
        scanned_at=scanned_at,
        pushed_at="2026-10-30T12:00:00Z",
        vulnerabilities=[
            vulnerability("CVE-2024-5535", "CRITICAL", "openssl", "3.0.11", fixed),
            vulnerability("CVE-2024-0727", "MEDIUM", "openssl", "3.0.11", ""),
        ],
    )
