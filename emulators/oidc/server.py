"""A local OpenID provider: discovery, JWKS, authorize, token and userinfo, with real RS256 ID tokens.

What it answers, in the shapes of OpenID Connect Core 1.0 and Discovery 1.0 (and RFC 6749/7636):

- ``GET /.well-known/openid-configuration``: issuer, endpoints, ``code`` only, S256 only,
  ``client_secret_basic``/``client_secret_post``, RS256.
- ``GET /jwks``: the RSA public key made at start (``kid``, ``use: sig``, ``alg: RS256``).
- ``GET /authorize``: checks client_id and redirect_uri (an unknown one is a 400 page, never a
  redirect), ``response_type=code``, ``scope`` with openid, an S256 ``code_challenge``; then either
  redirects at once with a code for ``auto_user``, or shows a form to choose a user (``POST
  /authorize`` with ``user``). A code lives 60 seconds and is good once.
- ``POST /token``: ``grant_type=authorization_code``; client authentication (basic, form-encoded
  per RFC 6749 2.3.1, or in the body); the code, its client, its redirect_uri and
  ``S256(code_verifier) == code_challenge``. Errors are ``{"error": ...}`` with 400 (401 for the client).
- ``GET /userinfo`` with the access token as a bearer: the user's claims.

``faults`` makes the next ID tokens wrong on purpose, to test the relying party: ``bad_signature``
(signed by another key under the published kid), ``wrong_audience``, ``wrong_issuer``, ``expired``,
``wrong_nonce``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlencode, urlsplit

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

CODE_SECONDS = 60
TOKEN_SECONDS = 300
FAULTS = {"bad_signature", "wrong_audience", "wrong_issuer", "expired", "wrong_nonce"}

DEFAULT_USERS: dict[str, dict[str, Any]] = {
    "ana": {"name": "Ana Admin", "email": "ana@example.test", "groups": ["posture-admins", "team-payments"]},
    "sam": {"name": "Sam Analyst", "email": "sam@example.test", "groups": ["security", "team-platform"]},
    "vic": {"name": "Vic Visitor", "email": "vic@example.test", "groups": ["marketing"]},
}


@dataclass
class Grant:
    user: str
    client_id: str
    redirect_uri: str
    challenge: str
    nonce: str
    scope: str
    expires: float
    used: bool = False


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]
    query: dict[str, str]
    form: dict[str, str] = field(default_factory=dict)


def _first(values: dict[str, list[str]]) -> dict[str, str]:
    return {k: v[0] for k, v in values.items() if v}


def s256(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


class OidcEmulator:
    def __init__(
        self,
        client_id: str = "posture",
        client_secret: str | None = None,
        redirect_uris: list[str] | None = None,
        users: dict[str, dict[str, Any]] | None = None,
        auto_user: str | None = None,
        port: int = 0,
    ) -> None:
        self.client_id = client_id
        self.client_secret = client_secret or secrets.token_urlsafe(24)
        self.redirect_uris = list(redirect_uris or [])
        self.users = {
            name: {"sub": f"sub-{name}", "preferred_username": name, **claims}
            for name, claims in (users or DEFAULT_USERS).items()
        }
        self.auto_user = auto_user
        self.faults: set[str] = set()
        self.kid = secrets.token_hex(8)
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self._grants: dict[str, Grant] = {}
        self._access: dict[str, tuple[str, float]] = {}
        self._lock = threading.Lock()
        self.requests: list[tuple[str, str]] = []
        emulator = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def _handle(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                form = _first(parse_qs(raw.decode("utf-8", "replace"))) if self.command == "POST" else {}
                request = Request(self.command, parts.path, dict(self.headers), _first(parse_qs(parts.query)), form)
                status, headers, body = emulator.answer(request)
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Cache-Control", "no-store")
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = _handle

        self._server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    issuer = url

    def start(self) -> OidcEmulator:
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    # -- the endpoints -------------------------------------------------------------------------------

    def answer(self, r: Request) -> tuple[int, dict[str, str], bytes]:
        with self._lock:
            self.requests.append((r.method, r.path))
        routes = {
            ("GET", "/.well-known/openid-configuration"): self.discovery,
            ("GET", "/jwks"): self.jwks,
            ("GET", "/authorize"): self.authorize,
            ("POST", "/authorize"): self.authorize,
            ("POST", "/token"): self.token,
            ("GET", "/userinfo"): self.userinfo,
            ("POST", "/userinfo"): self.userinfo,
        }
        handler = routes.get((r.method, r.path))
        if handler is None:
            return self._json(404, {"error": "not_found"})
        return handler(r)

    def discovery(self, r: Request) -> tuple[int, dict[str, str], bytes]:
        base = self.url
        return self._json(
            200,
            {
                "issuer": base,
                "authorization_endpoint": f"{base}/authorize",
                "token_endpoint": f"{base}/token",
                "userinfo_endpoint": f"{base}/userinfo",
                "jwks_uri": f"{base}/jwks",
                "response_types_supported": ["code"],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "scopes_supported": ["openid", "profile", "email", "groups"],
                "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
                "code_challenge_methods_supported": ["S256"],
                "grant_types_supported": ["authorization_code"],
                "claims_supported": ["sub", "iss", "aud", "exp", "iat", "nonce", "name", "email", "groups"],
            },
        )

    def jwks(self, r: Request) -> tuple[int, dict[str, str], bytes]:
        numbers = self._key.public_key().public_numbers()

        def b64int(n: int) -> str:
            return base64.urlsafe_b64encode(n.to_bytes((n.bit_length() + 7) // 8, "big")).rstrip(b"=").decode()

        key = {
            "kty": "RSA",
            "use": "sig",
            "alg": "RS256",
            "kid": self.kid,
            "n": b64int(numbers.n),
            "e": b64int(numbers.e),
        }
        return self._json(200, {"keys": [key]})

    def authorize(self, r: Request) -> tuple[int, dict[str, str], bytes]:
        p = {**r.query, **r.form}
        if p.get("client_id") != self.client_id:
            return self._page(400, "Unknown client", "<p>This client_id is not registered.</p>")
        redirect_uri = p.get("redirect_uri", "")
        if redirect_uri not in self.redirect_uris:
            return self._page(
                400, "Unregistered redirect URI", f"<p>{html.escape(redirect_uri)} is not registered.</p>"
            )

        def back(**answer: str) -> tuple[int, dict[str, str], bytes]:
            answer = {**answer, **({"state": p["state"]} if p.get("state") else {})}
            return 302, {"Location": f"{redirect_uri}?{urlencode(answer)}"}, b""

        if p.get("response_type") != "code":
            return back(error="unsupported_response_type")
        if "openid" not in p.get("scope", "").split():
            return back(error="invalid_scope", error_description="openid is required")
        if p.get("code_challenge_method") != "S256" or len(p.get("code_challenge", "")) < 43:
            return back(error="invalid_request", error_description="PKCE with S256 is required")
        user = p.get("user") if r.method == "POST" else self.auto_user
        if user is None:
            return self._choose_user(p)
        if user not in self.users:
            return back(error="access_denied")
        code = secrets.token_urlsafe(32)
        with self._lock:
            self._grants[code] = Grant(
                user=user,
                client_id=p["client_id"],
                redirect_uri=redirect_uri,
                challenge=p["code_challenge"],
                nonce=p.get("nonce", ""),
                scope=p.get("scope", ""),
                expires=time.time() + CODE_SECONDS,
            )
        return back(code=code)

    def _choose_user(self, p: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        hidden = "".join(
            f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">' for k, v in p.items()
        )
        buttons = "".join(
            f'<button name="user" value="{html.escape(name)}">Continue as {html.escape(name)}</button> '
            for name in self.users
        )
        return self._page(
            200, "Local OpenID provider", f'<form method="post" action="/authorize">{hidden}{buttons}</form>'
        )

    def _client_ok(self, r: Request) -> bool:
        auth = r.headers.get("Authorization", "")
        if auth.startswith("Basic "):
            try:
                client_id, _, secret = base64.b64decode(auth[6:]).decode().partition(":")
            except ValueError:
                return False
            client_id, secret = unquote(client_id), unquote(secret)
        else:
            client_id, secret = r.form.get("client_id", ""), r.form.get("client_secret", "")
        return client_id == self.client_id and hmac.compare_digest(secret.encode(), self.client_secret.encode())

    def token(self, r: Request) -> tuple[int, dict[str, str], bytes]:
        if not self._client_ok(r):
            status, headers, body = self._json(401, {"error": "invalid_client"})
            return status, {**headers, "WWW-Authenticate": 'Basic realm="token"'}, body
        f = r.form
        if f.get("grant_type") != "authorization_code":
            return self._json(400, {"error": "unsupported_grant_type"})
        with self._lock:
            grant = self._grants.get(f.get("code", ""))
            if grant is None or grant.used or grant.expires < time.time():
                return self._json(400, {"error": "invalid_grant", "error_description": "unknown, used or expired code"})
            grant.used = True
        if grant.client_id != self.client_id or grant.redirect_uri != f.get("redirect_uri"):
            return self._json(400, {"error": "invalid_grant", "error_description": "redirect_uri differs"})
        if not hmac.compare_digest(s256(f.get("code_verifier", "")), grant.challenge):
            return self._json(400, {"error": "invalid_grant", "error_description": "PKCE verification failed"})
        access = secrets.token_urlsafe(32)
        with self._lock:
            self._access[access] = (grant.user, time.time() + TOKEN_SECONDS)
        return self._json(
            200,
            {
                "access_token": access,
                "token_type": "Bearer",
                "expires_in": TOKEN_SECONDS,
                "scope": grant.scope,
                "id_token": self.id_token(grant),
            },
        )

    def id_token(self, grant: Grant) -> str:
        now = int(time.time())
        claims = {
            **self.users[grant.user],
            "iss": self.url,
            "aud": grant.client_id,
            "iat": now,
            "exp": now + TOKEN_SECONDS,
            "auth_time": now,
            "nonce": grant.nonce,
        }
        if "wrong_audience" in self.faults:
            claims["aud"] = "another-client"
        if "wrong_issuer" in self.faults:
            claims["iss"] = "https://impostor.example.test"
        if "expired" in self.faults:
            claims["iat"], claims["exp"] = now - 3600, now - 1800
        if "wrong_nonce" in self.faults:
            claims["nonce"] = secrets.token_urlsafe(16)
        key = self._key
        if "bad_signature" in self.faults:
            key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        return jwt.encode(claims, key, algorithm="RS256", headers={"kid": self.kid})

    def userinfo(self, r: Request) -> tuple[int, dict[str, str], bytes]:
        auth = r.headers.get("Authorization", "")
        with self._lock:
            entry = self._access.get(auth[7:]) if auth.startswith("Bearer ") else None
        if entry is None or entry[1] < time.time():
            status, headers, body = self._json(401, {"error": "invalid_token"})
            return status, {**headers, "WWW-Authenticate": 'Bearer error="invalid_token"'}, body
        return self._json(200, self.users[entry[0]])

    # -- helpers --------------------------------------------------------------------------------------

    def _json(self, status: int, body: Any) -> tuple[int, dict[str, str], bytes]:
        return status, {"Content-Type": "application/json"}, json.dumps(body).encode()

    def _page(self, status: int, title: str, content: str) -> tuple[int, dict[str, str], bytes]:
        title = html.escape(title)
        page = f"<!doctype html><html><head><title>{title}</title></head><body><h1>{title}</h1>{content}</body></html>"
        return status, {"Content-Type": "text/html; charset=utf-8"}, page.encode()
