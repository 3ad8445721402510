"""The benchmarks' latency proxy forwards calls unchanged, each after its delay, to loopback upstreams only."""

from __future__ import annotations

import http.client
import json
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from benchmarks.estates import start_kubernetes
from benchmarks.latency_proxy import LatencyProxy, _Handler
from benchmarks.scanning import scan


class Echo(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        answer = json.dumps({"path": self.path, "host": self.headers.get("Host"), "body": body.decode()}).encode()
        self.send_response(201)
        self.send_header("X-Echo", "yes")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)


@pytest.fixture
def echo() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Echo)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_a_request_reaches_the_upstream_unchanged_after_the_delay(echo: str) -> None:
    with LatencyProxy(echo, delay=0.2) as proxy:
        port = int(proxy.url.rsplit(":", 1)[1])
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        started = time.monotonic()
        connection.request("POST", "/v1/things?page=2", body=b'{"a": 1}', headers={"Host": "api.example"})
        response = connection.getresponse()
        answer = json.loads(response.read())
        elapsed = time.monotonic() - started
    assert response.status == 201 and response.getheader("X-Echo") == "yes"
    assert len(response.msg.get_all("Date") or []) == 1 and len(response.msg.get_all("Server") or []) == 1
    assert answer == {"path": "/v1/things?page=2", "host": "api.example", "body": '{"a": 1}'}
    assert elapsed >= 0.2
    assert proxy.calls == 1 and proxy.log == [("POST", "/v1/things?page=2")]


def test_answers_leave_at_once_not_after_the_clients_delayed_ack(echo: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The proxy writes an answer's headers and body apart: with Nagle's algorithm on, the body waits for the
    client to acknowledge the headers, which Linux delays by 40 ms, so a 50 ms delay became about 95 ms."""
    nodelay: list[int] = []
    setup = _Handler.setup

    def recording(handler: _Handler) -> None:
        setup(handler)
        nodelay.append(handler.connection.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))

    monkeypatch.setattr(_Handler, "setup", recording)
    with LatencyProxy(echo, delay=0) as proxy:
        connection = http.client.HTTPConnection("127.0.0.1", int(proxy.url.rsplit(":", 1)[1]), timeout=10)
        connection.request("POST", "/", body=b"{}")
        assert connection.getresponse().status == 201
    assert nodelay and all(nodelay)


@pytest.mark.parametrize("upstream", ["http://10.0.0.1:80", "https://example.com", "ftp://127.0.0.1:21", "x"])
def test_only_loopback_upstreams_are_accepted(upstream: str) -> None:
    with pytest.raises(ValueError):
        LatencyProxy(upstream)


def test_a_scan_through_the_proxy_finds_what_a_direct_scan_finds_and_every_call_passes_through_it() -> None:
    estate = start_kubernetes()
    try:
        direct = scan(estate.target)
        direct_calls = len(estate.requests())
        with LatencyProxy(estate.url, delay=0.01) as proxy:
            proxied = scan(estate.through(proxy.url))
        assert proxy.calls == len(estate.requests()) - direct_calls == direct_calls
    finally:
        estate.stop()
    assert direct.errors == proxied.errors == []
    assert sorted(r.uid for r in proxied.records) == sorted(r.uid for r in direct.records)
