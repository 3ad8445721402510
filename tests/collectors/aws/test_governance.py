"""The organization, account contact, VPC routing and Macie collectors against moto, and the rules they feed."""

from __future__ import annotations

import pytest

import collectors.aws  # noqa: F401  (registers the collectors)
from collectors.aws import PROVIDER
from collectors.records import Target
from collectors.run import collect, plan
from emulators.aws.estate import ACCOUNT, REGION, build_estate
from posture.rules.evaluate import evaluate
from tests.collectors.aws.conftest import local_client

ORG = f"arn:aws:organizations::{ACCOUNT}:account-settings"
CONTACTS = f"arn:aws:account::{ACCOUNT}:account"
SERVICES = ("organizations", "account", "vpc", "ec2", "rds", "eks", "efs", "iam")


def scan(services: tuple[str, ...] = SERVICES):
    target = Target(provider="aws", name="t", regions=(REGION,))
    session = PROVIDER.connect(target)
    result = collect(PROVIDER, session, [u for u in plan(PROVIDER, session, target) if u.service in services])
    verdicts = {(r.rule_id, r.resource_uid): r for r in evaluate(result.records)}
    return {r.uid: r for r in result.records}, result.errors, verdicts


def test_the_management_account_of_an_organization(mocked: None) -> None:
    uids = build_estate(local_client)
    records, errors, verdicts = scan()
    assert errors == []
    org = records[ORG].config
    assert org["InOrganization"] is True and org["IsManagementAccount"] is True
    assert {u["Name"] for u in org["RootChildren"]["OrganizationalUnits"]} == {"prod", "sandbox"}
    assert [a["Id"] for a in org["RootChildren"]["Accounts"]] == [ACCOUNT]
    guard = next(p for p in org["ServiceControlPolicies"] if p["Name"] == "deny-leave")
    assert guard["AwsManaged"] is False and guard["Targets"][0]["TargetId"] == uids["ou_prod"]
    assert set(org["EnabledServicePrincipals"]) == {"guardduty.amazonaws.com", "securityhub.amazonaws.com"}
    [admin] = org["DelegatedAdministrators"]
    assert admin["Id"] == uids["member"]
    assert admin["DelegatedServices"][0]["ServicePrincipal"] == "guardduty.amazonaws.com"
    # moto lacks IAM's organizations features and the organization's resource policy: noted, not fatal
    assert set(org["_errors"]) == {"IamOrganizationsFeatures", "ResourcePolicy"}

    def status(rule: str, uid: str = ORG) -> str:
        return str(verdicts[(rule, uid)].status)

    assert status("aws.organizations.guardrails_attached") == "FAIL"  # sandbox has no guardrail
    assert "ou-" in verdicts[("aws.organizations.guardrails_attached", ORG)].message
    assert status("aws.organizations.accounts_in_units") == "PASS"
    assert status("aws.organizations.services_delegated") == "FAIL"  # Security Hub is not delegated
    assert status("aws.organizations.management_account_without_workloads") == "FAIL"
    assert status("aws.organizations.root_access_centralized") == "FAIL"  # IAM has no trusted access
    assert status("aws.organizations.policy_management_delegated") == "ERROR"

    contacts = records[CONTACTS].config
    assert contacts["SecurityContact"]["EmailAddress"] == "security@example.com"
    assert "_errors" not in contacts
    assert status("aws.account.security_contact_registered", CONTACTS) == "PASS"
    assert status("aws.account.alternate_contacts_registered", CONTACTS) == "FAIL"
    assert (
        verdicts[("aws.account.alternate_contacts_registered", CONTACTS)].message == "no billing contact is registered"
    )

    table = f"arn:aws:ec2:{REGION}:{ACCOUNT}:route-table/{uids['peered_table']}"
    assert status("aws.vpc.peering_routes_least_access", table) == "FAIL"
    evidence = verdicts[("aws.vpc.peering_routes_least_access", table)].evidence
    assert evidence[0].value["DestinationCidrBlock"] == "0.0.0.0/0"
    apps = f"arn:aws:ec2:{REGION}:{ACCOUNT}:vpc/{uids['apps_vpc']}"
    assert status("aws.vpc.s3_endpoint_for_workloads", apps) == "PASS"
    assert records[f"arn:aws:ec2:{REGION}:{ACCOUNT}:vpc-endpoint/{uids['s3_endpoint']}"].type == "aws.vpc.endpoint"


def test_a_standalone_account_and_a_member_account(mocked: None) -> None:
    local_client("ec2").run_instances(ImageId="ami-12c6146b", MinCount=1, MaxCount=1)
    records, errors, verdicts = scan(("organizations", "account", "vpc", "ec2"))
    assert errors == []
    assert records[ORG].config == {"AccountId": ACCOUNT, "InOrganization": False, "Organization": None,
                                   "IsManagementAccount": False}  # fmt: skip
    assert not [key for key in verdicts if key[0].startswith("aws.organizations.")]  # no organization: no verdict
    assert records[CONTACTS].config["SecurityContact"] is None
    assert str(verdicts[("aws.account.security_contact_registered", CONTACTS)].status) == "FAIL"
    default_vpc = next(r for r in records.values() if r.type == "aws.ec2.vpc" and r.config.get("IsDefault"))
    assert str(verdicts[("aws.vpc.s3_endpoint_for_workloads", default_vpc.uid)].status) == "FAIL"


def test_an_unreadable_security_contact_is_an_error(mocked: None, monkeypatch: pytest.MonkeyPatch) -> None:
    from moto.account.exceptions import UnknownContactType
    from moto.account.models import AccountBackend

    def denied(self: object, *args: object, **kwargs: object) -> None:
        raise UnknownContactType("arn:aws:iam::123456789012:user/scanner", "GetAlternateContact")

    monkeypatch.setattr(AccountBackend, "get_alternate_contact", denied)
    records, _, verdicts = scan(("account",))
    assert "AccessDeniedException" in records[CONTACTS].config["_errors"]["SecurityContact"]
    assert str(verdicts[("aws.account.security_contact_registered", CONTACTS)].status) == "ERROR"


def test_macie_is_judged_where_buckets_are(mocked: None) -> None:
    local_client("s3").create_bucket(Bucket="orders")
    local_client("macie2").disable_macie()  # moto starts with Macie on; AWS accounts start with it off
    records, errors, verdicts = scan(("macie2", "s3"))
    macie = f"arn:aws:macie2:{REGION}:{ACCOUNT}:session"
    assert errors == [] and records[macie].config["Session"] is None  # never enabled: an answer, not a failure
    assert str(verdicts[("aws.macie2.enabled_where_buckets_are", macie)].status) == "FAIL"
    local_client("macie2").enable_macie()
    records, _, verdicts = scan(("macie2", "s3"))
    assert records[macie].config["Session"]["status"] == "ENABLED"
    assert str(verdicts[("aws.macie2.enabled_where_buckets_are", macie)].status) == "PASS"
