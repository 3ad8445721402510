"""IAM: the account's password policy, summary and credential report; users, groups, roles, policies, certificates.

Users, groups, roles and customer-managed policies come from GetAccountAuthorizationDetails (a few pages for the
whole account). A user's login profile, MFA devices and access keys are read per user only where the credential
report, when it was generated for this scan, does not already say the user has none: an account's users without
credentials cost no call of their own. A report IAM generated hours ago (it reuses one for four hours) answers
nothing of the kind, and every user is read.
"""

from __future__ import annotations

import csv
import datetime as dt
import email.utils
import io
import json
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from collectors.aws.common import Secondary, detail_map, paginate, record, tags_of
from collectors.aws.provider import AwsSession
from collectors.records import ResourceRecord
from collectors.registry import REGISTRY

SUPPORT_POLICY = "arn:aws:iam::aws:policy/AWSSupportAccess"
CLOUDSHELL_POLICY = "arn:aws:iam::aws:policy/AWSCloudShellFullAccess"
ROOT_ROW = "<root_account>"
REPORT_POLLS = 10
REPORT_FRESH_SECONDS = 300  # a report generated this long before IAM's answer still counts as this scan's


def policy_document(raw: Any) -> Any:
    """A policy document as JSON, whether boto3 already decoded it or left it URL-encoded."""
    if isinstance(raw, str):
        try:
            return json.loads(urllib.parse.unquote(raw))
        except ValueError:
            return raw
    return raw


@dataclass
class CredentialReport:
    """The credential report's rows, and whether they are as current as a per-user read made now would be."""

    rows: list[dict[str, str]] = field(default_factory=list)
    fresh: bool = False

    def row(self, user: str) -> dict[str, str] | None:
        return next((r for r in self.rows if r.get("user") == user), None)


def server_time(answer: dict[str, Any]) -> dt.datetime | None:
    """The time the answer was sent (its HTTP Date header), on IAM's clock rather than ours.

    An HTTP date is always UTC; one that parses without a zone ("-0000", or two Date headers joined into one
    by a proxy that added its own) is read as UTC, not compared naive with the report's aware time.
    """
    header = ((answer.get("ResponseMetadata") or {}).get("HTTPHeaders") or {}).get("date")
    try:
        sent = email.utils.parsedate_to_datetime(header) if header else None
    except (TypeError, ValueError):
        return None
    return sent.replace(tzinfo=dt.UTC) if sent is not None and sent.tzinfo is None else sent


def is_fresh(started: bool, answer: dict[str, Any]) -> bool:
    """A report generated for this scan: IAM started generating it when asked (STARTED or INPROGRESS), or it
    was generated no more than REPORT_FRESH_SECONDS before IAM answered. IAM hands out a report for up to four
    hours after generating it: an older one may miss a password, MFA device or key added since."""
    if started:
        return True
    generated, now = answer.get("GeneratedTime"), server_time(answer)
    if not isinstance(generated, dt.datetime) or now is None:
        return False
    if generated.tzinfo is None:
        generated = generated.replace(tzinfo=dt.UTC)
    return abs((now - generated).total_seconds()) <= REPORT_FRESH_SECONDS


def credential_report(iam: Any) -> CredentialReport:
    """The credential report; generation is asynchronous, so poll until it is COMPLETE."""
    started = False
    for attempt in range(REPORT_POLLS):
        if iam.generate_credential_report().get("State") == "COMPLETE":
            break
        started = True
        time.sleep(min(0.2 * (attempt + 1), 2))
    answer = iam.get_credential_report()
    content = answer["Content"]
    text = content.decode() if isinstance(content, bytes) else str(content)
    return CredentialReport(list(csv.DictReader(io.StringIO(text))), is_fresh(started, answer))


def none_in_report(row: dict[str, str] | None) -> set[str]:
    """The per-user reads a fresh report row answers "none" for: no password (GetLoginProfile), no MFA device
    (ListMFADevices), no access key (ListAccessKeys; ``last_rotated`` is N/A only where no key exists)."""
    if row is None:
        return set()
    empty = set()
    if row.get("password_enabled") == "false":
        empty.add("LoginProfile")
    if row.get("mfa_active") == "false":
        empty.add("MFADevices")
    if all(row.get(f"access_key_{n}_last_rotated") == "N/A" for n in (1, 2)):
        empty.add("AccessKeys")
    return empty


