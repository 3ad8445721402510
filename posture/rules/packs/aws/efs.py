"""EFS rules: file systems are encrypted."""

from __future__ import annotations

from posture.rules.registry import field_rule

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
    rationale="Encryption at rest protects file data on the underlying storage.",
    remediation="Create an encrypted file system, copy the data across, and delete the unencrypted one.",
)
