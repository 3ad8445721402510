"""The Azure operation a Resource Manager request needs, named from its method and path.

``GET .../providers/Microsoft.Storage/storageAccounts/A/fileServices/default`` needs
``Microsoft.Storage/storageAccounts/fileServices/read``: the provider namespace, then every other path
segment (the resource types, not their names), then ``read``; a POST to an action on a resource needs
``NAMESPACE/type/ACTION/action``. Paths without a provider are the subscription's own (``Microsoft.Resources``).

Two other planes are named the way their own permissions are: a Key Vault data-plane request by the
data action Azure RBAC checks (``GET https://V.vault.azure.net/keys`` needs
``Microsoft.KeyVault/vaults/keys/read``), a Microsoft Graph request by the application permission it
needs (``GET /v1.0/policies/identitySecurityDefaultsEnforcementPolicy`` needs ``Policy.Read.All``).
Under an endpoint override both planes sit beside Resource Manager (``/keyvault/V/...``, ``/graph/...``).
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

# Scope-wide list calls whose path leaves out a parent type that the operation's name keeps.
ALIASES = {
    "Microsoft.Security/subAssessments/read": "Microsoft.Security/assessments/subAssessments/read",
    # a Resource Graph query is a POST, yet Azure authorizes it as a read
    "Microsoft.ResourceGraph/resources/action": "Microsoft.ResourceGraph/resources/read",
}


VAULT_HOST = re.compile(r"^[a-z0-9-]+\.vault\.(azure\.net|usgovcloudapi\.net|azure\.cn)$")
GRAPH_HOSTS = frozenset({"graph.microsoft.com", "graph.microsoft.us", "microsoftgraph.chinacloudapi.cn"})
# A Key Vault data-plane path (below the vault) -> the data action it needs
VAULT_DATA_ACTIONS = (
    (re.compile(r"^/keys/[^/]+/rotationpolicy$"), "Microsoft.KeyVault/vaults/keyrotationpolicies/read"),
    (re.compile(r"^/keys(/[^/]+)?$"), "Microsoft.KeyVault/vaults/keys/read"),
    (re.compile(r"^/secrets$"), "Microsoft.KeyVault/vaults/secrets/readMetadata/action"),
    (re.compile(r"^/certificates(/[^/]+(/policy)?)?$"), "Microsoft.KeyVault/vaults/certificates/read"),
)
# A Microsoft Graph path (below the version) -> the least-privileged application permission that reads it
GRAPH_PERMISSIONS = (
    (re.compile(r"^/policies/identitySecurityDefaultsEnforcementPolicy$", re.I), "Policy.Read.All"),
    (re.compile(r"^/identity/conditionalAccess/policies$", re.I), "Policy.Read.All"),
    (re.compile(r"^/policies/deviceRegistrationPolicy$", re.I), "Policy.Read.DeviceConfiguration"),
    (re.compile(r"^/reports/authenticationMethods/userRegistrationDetails$", re.I), "AuditLog.Read.All"),
    (re.compile(r"^/users$", re.I), "User.Read.All"),
    (re.compile(r"^/policies/authorizationPolicy$", re.I), "Policy.Read.All"),
    (re.compile(r"^/roleManagement/directory/roleAssignments$", re.I), "RoleManagement.Read.Directory"),
)
DATA_ACTIONS = frozenset(action for _, action in VAULT_DATA_ACTIONS)
GRAPH_PERMISSION = re.compile(r"^[A-Z][A-Za-z]+\.Read(\.[A-Z][A-Za-z]+)?$")  # Policy.Read.All, AuditLog.Read.All


def operation(method: str, url: str) -> str:
    split = urlsplit(url)
    host, path = (split.hostname or "").lower(), split.path.rstrip("/")
    if VAULT_HOST.match(host):
        return _named(VAULT_DATA_ACTIONS, path)
    if path.lower().startswith("/keyvault/"):
        return _named(VAULT_DATA_ACTIONS, "/" + path.split("/", 3)[3] if path.count("/") >= 3 else "")
    if host in GRAPH_HOSTS or path.lower().startswith("/graph/"):
        version_path = path.removeprefix("/graph") if host not in GRAPH_HOSTS else path
        return _named(GRAPH_PERMISSIONS, "/" + version_path.split("/", 2)[2] if version_path.count("/") >= 2 else "")
    name = _operation(method, url)
    return ALIASES.get(name, name)


def _named(table: tuple[tuple[re.Pattern[str], str], ...], path: str) -> str:
    """The permission ``table`` gives ``path``; '' for a path Posture does not call."""
    return next((permission for pattern, permission in table if pattern.match(path)), "")


def _operation(method: str, url: str) -> str:
    path = urlsplit(url).path.rstrip("/")
    if "/providers/" not in path:  # the subscription itself, its resource groups, its locations
        segments = path.strip("/").split("/")
        return "/".join(["Microsoft.Resources", *segments[0::2]]) + "/read"
    namespace, _, rest = path.rsplit("/providers/", 1)[1].partition("/")
    segments = rest.split("/")
    if method.upper() == "POST":
        return "/".join([namespace, *segments[0:-1:2], segments[-1]]) + "/action"
    return "/".join([namespace, *segments[0::2]]) + "/read"


def operation_of(exc: BaseException) -> str:
    """The operation of the request an azure-core ``HttpResponseError`` answered, or ''."""
    request = getattr(getattr(exc, "response", None), "request", None)
    method, url = getattr(request, "method", None), getattr(request, "url", None)
    if not isinstance(method, str) or not isinstance(url, str):
        return ""
    return operation(method, url)
