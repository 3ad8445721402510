"""A forwarding proxy on 127.0.0.1 that holds every call for a while: a local emulator answering like a far cloud.

    proxy = LatencyProxy("http://127.0.0.1:5000", delay=0.05).start()   # point the account at proxy.url
    ...
    proxy.stop(); print(proxy.calls)

    .venv/bin/python benchmarks/latency_proxy.py --upstream http://127.0.0.1:5000 --delay 0.05 --seconds 600

The client speaks plain HTTP to the proxy (every SDK Posture uses allows http to a loopback address);
the proxy forwards each request, unchanged, to its upstream over HTTP or HTTPS (the upstream's
certificate is not checked: it is an emulator on this machine) after ``delay`` seconds, and sends the
answer back. The ``Host`` header is kept, so links an emulator builds from it (Azure's ``nextLink``)
come back through the proxy. Calls wait in parallel, as round trips to a real API do: what a scan's
wall time then shows is its concurrency and its number of calls. Only loopback upstreams are accepted.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import ipaddress
import ssl
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

DEFAULT_DELAY = 0.05
HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "content-length",
}


def loopback_upstream(url: str) -> tuple[str, str, int]:
    """(scheme, host, port) of ``url``; ValueError unless it is http(s) on a loopback address."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"not an http(s) URL: {url!r}")
    host = parts.hostname
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise ValueError(f"the upstream must be on this machine (127.0.0.0/8, ::1, localhost), not {host!r}")
    return parts.scheme, host, parts.port or (443 if parts.scheme == "https" else 80)


class LatencyProxy:
    """Forward every request to ``upstream`` after ``delay`` seconds; ``calls`` counts them."""

    def __init__(self, upstream: str, delay: float = DEFAULT_DELAY, port: int = 0) -> None:
        if delay < 0:
            raise ValueError("the delay cannot be negative")
        self.scheme, self.upstream_host, self.upstream_port = loopback_upstream(upstream)
        self.delay = delay
        self.calls = 0
        self.log: list[tuple[str, str]] = []  # (method, path) of every forwarded request
        self._lock = threading.Lock()
        self._local = threading.local()
        handler = type("Handler", (_Handler,), {"proxy": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", port), handler)
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> LatencyProxy:
        self._thread = threading.Thread(target=self._server.serve_forever, name="latency-proxy", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> LatencyProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _connection(self) -> http.client.HTTPConnection:
        """This handler thread's connection to the upstream (kept alive between the calls it forwards)."""
        connection = getattr(self._local, "connection", None)
        if connection is None:
            if self.scheme == "https":
                context = ssl.create_default_context()
                context.check_hostname = False
                context.verify_mode = ssl.CERT_NONE  # an emulator on this machine, with its own certificate
                connection = http.client.HTTPSConnection(
                    self.upstream_host, self.upstream_port, timeout=120, context=context
                )
            else:
                connection = http.client.HTTPConnection(self.upstream_host, self.upstream_port, timeout=120)
            self._local.connection = connection
        return connection

    def forward(self, method: str, path: str, headers: list[tuple[str, str]], body: bytes) -> tuple[int, Any, bytes]:
        """The upstream's status, headers and body for one request, ``delay`` seconds later."""
        with self._lock:
            self.calls += 1
            self.log.append((method, path))
        time.sleep(self.delay)
        for attempt in (1, 2):  # a kept-alive connection the upstream has closed is opened again, once
            connection = self._connection()
            try:
                connection.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
                for name, value in headers:
                    connection.putheader(name, value)
                if body or method in ("POST", "PUT", "PATCH"):
                    connection.putheader("Content-Length", str(len(body)))
                connection.endheaders(body or None)
                response = connection.getresponse()
                return response.status, response.getheaders(), response.read()
            except (http.client.HTTPException, ConnectionError):
                connection.close()
                self._local.connection = None
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")


class _Handler(BaseHTTPRequestHandler):
    proxy: LatencyProxy
    protocol_version = "HTTP/1.1"
    # TCP_NODELAY: an answer's headers and body are two writes, and Nagle's algorithm would hold the body until the
    # client acknowledged the headers, which it delays by 40 ms
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:  # quiet: the proxy's own log counts the calls
        pass

    def _body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks: list[bytes] = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def _relay(self) -> None:
        body = self._body()
        headers = [(k, v) for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP]
        try:
            status, answer_headers, answer = self.proxy.forward(self.command, self.path, headers, body)
        except OSError as exc:
            status, answer_headers, answer = 502, [("Content-Type", "text/plain")], f"upstream: {exc}".encode()
        self.send_response_only(status)  # the upstream's own Date and Server, not a second pair of the proxy's
        for name, value in answer_headers:
            if name.lower() not in HOP_BY_HOP:
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(answer)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _relay


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--upstream", required=True, help="the emulator's URL (loopback only)")
    parser.add_argument("--delay", type=float, default=DEFAULT_DELAY, help="seconds added to every call")
    parser.add_argument("--port", type=int, default=0, help="the proxy's port on 127.0.0.1 (default: a free one)")
    parser.add_argument("--seconds", type=float, default=600, help="stop after this long (default 600)")
    args = parser.parse_args()
    with LatencyProxy(args.upstream, args.delay, args.port) as proxy:
        print(f"{proxy.url} -> {args.upstream}, +{args.delay * 1000:.0f} ms a call", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            time.sleep(args.seconds)
        print(f"{proxy.calls} calls forwarded")


if __name__ == "__main__":
    main()
