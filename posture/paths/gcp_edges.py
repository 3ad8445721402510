"""What a Google Cloud service account may do, from the stored IAM policies: the project's (owner, editor, IAM
admin: the project is theirs; storage roles: every bucket of it; secret and key roles: every key of it) and each
bucket's own. Conditional bindings count (the path is a risk to look at)."""

from __future__ import annotations

from typing import Any

from collectors.gcp.common import PROJECT_KEY
from posture.paths.items import Graph, Item, target_node

SERVICE_ACCOUNT = "gcp.iam.service_account"
PROJECT = "gcp.resourcemanager.project"
BUCKET = "gcp.storage.bucket"
KMS_KEY = "gcp.kms.crypto_key"
ADMIN_ROLES = frozenset(
    {"roles/owner", "roles/editor", "roles/iam.securityAdmin", "roles/resourcemanager.projectIamAdmin"}
)
STORAGE_ROLES = frozenset(
    {
        "roles/storage.admin",
        "roles/storage.objectAdmin",
        "roles/storage.objectViewer",
        "roles/storage.objectCreator",
        "roles/storage.objectUser",
        "roles/storage.legacyBucketOwner",
        "roles/storage.legacyObjectReader",
    }
)
KEY_ROLES = frozenset({"roles/cloudkms.cryptoKeyDecrypter", "roles/cloudkms.cryptoKeyEncrypterDecrypter"})


def roles_of(policy: Any, member: str) -> set[str]:
    """The roles an IAM policy binds ``member`` to."""
    bindings = policy.get("bindings") if isinstance(policy, dict) else None
    return {
        str(b.get("role"))
        for b in bindings or []
        if isinstance(b, dict) and member in [str(m) for m in b.get("members") or []]
    }


class GcpIdentities:
    """Service accounts by email, and the projects, buckets and keys their roles reach."""

    def __init__(self, items: list[Item]) -> None:
        self.accounts = {i.name.lower(): i for i in items if i.type == SERVICE_ACCOUNT}
        self.projects = [i for i in items if i.type == PROJECT]
        self.in_project: dict[str, dict[str, list[Item]]] = {}
        for i in items:
            if i.type in (BUCKET, KMS_KEY):
                project = str(i.config.get(PROJECT_KEY) or "")
                self.in_project.setdefault(project, {}).setdefault(i.type, []).append(i)

    def link_targets(self, graph: Graph, account: Item, key: str) -> None:
        member = f"serviceAccount:{account.name}"
        for project in self.projects:
            roles = roles_of(project.config.get("iamPolicy"), member)
            project_id = str(project.config.get(PROJECT_KEY) or project.config.get("projectId") or "")
            contents = self.in_project.get(project_id, {})
            for role in sorted(roles & ADMIN_ROLES):
                target = target_node(graph, project, "admin", f"Project admin: {project_id}")
                graph.link(key, target, "may administer", f"{role} on project {project_id}")
            for role in sorted(roles & STORAGE_ROLES):
                for bucket in contents.get(BUCKET, []):
                    target = target_node(graph, bucket, "data", f"Bucket {bucket.name}")
                    graph.link(key, target, "may read/write", f"{role} on project {project_id}")
            for role in sorted(roles & KEY_ROLES):
                for crypto_key in contents.get(KMS_KEY, []):
                    target = target_node(graph, crypto_key, "secrets", f"KMS key {crypto_key.name}")
                    graph.link(key, target, "may decrypt", f"{role} on project {project_id}")
        for bucket in (b for found in self.in_project.values() for b in found.get(BUCKET, [])):
            roles = roles_of(bucket.config.get("iamPolicy"), member) & STORAGE_ROLES
            if roles:
                target = target_node(graph, bucket, "data", f"Bucket {bucket.name}")
                graph.link(key, target, "may read/write", f"{', '.join(sorted(roles))} on the bucket")