def entities_for_policy(iam: Any, policy_arn: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {"PolicyRoles": [], "PolicyUsers": [], "PolicyGroups": []}
    for page in iam.get_paginator("list_entities_for_policy").paginate(PolicyArn=policy_arn):
        found["PolicyRoles"] += [r["RoleName"] for r in page.get("PolicyRoles", [])]
        found["PolicyUsers"] += [u["UserName"] for u in page.get("PolicyUsers", [])]
        found["PolicyGroups"] += [g["GroupName"] for g in page.get("PolicyGroups", [])]
    return found


def account_record(session: AwsSession, iam: Any, report: CredentialReport, errors: Secondary) -> ResourceRecord:
    account = session.account_id()
    config: dict[str, Any] = {"AccountId": account}
    config["SummaryMap"] = iam.get_account_summary()["SummaryMap"]
    policy = errors.call("PasswordPolicy", iam.get_account_password_policy, absent=("NoSuchEntity",), default={})
    config["PasswordPolicy"] = (policy or {}).get("PasswordPolicy")
    config["CredentialReportRoot"] = report.row(ROOT_ROW)
    virtual = errors.call(
        "VirtualMFADevices",
        lambda: list(paginate(iam, "list_virtual_mfa_devices", "VirtualMFADevices", AssignmentStatus="Assigned")),
        default=None,
    )
    if virtual is not None:
        config["RootVirtualMFADevices"] = [
            d["SerialNumber"]
            for d in virtual
            if str(d.get("SerialNumber", "")).endswith(":mfa/root-account-mfa-device")
        ]
    config["SupportPolicyEntities"] = errors.call("SupportPolicyEntities", entities_for_policy, iam, SUPPORT_POLICY)
    config["CloudShellPolicyEntities"] = errors.call(
        "CloudShellPolicyEntities", entities_for_policy, iam, CLOUDSHELL_POLICY
    )
    return record("iam", "iam.account", f"arn:aws:iam::{account}:account-settings", account, errors.attach(config))


def user_record(iam: Any, user: dict[str, Any], report_row: dict[str, str] | None, fresh: bool) -> ResourceRecord:
    """The user with its password, MFA devices and access keys: read per user, except what a fresh credential
    report row already says the user has none of."""
    name = user["UserName"]
    extra = Secondary()
    config = dict(user)
    config["UserPolicyList"] = [
        {**p, "PolicyDocument": policy_document(p.get("PolicyDocument"))} for p in user.get("UserPolicyList", [])
    ]
    known_none = none_in_report(report_row) if fresh else set()
    profile = None
    if "LoginProfile" not in known_none:
        profile = extra.call("LoginProfile", iam.get_login_profile, UserName=name, absent=("NoSuchEntity",))
    config["LoginProfile"] = (profile or {}).get("LoginProfile")
    config["MFADevices"] = (
        []
        if "MFADevices" in known_none
        else extra.call(
            "MFADevices", lambda: list(paginate(iam, "list_mfa_devices", "MFADevices", UserName=name)), default=[]
        )
    )
    keys = (
        []
        if "AccessKeys" in known_none
        else extra.call(
            "AccessKeys",
            lambda: list(paginate(iam, "list_access_keys", "AccessKeyMetadata", UserName=name)),
            default=[],
        )
    )
    for key in keys:
        used = extra.call(
            f"AccessKeyLastUsed.{key['AccessKeyId']}", iam.get_access_key_last_used, AccessKeyId=key["AccessKeyId"]
        )
        key["AccessKeyLastUsed"] = (used or {}).get("AccessKeyLastUsed")
    config["AccessKeys"] = keys
    config["CredentialReport"] = report_row
    return record("iam", "iam.user", user["Arn"], name, extra.attach(config), tags=tags_of(user.get("Tags")))


@REGISTRY.collector(
    "aws",
    "iam",
    regional=False,
    permissions=(
        "iam:GenerateCredentialReport",
        "iam:GetCredentialReport",
        "iam:GetAccountSummary",
        "iam:GetAccountPasswordPolicy",
        "iam:ListVirtualMFADevices",
        "iam:ListEntitiesForPolicy",
        "iam:GetAccountAuthorizationDetails",
        "iam:GetLoginProfile",
        "iam:ListMFADevices",
        "iam:ListAccessKeys",
        "iam:GetAccessKeyLastUsed",
        "iam:ListServerCertificates",
    ),
)
def collect_iam(session: AwsSession, region: str) -> Iterator[ResourceRecord]:
    iam = session.client("iam")
    account_errors = Secondary()
    report = account_errors.call("CredentialReport", credential_report, iam, default=None) or CredentialReport()
    rows = {row.get("user"): row for row in report.rows}
    yield account_record(session, iam, report, account_errors)

    for page in iam.get_paginator("get_account_authorization_details").paginate(
        Filter=["User", "Group", "Role", "LocalManagedPolicy"]
    ):
        users = page.get("UserDetailList", [])
        yield from detail_map(
            lambda user: user_record(iam, user, rows.get(user["UserName"]), report.fresh),
            users,
        )
        for group in page.get("GroupDetailList", []):
            yield record("iam", "iam.group", group["Arn"], group["GroupName"], group)
        for role in page.get("RoleDetailList", []):
            role = {**role, "AssumeRolePolicyDocument": policy_document(role.get("AssumeRolePolicyDocument"))}
            yield record("iam", "iam.role", role["Arn"], role["RoleName"], role, tags=tags_of(role.get("Tags")))
        for policy in page.get("Policies", []):
            default: dict[str, Any] = next(
                (v for v in policy.get("PolicyVersionList", []) if v.get("IsDefaultVersion")), {}
            )
            config = {k: v for k, v in policy.items() if k != "PolicyVersionList"}
            config["DefaultVersion"] = {**default, "Document": policy_document(default.get("Document"))}
            name = policy.get("PolicyName") or policy["Arn"].rsplit("/", 1)[-1]
            config.setdefault("PolicyName", name)
            yield record("iam", "iam.policy", policy["Arn"], name, config)

    for cert in paginate(iam, "list_server_certificates", "ServerCertificateMetadataList"):
        yield record("iam", "iam.server_certificate", cert["Arn"], cert["ServerCertificateName"], cert)
