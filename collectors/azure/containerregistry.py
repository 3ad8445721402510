"""Azure Container Registry: admin user, public network access, anonymous pull."""

from __future__ import annotations

from collections.abc import Iterator

from collectors.azure.common import per_subscription, record
from collectors.azure.inventory import listed
from collectors.azure.session import AzureSession, Subscription
from collectors.records import ResourceRecord
from collectors.registry import REGISTRY


def _registry_records(session: AzureSession, sub: Subscription) -> Iterator[ResourceRecord]:
    client = session.client("acr", sub.subscription_id)
    for registry in listed(session, sub, "Microsoft.ContainerRegistry/registries", client.registries.list):
        yield record("acr", "registry", registry)


@REGISTRY.collector("azure", "acr", regional=False, permissions=("Microsoft.ContainerRegistry/registries/read",))
def collect_registries(session: AzureSession, region: str) -> Iterator[ResourceRecord]:
    yield from per_subscription(session, lambda sub: _registry_records(session, sub))
