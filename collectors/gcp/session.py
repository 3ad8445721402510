"""An authenticated view of the Google Cloud projects one account scans.

The client libraries (container, compute, storage, KMS, Resource Manager)
speak REST here (``transport="rest"``) so that one endpoint override reaches
them all; the APIs whose current Python clients are gRPC-only (IAM, Cloud
Logging, Cloud Monitoring, Service Usage) are called as plain REST through an
:class:`AuthorizedSession`.

No session follows a redirect (:func:`refuse_redirects`): a 3xx answer from an
allowed endpoint must not lead the token, or the scan, to another host.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import google.api_core.exceptions as gexc
import requests
from google.api_core.client_options import ClientOptions
from google.auth.credentials import Credentials
from google.auth.transport.requests import AuthorizedSession, Request
from google.oauth2 import service_account
from requests.adapters import HTTPAdapter

from collectors.bulk import BulkInventory

USER_AGENT = "posture"
RETRIED = (gexc.TooManyRequests, gexc.ServiceUnavailable, gexc.GatewayTimeout)
REST_TIMEOUT = 30.0
REDIRECT_STATUSES = frozenset({300, 301, 302, 303, 307, 308})
# connections a requests session keeps open per host: a scan's units and their threads share each client's
# session, and requests keeps 10, so a busy scan reconnected (and warned "Connection pool is full") on every
# call past the tenth at once
POOL_SIZE = 32
SessionT = TypeVar("SessionT", bound=requests.Session)


class EndpointServiceAccountCredentials(service_account.Credentials):
    """Service-account credentials for an endpoint override (an emulator, a private or sovereign endpoint).

    google-auth looks up a "regional access boundary" at iamcredentials.googleapis.com
    after each token refresh; with the APIs served elsewhere that call must not leave.
    """

    def _is_regional_access_boundary_lookup_required(self) -> bool:
        return False


class RedirectRefused(requests.exceptions.RequestException):
    """An endpoint answered with a redirect, which Posture does not follow."""


def _refuse_redirect(response: requests.Response, **_: Any) -> requests.Response:
    if response.status_code in REDIRECT_STATUSES:
        location = response.headers.get("Location") or "(no location)"
        response.close()
        raise RedirectRefused(
            f"{response.url} answered {response.status_code} with a redirect to {location};"
            " Posture does not follow redirects",
            response=response,
        )
    return response


def refuse_redirects(session: SessionT) -> SessionT:
    """``session`` (and the session an :class:`AuthorizedSession` refreshes tokens with) raises on any 3xx.

    A requests response hook runs before requests would follow the redirect, and also
    where a caller asked for ``allow_redirects=False``: a 3xx is never read as the answer.
    """
    if _refuse_redirect not in session.hooks["response"]:
        session.hooks["response"].append(_refuse_redirect)
    auth_session = getattr(getattr(session, "_auth_request", None), "session", None)
    if isinstance(auth_session, requests.Session) and auth_session is not session:
        refuse_redirects(auth_session)
    return session


def pooled(session: SessionT) -> SessionT:
    """``session`` keeping up to :data:`POOL_SIZE` connections per host open for reuse."""
    for prefix in ("https://", "http://"):
        session.mount(prefix, HTTPAdapter(pool_maxsize=POOL_SIZE))
    return session


def authorized_session(credentials: Credentials) -> AuthorizedSession:
    """An :class:`AuthorizedSession` whose API calls and token refreshes never follow a redirect."""
    auth_request = Request(refuse_redirects(requests.Session()))
    session = AuthorizedSession(credentials, auth_request=auth_request)
    session.headers["User-Agent"] = USER_AGENT
    return pooled(refuse_redirects(session))


class GcpSession:
    """Credentials, the project list, the endpoint override and cached clients.

    ``endpoint_url`` is either one base URL serving every API (an emulator),
    or a template with ``{service}`` (``https://{service}.example.com``) for
    sovereign or private endpoints; empty means the public Google endpoints.
    """

    def __init__(
        self,
        credentials: Credentials,
        projects: Callable[[], list[str]] | list[str],
        endpoint_url: str = "",
        regions: tuple[str, ...] = (),
        *,
        scope: str = "",
        retry_attempts: int = 4,
        retry_delay: float = 0.5,
        retry_timeout: float = 30.0,
    ) -> None:
        self.credentials = credentials
        self.endpoint_url = endpoint_url.rstrip("/")
        self.regions = tuple(regions)
        self.scope = scope  # "folders/N" or "organizations/N" when the projects are discovered
        self.retry_attempts = max(1, retry_attempts)
        self.retry_delay = retry_delay
        self.retry_timeout = retry_timeout
        self._projects_source = projects
        self._projects: list[str] | None = list(projects) if isinstance(projects, list) else None
        self._clients: dict[str, Any] = {}
        self._lock = threading.RLock()
        self._http: AuthorizedSession | None = None
        self.bulk: BulkInventory | None = None  # Cloud Asset Inventory (collectors.gcp.inventory)

    # -- scope ---------------------------------------------------------------
    @property
    def projects(self) -> list[str]:
        """The project ids to scan (resolved once, on first use, for folder or organization scopes)."""
        with self._lock:
            if self._projects is None and callable(self._projects_source):
                self._projects = list(self._projects_source())
            return list(self._projects or [])

    def in_scope(self, location: str) -> bool:
        """Whether a region or zone (``us-central1``, ``us-central1-a``, ``global``) is wanted."""
        if not self.regions or not location or location == "global":
            return True
        return any(location == r or location.startswith(r + "-") for r in self.regions)

    # -- endpoints -----------------------------------------------------------
    def base_url(self, service: str) -> str:
        """``https://{service}.googleapis.com`` or its override."""
        if not self.endpoint_url:
            return f"https://{service}.googleapis.com"
        return self.endpoint_url.replace("{service}", service)

    def client_options(self, service: str) -> ClientOptions | None:
        if not self.endpoint_url:
            return None
        return ClientOptions(api_endpoint=self.base_url(service))

    def client(self, key: str, factory: Callable[[], Any]) -> Any:
        """A client built once per session (the REST clients are safe to share between threads)."""
        with self._lock:
            if key not in self._clients:
                self._clients[key] = factory()
            return self._clients[key]

    # -- plain REST ----------------------------------------------------------
    @property
    def http(self) -> AuthorizedSession:
        with self._lock:
            if self._http is None:
                self._http = authorized_session(self.credentials)
            return self._http

    def get_json(self, service: str, path: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        """GET ``path`` from ``service``; retries throttling and unavailability, raises google.api_core errors."""
        url = self.base_url(service) + "/" + path.lstrip("/")
        for attempt in range(self.retry_attempts):
            response = self.http.get(url, params=params, timeout=REST_TIMEOUT)
            if response.status_code < 400:
                try:
                    body = response.json()
                except ValueError:
                    raise ValueError(f"{service} answered {path} with something that is not JSON") from None
                if not isinstance(body, dict):
                    raise ValueError(f"{service} answered {path} with a JSON {type(body).__name__}, not an object")
                return body
            error = gexc.from_http_response(response)
            if not isinstance(error, RETRIED) or attempt == self.retry_attempts - 1:
                raise error
            time.sleep(self.retry_delay * (2**attempt))
        raise AssertionError("unreachable")

    def pages(
        self, service: str, path: str, items_key: str, params: dict[str, Any] | None = None
    ) -> Iterator[dict[str, Any]]:
        """Every item of a list call, following ``nextPageToken``."""
        query = dict(params or {})
        seen: set[str] = set()
        while True:
            body = self.get_json(service, path, query)
            items = body.get(items_key, [])
            if not isinstance(items, list):
                raise ValueError(f"{service} {path}: {items_key} is not a list")
            yield from (item for item in items if isinstance(item, dict))
            token = body.get("nextPageToken")
            if not token or token in seen:
                return
            seen.add(token)
            query["pageToken"] = token
