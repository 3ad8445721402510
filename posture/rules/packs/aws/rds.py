"""RDS rules: storage encrypted, minor versions upgraded, instances not public."""

from __future__ import annotations

from posture.rules.registry import field_rule

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
    rationale="Encryption at rest protects the database, its backups and snapshots.",
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
    rationale="Minor versions carry security fixes; upgrading automatically keeps instances patched.",
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
    rationale="A publicly accessible instance gets a public DNS name and address reachable from the internet.",
    remediation="aws rds modify-db-instance --db-instance-identifier ID --no-publicly-accessible --apply-immediately",
)
