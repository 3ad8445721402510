"""Cloud SQL instances: connections encrypted, no public IP or world-wide authorized network, backups,
deletion protection.

An ``ON_PREMISES_INSTANCE`` (an external server Cloud SQL replicates from) has no Cloud SQL settings: no rule
here or in :mod:`.flags` applies to it.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from collectors.records import ResourceRecord
from posture.rules.registry import rule
from posture.rules.verdicts import Verdict, check, lookup, observed

INSTANCE = "gcp.sql.instance"
ENGINES = ("MYSQL", "POSTGRES", "SQLSERVER")
ENCRYPTED_ONLY = ("ENCRYPTED_ONLY", "TRUSTED_CLIENT_CERTIFICATE_REQUIRED")
REPLICAS = ("READ_REPLICA_INSTANCE", "READ_POOL_INSTANCE")
FLAGS_DOCS = "https://cloud.google.com/sql/docs/{engine}/flags"


def engine(resource: ResourceRecord) -> str:
    """``MYSQL``, ``POSTGRES`` or ``SQLSERVER`` from ``databaseVersion``; empty for anything else."""
    version = str(resource.config.get("databaseVersion") or "")
    return next((e for e in ENGINES if version.startswith(e + "_")), "")


def managed(resource: ResourceRecord) -> bool:
    """A database Cloud SQL runs (not the on-premises representation of an external source server)."""
    return resource.config.get("instanceType") != "ON_PREMISES_INSTANCE"


def flag_value(resource: ResourceRecord, name: str) -> str | None:
    """The value ``settings.databaseFlags`` gives flag ``name`` (names compared case-insensitively), or None."""
    for flag in lookup(resource.config, "settings.databaseFlags") or []:
        if isinstance(flag, dict) and str(flag.get("name", "")).lower() == name.lower():
            return str(flag.get("value") if flag.get("value") is not None else "")
    return None


# -- connections ----------------------------------------------------------------------------------------------
@rule(
    id="gcp.sql.instance_ssl_required",
    title="Cloud SQL instance accepts encrypted connections only",
    severity="high",
    category="encryption",
    resource_type=INSTANCE,
    rationale="Without SSL/TLS enforced, clients may connect in clear text and credentials and data cross the "
    "network readable by anyone on the path.",
    remediation="gcloud sql instances patch INSTANCE --ssl-mode=ENCRYPTED_ONLY (or "
    "TRUSTED_CLIENT_CERTIFICATE_REQUIRED to also require client certificates).",
    references=("https://cloud.google.com/sql/docs/mysql/configure-ssl-instance",),
)
def ssl_required(resource: ResourceRecord, ctx: Any) -> Verdict | None:
    if not managed(resource):
        return None
    c = resource.config
    mode = lookup(c, "settings.ipConfiguration.sslMode")
    legacy = lookup(c, "settings.ipConfiguration.requireSsl")
    connectors = lookup(c, "settings.connectorEnforcement") == "REQUIRED"
    encrypted = mode in ENCRYPTED_ONLY if mode not in (None, "", "SSL_MODE_UNSPECIFIED") else legacy is True
    evidence = (
        observed(c, "settings.ipConfiguration.sslMode"),
        observed(c, "settings.ipConfiguration.requireSsl"),
        observed(c, "settings.connectorEnforcement"),
    )
    if connectors and not encrypted:
        return check(True, "every connection must go through the Cloud SQL connectors, which encrypt it", "", *evidence)
    return check(
        encrypted,
        f"only encrypted connections are accepted ({mode or 'requireSsl'})",
        f"unencrypted connections are accepted ({mode or 'requireSsl is not true'})",
        *evidence,
    )


def world_networks(resource: ResourceRecord) -> list[str]:
    """Authorized networks that span every address (``0.0.0.0/0``, or any network of prefix length 0)."""
    found = []
    for network in lookup(resource.config, "settings.ipConfiguration.authorizedNetworks") or []:
        value = str(network.get("value", "")) if isinstance(network, dict) else ""
        try:
            if ipaddress.ip_network(value.strip(), strict=False).prefixlen == 0:
                found.append(value)
        except ValueError:
            continue  # not an address range: authorizes nothing
    return found


@rule(
    id="gcp.sql.instance_no_world_authorized_network",
    title="Cloud SQL instance does not authorize connections from every address",
    severity="critical",
    category="exposure",
    resource_type=INSTANCE,
    rationale="An authorized network of 0.0.0.0/0 lets anyone on the internet reach the database's public IP and "
    "try its passwords.",
    remediation="Remove 0.0.0.0/0 from the instance's authorized networks (gcloud sql instances patch INSTANCE "
    "--authorized-networks=TRUSTED_RANGES), or connect through the Cloud SQL Auth Proxy or a private IP.",
)
def no_world_network(resource: ResourceRecord, ctx: Any) -> Verdict | None:
    if not managed(resource):
        return None
    c = resource.config
    world = world_networks(resource)
    evidence = (
        ("settings.ipConfiguration.authorizedNetworks[world]", world),
        observed(c, "settings.ipConfiguration.ipv4Enabled"),
        observed(c, "settings.connectorEnforcement"),
    )
    if world and lookup(c, "settings.ipConfiguration.ipv4Enabled") is False:
        return check(True, "no public IP: the authorized networks open nothing", "", *evidence)
    if world and lookup(c, "settings.connectorEnforcement") == "REQUIRED":
        return check(True, "connector enforcement turns the authorized networks off", "", *evidence)
    return check(
        not world,
        "no authorized network spans every address",
        f"the public IP accepts connections from {', '.join(world)}",
        *evidence,
    )


@rule(
    id="gcp.sql.instance_no_public_ip",
    title="Cloud SQL instance has no public IP address",
    severity="high",
    category="exposure",
    resource_type=INSTANCE,
    rationale="A public IP puts the database on the internet, one authorized-network mistake away from anyone; a "
    "private IP keeps it inside the VPC.",
    remediation="Configure a private IP, then gcloud sql instances patch INSTANCE --no-assign-ip.",
)
def no_public_ip(resource: ResourceRecord, ctx: Any) -> Verdict | None:
    if not managed(resource):
        return None
    c = resource.config
    addresses = [a for a in c.get("ipAddresses") or [] if isinstance(a, dict)]
    public = [a.get("ipAddress") for a in addresses if a.get("type") == "PRIMARY"]
    ipv4 = lookup(c, "settings.ipConfiguration.ipv4Enabled")
    return check(
        not public and ipv4 is not True,
        "the instance has no public IP",
        f"the instance has a public IP{' ' + ', '.join(map(str, public)) if public else ''}",
        ("ipAddresses[PRIMARY]", public),
        observed(c, "settings.ipConfiguration.ipv4Enabled"),
    )


# -- data protection ------------------------------------------------------------------------------------------
@rule(
    id="gcp.sql.instance_automated_backups",
    title="Cloud SQL instance has automated backups",
    severity="medium",
    category="encryption",
    resource_type=INSTANCE,
    rationale="Automated backups let the database be restored after a deletion, a corruption or ransomware.",
    remediation="gcloud sql instances patch INSTANCE --backup-start-time=HH:MM",
)
def automated_backups(resource: ResourceRecord, ctx: Any) -> Verdict | None:
    c = resource.config
    if not managed(resource) or c.get("instanceType") in REPLICAS or c.get("masterInstanceName"):
        return None  # replicas have no backups of their own: their primary's cover them
    return check(
        lookup(c, "settings.backupConfiguration.enabled") is True,
        "automated backups are on",
        "automated backups are off",
        observed(c, "settings.backupConfiguration.enabled"),
    )


@rule(
    id="gcp.sql.instance_deletion_protection",
    title="Cloud SQL instance has deletion protection",
    severity="low",
    category="encryption",
    resource_type=INSTANCE,
    rationale="Deletion protection stops an instance, and with it its automated backups, from being deleted by "
    "mistake or by a script.",
    remediation="gcloud sql instances patch INSTANCE --deletion-protection",
)
def deletion_protection(resource: ResourceRecord, ctx: Any) -> Verdict | None:
    if not managed(resource):
        return None
    return check(
        lookup(resource.config, "settings.deletionProtectionEnabled") is True,
        "deletion protection is on",
        "deletion protection is off",
        observed(resource.config, "settings.deletionProtectionEnabled"),
    )
