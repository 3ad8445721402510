"""Paged listing (``limit`` / ``continue``) as generators: a large cluster is streamed, not held."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

from collectors.kubernetes.provider import REQUEST_TIMEOUT, KubernetesSession

METADATA_ONLY = "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json"


def list_items(session: KubernetesSession, method: Callable[..., Any], kind: str, **kwargs: Any) -> Iterator[dict]:
    """Every item of a list call, page by page; each item gets its ``kind`` (list items omit it)."""

    def fetch(token: str | None) -> Any:
        params = dict(kwargs, limit=session.page_size)
        if token:
            params["_continue"] = token
        return session.get_json(method, **params)

    yield from _pages(fetch, kind)


def list_metadata(session: KubernetesSession, path: str, kind: str, api_version: str) -> Iterator[dict]:
    """Metadata only (PartialObjectMetadataList): for Secrets, whose values must never be fetched.

    The typed client methods force their own Accept header, so this goes through
    the client's ``call_api`` with the metadata-only media type.
    """

    def fetch(token: str | None) -> Any:
        query = [("limit", session.page_size)] + ([("continue", token)] if token else [])
        response = session.api_client.call_api(
            path,
            "GET",
            query_params=query,
            header_params={"Accept": METADATA_ONLY},
            auth_settings=["BearerToken"],
            _preload_content=False,
            _return_http_data_only=True,
            _request_timeout=REQUEST_TIMEOUT,
        )
        try:
            return json.loads(response.data)
        except ValueError as exc:
            raise ValueError(f"the API answered with something that is not JSON: {exc}") from None

    yield from _pages(fetch, kind, api_version)


def _pages(fetch: Callable[[str | None], Any], kind: str, api_version: str | None = None) -> Iterator[dict]:
    """Follow ``continue`` tokens; items get ``kind`` and (when given, else the list's own) ``apiVersion``."""
    token: str | None = None
    seen_tokens: set[str] = set()
    while True:
        body = fetch(token)
        if not isinstance(body, dict) or not isinstance(body.get("items"), list):
            raise ValueError(f"a {kind} list answer has no items list")
        api_version = api_version or body.get("apiVersion")
        for item in body["items"]:
            if not isinstance(item, dict) or not isinstance(item.get("metadata"), dict):
                raise ValueError(f"a {kind} list item is not an object with metadata")
            item["kind"] = kind
            if api_version:
                item["apiVersion"] = api_version
            yield item
        token = (body.get("metadata") or {}).get("continue") or None
        if not token:
            return
        if token in seen_tokens:
            raise ValueError(f"the {kind} list repeats its continue token")
        seen_tokens.add(token)
