"""How Posture reaches Google Cloud: a service account key, a pre-issued token, or the default chain.

Scope: the projects named in ``projects``, every project under ``folder``
or ``organization`` (found through Resource Manager, recursively), or the
one project the credentials belong to (the key file's ``project_id``, the
default chain's project, or the account's recorded external id).

google-auth and the client libraries are imported by the methods that call them, not here: registering
the provider (and checking an account's credential options) must not load them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from collectors.failures import StatedError, describe
from collectors.records import Identity, Target
from collectors.registry import BaseProvider, CredentialField, InvalidCredentials

if TYPE_CHECKING:
    from google.auth.credentials import Credentials

    from collectors.gcp.session import GcpSession

CLOUD_PLATFORM = "https://www.googleapis.com/auth/cloud-platform"
PROJECT_ID = re.compile(r"^[a-z][a-z0-9-]{4,28}[a-z0-9]$")
REGION = re.compile(r"^(global|[a-z]+-[a-z]+\d{1,2})$")
KEY_FIELDS = ("type", "client_email", "private_key", "token_uri")
SCOPE_FIELDS = ("projects", "folder", "organization")
# the project a record belongs to; not a field of any Google API (here, not in common.py, so that the exposure
# graph can read it without loading the Google client libraries)
PROJECT_KEY = "_project"


class ScopeFailures(StatedError):
    """Some projects of a multi-project scan failed; the others were collected."""

    def __init__(self, failures: dict[str, BaseException]) -> None:
        self.failures = failures
        text = "; ".join(f"{p}: {describe(e, GcpProvider().classify_error(e))}" for p, e in failures.items())
        super().__init__(f"{len(failures)} project(s) failed: {text}")
        self.__cause__ = next(iter(failures.values()))


def parse_projects(raw: str) -> list[str]:
    projects = [p.strip() for p in str(raw).split(",") if p.strip()]
    bad = [p for p in projects if not PROJECT_ID.match(p)]
    if bad:
        raise InvalidCredentials(f"--projects: not project ids: {', '.join(repr(p) for p in bad)}")
    return list(dict.fromkeys(projects))


def _container_name(raw: str, kind: str) -> str:
    value = str(raw).strip()
    number = value.removeprefix(kind + "/")
    if not number.isdigit():
        raise InvalidCredentials(f"--{kind[:-1]} {raw!r} is not {kind}/NUMBER or a number")
    return f"{kind}/{number}"


def read_key_file(path: str) -> dict[str, Any]:
    """The parsed key file, checked for the service-account fields; errors never quote the key."""
    try:
        text = Path(path).expanduser().read_text()
    except OSError as exc:
        raise InvalidCredentials(f"--service-account-key-file {path!r}: {exc.strerror or exc}") from None
    try:
        info = json.loads(text)
    except ValueError:
        raise InvalidCredentials(f"--service-account-key-file {path!r} is not JSON") from None
    if not isinstance(info, dict):
        raise InvalidCredentials(f"--service-account-key-file {path!r} is not a JSON object")
    missing = [name for name in KEY_FIELDS if not info.get(name)]
    if missing:
        raise InvalidCredentials(f"--service-account-key-file {path!r} lacks {', '.join(missing)}")
    if info["type"] != "service_account":
        raise InvalidCredentials(f"--service-account-key-file {path!r} is a {info['type']!r} file, not service_account")
    return info


class GcpProvider(BaseProvider):
    name = "gcp"
    title = "Google Cloud"
    # identify; the projects under a --folder or --organization; a GKE cluster when its cluster is scanned (gke_auth);
    # Cloud Asset Inventory, the bulk inventory the collectors list from first (collectors.gcp.inventory)
    permissions = (
        "cloudasset.assets.listResource",
        "resourcemanager.projects.get",
        "resourcemanager.projects.list",
        "resourcemanager.folders.list",
        "container.clusters.get",
    )
    credential_fields = (
        CredentialField("service_account_key_file", "path of a service account key JSON file", server_file=True),
        CredentialField("access_token", "a pre-issued OAuth 2.0 access token", secret=True),
        CredentialField("projects", "comma-separated project ids to scan (default: the credentials' project)"),
        CredentialField("folder", "scan every project under this folder (folders/NUMBER)"),
        CredentialField("organization", "scan every project under this organization (organizations/NUMBER)"),
    )
    exclusive_groups = (("service_account_key_file",), ("access_token",))
    region_pattern = REGION

    def validate_credentials(self, credentials: dict[str, Any]) -> None:
        super().validate_credentials(credentials)
        scopes = [name for name in SCOPE_FIELDS if credentials.get(name)]
        if len(scopes) > 1:
            raise InvalidCredentials(
                "choose one scope, not " + " and ".join("--" + s.replace("_", "-") for s in scopes)
            )
        if credentials.get("projects"):
            parse_projects(credentials["projects"])
        if credentials.get("folder"):
            _container_name(credentials["folder"], "folders")
        if credentials.get("organization"):
            _container_name(credentials["organization"], "organizations")
        if credentials.get("service_account_key_file"):
            read_key_file(credentials["service_account_key_file"])

    # -- sessions ------------------------------------------------------------
    def _credentials(self, creds: dict[str, Any], endpoint_url: str = "") -> tuple[Credentials, str]:
        import google.auth
        import google.auth.exceptions
        from google.oauth2 import credentials as user_credentials
        from google.oauth2 import service_account

        from collectors.gcp.session import EndpointServiceAccountCredentials

        if creds.get("access_token"):
            return user_credentials.Credentials(token=creds["access_token"]), ""
        if creds.get("service_account_key_file"):
            info = read_key_file(creds["service_account_key_file"])
            cls = EndpointServiceAccountCredentials if endpoint_url else service_account.Credentials
            sa = cls.from_service_account_info(info, scopes=[CLOUD_PLATFORM])
            return sa, str(info.get("project_id") or "")
        try:
            default, project = google.auth.default(scopes=[CLOUD_PLATFORM])
        except google.auth.exceptions.DefaultCredentialsError as exc:
            raise InvalidCredentials(f"no credentials given and no application default credentials: {exc}") from None
        return default, project or ""

    def connect(self, target: Target) -> GcpSession:
        from collectors.gcp.inventory import cloud_asset_inventory
        from collectors.gcp.session import GcpSession

        creds = target.credentials
        credentials, own_project = self._credentials(creds, target.endpoint_url)
        scope = scope_name(creds)
        projects: list[str] | Callable[[], list[str]]
        session: GcpSession  # built below; a discovering session lists its projects through itself
        if creds.get("projects"):
            projects = parse_projects(creds["projects"])
        elif scope:
            projects = lambda: discover_projects(session, scope)  # noqa: E731  (found on first use)
        else:
            project = own_project or target.external_id
            if not project or not PROJECT_ID.match(project):
                raise InvalidCredentials("no project to scan: give --projects (or --folder / --organization)")
            projects = [project]
        session = GcpSession(credentials, projects, target.endpoint_url, target.regions, scope=scope)
        session.bulk = cloud_asset_inventory(session, self.classify_error)
        return session

    def list_regions(self, session: GcpSession, target: Target) -> list[str]:
        """Every collector reads all locations at once (aggregated lists); ``regions`` only filters."""
        return list(target.regions) or ["global"]

    def identify(self, session: GcpSession) -> Identity:
        from collectors.gcp.clients import projects_client

        if session.scope:
            projects = session.projects
            return Identity(external_id=session.scope, display=f"{session.scope}: {len(projects)} project(s)")
        projects = session.projects
        found = projects_client(session).get_project(name=f"projects/{projects[0]}")
        display = found.display_name or projects[0]
        if len(projects) > 1:
            display += f" and {len(projects) - 1} more project(s)"
        return Identity(external_id=found.project_id or projects[0], display=display)

    def classify_error(self, exc: BaseException) -> str:
        import google.api_core.exceptions as gexc
        import google.auth.exceptions
        import requests

        if isinstance(exc, ScopeFailures):
            return self.classify_error(next(iter(exc.failures.values())))
        if isinstance(exc, (gexc.Forbidden, gexc.Unauthorized, gexc.PermissionDenied, gexc.Unauthenticated)):
            return "denied"
        if isinstance(exc, (gexc.TooManyRequests, gexc.ResourceExhausted)):
            return "throttled"
        if isinstance(exc, (gexc.NotFound, gexc.MethodNotImplemented, gexc.MethodNotAllowed)):
            return "unsupported"
        if isinstance(exc, (gexc.DeadlineExceeded, gexc.GatewayTimeout, requests.Timeout)):
            return "timeout"
        if isinstance(exc, google.auth.exceptions.RefreshError):
            return "denied"
        if isinstance(exc, (requests.ConnectionError, google.auth.exceptions.TransportError)):
            return "unreachable"
        if isinstance(exc, gexc.GoogleAPICallError):
            return "error"
        return super().classify_error(exc)


def scope_name(creds: dict[str, Any]) -> str:
    if creds.get("folder"):
        return _container_name(creds["folder"], "folders")
    if creds.get("organization"):
        return _container_name(creds["organization"], "organizations")
    return ""


def discover_projects(session: GcpSession, parent: str) -> list[str]:
    """Every active project under a folder or organization, through nested folders."""
    from collectors.gcp.clients import folders_client, projects_client

    projects: list[str] = []
    queue = [parent]
    seen: set[str] = set()
    while queue:
        node = queue.pop(0)
        if node in seen:
            continue
        seen.add(node)
        for project in projects_client(session).list_projects(parent=node):
            if project.state.name == "ACTIVE":
                projects.append(project.project_id)
        for folder in folders_client(session).list_folders(parent=node):
            if folder.state.name == "ACTIVE":
                queue.append(folder.name)
    return sorted(set(projects))
