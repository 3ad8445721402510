"""A client keeps a connection for every call it can have in flight, so none is dropped and opened again.

A loopback server that keeps connections alive (HTTP/1.1, as AWS does) answers Access Analyzer's ListAnalyzers
and counts the connections it accepts; it holds each request until as many are in flight as S3 reads buckets at
once. Two such rounds through one client of ``AwsSession.client``: the second round reuses every connection of
the first.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from collectors.aws.provider import AwsSession, new_session
from collectors.aws.s3 import BUCKET_WORKERS
from tests.collectors.aws.conftest import JsonHandler, serving


class KeepAlive:
    """The server's tally: connections accepted and requests answered."""

    def __init__(self, at_once: int) -> None:
        self.connections = 0
        self.requests = 0
        self.lock = threading.Lock()
        self.barrier = threading.Barrier(at_once, timeout=10)
        self.url = ""


@pytest.fixture
def server() -> Iterator[KeepAlive]:
    tally = KeepAlive(BUCKET_WORKERS)

    class Handler(JsonHandler):
        protocol_version = "HTTP/1.1"  # connections stay open between requests

        def setup(self) -> None:
            super().setup()
            with tally.lock:
                tally.connections += 1

        def do_GET(self) -> None:
            with tally.lock:
                tally.requests += 1
            tally.barrier.wait()  # every caller in flight at once: none can take another's connection
            self.answer(200, {"analyzers": []})

    with serving(Handler) as url:
        tally.url = url
        yield tally


@pytest.mark.usefixtures("aws_env")
def test_a_client_reuses_a_connection_for_every_call_in_flight(server: KeepAlive) -> None:
    client = AwsSession(new_session(), endpoint_url=server.url).client("accessanalyzer", "us-east-1")
    with ThreadPoolExecutor(max_workers=BUCKET_WORKERS) as pool:
        for _ in range(2):
            answers = list(pool.map(lambda _: client.list_analyzers(), range(BUCKET_WORKERS)))
            assert all(answer["analyzers"] == [] for answer in answers)
    assert server.requests == 2 * BUCKET_WORKERS
    assert server.connections == BUCKET_WORKERS
