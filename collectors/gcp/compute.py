"""Compute Engine: networks and subnetworks, firewall rules, instances, and project metadata."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from collectors.gcp import redact
from collectors.gcp.clients import as_json, compute, compute_v1
from collectors.gcp.common import full_name, location_of, per_project, record, region_of_zone
from collectors.gcp.inventory import FIREWALL, INSTANCE, NETWORK, SUBNETWORK, listed
from collectors.gcp.session import GcpSession
from collectors.records import ResourceRecord
from collectors.registry import REGISTRY


def _uid(project: str, scope: str, collection: str, name: str) -> str:
    middle = "global" if scope == "global" else scope
    return full_name("compute", f"projects/{project}/{middle}/{collection}/{name}")


def _listed_networks(session: GcpSession, project: str) -> Iterator[dict[str, Any]]:
    yield from (as_json(m) for m in compute(session, compute_v1.NetworksClient).list(project=project))


def _listed_subnetworks(session: GcpSession, project: str) -> Iterator[dict[str, Any]]:
    """Each subnetwork, with its region (the aggregated list's scope) as ``region`` when it does not say."""
    request = compute_v1.AggregatedListSubnetworksRequest(project=project)
    for scope, scoped in compute(session, compute_v1.SubnetworksClient).aggregated_list(request=request):
        for message in scoped.subnetworks:
            yield {"region": scope, **as_json(message)}


def _networks(session: GcpSession, project: str) -> Iterator[ResourceRecord]:
    for network in listed(session, project, NETWORK, compute_v1.Network, lambda: _listed_networks(session, project)):
        name = network.get("name", "")
        yield record("compute", "network", _uid(project, "global", "networks", name), name, project, network)
    subnets = listed(session, project, SUBNETWORK, compute_v1.Subnetwork, lambda: _listed_subnetworks(session, project))
    for subnet in subnets:
        region = location_of(str(subnet.get("region") or ""))
        if not session.in_scope(region):
            continue
        name = subnet.get("name", "")
        uid = _uid(project, f"regions/{region}", "subnetworks", name)
        yield record("compute", "subnetwork", uid, name, project, subnet, region)


def _firewalls(session: GcpSession, project: str) -> Iterator[ResourceRecord]:
    client = compute(session, compute_v1.FirewallsClient)
    rules = listed(session, project, FIREWALL, compute_v1.Firewall, lambda: map(as_json, client.list(project=project)))
    for rule in rules:
        name = rule.get("name", "")
        yield record("compute", "firewall", _uid(project, "global", "firewalls", name), name, project, rule)


def clean_instance(instance: dict[str, Any]) -> dict[str, Any]:
    instance = redact.secret_fields(instance)
    if "metadata" in instance:
        instance["metadata"] = redact.metadata_items(instance["metadata"])
    for disk in instance.get("disks") or []:
        key = disk.get("diskEncryptionKey") if isinstance(disk, dict) else None
        if isinstance(key, dict):  # a CSEK's raw or RSA-wrapped key is a secret; its sha256 is not
            for secret in ("rawKey", "rsaEncryptedKey"):
                if key.get(secret):
                    key[secret] = redact.REDACTED
    return instance


def _listed_instances(session: GcpSession, project: str) -> Iterator[dict[str, Any]]:
    """Each instance, with its zone (the aggregated list's scope) as ``zone`` when it does not say."""
    request = compute_v1.AggregatedListInstancesRequest(project=project)
    for scope, scoped in compute(session, compute_v1.InstancesClient).aggregated_list(request=request):
        for message in scoped.instances:
            yield {"zone": scope, **as_json(message)}


def _instances(session: GcpSession, project: str) -> Iterator[ResourceRecord]:
    found = listed(session, project, INSTANCE, compute_v1.Instance, lambda: _listed_instances(session, project))
    for listed_instance in found:
        zone = location_of(str(listed_instance.get("zone") or ""))
        if not session.in_scope(zone):
            continue
        instance = clean_instance(listed_instance)
        name = instance.get("name", "")
        uid = _uid(project, f"zones/{zone}", "instances", name)
        yield record("compute", "instance", uid, name, project, instance, region_of_zone(zone), instance.get("labels"))


def _project(session: GcpSession, project: str) -> Iterator[ResourceRecord]:
    info = as_json(compute(session, compute_v1.ProjectsClient).get(project=project))
    if "commonInstanceMetadata" in info:
        info["commonInstanceMetadata"] = redact.metadata_items(info["commonInstanceMetadata"])
    yield record("compute", "project", full_name("compute", f"projects/{project}"), project, project, info)


@REGISTRY.collector(
    "gcp", "compute_networks", regional=False, permissions=("compute.networks.list", "compute.subnetworks.list")
)
def collect_networks(session: GcpSession, region: str) -> Iterator[ResourceRecord]:
    yield from per_project(session, _networks)


@REGISTRY.collector("gcp", "compute_firewalls", regional=False, permissions=("compute.firewalls.list",))
def collect_firewalls(session: GcpSession, region: str) -> Iterator[ResourceRecord]:
    yield from per_project(session, _firewalls)


@REGISTRY.collector("gcp", "compute_instances", regional=False, permissions=("compute.instances.list",))
def collect_instances(session: GcpSession, region: str) -> Iterator[ResourceRecord]:
    yield from per_project(session, _instances)


@REGISTRY.collector("gcp", "compute_project", regional=False, permissions=("compute.projects.get",))
def collect_compute_project(session: GcpSession, region: str) -> Iterator[ResourceRecord]:
    yield from per_project(session, _project)
