"""A small Jira REST client: Cloud v3 (basic auth, email + API token) or Data Center v2 (bearer PAT).

Only the configured base URL is called (over https, or plain http to a network listed in
``POSTURE_ALLOWED_NETWORKS``), redirects are not followed, every call has a timeout, and
errors become :class:`JiraError` with Jira's own messages (``errorMessages`` and ``errors``) and
never the credential.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlparse

import requests

from posture.integrations.outcome import classify_status
from posture.security import UnsafeURL, check_outbound_url

TIMEOUT = (5, 20)  # connect, read
SEARCH_FIELDS = ["summary", "status", "labels"]


class JiraError(Exception):
    def __init__(self, status: int | None, message: str, *, retry: bool | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.retry = retry

    @property
    def transient(self) -> bool:
        if self.retry is not None:
            return self.retry
        return self.status is None or classify_status(self.status)


def jira_messages(response: requests.Response) -> str:
    """Jira's error body ``{"errorMessages": [...], "errors": {field: message}}`` as one line."""
    try:
        body = response.json()
    except ValueError:
        return response.text[:200].strip()
    if not isinstance(body, dict):
        return str(body)[:200]
    parts = [str(m) for m in body.get("errorMessages") or []]
    parts += [f"{name}: {message}" for name, message in (body.get("errors") or {}).items()]
    return "; ".join(parts)


def describe(response: requests.Response) -> str:
    said = jira_messages(response)
    code = response.status_code
    if code == 401:
        lead = "Jira refused the credentials (HTTP 401): check the email and API token, or the personal access token"
    elif code == 403:
        lead = "Jira says this account may not do that (HTTP 403): check its project permissions"
    elif code == 404:
        lead = "Jira has no such thing (HTTP 404)"
    elif code == 400:
        lead = "Jira rejected the request (HTTP 400)"
    elif code == 429:
        lead = "Jira is rate limiting (HTTP 429)"
    else:
        lead = f"Jira answered HTTP {code}"
    return f"{lead}: {said}" if said else lead


class JiraClient:
    def __init__(self, flavor: str, base_url: str, token: str, email: str = "") -> None:
        self.cloud = flavor == "cloud"
        self.base_url = base_url.rstrip("/")
        self.api = f"{self.base_url}/rest/api/{3 if self.cloud else 2}"
        self.session = requests.Session()
        self.session.headers.update({"Accept": "application/json", "User-Agent": "Posture-Jira/1"})
        if self.cloud:
            self.session.auth = (email, token)
        else:
            self.session.headers["Authorization"] = f"Bearer {token}"
        self._checked = False

    def call(self, method: str, path: str, body: Any = None) -> Any:
        if not self._checked:  # once per client: the address may have changed since the URL was saved
            try:
                check_outbound_url(self.base_url, carries_secrets=True)
            except UnsafeURL as exc:
                raise JiraError(None, f"refused: {exc}", retry=False) from None
            self._checked = True
        try:
            response = self.session.request(method, self.api + path, json=body, timeout=TIMEOUT, allow_redirects=False)
        except requests.RequestException as exc:
            kind = "timed out" if isinstance(exc, requests.Timeout) else "could not connect"
            raise JiraError(None, f"Jira at {urlparse(self.base_url).netloc} {kind} ({type(exc).__name__})") from None
        if response.status_code >= 300:
            raise JiraError(response.status_code, describe(response))
        if not response.content:
            return None
        try:
            return response.json()
        except ValueError:
            raise JiraError(response.status_code, "Jira answered with something that is not JSON") from None

    def myself(self) -> dict[str, Any]:
        return self.call("GET", "/myself")

    def project(self, key: str) -> dict[str, Any]:
        return self.call("GET", f"/project/{key}")

    def create_issue(self, fields: dict[str, Any]) -> dict[str, Any]:
        return self.call("POST", "/issue", {"fields": fields})

    def issue_status(self, key: str) -> dict[str, Any]:
        issue = self.call("GET", f"/issue/{key}?fields=status")
        return issue["fields"]["status"]

    def transitions(self, key: str) -> list[dict[str, Any]]:
        return self.call("GET", f"/issue/{key}/transitions").get("transitions", [])

    def transition(self, key: str, transition_id: str) -> None:
        self.call("POST", f"/issue/{key}/transitions", {"transition": {"id": transition_id}})

    def comment(self, key: str, body: Any) -> None:
        self.call("POST", f"/issue/{key}/comment", {"body": body})

    def search(self, jql: str, max_results: int = 10) -> list[dict[str, Any]]:
        """Issues matching ``jql`` (Cloud: the enhanced ``/search/jql``; Data Center: ``/search``)."""
        path = "/search/jql" if self.cloud else "/search"
        body = {"jql": jql, "fields": SEARCH_FIELDS, "maxResults": max_results}
        return self.call("POST", path, body).get("issues", [])
