"""AWS Organizations as the scanned account sees it.

``organizations.account_settings``: whether the account is in an organization and is its management account;
from the management account also the root's children, the service control policies and their targets, the
services with trusted access, the delegated administrators and IAM's centralized root access features.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from collectors.aws.common import Secondary, detail_map, error_code, paginate, parse_policy, record
from collectors.aws.provider import AwsSession
from collectors.records import ResourceRecord
from collectors.registry import REGISTRY

NOT_IN_USE = "AWSOrganizationsNotInUseException"
SCP = "SERVICE_CONTROL_POLICY"
ACCOUNT_FIELDS = ("Id", "Arn", "Name", "Status", "JoinedMethod")


def organization_of(client: Any) -> dict[str, Any] | None:
    """The organization, or None when the account belongs to none (that is an answer, not a failure)."""
    try:
        return dict(client.describe_organization()["Organization"])
    except Exception as exc:
        if error_code(exc) == NOT_IN_USE:
            return None
        raise


def root_children(client: Any, root_id: str) -> dict[str, Any]:
    units = list(paginate(client, "list_organizational_units_for_parent", "OrganizationalUnits", ParentId=root_id))
    accounts = list(paginate(client, "list_accounts_for_parent", "Accounts", ParentId=root_id))
    return {
        "OrganizationalUnits": [{k: u.get(k) for k in ("Id", "Arn", "Name")} for u in units],
        "Accounts": [{k: a.get(k) for k in ACCOUNT_FIELDS} for a in accounts],
    }


def control_policies(client: Any) -> list[dict[str, Any]]:
    found = []
    for policy in paginate(client, "list_policies", "Policies", Filter=SCP):
        targets = paginate(client, "list_targets_for_policy", "Targets", PolicyId=policy["Id"])
        found.append({**policy, "Targets": [{k: t.get(k) for k in ("TargetId", "Type", "Name")} for t in targets]})
    return found


def delegated_administrators(client: Any) -> list[dict[str, Any]]:
    found = []
    for admin in paginate(client, "list_delegated_administrators", "DelegatedAdministrators"):
        services = paginate(client, "list_delegated_services_for_account", "DelegatedServices", AccountId=admin["Id"])
        found.append({**{k: admin.get(k) for k in ACCOUNT_FIELDS}, "DelegatedServices": list(services)})
    return found


def management_view(session: AwsSession, client: Any, extra: Secondary) -> dict[str, Any]:
    """What only the management account (or a delegated administrator) may read: independent reads, so they
    overlap (each is a round trip, and Organizations answers slowly)."""

    def roots_and_children() -> dict[str, Any]:
        roots = extra.call("Roots", lambda: list(paginate(client, "list_roots", "Roots")))
        found: dict[str, Any] = {"Roots": roots}
        if roots:
            found["RootChildren"] = extra.call("RootChildren", root_children, client, roots[0]["Id"])
        return found

    def service_access() -> dict[str, Any]:
        access = extra.call(
            "EnabledServicePrincipals",
            lambda: list(paginate(client, "list_aws_service_access_for_organization", "EnabledServicePrincipals")),
        )
        return {"EnabledServicePrincipals": None if access is None else [a.get("ServicePrincipal") for a in access]}

    def resource_policy() -> dict[str, Any]:
        policy = extra.call(
            "ResourcePolicy", client.describe_resource_policy, absent=("ResourcePolicyNotFoundException",)
        )
        return {"ResourcePolicy": parse_policy(((policy or {}).get("ResourcePolicy") or {}).get("Content"))}

    def iam_features() -> dict[str, Any]:
        features = extra.call(  # IAM without trusted access has no organization features to list: none is enabled
            "IamOrganizationsFeatures",
            session.client("iam").list_organizations_features,
            absent=("ServiceAccessNotEnabledException",),
            default={},
        )
        return {"IamOrganizationsFeatures": None if features is None else features.get("EnabledFeatures", [])}

    reads = [
        roots_and_children,
        lambda: {"ServiceControlPolicies": extra.call("ServiceControlPolicies", control_policies, client)},
        service_access,
        lambda: {"DelegatedAdministrators": extra.call("DelegatedAdministrators", delegated_administrators, client)},
        resource_policy,
        iam_features,
    ]
    view: dict[str, Any] = {}
    for part in detail_map(lambda read: read(), reads):
        view.update(part)
    return view


@REGISTRY.collector(
    "aws",
    "organizations",
    regional=False,
    permissions=(
        "organizations:DescribeOrganization",
        "organizations:ListRoots",
        "organizations:ListOrganizationalUnitsForParent",
        "organizations:ListAccountsForParent",
        "organizations:ListPolicies",
        "organizations:ListTargetsForPolicy",
        "organizations:ListAWSServiceAccessForOrganization",
        "organizations:ListDelegatedAdministrators",
        "organizations:ListDelegatedServicesForAccount",
        "organizations:DescribeResourcePolicy",
        "iam:ListOrganizationsFeatures",
    ),
)
def collect_organization(session: AwsSession, region: str) -> Iterator[ResourceRecord]:
    client = session.client("organizations")
    account = session.account_id()
    org = organization_of(client)
    extra = Secondary()
    config: dict[str, Any] = {"AccountId": account, "InOrganization": org is not None, "Organization": org}
    config["IsManagementAccount"] = org is not None and org.get("MasterAccountId") == account
    if config["IsManagementAccount"]:
        config.update(management_view(session, client, extra))
    uid = f"arn:aws:organizations::{account}:account-settings"
    yield record("organizations", "organizations.account_settings", uid, account, extra.attach(config))
