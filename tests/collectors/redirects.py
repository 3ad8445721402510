"""Two loopback servers for redirect tests: one answers every request with a 302 to the other, which records hits."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

ANSWER = b'{"value": [], "items": [], "projectId": "leaked-project", "Account": "111111111111"}'


def _server(handler: type[BaseHTTPRequestHandler]) -> ThreadingHTTPServer:
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    return server


class RedirectPair:
    """``url`` redirects (302) every GET and POST to ``blocked``; ``blocked_hits`` lists what reached it."""

    def __init__(self) -> None:
        self.blocked_hits: list[str] = []
        pair = self

        class Blocked(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _answer(self) -> None:
                pair.blocked_hits.append(f"{self.command} {self.path}")
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(ANSWER)))
                self.end_headers()
                self.wfile.write(ANSWER)

            do_GET = do_POST = _answer

        self._blocked = _server(Blocked)
        blocked_url = self.blocked_url

        class Redirecting(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _redirect(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                self.send_response(302)
                self.send_header("Location", blocked_url + self.path)
                self.send_header("Content-Length", "0")
                self.end_headers()

            do_GET = do_POST = _redirect

        self._redirecting = _server(Redirecting)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._redirecting.server_address[1]}"

    @property
    def blocked_url(self) -> str:
        return f"http://127.0.0.1:{self._blocked.server_address[1]}"

    def close(self) -> None:
        for server in (self._redirecting, self._blocked):
            server.shutdown()
            server.server_close()
