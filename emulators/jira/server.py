"""A local Jira emulator: Cloud REST v3 (basic email + API token) and Data Center REST v2 (bearer PAT).

It answers what Posture's Jira client calls, with Jira's shapes:

- ``GET  /rest/api/{2,3}/myself`` and ``GET /rest/api/{2,3}/project/{key}``
- ``POST /rest/api/{2,3}/issue`` -> 201 ``{"id", "key", "self"}``; v3 wants the description as an
  Atlassian Document (``{"type": "doc", ...}``), v2 as a string - the other shape is a 400
- ``GET  /rest/api/{2,3}/issue/{key}`` (fields: summary, status, labels, priority, ...)
- ``GET  /rest/api/{2,3}/issue/{key}/transitions`` -> ``{"expand": "transitions", "transitions": [...]}``,
  ``POST`` the same path ``{"transition": {"id": ...}}`` -> 204
- ``POST /rest/api/{2,3}/issue/{key}/comment`` -> 201
- search: ``POST /rest/api/3/search/jql`` (Cloud's enhanced search: ``issues``, ``isLast``) and
  ``POST``/``GET /rest/api/2/search`` (``startAt``, ``maxResults``, ``total``, ``issues``); JQL with
  ``project = X``, ``labels = "y"``, ``labels in ("y", ...)`` joined by AND.

Errors carry Jira's body ``{"errorMessages": [...], "errors": {...}}``: 401 for a wrong credential, 400
for a bad field (a missing required custom field, an unknown issue type or priority), 404 for an unknown
issue or project. ``fail_next(n, 503)`` makes the next n requests fail. Every request is recorded.
"""

from __future__ import annotations

import base64
import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

STATUSES = {
    "10000": {"name": "To Do", "category": {"id": 2, "key": "new", "name": "To Do", "colorName": "blue-gray"}},
    "3": {"name": "In Progress", "category": {"id": 4, "key": "indeterminate", "name": "In Progress"}},
    "10001": {"name": "Done", "category": {"id": 3, "key": "done", "name": "Done", "colorName": "green"}},
}
# the simplified workflow: a global transition to every status
TRANSITIONS = [("11", "To Do", "10000"), ("21", "In Progress", "3"), ("31", "Done", "10001")]
ISSUE_PATH = re.compile(r"^/rest/api/(?P<v>[23])/issue/(?P<key>[A-Z][A-Z0-9_]*-\d+)(?P<rest>/transitions|/comment)?$")
# Cloud's enhanced search rejects anything else (startAt, for one) as an invalid payload
SEARCH_JQL_KEYS = {"jql", "maxResults", "fields", "nextPageToken", "expand", "properties", "fieldsByKeys"}
SEARCH_JQL_KEYS |= {"failFast", "reconcileIssues"}
JQL_TERM = re.compile(
    r'^\s*(?P<field>project|labels)\s*(?:=\s*"?(?P<one>[^"\s]+)"?|in\s*\((?P<many>[^)]*)\))\s*$', re.IGNORECASE
)


class JqlError(ValueError):
    pass


def parse_jql(jql: str) -> list[tuple[str, set[str]]]:
    """``[(field, allowed values)]`` for ``project``/``labels`` terms joined by AND."""
    terms = []
    for part in re.split(r"\s+AND\s+", jql.strip(), flags=re.IGNORECASE):
        m = JQL_TERM.match(part)
        if not m:
            raise JqlError(f"Error in the JQL Query: unsupported clause {part.strip()!r}")
        values = {m["one"]} if m["one"] else {v.strip().strip('"') for v in m["many"].split(",") if v.strip()}
        terms.append((m["field"].lower(), values))
    return terms


@dataclass
class Recorded:
    method: str
    path: str
    body: Any
    auth: str


@dataclass
class Issue:
    id: str
    key: str
    fields: dict[str, Any]
    status_id: str = "10000"
    comments: list[Any] = field(default_factory=list)
    transitions: list[str] = field(default_factory=list)


