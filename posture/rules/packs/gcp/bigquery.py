"""BigQuery rules: datasets are not public, and datasets and tables are encrypted with customer-managed keys."""

from __future__ import annotations

from typing import Any

from collectors.records import ResourceRecord
from posture.rules.packs.gcp.helpers import PUBLIC_MEMBERS
from posture.rules.registry import rule
from posture.rules.verdicts import Verdict, check, observed, unreadable

DATASET = "gcp.bigquery.dataset"
TABLE = "gcp.bigquery.table"
NO_STORAGE = ("VIEW",)  # a logical view holds no data of its own (a materialized view does)


def public_entries(access: Any) -> list[dict[str, Any]]:
    """Access entries granting everyone (``allUsers``) or every Google account (``allAuthenticatedUsers``)."""
    return [
        entry
        for entry in access or []
        if isinstance(entry, dict)
        and (entry.get("specialGroup") in PUBLIC_MEMBERS or entry.get("iamMember") in PUBLIC_MEMBERS)
    ]


@rule(
    id="gcp.bigquery.dataset_not_public",
    title="BigQuery datasets are not open to all users or all authenticated users",
    severity="high",
    category="exposure",
    resource_type=DATASET,
    rationale="allUsers is anyone on the internet and allAuthenticatedUsers any Google account: either can read "
    "(or change) the dataset's tables.",
    remediation="Remove the allUsers and allAuthenticatedUsers entries from the dataset's access list.",
)
def dataset_not_public(resource: ResourceRecord, ctx) -> Verdict:
    found = public_entries(resource.config.get("access"))
    return unreadable(resource, "dataset", "the dataset's access list") or check(
        not found,
        "no access entry grants the public",
        "the dataset grants access to the public",
        ("access[allUsers|allAuthenticatedUsers]", found),
    )


@rule(
    id="gcp.bigquery.dataset_default_cmek",
    title="BigQuery datasets have a default customer-managed encryption key",
    severity="low",
    category="encryption",
    resource_type=DATASET,
    rationale="With a default Cloud KMS key every new table is encrypted with a key the organization controls, "
    "rotates and can revoke.",
    remediation="Set the dataset's default encryption key (bq update --default_kms_key KEY DATASET).",
)
def dataset_default_cmek(resource: ResourceRecord, ctx) -> Verdict:
    key = (resource.config.get("defaultEncryptionConfiguration") or {}).get("kmsKeyName")
    return unreadable(resource, "dataset", "the dataset's default encryption") or check(
        bool(key),
        f"new tables are encrypted with {key}",
        "the dataset has no default customer-managed key: new tables get Google-managed keys",
        observed(resource.config, "defaultEncryptionConfiguration.kmsKeyName"),
    )


@rule(
    id="gcp.bigquery.table_cmek",
    title="BigQuery tables are encrypted with a customer-managed key",
    severity="low",
    category="encryption",
    resource_type=TABLE,
    rationale="A customer-managed Cloud KMS key lets the organization control, rotate and revoke access to the data.",
    remediation="Copy the table into one encrypted with a Cloud KMS key (bq cp --destination_kms_key KEY), or "
    "set the key on the table (bq update --destination_kms_key KEY TABLE).",
)
def table_cmek(resource: ResourceRecord, ctx) -> Verdict | None:
    if str(resource.config.get("type") or "") in NO_STORAGE:
        return None
    key = (resource.config.get("encryptionConfiguration") or {}).get("kmsKeyName")
    return unreadable(resource, "table", "the table's encryption") or check(
        bool(key),
        f"the table is encrypted with {key}",
        "the table is encrypted with a Google-managed key",
        observed(resource.config, "encryptionConfiguration.kmsKeyName"),
    )
