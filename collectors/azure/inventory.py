"""What the Azure collectors list: from Resource Graph (:mod:`collectors.azure.resource_graph`) when the scan has it,
else through each service's own listing; either way in one shape, secrets scrubbed."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from collectors.azure.common import scrub, to_json
from collectors.azure.resource_graph import ENVELOPE
from collectors.azure.session import AzureSession, Subscription


def listed(
    session: AzureSession, sub: Subscription, resource_type: str, fallback: Callable[[], Iterable[Any]]
) -> Iterator[dict[str, Any]]:
    """Every resource of ``resource_type`` in ``sub``: from Resource Graph, else ``fallback()``'s SDK models
    (read as they come, so that a listing failing half-way keeps what it read)."""
    bulk = session.bulk
    found = bulk.items("", sub.subscription_id.lower(), resource_type.lower()) if bulk else None
    items = (to_json(model) for model in fallback()) if found is None else iter(found)
    return (scrub(one_shape(item)) for item in items)


def one_shape(item: dict[str, Any]) -> dict[str, Any]:
    """The same JSON from either source: no top-level ``etag`` (volatile, and not a Resource Graph column) and no
    empty envelope field (Resource Graph gives every column, null or empty where the listing leaves it out)."""
    return {k: v for k, v in item.items() if k != "etag" and not (k in ENVELOPE and v in (None, "", {}, []))}
