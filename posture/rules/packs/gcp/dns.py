"""Cloud DNS rules: DNSSEC on public zones without SHA-1 keys, and query logging on every VPC network.

The logging rule runs on each ``gcp.compute.network`` and looks up the project's DNS server policies through
the ``gcp.dns.project`` summary: an unreadable list gives ERROR; a project without the Cloud DNS API has no
policy, so its networks log no queries.
"""

from __future__ import annotations

from collectors.records import ResourceRecord
from posture.rules.packs.gcp.helpers import resource_path, same_project
from posture.rules.registry import rule
from posture.rules.verdicts import Verdict, check, errored, observed, unreadable

ZONE = "gcp.dns.managed_zone"
NETWORK = "gcp.compute.network"
WEAK_ALGORITHM = "rsasha1"


def is_public(zone: ResourceRecord) -> bool:
    return str(zone.config.get("visibility") or "public").lower() == "public"


@rule(
    id="gcp.dns.zone_dnssec_enabled",
    title="DNSSEC is on for public Cloud DNS zones",
    severity="medium",
    category="network",
    resource_type=ZONE,
    rationale="Without DNSSEC, resolvers cannot tell a zone's real answers from forged ones (cache poisoning, "
    "man-in-the-middle).",
    remediation="Turn DNSSEC on for the zone (gcloud dns managed-zones update ZONE --dnssec-state on) and publish "
    "its DS record at the registrar.",
)
def zone_dnssec(resource: ResourceRecord, ctx) -> Verdict | None:
    if not is_public(resource):
        return None  # DNSSEC applies to public zones only
    state = (
        resource.config.get("dnssecConfig", {}).get("state")
        if isinstance(resource.config.get("dnssecConfig"), dict)
        else None
    )
    return check(
        str(state or "").lower() == "on",
        "DNSSEC is on",
        f"DNSSEC is {state or 'off'}",
        observed(resource.config, "dnssecConfig.state"),
    )


def _weak_keys(resource: ResourceRecord, key_type: str) -> Verdict | None:
    config = resource.config.get("dnssecConfig")
    if not is_public(resource) or not isinstance(config, dict) or str(config.get("state", "")).lower() == "off":
        return None  # no signing keys to judge
    specs = [s for s in config.get("defaultKeySpecs") or [] if isinstance(s, dict) and s.get("keyType") == key_type]
    weak = [s for s in specs if str(s.get("algorithm", "")).lower() == WEAK_ALGORITHM]
    return check(
        not weak,
        f"no {key_type} key uses RSASHA1",
        f"a {key_type} key uses RSASHA1",
        (f"dnssecConfig.defaultKeySpecs[keyType={key_type}].algorithm", [s.get("algorithm") for s in specs]),
    )


@rule(
    id="gcp.dns.zone_key_signing_not_rsasha1",
    title="DNSSEC key-signing keys of Cloud DNS zones do not use RSASHA1",
    severity="medium",
    category="encryption",
    resource_type=ZONE,
    rationale="SHA-1 is broken for signatures: an attacker can forge records signed with an RSASHA1 key.",
    remediation="Turn DNSSEC off, set the key-signing key algorithm to RSASHA256, RSASHA512 or ECDSA, and turn "
    "DNSSEC on again.",
)
def key_signing(resource: ResourceRecord, ctx) -> Verdict | None:
    return _weak_keys(resource, "keySigning")


@rule(
    id="gcp.dns.zone_zone_signing_not_rsasha1",
    title="DNSSEC zone-signing keys of Cloud DNS zones do not use RSASHA1",
    severity="medium",
    category="encryption",
    resource_type=ZONE,
    rationale="SHA-1 is broken for signatures: an attacker can forge records signed with an RSASHA1 key.",
    remediation="Turn DNSSEC off, set the zone-signing key algorithm to RSASHA256, RSASHA512 or ECDSA, and turn "
    "DNSSEC on again.",
)
def zone_signing(resource: ResourceRecord, ctx) -> Verdict | None:
    return _weak_keys(resource, "zoneSigning")


@rule(
    id="gcp.dns.network_query_logging",
    title="Cloud DNS logs the queries of every VPC network",
    severity="medium",
    category="logging",
    resource_type=NETWORK,
    rationale="DNS query logs show which names workloads resolve: command-and-control, exfiltration and "
    "compromised hosts show up there first.",
    remediation="Attach a DNS server policy with logging enabled to the network "
    "(gcloud dns policies create|update POLICY --networks NETWORK --enable-logging).",
)
def network_query_logging(resource: ResourceRecord, ctx) -> Verdict:
    summaries = same_project(ctx, "gcp.dns.project", resource)
    if not summaries:
        return errored("the project's Cloud DNS policies were not read", ("dns.project", None))
    summary = summaries[0]
    if summary.config.get("serviceEnabled") is False:
        return check(
            False,
            "",
            "the Cloud DNS API is not enabled: no DNS policy logs this network's queries",
            ("dns.serviceEnabled", False),
        )
    problem = unreadable(summary, "policies", "the project's DNS policies")
    if problem:
        return problem
    mine = (
        resource_path(resource.config.get("selfLink"))
        or f"projects/{summary.config.get('projectId')}/global/networks/{resource.name}"
    )
    attached = [
        p
        for p in same_project(ctx, "gcp.dns.policy", resource)
        if any(
            resource_path(n.get("networkUrl")) == mine for n in p.config.get("networks") or [] if isinstance(n, dict)
        )
    ]
    logging = [p.name for p in attached if p.config.get("enableLogging") is True]
    return check(
        bool(logging),
        f"DNS policy {', '.join(logging)} logs the network's queries",
        "a DNS policy is attached but does not log queries" if attached else "no DNS policy is attached to the network",
        ("dns.policies[networks has this network].name", [p.name for p in attached]),
        ("dns.policies[networks has this network].enableLogging", [p.config.get("enableLogging") for p in attached]),
    )