class JiraEmulator:
    """``JiraEmulator(flavor="cloud"|"datacenter").start()``; ``.url``; ``.stop()``."""

    def __init__(
        self,
        flavor: str = "cloud",
        *,
        email: str = "bot@example.com",
        token: str = "jira-api-token",
        projects: dict[str, str] | None = None,
        issue_types: tuple[str, ...] = ("Bug", "Task"),
        priorities: tuple[str, ...] = ("Highest", "High", "Medium", "Low", "Lowest"),
        required_fields: dict[str, str] | None = None,
    ) -> None:
        self.flavor = flavor
        self.email = email
        self.token = token
        self.projects = projects or {"SEC": "Security"}
        self.issue_types = issue_types
        self.priorities = priorities
        self.required_fields = required_fields or {}  # field id -> its name, for the 400 message
        self.issues: dict[str, Issue] = {}
        self.requests: list[Recorded] = []
        self._failures: list[int] = []
        self._lock = threading.Lock()
        self._next_id = 10000
        emulator = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                code, body = emulator.answer(self.command, self.path, self.headers.get("Authorization", ""), raw)
                payload = b"" if body is None else json.dumps(body).encode()
                self.send_response(code)
                if payload:
                    self.send_header("Content-Type", "application/json;charset=UTF-8")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_DELETE = _handle

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    # -- control -----------------------------------------------------------------------------------------
    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def version(self) -> str:
        return "3" if self.flavor == "cloud" else "2"

    def start(self) -> JiraEmulator:
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def fail_next(self, times: int, status: int = 503) -> None:
        with self._lock:
            self._failures.extend([status] * times)

    def calls(self, method: str, suffix: str) -> list[Recorded]:
        """Recorded requests with this method whose path (without the query) ends with ``suffix``."""
        return [r for r in self.requests if r.method == method and urlparse(r.path).path.endswith(suffix)]

    def status_of(self, key: str) -> str:
        return STATUSES[self.issues[key].status_id]["name"]

    # -- answers -----------------------------------------------------------------------------------------
    def _authorized(self, auth: str) -> bool:
        if self.flavor == "cloud":
            expected = base64.b64encode(f"{self.email}:{self.token}".encode()).decode()
            return auth == f"Basic {expected}"
        return auth == f"Bearer {self.token}"

    def answer(self, method: str, raw_path: str, auth: str, raw: bytes) -> tuple[int, Any]:
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = raw.decode(errors="replace")
        with self._lock:
            self.requests.append(Recorded(method, raw_path, body, auth))
            failure = self._failures.pop(0) if self._failures else None
        if failure is not None:
            return failure, {"errorMessages": [f"Service unavailable ({failure})"], "errors": {}}
        if not self._authorized(auth):
            return 401, {
                "errorMessages": ["You are not authenticated. Authentication required to perform this operation."],
                "errors": {},
            }
        url = urlparse(raw_path)
        path = url.path
        if not path.startswith(f"/rest/api/{self.version}/"):
            return 404, {"errorMessages": [f"No REST resource at {path} on this Jira"], "errors": {}}
        if isinstance(body, str):
            return 400, {"errorMessages": ["Unexpected character: the body is not JSON"], "errors": {}}
        with self._lock:
            return self._route(method, path, parse_qs(url.query), body or {})

    def _route(self, method: str, path: str, query: dict[str, list[str]], body: dict[str, Any]) -> tuple[int, Any]:
        tail = path[len(f"/rest/api/{self.version}") :]
        if tail == "/myself" and method == "GET":
            who = {"displayName": "Posture Bot", "active": True}
            who.update({"accountId": "5b10ac8d82e05b22cc7d4ef5"} if self.flavor == "cloud" else {"name": "posture"})
            return 200, who
        if tail.startswith("/project/") and method == "GET":
            key = tail.rsplit("/", 1)[1]
            if key not in self.projects:
                return 404, {"errorMessages": [f"No project could be found with key '{key}'."], "errors": {}}
            return 200, {"id": "10000", "key": key, "name": self.projects[key]}
        if tail == "/issue" and method == "POST":
            return self._create(body)
        if (tail == "/search/jql" and self.version == "3") or (tail == "/search" and self.version == "2"):
            if method == "GET":
                body = {"jql": query.get("jql", [""])[0]}
            return self._search(body)
        m = ISSUE_PATH.match(path)
        if m:
            issue = self.issues.get(m["key"])
            if issue is None:
                return 404, {
                    "errorMessages": ["Issue does not exist or you do not have permission to see it."],
                    "errors": {},
                }
            if m["rest"] is None and method == "GET":
                return 200, self._issue_json(issue)
            if m["rest"] == "/transitions" and method == "GET":
                return 200, {"expand": "transitions", "transitions": self._transitions(issue)}
            if m["rest"] == "/transitions" and method == "POST":
                return self._transition(issue, body)
            if m["rest"] == "/comment" and method == "POST":
                return self._comment(issue, body)
        return 404, {"errorMessages": [f"No REST resource for {method} {path}"], "errors": {}}

    def _text_ok(self, value: Any) -> bool:
        if self.version == "3":
            return isinstance(value, dict) and value.get("type") == "doc" and value.get("version") == 1
        return isinstance(value, str)

    def _create(self, body: dict[str, Any]) -> tuple[int, Any]:
        fields = body.get("fields") or {}
        errors: dict[str, str] = {}
        project = (fields.get("project") or {}).get("key")
        if project not in self.projects:
            errors["project"] = "valid project is required"
        if (fields.get("issuetype") or {}).get("name") not in self.issue_types:
            errors["issuetype"] = "The issue type selected is invalid."
        if not str(fields.get("summary") or "").strip():
            errors["summary"] = "You must specify a summary of the issue."
        elif len(fields["summary"]) > 255:
            errors["summary"] = "Summary must be less than 255 characters."
        if "description" in fields and not self._text_ok(fields["description"]):
            errors["description"] = (
                "Operation value must be an Atlassian Document (see the Atlassian Document Format)"
                if self.version == "3"
                else "Operation value must be a string"
            )
        if "priority" in fields and (fields["priority"] or {}).get("name") not in self.priorities:
            errors["priority"] = f"Priority name '{(fields['priority'] or {}).get('name')}' is not valid"
        labels = fields.get("labels", [])
        if not isinstance(labels, list) or any(not isinstance(x, str) or " " in x for x in labels):
            errors["labels"] = "Labels cannot contain spaces."
        for field_id, name in self.required_fields.items():
            if fields.get(field_id) in (None, "", [], {}):
                errors[field_id] = f"{name} is required."
        if errors:
            return 400, {"errorMessages": [], "errors": errors}
        self._next_id += 1
        number = sum(1 for i in self.issues.values() if i.key.startswith(f"{project}-")) + 1
        key = f"{project}-{number}"
        issue = Issue(id=str(self._next_id), key=key, fields=dict(fields))
        self.issues[key] = issue
        return 201, {"id": issue.id, "key": key, "self": f"{self.url}/rest/api/{self.version}/issue/{issue.id}"}

    def _issue_json(self, issue: Issue) -> dict[str, Any]:
        status = STATUSES[issue.status_id]
        fields = dict(issue.fields)
        fields["status"] = {"id": issue.status_id, "name": status["name"], "statusCategory": status["category"]}
        return {
            "id": issue.id,
            "key": issue.key,
            "self": f"{self.url}/rest/api/{self.version}/issue/{issue.id}",
            "fields": fields,
        }

    def _transitions(self, issue: Issue) -> list[dict[str, Any]]:
        out = []
        for tid, name, to in TRANSITIONS:
            if to == issue.status_id:
                continue
            status = STATUSES[to]
            out.append(
                {
                    "id": tid,
                    "name": name,
                    "to": {"id": to, "name": status["name"], "statusCategory": status["category"]},
                    "hasScreen": False,
                    "isGlobal": True,
                    "isInitial": False,
                    "isConditional": False,
                }
            )
        return out

    def _transition(self, issue: Issue, body: dict[str, Any]) -> tuple[int, Any]:
        tid = str((body.get("transition") or {}).get("id", ""))
        match = next((t for t in self._transitions(issue) if t["id"] == tid), None)
        if match is None:
            return 400, {
                "errorMessages": [f"Transition id '{tid}' is not valid for this issue."],
                "errors": {},
            }
        issue.status_id = match["to"]["id"]
        issue.transitions.append(match["name"])
        return 204, None

    def _comment(self, issue: Issue, body: dict[str, Any]) -> tuple[int, Any]:
        if not self._text_ok(body.get("body")):
            return 400, {"errorMessages": [], "errors": {"comment": "Comment body is not valid."}}
        issue.comments.append(body["body"])
        cid = str(len(issue.comments) + 10000)
        return 201, {"id": cid, "self": f"{self.url}/rest/api/{self.version}/issue/{issue.id}/comment/{cid}"}

    def _search(self, body: dict[str, Any]) -> tuple[int, Any]:
        if self.version == "3" and set(body) - SEARCH_JQL_KEYS:
            message = "Invalid request payload. Refer to the REST API documentation and try again."
            return 400, {"errorMessages": [message]}
        try:
            terms = parse_jql(str(body.get("jql") or ""))
        except JqlError as exc:
            return 400, {"errorMessages": [str(exc)], "errors": {}}
        hits = []
        for issue in self.issues.values():
            project = issue.key.split("-")[0]
            labels = set(issue.fields.get("labels") or [])
            if all((project in values) if name == "project" else bool(labels & values) for name, values in terms):
                hits.append(self._issue_json(issue))
        if self.version == "3":
            return 200, {"issues": hits, "isLast": True}
        return 200, {"startAt": 0, "maxResults": 50, "total": len(hits), "issues": hits}
