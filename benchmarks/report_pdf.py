"""The compliance report's PDF at size: seconds and KiB for N failing resources (default 2,000 and 10,000).

Run: .venv/bin/python benchmarks/report_pdf.py [N ...]   (in-memory report data; rendering only, no database)
"""

from __future__ import annotations

import os
import sys
import time
from datetime import UTC, datetime

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "posture.settings")


def report_of(n: int) -> dict:
    """A report whose one failing control lists ``n`` resources (the shape ``build_report`` returns)."""
    from django.utils import timezone

    from posture.findings.scoring import Score

    rows = [
        {
            "resource_id": i,
            "resource_uid": f"arn:aws:s3:::bulk-bucket-{i:06d}",
            "resource__name": f"bulk-bucket-{i:06d}",
            "account__name": "prod",
            "resource__type": "aws.s3.bucket",
            "resource__region": "eu-west-1",
            "rule_id": "aws.s3.bucket_not_public",
        }
        for i in range(n)
    ]
    control = {"id": "2.1.4", "title": "Buckets are not public", "status": "fail", "status_label": "Fail"}
    control |= {"passed": 0, "failed": n, "failing_resources": rows, "attested_by": []}
    summary = Score(accounts=1, controls_failed=1, resources_failed=n, resources_evaluated=n).as_dict()
    return {
        "framework": {"id": "cis-aws", "title": "CIS AWS", "version": "7.0"},
        "scope": "account prod",
        "generated_at": timezone.now(),
        "generated_by": "benchmark",
        "scans": [],
        "attestations": [],
        "summary": summary,
        "sections": [{"id": "2", "title": "Storage", "controls": [control]}],
    }


def main(sizes: list[int]) -> None:
    import django

    django.setup()
    from posture.findings.report_pdf import render_pdf

    for n in sizes:
        started = time.perf_counter()
        pdf = render_pdf(report_of(n))
        print(f"{n:>7,} failing resources: {time.perf_counter() - started:6.2f} s, {len(pdf) // 1024:>6,} KiB")
    print(f"measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC")


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [2000, 10000])
