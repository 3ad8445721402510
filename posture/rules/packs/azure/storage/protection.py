"""Storage data protection: soft delete, versioning, redundancy, key age, locks, logs."""

from __future__ import annotations

import datetime as dt
from typing import Any

from collectors.records import ResourceRecord
from posture.rules.context import RuleContext
from posture.rules.packs.azure.helpers import enabled_categories, has_destination
from posture.rules.packs.azure.storage.account import ACCOUNT, DOCS
from posture.rules.registry import field_rule, rule
from posture.rules.thresholds import storage_key_max_age_days
from posture.rules.verdicts import Verdict, check, errored, manual, observed, unreadable


def _service_setting(resource: ResourceRecord, service: str, path: str, what: str, ok: str, bad: str) -> Verdict | None:
    """PASS when ``_{service}.properties.{path}`` is on (``enabled`` true, or true itself); ERROR when unread."""
    problem = unreadable(resource, service, f"the {what} settings")
    if problem:
        return problem
    evidence = observed(resource.config, f"_{service}.properties.{path}")
    value = evidence.value
    on = value.get("enabled") is True if isinstance(value, dict) else value is True
    days = value.get("days") if isinstance(value, dict) else None
    return check(on, ok + (f" ({days} days)" if days else ""), bad, evidence)


def _kind(resource: ResourceRecord) -> str:
    return str(resource.config.get("kind") or "").lower()


@rule(
    id="azure.storage.file_share_soft_delete",
    title="Storage account keeps deleted file shares (soft delete)",
    severity="medium",
    category="encryption",
    resource_type=ACCOUNT,
    rationale="Without soft delete a deleted file share, by mistake or by an attacker, is gone at once.",
    remediation="az storage account file-service-properties update -g RG --account-name ACCOUNT "
    "--enable-delete-retention true --delete-retention-days 7",
    references=(DOCS + "files/storage-files-enable-soft-delete",),
)
def file_share_soft_delete(resource: ResourceRecord, ctx: RuleContext) -> Verdict | None:
    if _kind(resource) in ("blockblobstorage", "blobstorage"):  # blob-only accounts have no file service
        return None
    return _service_setting(
        resource,
        "fileServices",
        "shareDeleteRetentionPolicy",
        "file service",
        "deleted file shares are kept",
        "deleted file shares are not kept (share soft delete is off)",
    )


def _blob_rule(rule_id: str, title: str, path: str, ok: str, bad: str, remediation: str, doc: str) -> None:
    @rule(
        id=rule_id,
        title=title,
        severity="medium",
        category="encryption",
        resource_type=ACCOUNT,
        rationale="Deleted or overwritten data, by mistake, ransomware or an attacker, can be recovered only "
        "if the account keeps it for a while.",
        remediation=remediation,
        references=(DOCS + doc,),
    )
    def judge(resource: ResourceRecord, ctx: RuleContext) -> Verdict | None:
        if _kind(resource) == "filestorage":  # premium file share accounts have no blob service
            return None
        if path == "isVersioningEnabled" and (resource.config.get("properties") or {}).get("isHnsEnabled") is True:
            return None  # Data Lake Storage (hierarchical namespace) accounts do not support versioning
        return _service_setting(resource, "blobServices", path, "blob service", ok, bad)

    judge.__name__ = rule_id.rsplit(".", 1)[1]


_blob_rule(
    "azure.storage.blob_soft_delete",
    "Storage account keeps deleted blobs (soft delete)",
    "deleteRetentionPolicy",
    "deleted blobs are kept",
    "deleted blobs are not kept (blob soft delete is off)",
    "az storage account blob-service-properties update -g RG --account-name ACCOUNT "
    "--enable-delete-retention true --delete-retention-days 7",
    "blobs/soft-delete-blob-enable",
)
_blob_rule(
    "azure.storage.container_soft_delete",
    "Storage account keeps deleted containers (soft delete)",
    "containerDeleteRetentionPolicy",
    "deleted containers are kept",
    "deleted containers are not kept (container soft delete is off)",
    "az storage account blob-service-properties update -g RG --account-name ACCOUNT "
    "--enable-container-delete-retention true --container-delete-retention-days 7",
    "blobs/soft-delete-container-enable",
)
_blob_rule(
    "azure.storage.blob_versioning",
    "Storage account keeps previous versions of blobs",
    "isVersioningEnabled",
    "blob versioning is on",
    "blob versioning is off: an overwritten blob is lost",
    "az storage account blob-service-properties update -g RG --account-name ACCOUNT --enable-versioning true",
    "blobs/versioning-enable",
)

