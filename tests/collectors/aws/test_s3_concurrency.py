"""S3 reads BUCKET_WORKERS buckets at once: its per-bucket reads are the longest unit of a bucket-heavy account."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from collectors.aws.common import DETAIL_WORKERS
from collectors.aws.s3 import BUCKET_WORKERS
from tests.collectors.aws.conftest import local_client
from tests.collectors.aws.test_call_counts import scan


class InFlight:
    """How many S3 calls are being sent at once, at most. Each is held 150 ms: longer than sixteen threads' work
    between calls takes on a loaded machine, so all of them can be in flight together."""

    def __init__(self) -> None:
        self.now = self.peak = 0
        self.lock = threading.Lock()

    def __call__(self, **_: Any) -> None:
        with self.lock:
            self.now += 1
            self.peak = max(self.peak, self.now)
        time.sleep(0.15)
        with self.lock:
            self.now -= 1


@pytest.mark.usefixtures("mocked")
def test_buckets_are_read_more_at_once_than_other_details() -> None:
    s3 = local_client("s3")
    for n in range(2 * BUCKET_WORKERS):
        s3.create_bucket(Bucket=f"bucket-{n:02d}")
    calls = InFlight()
    _, records = scan(("s3",), hooks=(("before-send.s3", calls),))
    assert len([r for r in records if r.type == "aws.s3.bucket"]) == 2 * BUCKET_WORKERS
    assert calls.peak == BUCKET_WORKERS > DETAIL_WORKERS
