"""The emulator's answers have the real APIs' shapes: checked against the client libraries' own schemas.

Proto-based clients (container, compute, KMS, Resource Manager) parse every
document with unknown fields refused; the APIs reached as plain REST (IAM,
Logging, Monitoring, Service Usage, Container Analysis, Artifact Registry,
Cloud SQL Admin) and Cloud Storage are checked against the discovery
documents bundled with google-api-python-client.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import googleapiclient
import pytest
from google.cloud import compute_v1, container_v1, kms_v1, resourcemanager_v3

from emulators.gcp import demo_estate
from emulators.gcp.routes import _project_doc

ESTATE = demo_estate()
DISCOVERY = Path(googleapiclient.__file__).parent / "discovery_cache" / "documents"


def parse(message: type, doc: dict[str, Any]) -> None:
    message.from_json(json.dumps(doc), ignore_unknown_fields=False)


@pytest.mark.parametrize("project", ESTATE["projects"], ids=lambda p: p["projectId"])
def test_proto_documents_parse_with_unknown_fields_refused(project: dict[str, Any]) -> None:
    for cluster in project["clusters"]:
        parse(container_v1.Cluster, cluster)
    for network in project["networks"]:
        parse(compute_v1.Network, network)
    for subnet in project["subnetworks"]:
        parse(compute_v1.Subnetwork, subnet)
    for rule in project["firewalls"]:
        parse(compute_v1.Firewall, rule)
    for instance in project["instances"]:
        parse(compute_v1.Instance, instance)
    parse(compute_v1.Project, project["computeProject"])
    for key in project["cryptoKeys"]:
        parse(kms_v1.CryptoKey, key)
    parse(resourcemanager_v3.Project, _project_doc(project))


def unknown_fields(doc: Any, schema: dict[str, Any], schemas: dict[str, Any], where: str = "") -> list[str]:
    if "$ref" in schema:
        schema = schemas[schema["$ref"]]
    if isinstance(doc, list):
        return [p for item in doc for p in unknown_fields(item, schema.get("items", {}), schemas, where + "[]")]
    if not isinstance(doc, dict):
        return []
    properties = schema.get("properties")
    if properties is None:
        extra = schema.get("additionalProperties")
        return [p for v in doc.values() for p in unknown_fields(v, extra, schemas, where + ".*")] if extra else []
    found = []
    for key, value in doc.items():
        if key.startswith("_"):
            continue  # the emulator's own bookkeeping (a service account's keys), never served
        if key not in properties:
            found.append(f"{where}.{key}")
        else:
            found += unknown_fields(value, properties[key], schemas, f"{where}.{key}")
    return found


def check(document: str, schema: str, docs: list[dict[str, Any]]) -> None:
    schemas = json.loads((DISCOVERY / document).read_text())["schemas"]
    problems = [p for doc in docs for p in unknown_fields(doc, schemas[schema], schemas, schema)]
    assert not problems, problems


@pytest.mark.parametrize("project", ESTATE["projects"], ids=lambda p: p["projectId"])
def test_rest_documents_match_the_discovery_schemas(project: dict[str, Any]) -> None:
    check("logging.v2.json", "LogSink", project["sinks"])
    check("logging.v2.json", "LogMetric", project["metrics"])
    check("monitoring.v3.json", "AlertPolicy", project["alertPolicies"])
    check("iam.v1.json", "ServiceAccount", project["serviceAccounts"])
    check("iam.v1.json", "ServiceAccountKey", [k for a in project["serviceAccounts"] for k in a["_keys"]])
    check("storage.v1.json", "Bucket", project["buckets"])
    check("storage.v1.json", "Policy", list(project["bucketPolicies"].values()))
    check("cloudresourcemanager.v3.json", "Policy", [project["iamPolicy"]])
    check("cloudkms.v1.json", "Policy", list(project["cryptoKeyPolicies"].values()))
    check("containeranalysis.v1.json", "Occurrence", project["occurrences"])
    check("artifactregistry.v1.json", "DockerImage", [i for r in project["dockerImages"].values() for i in r])
    check("sqladmin.v1.json", "DatabaseInstance", project["sqlInstances"])
