"""Identities in ``acme-prod`` that the demo's GKE ``payments`` workloads are bound to (Workload Identity), for
the exposure paths (:mod:`emulators.kubernetes.paths_scenario` holds the cluster side).

- ``report-builder`` holds ``roles/storage.admin`` on the ``acme-prod-reports`` bucket (kept like the artifacts
  bucket, and added here): the real path.
- ``catalog-reader`` holds ``roles/viewer`` on the project: it reaches no data (a decoy's broken hop).

The estate lines up one more path by itself, from the network side: in the neglected ``acme-sandbox``,
``default-allow-ssh`` (tcp 22 from 0.0.0.0/0) -> the public nodes of GKE ``legacy-web`` (pool-1, GCE metadata
exposed) -> the default compute account with cloud-platform scope -> ``roles/editor`` on the project. Its
look-alikes in the kept ``acme-prod`` break one hop each: ``legacy-vm`` (public, tagged web, reached by
``prod-allow-https``) runs as a default account holding no role, ``api-1`` has no external address, the
``prod`` cluster's nodes are private, ``prod-allow-iap-ssh`` admits Google's IAP range only.
"""

from __future__ import annotations

import json
from typing import Any

PROJECT = "acme-prod"
REPORT_BUILDER = f"report-builder@{PROJECT}.iam.gserviceaccount.com"
CATALOG_READER = f"catalog-reader@{PROJECT}.iam.gserviceaccount.com"
DATA_BUCKET = f"{PROJECT}-reports"


def _account(email: str, display: str) -> dict[str, Any]:
    return {
        "name": f"projects/{PROJECT}/serviceAccounts/{email}",
        "projectId": PROJECT,
        "uniqueId": str(100000000000000000000 + len(email) * 7907),
        "email": email,
        "displayName": display,
        "etag": "MDEwMjE5MjA=",
        "oauth2ClientId": str(100000000000000000000 + len(email) * 7907),
        "_keys": [],
    }


def _renamed(bucket: dict[str, Any]) -> dict[str, Any]:
    """A copy of a bucket's document under the reports bucket's name."""
    text = json.dumps(bucket).replace(bucket["name"], DATA_BUCKET)
    return json.loads(text)


def add_workload_identities(estate: dict[str, Any]) -> None:
    """The two service accounts, the reports bucket with its binding, and the project binding, in ``acme-prod``."""
    project = next(p for p in estate["projects"] if p["projectId"] == PROJECT)
    project["buckets"].append(_renamed(next(b for b in project["buckets"] if b["name"] == f"{PROJECT}-artifacts")))
    project["serviceAccounts"] += [
        _account(REPORT_BUILDER, "Nightly reports (GKE payments)"),
        _account(CATALOG_READER, "Catalog (GKE payments)"),
    ]
    policy = project["bucketPolicies"].setdefault(DATA_BUCKET, {"bindings": []})
    policy["bindings"].append({"role": "roles/storage.admin", "members": [f"serviceAccount:{REPORT_BUILDER}"]})
    project["iamPolicy"]["bindings"].append({"role": "roles/viewer", "members": [f"serviceAccount:{CATALOG_READER}"]})
