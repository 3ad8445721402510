"""The account id is asked of STS once per session, however many collectors start at the same moment."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

from collectors.aws import PROVIDER
from collectors.records import Target


def test_concurrent_collectors_share_one_sts_call(server_url: str) -> None:
    session = PROVIDER.connect(Target("aws", "t", regions=("us-east-1",), endpoint_url=server_url))
    calls: list[str] = []

    def count(model: Any, **_: Any) -> None:
        calls.append(model.name)

    session.client("sts").meta.events.register("before-call.sts.GetCallerIdentity", count)
    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(lambda _: session.account_id(), range(16)))
    assert answers == ["123456789012"] * 16
    assert calls == ["GetCallerIdentity"]
