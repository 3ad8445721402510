"""A scan's threads share each Google client's requests session: its pool keeps a connection for each of them."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from google.auth.credentials import AnonymousCredentials

from collectors.gcp.session import POOL_SIZE, authorized_session


class Slow(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: a connection is handed back to the pool after each answer

    def do_GET(self) -> None:
        time.sleep(0.05)
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def slow_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Slow)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()


def test_many_threads_on_one_session_reuse_their_connections(
    slow_server: str, caplog: pytest.LogCaptureFixture
) -> None:
    session = authorized_session(AnonymousCredentials())
    threads = 20  # more than requests' own pool of 10, fewer than ours
    assert threads < POOL_SIZE
    with (
        caplog.at_level(logging.WARNING, logger="urllib3.connectionpool"),
        ThreadPoolExecutor(max_workers=threads) as pool,
    ):
        answers = list(pool.map(lambda _: session.get(slow_server).status_code, range(threads * 3)))
    assert answers == [200] * threads * 3
    assert not [r for r in caplog.records if "pool is full" in r.getMessage()]
