"""Resource Manager lists read as the REST API's own JSON, for the types and API versions the pinned SDKs lack.

Management locks (azure-mgmt-resource 26 has no lock client), Application Insights components, the security
contacts' 2023-12-01-preview shape (attack path notifications): ``GET {path}?api-version=V`` through a
management client's own pipeline (the same token, retries, timeouts and refusal of redirects), following
``nextLink`` only on the Resource Manager host the scan talks to.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlsplit

from collectors.azure.common import scrub
from collectors.azure.session import AzureSession

RESOURCES_API = "2021-04-01"
MAX_PAGES = 200  # a list that never ends (a nextLink pointing at itself) stops here, as an error


class UnexpectedAnswer(ValueError):
    """An answer that is not an ARM list, or a nextLink leaving the Resource Manager host."""


def arm_list(
    session: AzureSession, subscription_id: str, path: str, api_version: str, query: dict[str, str] | None = None
) -> list[dict[str, Any]]:
    """Every item of the ARM list at ``path`` (``/subscriptions/.../providers/NS/type``), secrets scrubbed."""
    from azure.core.exceptions import HttpResponseError
    from azure.core.rest import HttpRequest
    from azure.mgmt.core.exceptions import ARMErrorFormat

    client = session.client("network", subscription_id)  # any generated client: its send_request is the pipeline
    params = {**(query or {}), "api-version": api_version}
    url: str | None = path + "?" + "&".join(f"{quote(k, safe='$')}={quote(v)}" for k, v in params.items())
    items: list[dict[str, Any]] = []
    for _ in range(MAX_PAGES):
        if url is None:
            return items
        response = client.send_request(HttpRequest("GET", url))
        if response.status_code != 200:
            raise HttpResponseError(response=response, error_format=ARMErrorFormat)
        try:
            body = response.json()
        except ValueError as exc:
            raise UnexpectedAnswer(f"{path}: the answer is not JSON") from exc
        if not isinstance(body, dict) or not isinstance(body.get("value", []), list):
            raise UnexpectedAnswer(f"{path}: the answer is not a list")
        items.extend(scrub(item) for item in body.get("value") or [] if isinstance(item, dict))
        url = _next_link(session, body.get("nextLink"))
    raise UnexpectedAnswer(f"{path}: more than {MAX_PAGES} pages")


def _next_link(session: AzureSession, link: Any) -> str | None:
    if not link:
        return None
    base, nxt = urlsplit(session.base_url), urlsplit(str(link))
    if (nxt.scheme, nxt.netloc.lower()) != (base.scheme, base.netloc.lower()):
        raise UnexpectedAnswer(f"a nextLink leads away from {base.netloc}: {nxt.netloc or '(no host)'}")
    return str(link)


def resources_of_type(session: AzureSession, subscription_id: str, resource_type: str) -> list[dict[str, Any]]:
    """The subscription's resources of one type from the generic listing (id, name, type, location, sku...);
    an item without a string id and name is no resource and is left out."""
    found = arm_list(
        session,
        subscription_id,
        f"/subscriptions/{subscription_id}/resources",
        RESOURCES_API,
        {"$filter": f"resourceType eq '{resource_type}'"},
    )
    return [item for item in found if isinstance(item.get("id"), str) and isinstance(item.get("name"), str)]