GEO_REDUNDANT = {"standard_grs", "standard_ragrs", "standard_gzrs", "standard_ragzrs"}


field_rule(
    id="azure.storage.geo_redundant",
    title="Storage account replicates to a second region (geo-redundant)",
    severity="low",
    category="encryption",
    resource_type=ACCOUNT,
    path="sku.name",
    expect=lambda v: str(v or "").lower() in GEO_REDUNDANT,
    ok="the account is geo-redundant ({value})",
    bad=lambda v: (
        f"the account is not geo-redundant ({v or 'no SKU'})"
        + (": premium SKUs have no geo-redundant option" if str(v or "").lower().startswith("premium") else "")
    ),
    rationale="Locally or zone-redundant data is lost with its region; geo-redundant storage keeps a copy in the "
    "paired region.",
    remediation="az storage account update -g RG -n ACCOUNT --sku Standard_GZRS (or Standard_GRS); premium "
    "accounts cannot be geo-redundant: replicate their data another way",
    references=(DOCS + "common/storage-redundancy",),
)


def _age_days(value: Any) -> float | None:
    """Days since an ISO 8601 time (``2024-03-01T09:00:00.0000000Z``: seven decimals, as ARM writes them)."""
    if not isinstance(value, str) or not value[:4].isdigit():
        return None
    text = value.replace("Z", "+00:00")
    head, dot, tail = text.partition(".")
    if dot:  # Python reads up to six decimals of a second
        digits = "".join(c for c in tail if c.isdigit())
        text = f"{head}.{digits[:6]}{tail[len(digits) :]}"
    try:
        when = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    when = when if when.tzinfo else when.replace(tzinfo=dt.UTC)
    return (dt.datetime.now(dt.UTC) - when).total_seconds() / 86400


@rule(
    id="azure.storage.keys_regenerated",
    title="Storage account keys were regenerated recently",
    severity="medium",
    category="identity",
    resource_type=ACCOUNT,
    rationale="An account key grants full access to the account's data; a leaked key stays valid until the key "
    "is regenerated. The window is 90 days (POSTURE_AZURE_STORAGE_KEY_MAX_AGE_DAYS).",
    remediation="az storage account keys renew -g RG -n ACCOUNT --key key1 (then key2, after moving clients "
    "over); better, disallow shared key access and use Entra ID",
    references=(DOCS + "common/storage-account-keys-manage#manually-rotate-access-keys",),
)
def keys_regenerated(resource: ResourceRecord, ctx: RuleContext) -> Verdict:
    shared = observed(resource.config, "properties.allowSharedKeyAccess")
    created = observed(resource.config, "properties.keyCreationTime")
    if shared.value is False:
        return check(True, "shared key access is disallowed: the keys authorize nothing", "", shared, created)
    limit = storage_key_max_age_days()
    stale = []
    for key in ("key1", "key2"):
        age = _age_days((created.value or {}).get(key) if isinstance(created.value, dict) else None)
        if age is None:
            stale.append(f"{key} (creation time unknown: not regenerated since Azure began recording it)")
        elif age > limit:
            stale.append(f"{key} ({int(age)} days old)")
    return check(
        not stale,
        f"both keys were regenerated within {limit} days",
        f"keys older than {limit} days: {', '.join(stale)}",
        created,
        shared,
    )


LOCKS = "azure.authorization.locks"


def applying_locks(resource: ResourceRecord, ctx: RuleContext) -> tuple[list[dict[str, Any]], Verdict | None]:
    """The management locks on the resource, its resource group or its subscription; or an ERROR verdict."""
    target = resource.uid.lower().rstrip("/")
    parts = target.split("/")
    subscription = parts[2] if len(parts) > 2 else ""
    records = [r for r in ctx.resources(LOCKS) if str(r.config.get("subscriptionId", "")).lower() == subscription]
    if not records:
        return [], errored("the subscription's management locks were not read", ("locks", None))
    problem = unreadable(records[0], "locks", "the subscription's management locks")
    if problem:
        return [], problem
    found = []
    for lock in records[0].config.get("locks") or []:
        scope = str(lock.get("id", "")).lower().rsplit("/providers/microsoft.authorization/locks/", 1)[0]
        if scope and (target == scope or target.startswith(scope + "/")):
            level = (lock.get("properties") or {}).get("level")
            found.append({"id": lock.get("id"), "level": level})
    return found, None


