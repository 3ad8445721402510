"""The Azure operation a Resource Manager request needs, named from its method and path.

``GET .../providers/Microsoft.Storage/storageAccounts/A/fileServices/default`` needs
``Microsoft.Storage/storageAccounts/fileServices/read``: the provider namespace, then every other path
segment (the resource types, not their names), then ``read``; a POST to an action on a resource needs
``NAMESPACE/type/ACTION/action``. Paths without a provider are the subscription's own (``Microsoft.Resources``).
"""

from __future__ import annotations

from urllib.parse import urlsplit

# Scope-wide list calls whose path leaves out a parent type that the operation's name keeps.
ALIASES = {
    "Microsoft.Security/subAssessments/read": "Microsoft.Security/assessments/subAssessments/read",
    # a Resource Graph query is a POST, yet Azure authorizes it as a read
    "Microsoft.ResourceGraph/resources/action": "Microsoft.ResourceGraph/resources/read",
}


def operation(method: str, url: str) -> str:
    name = _operation(method, url)
    return ALIASES.get(name, name)


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
