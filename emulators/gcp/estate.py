"""The demo estate: Google Cloud projects with well-kept and neglected resources, as the APIs return them.

``demo_estate()`` gives two projects under one folder of one organization:
``acme-prod`` (mostly kept to the CIS benchmarks, with a few known gaps) and
``acme-sandbox`` (left as created); ``acme-prod``'s Artifact Registry images and
what Artifact Analysis found in them come from :mod:`emulators.images` (see
:mod:`.estate_images`). Tests and the demo load it into
:class:`emulators.gcp.server.GcpEmulator`; its shape is::

    {"organization": {...}, "folders": [...], "projects": [{"projectId": ..., "clusters": [...], ...}]}
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from emulators.gcp import estate_compute, estate_gke, estate_images, estate_services, estate_sql
from emulators.gcp.estate_logging import alert_policies, log_metrics, sinks

ORGANIZATION = "organizations/9001"
FOLDER = "folders/1001"


def _ts(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def project_iam_policy(project: str, number: str, *, kept: bool) -> dict[str, Any]:
    bindings = [
        {"role": "roles/owner", "members": ["group:platform-admins@acme.example"]},
        {"role": "roles/container.developer", "members": ["group:developers@acme.example"]},
        {
            "role": "roles/compute.serviceAgent",
            "members": [f"serviceAccount:service-{number}@compute-system.iam.gserviceaccount.com"],
        },
        {"role": "roles/editor", "members": [f"serviceAccount:{number}@cloudservices.gserviceaccount.com"]},
        {"role": "roles/logging.logWriter", "members": [f"serviceAccount:gke-nodes@{project}.iam.gserviceaccount.com"]},
    ]
    audit = [
        {
            "service": "allServices",
            "auditLogConfigs": [{"logType": "ADMIN_READ"}, {"logType": "DATA_READ"}, {"logType": "DATA_WRITE"}],
        }
    ]
    if not kept:
        bindings += [
            {"role": "roles/editor", "members": [f"serviceAccount:{number}-compute@developer.gserviceaccount.com"]},
            {"role": "roles/iam.serviceAccountUser", "members": ["user:bob@acme.example"]},
            {"role": "roles/iam.serviceAccountAdmin", "members": ["user:bob@acme.example"]},
            {"role": "roles/cloudkms.admin", "members": ["user:carol@acme.example"]},
            {"role": "roles/cloudkms.cryptoKeyEncrypterDecrypter", "members": ["user:carol@acme.example"]},
        ]
        audit = [
            {
                "service": "allServices",
                "auditLogConfigs": [
                    {"logType": "ADMIN_READ"},
                    {"logType": "DATA_WRITE", "exemptedMembers": ["user:bob@acme.example"]},
                ],
            }
        ]
    return {"version": 1, "etag": "BwYjZ1a2b3c=", "bindings": bindings, "auditConfigs": audit}


def buckets(project: str, number: str, *, kept: bool) -> list[dict[str, Any]]:
    def bucket(
        name: str, *, uniform: bool, pap: str, retention: dict[str, Any] | None = None, location: str = "EU"
    ) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "kind": "storage#bucket",
            "selfLink": f"https://www.googleapis.com/storage/v1/b/{name}",
            "id": name,
            "name": name,
            "projectNumber": number,
            "generation": "1700000000000000",
            "metageneration": "3",
            "location": location,
            "storageClass": "STANDARD",
            "etag": "CAM=",
            "timeCreated": "2023-06-01T09:00:00.000Z",
            "updated": "2024-01-10T09:00:00.000Z",
            "softDeletePolicy": {"retentionDurationSeconds": "604800", "effectiveTime": "2024-03-01T07:00:00.000Z"},
            "iamConfiguration": {
                "bucketPolicyOnly": {"enabled": uniform},
                "uniformBucketLevelAccess": {"enabled": uniform},
                "publicAccessPrevention": pap,
            },
            "locationType": "multi-region",
            "rpo": "DEFAULT",
        }
        if uniform:
            doc["iamConfiguration"]["uniformBucketLevelAccess"]["lockedTime"] = "2023-08-30T09:00:00.000Z"
        else:  # fine-grained access: the bucket's ACL and default object ACL come with projection=full
            team = {"projectNumber": number, "team": "owners"}
            doc["acl"] = [
                {
                    "kind": "storage#bucketAccessControl",
                    "id": f"{name}/project-owners-{number}",
                    "selfLink": f"https://www.googleapis.com/storage/v1/b/{name}/acl/project-owners-{number}",
                    "bucket": name,
                    "entity": f"project-owners-{number}",
                    "role": "OWNER",
                    "etag": "CAM=",
                    "projectTeam": team,
                }
            ]
            doc["defaultObjectAcl"] = [
                {
                    "kind": "storage#objectAccessControl",
                    "entity": f"project-owners-{number}",
                    "role": "OWNER",
                    "etag": "CAM=",
                    "projectTeam": team,
                }
            ]
        if retention:
            doc["retentionPolicy"] = retention
        return doc

    if kept:
        return [
            bucket(
                f"{project}-audit-logs",
                uniform=True,
                pap="enforced",
                retention={
                    "retentionPeriod": "31536000",
                    "effectiveTime": "2023-06-01T09:00:00.000Z",
                    "isLocked": True,
                },
            ),
            bucket(f"{project}-artifacts", uniform=True, pap="enforced"),
            bucket(f"{project}-public-site", uniform=True, pap="inherited"),
        ]
    return [
        bucket(
            f"{project}-logs",
            uniform=False,
            pap="inherited",
            retention={"retentionPeriod": "86400", "effectiveTime": "2020-06-01T09:00:00.000Z"},
        ),
        bucket(f"{project}-share", uniform=False, pap="inherited", location="US"),
    ]


def bucket_policies(project: str, *, kept: bool) -> dict[str, dict[str, Any]]:
    owner = {
        "role": "roles/storage.legacyBucketOwner",
        "members": [f"projectEditor:{project}", f"projectOwner:{project}"],
    }
    reader = {"role": "roles/storage.legacyBucketReader", "members": [f"projectViewer:{project}"]}
    if kept:
        return {
            f"{project}-public-site": {
                "bindings": [owner, reader, {"role": "roles/storage.objectViewer", "members": ["allUsers"]}]
            },
        }
    return {
        f"{project}-share": {
            "bindings": [owner, reader, {"role": "roles/storage.objectViewer", "members": ["allAuthenticatedUsers"]}]
        },
    }


def service_accounts(project: str, number: str, now: datetime, *, kept: bool) -> list[dict[str, Any]]:
    def account(email: str, display: str, keys: list[dict[str, Any]]) -> dict[str, Any]:
        return {
            "name": f"projects/{project}/serviceAccounts/{email}",
            "projectId": project,
            "uniqueId": str(100000000000000000000 + len(email) * 7919),
            "email": email,
            "displayName": display,
            "etag": "MDEwMjE5MjA=",
            "oauth2ClientId": str(100000000000000000000 + len(email) * 7919),
            "_keys": keys,
        }

    def key(email: str, key_id: str, key_type: str, age_days: int) -> dict[str, Any]:
        after = now - timedelta(days=age_days)
        before = after + (timedelta(days=3650) if key_type == "USER_MANAGED" else timedelta(days=14))
        return {
            "name": f"projects/{project}/serviceAccounts/{email}/keys/{key_id}",
            "validAfterTime": _ts(after),
            "validBeforeTime": _ts(before),
            "keyAlgorithm": "KEY_ALG_RSA_2048",
            "keyOrigin": "GOOGLE_PROVIDED",
            "keyType": key_type,
        }

    nodes = f"gke-nodes@{project}.iam.gserviceaccount.com"
    api = f"api@{project}.iam.gserviceaccount.com"
    default = f"{number}-compute@developer.gserviceaccount.com"
    found = [
        account(nodes, "GKE nodes", [key(nodes, "a1" * 20, "SYSTEM_MANAGED", 3)]),
        account(default, "Compute Engine default service account", [key(default, "b2" * 20, "SYSTEM_MANAGED", 5)]),
    ]
    if kept:
        found.append(
            account(
                api, "API backend", [key(api, "c3" * 20, "SYSTEM_MANAGED", 2), key(api, "d4" * 20, "USER_MANAGED", 20)]
            )
        )
    else:
        ci = f"ci-deployer@{project}.iam.gserviceaccount.com"
        found.append(account(ci, "CI deployer", [key(ci, "e5" * 20, "USER_MANAGED", 400)]))
    return found


def crypto_keys(project: str, now: datetime, *, kept: bool) -> list[dict[str, Any]]:
    def crypto_key(location: str, ring: str, name: str, rotation: str | None, **extra: Any) -> dict[str, Any]:
        full = f"projects/{project}/locations/{location}/keyRings/{ring}/cryptoKeys/{name}"
        doc: dict[str, Any] = {
            "name": full,
            "primary": {
                "name": f"{full}/cryptoKeyVersions/1",
                "state": "ENABLED",
                "createTime": "2023-06-01T09:00:00.123456Z",
                "protectionLevel": "SOFTWARE",
                "algorithm": "GOOGLE_SYMMETRIC_ENCRYPTION",
                "generateTime": "2023-06-01T09:00:00.123456Z",
            },
            "purpose": "ENCRYPT_DECRYPT",
            "createTime": "2023-06-01T09:00:00.123456Z",
            "versionTemplate": {"protectionLevel": "SOFTWARE", "algorithm": "GOOGLE_SYMMETRIC_ENCRYPTION"},
            "destroyScheduledDuration": "2592000s",
            **extra,
        }
        if rotation:
            doc["rotationPeriod"] = rotation
            doc["nextRotationTime"] = _ts(now + timedelta(days=30))
        return doc

    if kept:
        return [
            crypto_key("europe-west1", "gke", "gke-secrets", "7776000s"),
            crypto_key("europe-west1", "gke", "gke-boot", "2592000s"),
        ]
    return [crypto_key("us-central1", "app", "app-data", None, labels={"owner": "nobody"})]


def key_policies(project: str, *, kept: bool) -> dict[str, dict[str, Any]]:
    if kept:
        return {}
    name = f"projects/{project}/locations/us-central1/keyRings/app/cryptoKeys/app-data"
    return {
        name: {
            "version": 1,
            "etag": "BwYjZ1a2b3c=",
            "bindings": [{"role": "roles/cloudkms.cryptoKeyDecrypter", "members": ["allAuthenticatedUsers"]}],
        }
    }


def build_project(project: str, number: str, now: datetime, *, kept: bool) -> dict[str, Any]:
    services = [
        "compute.googleapis.com",
        "container.googleapis.com",
        "logging.googleapis.com",
        "monitoring.googleapis.com",
        "storage.googleapis.com",
        "iam.googleapis.com",
        "cloudkms.googleapis.com",
    ]
    if kept:
        services += ["cloudasset.googleapis.com", "containerscanning.googleapis.com", "artifactregistry.googleapis.com"]
    occurrences, docker_images = estate_images.image_results(project, now) if kept else ([], {})
    networks = estate_compute.networks(project, with_default=not kept)
    if not kept:
        networks.append(estate_compute.legacy_network(project))
    services += estate_services.APIS[kept]
    return {
        **estate_services.project_services(project, number, now, kept=kept),
        "projectId": project,
        "projectNumber": number,
        "displayName": project.replace("-", " ").title(),
        "parent": FOLDER,
        "state": "ACTIVE",
        "createTime": "2019-11-05T10:10:00.000Z",
        "labels": {"env": "prod" if kept else "sandbox"},
        "iamPolicy": project_iam_policy(project, number, kept=kept),
        "enabledServices": services,
        "computeProject": estate_compute.compute_project(project, number, oslogin=kept),
        "clusters": [
            estate_gke.with_kubelet_config(
                estate_gke.hardened_cluster(project, number) if kept else estate_gke.neglected_cluster(project, number),
                kept=kept,
            )
        ],
        "networks": networks,
        "subnetworks": estate_compute.subnetworks(project),
        "firewalls": estate_compute.firewalls(project),
        "instances": estate_compute.instances(project, number) if kept else [],
        "buckets": buckets(project, number, kept=kept),
        "bucketPolicies": bucket_policies(project, kept=kept),
        "sinks": sinks(project, kept=kept),
        "metrics": log_metrics(project, kept=kept),
        "alertPolicies": alert_policies(project, kept=kept),
        "serviceAccounts": service_accounts(project, number, now, kept=kept),
        "kmsLocations": ["europe-west1", "us-central1", "global"],
        "cryptoKeys": crypto_keys(project, now, kept=kept),
        "cryptoKeyPolicies": key_policies(project, kept=kept),
        "occurrences": occurrences,
        "dockerImages": docker_images,
        "sqlInstances": estate_sql.sql_instances(project, number, kept=kept),
    }


def demo_estate(now: datetime | None = None) -> dict[str, Any]:
    """Two projects (``acme-prod`` mostly kept, ``acme-sandbox`` neglected) under one folder."""
    now = now or datetime.now(UTC)
    return {
        **estate_services.organization_services(),
        "organization": {"name": ORGANIZATION, "displayName": "acme.example", "state": "ACTIVE"},
        "folders": [{"name": FOLDER, "parent": ORGANIZATION, "displayName": "Production", "state": "ACTIVE"}],
        "projects": [
            build_project("acme-prod", "412345678901", now, kept=True),
            build_project("acme-sandbox", "498765432109", now, kept=False),
        ],
    }
