"""CIS AWS 3.2-3.3 and 2.21 beyond S3: RDS, EFS, and public principals in KMS and SNS policies."""

from __future__ import annotations

from typing import Any

from collectors.records import ResourceRecord
from posture.rules.packs.aws.s3_rules import public_principal_verdict
from posture.rules.registry import field_rule, rule
from posture.rules.verdicts import Verdict

field_rule(
    id="aws.rds.storage_encrypted",
    title="RDS instance storage is encrypted at rest",
    severity="high",
    category="encryption",
    resource_type="aws.rds.db_instance",
    path="StorageEncrypted",
    expect=True,
    ok="storage is encrypted",
    bad="storage is not encrypted",
    rationale="Encryption at rest protects the database, its backups and snapshots (CIS AWS 3.2.1).",
    remediation="Encryption cannot be turned on in place: snapshot, copy the snapshot with --kms-key-id, and "
    "restore from the encrypted copy.",
)


field_rule(
    id="aws.rds.auto_minor_version_upgrade",
    title="RDS instances have Auto Minor Version Upgrade enabled",
    severity="low",
    category="workload",
    resource_type="aws.rds.db_instance",
    path="AutoMinorVersionUpgrade",
    expect=True,
    ok="auto minor version upgrade is on",
    bad="auto minor version upgrade is off",
    rationale="Minor versions carry security fixes; upgrading automatically keeps instances patched (CIS AWS 3.2.2).",
    remediation="aws rds modify-db-instance --db-instance-identifier ID --auto-minor-version-upgrade "
    "--apply-immediately",
)


field_rule(
    id="aws.rds.not_publicly_accessible",
    title="RDS instances are not publicly accessible",
    severity="critical",
    category="exposure",
    resource_type="aws.rds.db_instance",
    path="PubliclyAccessible",
    expect=lambda value: value is not True,
    ok="the instance is not publicly accessible",
    bad="the instance is publicly accessible",
    rationale="A publicly accessible instance gets a public DNS name and address reachable from the internet "
    "(CIS AWS 3.2.3).",
    remediation="aws rds modify-db-instance --db-instance-identifier ID --no-publicly-accessible --apply-immediately",
)


field_rule(
    id="aws.efs.encrypted",
    title="EFS file systems are encrypted at rest",
    severity="medium",
    category="encryption",
    resource_type="aws.efs.file_system",
    path="Encrypted",
    expect=True,
    ok="the file system is encrypted",
    bad="the file system is not encrypted",
    rationale="Encryption at rest protects file data on the underlying storage (CIS AWS 3.3.1).",
    remediation="Create an encrypted file system, copy the data across, and delete the unencrypted one.",
)


@rule(
    id="aws.kms.key_policy_no_public_principal",
    title='KMS key policy does not allow Principal "*" without conditions',
    severity="high",
    category="exposure",
    resource_type="aws.kms.key",
    rationale='A key policy allowing Principal "*" lets any AWS account use or manage the key (CIS AWS 2.21).',
    remediation="Name the principals in the key policy, or restrict the statement with kms:CallerAccount, "
    "kms:ViaService or aws:PrincipalOrgID.",
)
def kms_no_public(resource: ResourceRecord, ctx: Any) -> Verdict:
    return public_principal_verdict(resource, "Policy", "KeyPolicy")


@rule(
    id="aws.sns.topic_policy_no_public_principal",
    title='SNS topic policy does not allow Principal "*" without conditions',
    severity="medium",
    category="exposure",
    resource_type="aws.sns.topic",
    rationale='A topic policy allowing Principal "*" lets anyone publish to or subscribe to the topic (CIS AWS 2.21).',
    remediation="Name the principals, or add an aws:SourceAccount / aws:SourceArn / aws:PrincipalOrgID "
    "condition to the statement.",
)
def sns_no_public(resource: ResourceRecord, ctx: Any) -> Verdict:
    return public_principal_verdict(resource, "Attributes.Policy", "Attributes")