@rule(
    id="azure.storage.delete_lock",
    title="Storage account is protected from deletion by a resource lock",
    severity="low",
    category="encryption",
    resource_type=ACCOUNT,
    rationale="Deleting a storage account deletes all its data at once; a delete lock makes that a deliberate, "
    "two-step act.",
    remediation="az lock create --name do-not-delete --lock-type CanNotDelete -g RG --resource ACCOUNT "
    "--resource-type Microsoft.Storage/storageAccounts",
    references=("https://learn.microsoft.com/azure/azure-resource-manager/management/lock-resources",),
)
def delete_lock(resource: ResourceRecord, ctx: RuleContext) -> Verdict:
    locks, problem = applying_locks(resource, ctx)
    if problem:
        return problem
    # a ReadOnly lock forbids deletion too
    blocking = [lock for lock in locks if str(lock["level"]).lower() in ("cannotdelete", "readonly")]
    return check(
        bool(blocking),
        f"locked against deletion by {', '.join(str(lock['id']).rsplit('/', 1)[-1] for lock in blocking)}",
        "no CanNotDelete or ReadOnly lock applies to the account (on it, its resource group or subscription)",
        ("locks", locks),
    )


@rule(
    id="azure.storage.read_only_lock",
    title="Storage account carries a read-only resource lock, or locks were considered for it",
    severity="info",
    category="encryption",
    resource_type=ACCOUNT,
    rationale="A ReadOnly lock stops any change to the account's configuration; it also blocks listing keys and "
    "some data-plane tools, so whether to apply it is a judgement, not a default.",
    remediation="Consider az lock create --name read-only --lock-type ReadOnly -g RG --resource ACCOUNT "
    "--resource-type Microsoft.Storage/storageAccounts; attest the decision where it is not applied.",
    references=(
        "https://learn.microsoft.com/azure/azure-resource-manager/management/lock-resources#considerations-before-applying-your-locks",
    ),
)
def read_only_lock(resource: ResourceRecord, ctx: RuleContext) -> Verdict:
    locks, problem = applying_locks(resource, ctx)
    if problem:
        return problem
    read_only = [lock for lock in locks if str(lock["level"]).lower() == "readonly"]
    if read_only:
        return check(True, "a ReadOnly lock applies to the account", "", ("locks", locks))
    if locks:  # locked against deletion: whether read-only too is a decision to attest
        return manual(
            "a delete lock but no ReadOnly lock applies: decide whether the account needs one", ("locks", locks)
        )
    return check(False, "", "no lock of any kind applies to the account: locks were not considered", ("locks", locks))


@rule(
    id="azure.storage.blob_logs_exported",
    title="Storage account's blob service sends its resource logs somewhere",
    severity="medium",
    category="logging",
    resource_type=ACCOUNT,
    rationale="Blob resource logs record who wrote and deleted what, and when; without a diagnostic setting they "
    "are not kept at all.",
    remediation="Add a diagnostic setting on the account's blob service (…/blobServices/default) sending allLogs, "
    "or StorageRead, StorageWrite and StorageDelete, to a Log Analytics workspace or a storage account.",
    references=(DOCS + "blobs/monitor-blob-storage",),
)
def blob_logs_exported(resource: ResourceRecord, ctx: RuleContext) -> Verdict | None:
    if _kind(resource) == "filestorage":
        return None
    problem = unreadable(resource, "blobDiagnosticSettings", "the blob service's diagnostic settings")
    if problem:
        return problem
    settings = [s for s in resource.config.get("_blobDiagnosticSettings") or [] if has_destination(s)]
    sent: set[str] = set()
    for setting in settings:
        sent |= enabled_categories(setting)
    # the audit group holds the changes (writes and deletes); allLogs everything
    covered = bool(sent & {"alllogs", "audit"}) or {"storagewrite", "storagedelete"} <= sent
    return check(
        covered,
        f"blob logs go to {', '.join(str(s.get('name')) for s in settings)}",
        "no diagnostic setting sends the blob service's write and delete logs anywhere",
        ("_blobDiagnosticSettings.categories", sorted(sent)),
    )
