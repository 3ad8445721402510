"""A plain HTTP server on 127.0.0.1 answering the Google Cloud REST calls Posture's collectors make.

It answers from an estate (see :mod:`emulators.gcp.estate`) with the APIs'
own JSON, pages every list with ``nextPageToken`` (two items a page unless
the caller asks for another size), wants a bearer token on every call, and
can be told to fail one API::

    emulator.fail("monitoring", status=500)            # every call, until cleared
    emulator.fail("iam", status=429, times=2)          # the next two calls, then answer again
    emulator.fail("storage", status=403, match="/iam")  # only calls whose path contains "/iam"
"""

from __future__ import annotations

import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from emulators.gcp import asset_inventory
from emulators.gcp.routes import ROUTES, ApiError, Request
from emulators.gcp.routes_services import SERVICE_ROUTES

STATUS_NAMES = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    501: "UNIMPLEMENTED",
    503: "UNAVAILABLE",
}


class GcpEmulator:
    """Serve ``estate`` on a free loopback port; use as a context manager or start()/stop()."""

    def __init__(self, estate: dict[str, Any], *, token: str = "", page_size: int = 2) -> None:
        self.estate = estate
        self.token = token  # when set, any other bearer token is refused with 401
        self.page_size = page_size
        self.calls: list[tuple[str, str]] = []  # (api, path) of every request, for the tests
        self.bearers: set[str] = set()  # every bearer token presented
        self._failures: dict[str, list[Any]] = {}
        self._junk: dict[str, tuple[str, str]] = {}
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        assert self._server is not None, "the emulator is not started"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def fail(self, api: str, status: int = 500, times: int | None = None, match: str = "") -> None:
        """Answer calls to ``api`` (container, compute, storage, iam, cloudkms, logging, monitoring,
        cloudresourcemanager, serviceusage, containeranalysis, artifactregistry, sqladmin, cloudasset, apikeys,
        essentialcontacts, dns, bigquery, dataproc, accessapproval) with ``status``:
        ``times`` calls, or all until :meth:`clear`;
        with ``match``, only calls whose path contains it."""
        with self._lock:
            self._failures[api] = [status, times, match]

    def junk(self, api: str, text: str, match: str = "") -> None:
        """Answer calls to ``api`` (whose path contains ``match``) with HTTP 200 and ``text`` as the body."""
        with self._lock:
            self._junk[api] = (text, match)

    def clear(self) -> None:
        with self._lock:
            self._failures.clear()
            self._junk.clear()

    def _failure_for(self, api: str, path: str) -> int | None:
        with self._lock:
            failure = self._failures.get(api)
            if not failure or failure[2] not in path:
                return None
            status, times, _ = failure
            if times is not None:
                if times <= 0:
                    del self._failures[api]
                    return None
                failure[1] = times - 1
            return status

    def start(self) -> GcpEmulator:
        emulator = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # quiet
                return

            def do_GET(self) -> None:
                emulator._handle(self, "GET")

            def do_POST(self) -> None:
                emulator._handle(self, "POST")

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), name="gcp-emulator", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> GcpEmulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- dispatch ------------------------------------------------------------
    def _handle(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        raw_body = handler.rfile.read(length) if length else b""
        parts = urlsplit(handler.path)
        path = unquote(parts.path)
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        if method == "POST" and path == "/token":  # OAuth 2.0 token endpoint for service-account keys
            self._send(handler, 200, {"access_token": "emulator-token", "expires_in": 3600, "token_type": "Bearer"})
            return
        for api, verb, pattern, fn in (*ROUTES, *SERVICE_ROUTES, *asset_inventory.ROUTES):
            match = re.fullmatch(pattern, path)
            if verb != method or not match:
                continue
            self.calls.append((api, path))
            auth = handler.headers.get("Authorization", "")
            self.bearers.add(auth.removeprefix("Bearer "))
            if not auth.startswith("Bearer ") or (self.token and auth != f"Bearer {self.token}"):
                self._error(handler, 401, "Request had invalid authentication credentials.")
                return
            status = self._failure_for(api, path)
            if status is not None:
                self._error(handler, status, f"simulated {api} failure")
                return
            junk = self._junk.get(api)
            if junk and junk[1] in path:
                self._send_raw(handler, 200, junk[0].encode())
                return
            try:
                body = json.loads(raw_body) if raw_body else {}
                lists = parse_qs(parts.query)
                request = Request(self.estate, match.groupdict(), query, body, self.page_size, lists)
                self._send(handler, 200, fn(request))
            except ApiError as exc:
                self._error(handler, exc.status, exc.message, exc.errors, exc.details)
            except Exception as exc:  # an emulator bug answers 500, like a real server would
                self._error(handler, 500, f"{type(exc).__name__}: {exc}")
            return
        self._error(handler, 404, f"the emulator does not serve {method} {path}")

    def _error(
        self,
        handler: BaseHTTPRequestHandler,
        status: int,
        message: str,
        errors: list[dict[str, Any]] | None = None,
        details: list[Any] | None = None,
    ) -> None:
        error: dict[str, Any] = {"code": status, "message": message, "status": STATUS_NAMES.get(status, "UNKNOWN")}
        if errors:
            error["errors"] = errors
        if details:
            error["details"] = details
        self._send(handler, status, {"error": error})

    @classmethod
    def _send(cls, handler: BaseHTTPRequestHandler, status: int, body: dict[str, Any]) -> None:
        cls._send_raw(handler, status, json.dumps(body).encode())

    @staticmethod
    def _send_raw(handler: BaseHTTPRequestHandler, status: int, data: bytes) -> None:
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json; charset=UTF-8")
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)
