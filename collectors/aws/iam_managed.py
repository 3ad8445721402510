"""The AWS-managed IAM policies attached to someone in the account, with their default version's document.

``get_account_authorization_details`` is asked for customer-managed policies only (``iam.policy``, what the
CIS rules read); a role's attached AWS-managed policy (``AdministratorAccess``, ``AmazonS3FullAccess``) is
known by ARN alone. These records (``aws.iam.aws_managed_policy``, uid: the policy ARN) give the exposure
graph what such a role may do. Rules do not read them: AWS writes these policies, not the account.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from collectors.aws.common import Secondary, detail_map, paginate, record
from collectors.aws.iam import policy_document
from collectors.aws.provider import AwsSession
from collectors.records import ResourceRecord
from collectors.registry import REGISTRY


def managed_policy_record(iam: Any, policy: dict[str, Any]) -> ResourceRecord:
    extra = Secondary()
    version = extra.call(
        "DefaultVersion", iam.get_policy_version, PolicyArn=policy["Arn"], VersionId=policy.get("DefaultVersionId")
    )
    document = ((version or {}).get("PolicyVersion") or {}).get("Document")
    config = {**policy, "DefaultVersion": {"VersionId": policy.get("DefaultVersionId"), "Document": None}}
    config["DefaultVersion"]["Document"] = policy_document(document)
    return record("iam", "iam.aws_managed_policy", policy["Arn"], policy["PolicyName"], extra.attach(config))


@REGISTRY.collector("aws", "iam_aws_managed", regional=False, permissions=("iam:ListPolicies", "iam:GetPolicyVersion"))
def collect_aws_managed_policies(session: AwsSession, region: str) -> Iterator[ResourceRecord]:
    iam = session.client("iam")
    attached = list(paginate(iam, "list_policies", "Policies", Scope="AWS", OnlyAttached=True))
    yield from detail_map(lambda p: managed_policy_record(iam, p), attached)
