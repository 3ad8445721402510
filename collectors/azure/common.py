"""What every Azure collector shares: model -> JSON, secret scrubbing, records, the subscription walk."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from collectors.azure.session import AzureSession, Subscription, normalize_location
from collectors.failures import StatedError, log_failure
from collectors.permissions import explain
from collectors.records import ResourceRecord

log = logging.getLogger(__name__)
PROVIDER = "azure"
# Keys whose values are secrets in some ARM payload (AKS service principal, Windows admin, AAD server app).
SECRET_KEYS = {
    "secret",
    "serverappsecret",
    "adminpassword",
    "password",
    "clientsecret",
    "primarykey",
    "secondarykey",
    "connectionstring",
    "sastoken",
    "value_secret",
    "radiusserversecret",
}
DETAIL_WORKERS = 8  # per-resource detail calls (agent pools, containers, diagnostic settings) in flight at once
T = TypeVar("T")
R = TypeVar("R")


class SubscriptionsFailed(RuntimeError, StatedError):
    """Some subscriptions could not be collected; the others were. ``first_error`` classifies it."""

    def __init__(self, failures: list[tuple[str, BaseException]]) -> None:
        self.failures = failures
        self.first_error = failures[0][1]
        text = "; ".join(f"{sub}: {error_text(exc)}" for sub, exc in failures)
        super().__init__(f"{len(failures)} subscription(s) failed: {text}")


def error_text(exc: BaseException) -> str:
    """A failed call in words with its HTTP status and ARM error code; never the exception's text."""
    from collectors.azure.provider import AzureProvider  # the provider's package imports this one

    return explain("azure", exc, AzureProvider().classify_error(exc))


def to_json(model: Any) -> dict[str, Any]:
    """An SDK model as the REST API's own JSON (camelCase keys, as returned)."""
    if model is None:
        return {}
    if isinstance(model, Mapping):  # TypeSpec-generated models are mappings over the raw JSON
        as_dict = getattr(model, "as_dict", None)
        return scrub(as_dict() if callable(as_dict) else dict(model))
    serialize = getattr(model, "serialize", None)
    if callable(serialize):  # msrest-generated models (monitor, authorization, security)
        return scrub(serialize(keep_readonly=True))
    raise TypeError(f"not an Azure SDK model: {type(model).__name__}")


def scrub(value: Any) -> Any:
    """``value`` without secret-bearing keys, at any depth."""
    if isinstance(value, dict):
        return {
            k: scrub(v)
            for k, v in value.items()
            if not (str(k).lower() in SECRET_KEYS and v not in (None, "", {}, []) and not isinstance(v, bool))
        }
    if isinstance(value, list):
        return [scrub(v) for v in value]
    return value


def record(
    service: str, kind: str, item: dict[str, Any], *, location: str | None = None, **extra: Any
) -> ResourceRecord:
    """A record for an ARM resource: uid = its resource id; ``extra`` lands in config under its own keys.

    ``location`` stands in for child resources that carry none (agent pools, containers).
    """
    config = dict(item)
    config.update(extra)
    return ResourceRecord(
        provider=PROVIDER,
        service=service,
        type=f"{PROVIDER}.{service}.{kind}",
        uid=item["id"],
        name=str(item.get("name") or item["id"].rsplit("/", 1)[-1]),
        region=normalize_location(item.get("location") or location),
        tags={str(k): str(v) for k, v in (item.get("tags") or {}).items()},
        config=config,
    )


def resource_group(resource_id: str) -> str:
    parts = resource_id.split("/")
    lowered = [p.lower() for p in parts]
    return parts[lowered.index("resourcegroups") + 1] if "resourcegroups" in lowered else ""


def secondary(errors: dict[str, str], key: str, call: Callable[[], Any], default: Any = None) -> Any:
    """Run a per-resource call; a failure is noted in ``errors[key]`` and ``default`` returned."""
    try:
        return call()
    except Exception as exc:  # one resource's detail must not lose the listing
        errors[key] = error_text(exc)
        log_failure(log, logging.INFO, f"azure: {key} failed: {errors[key]}", exc)
        return default


def map_details(fn: Callable[[T], R], items: Iterable[T], workers: int = DETAIL_WORKERS) -> list[R]:
    """``[fn(item) ...]`` in order, with the per-resource calls of one listing made concurrently.

    ``fn`` must not raise for a failed call of its own (see :func:`secondary`); azure-core clients
    are safe to share between threads.
    """
    items = list(items)
    if len(items) <= 1:
        return [fn(item) for item in items]
    with ThreadPoolExecutor(max_workers=min(workers, len(items)), thread_name_prefix="azure-detail") as pool:
        return list(pool.map(fn, items))


def per_subscription(
    session: AzureSession, collect: Callable[[Subscription], Iterable[ResourceRecord]]
) -> Iterator[ResourceRecord]:
    """Run ``collect`` for every subscription; one failing subscription does not lose the others.

    Records read before a failure are kept. With a single subscription its
    error is raised as is; with several, the failures are raised together
    (:class:`SubscriptionsFailed`) after every subscription has been tried.
    """
    failures: list[tuple[str, BaseException]] = []
    for sub in session.subscriptions:
        records: list[ResourceRecord] = []
        try:
            for item in collect(sub):
                records.append(item)
        except Exception as exc:  # keep what was read before the failure; report it after
            failures.append((sub.subscription_id, exc))
        yield from (r for r in records if session.wanted(r.region))
    if len(failures) == 1 and len(session.subscriptions) == 1:
        raise failures[0][1]
    if failures:
        raise SubscriptionsFailed(failures)
