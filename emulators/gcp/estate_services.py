"""API keys, Essential Contacts, Cloud DNS, BigQuery, Dataproc, Access Approval and load balancing for the demo.

``acme-prod`` keeps them well (a restricted, recent API key; contacts for every category inherited from the
organization; a DNSSEC-signed public zone and a logging DNS policy; CMEK on BigQuery and Dataproc; Access
Approval enrolled; an HTTPS load balancer that logs, behind a MODERN TLS 1.2 policy). ``acme-sandbox`` does
not: an old unrestricted key, an unsigned zone and one signed with RSASHA1, no DNS policy, a dataset open to
every Google account, an HTTP backend that logs nothing, a proxy on Google's default SSL policy and one on a
COMPATIBLE policy; and it never enabled the Essential Contacts and Dataproc APIs.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

COMPUTE = "https://www.googleapis.com/compute/v1/projects"
KMS_KEY = "projects/{project}/locations/{location}/keyRings/data/cryptoKeys/{name}"
APIS = {
    True: [
        "apikeys.googleapis.com",
        "essentialcontacts.googleapis.com",
        "dns.googleapis.com",
        "bigquery.googleapis.com",
        "dataproc.googleapis.com",
        "accessapproval.googleapis.com",
        "cloudfunctions.googleapis.com",
        "appengine.googleapis.com",
        "orgpolicy.googleapis.com",
    ],
    False: [
        "apikeys.googleapis.com",
        "dns.googleapis.com",
        "bigquery.googleapis.com",
        "accessapproval.googleapis.com",
        "cloudfunctions.googleapis.com",
        "appengine.googleapis.com",
        "orgpolicy.googleapis.com",
    ],
}
GUARDRAILS = (
    "iam.disableServiceAccountKeyCreation",
    "storage.uniformBucketLevelAccess",
    "storage.publicAccessPrevention",
    "compute.skipDefaultNetworkCreation",
    "compute.requireOsLogin",
)


def _ts(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _link(project: str, path: str) -> str:
    return f"{COMPUTE}/{project}/{path}"


def api_keys(project: str, number: str, now: datetime, *, kept: bool) -> list[dict[str, Any]]:
    def key(uid: str, display: str, age_days: int, restrictions: dict[str, Any] | None) -> dict[str, Any]:
        created = _ts(now - timedelta(days=age_days))
        body: dict[str, Any] = {
            "name": f"projects/{number}/locations/global/keys/{uid}",
            "uid": uid,
            "displayName": display,
            "createTime": created,
            "updateTime": created,
            "etag": f'W/"{uid[:8]}"',
        }
        if restrictions is not None:
            body["restrictions"] = restrictions
        return body

    if kept:
        return [
            key(
                "8f0c2a4e-1b7d-4c52-9a31-5e2f7b6d0c11",
                "storefront maps",
                20,
                {
                    "browserKeyRestrictions": {"allowedReferrers": ["https://shop.acme.example/*"]},
                    "apiTargets": [{"service": "maps-backend.googleapis.com"}],
                },
            )
        ]
    return [key("2d9b7e31-64a0-4f0e-8c55-0a7e1f3b9d22", "old prototype", 400, None)]


def contacts(*, kept: bool) -> list[dict[str, Any]]:
    if not kept:
        return []
    return [
        {
            "name": "organizations/9001/contacts/101",
            "email": "secops@acme.example",
            "notificationCategorySubscriptions": ["ALL"],
            "languageTag": "en",
            "validationState": "VALID",
            "validateTime": "2024-02-01T10:00:00Z",
        }
    ]


def dns_zones(project: str, *, kept: bool) -> list[dict[str, Any]]:
    def zone(name: str, dns_name: str, zone_id: str, **extra: Any) -> dict[str, Any]:
        return {
            "kind": "dns#managedZone",
            "name": name,
            "dnsName": dns_name,
            "description": "",
            "id": zone_id,
            "nameServers": ["ns-cloud-a1.googledomains.com.", "ns-cloud-a2.googledomains.com."],
            "creationTime": "2023-06-01T09:00:00.000Z",
            **extra,
        }

    def specs(ksk: str, zsk: str) -> list[dict[str, Any]]:
        return [
            {"keyType": "keySigning", "algorithm": ksk, "keyLength": 2048, "kind": "dns#dnsKeySpec"},
            {"keyType": "zoneSigning", "algorithm": zsk, "keyLength": 1024, "kind": "dns#dnsKeySpec"},
        ]

    if kept:
        return [
            zone(
                "acme-example",
                "acme.example.",
                "4410000000000000001",
                visibility="public",
                dnssecConfig={
                    "kind": "dns#managedZoneDnsSecConfig",
                    "state": "on",
                    "nonExistence": "nsec3",
                    "defaultKeySpecs": specs("rsasha256", "rsasha256"),
                },
            ),
            zone(
                "internal",
                "corp.internal.",
                "4410000000000000002",
                visibility="private",
                privateVisibilityConfig={
                    "kind": "dns#managedZonePrivateVisibilityConfig",
                    "networks": [{"kind": "dns#managedZonePrivateVisibilityConfigNetwork",
                                  "networkUrl": _link(project, "global/networks/prod-vpc")}],
                },
            ),
        ]  # fmt: skip
    return [
        zone("sandbox-example", "sandbox.acme.example.", "4410000000000000003", visibility="public",
             dnssecConfig={"kind": "dns#managedZoneDnsSecConfig", "state": "off"}),
        zone("legacy-example", "legacy.acme.example.", "4410000000000000004", visibility="public",
             dnssecConfig={"kind": "dns#managedZoneDnsSecConfig", "state": "on", "nonExistence": "nsec",
                           "defaultKeySpecs": specs("rsasha1", "rsasha1")}),
    ]  # fmt: skip


def dns_policies(project: str, *, kept: bool) -> list[dict[str, Any]]:
    if not kept:
        return []
    return [
        {
            "kind": "dns#policy",
            "id": "5520000000000000001",
            "name": "log-queries",
            "description": "Log every DNS query of the production network",
            "enableLogging": True,
            "enableInboundForwarding": False,
            "networks": [{"kind": "dns#policyNetwork", "networkUrl": _link(project, "global/networks/prod-vpc")}],
        }
    ]


def datasets(project: str, *, kept: bool) -> list[dict[str, Any]]:
    """Datasets as ``datasets.get`` returns them, each with its tables (``_tables``, as ``tables.get`` does)."""

    def dataset(name: str, access: list[dict[str, Any]], key: str | None, tables: list[dict[str, Any]]):
        body: dict[str, Any] = {
            "kind": "bigquery#dataset",
            "etag": "a1b2c3d4e5f6==",
            "id": f"{project}:{name}",
            "selfLink": f"https://bigquery.googleapis.com/bigquery/v2/projects/{project}/datasets/{name}",
            "datasetReference": {"datasetId": name, "projectId": project},
            "access": [
                {"role": "WRITER", "specialGroup": "projectWriters"},
                {"role": "OWNER", "specialGroup": "projectOwners"},
                {"role": "READER", "specialGroup": "projectReaders"},
                *access,
            ],
            "creationTime": "1685610000000",
            "lastModifiedTime": "1685610000000",
            "location": "EU",
            "type": "DEFAULT",
            "_tables": tables,
        }
        if key:
            body["defaultEncryptionConfiguration"] = {"kmsKeyName": key}
        return body

    def table(dataset_id: str, name: str, kind: str, key: str | None) -> dict[str, Any]:
        body: dict[str, Any] = {
            "kind": "bigquery#table",
            "etag": "f6e5d4c3b2a1==",
            "id": f"{project}:{dataset_id}.{name}",
            "selfLink": f"https://bigquery.googleapis.com/bigquery/v2/projects/{project}/datasets/{dataset_id}/tables/{name}",
            "tableReference": {"projectId": project, "datasetId": dataset_id, "tableId": name},
            "type": kind,
            "creationTime": "1685610000000",
            "lastModifiedTime": "1685610000000",
            "location": "EU",
        }
        if kind == "VIEW":
            body["view"] = {"query": f"SELECT * FROM `{project}.{dataset_id}.events`", "useLegacySql": False}
        else:
            body["numBytes"] = "1048576"
            body["numRows"] = "1200"
        if key:
            body["encryptionConfiguration"] = {"kmsKeyName": key}
        return body

    if kept:
        key = KMS_KEY.format(project=project, location="europe", name="bigquery")
        return [
            dataset(
                "analytics",
                [{"role": "READER", "groupByEmail": "analysts@acme.example"}],
                key,
                [table("analytics", "events", "TABLE", key), table("analytics", "daily", "VIEW", None)],
            )
        ]
    return [
        dataset(
            "shared_exports",
            [{"role": "READER", "specialGroup": "allAuthenticatedUsers"}],
            None,
            [table("shared_exports", "customers", "TABLE", None)],
        )
    ]


def dataproc_clusters(project: str, *, kept: bool) -> list[dict[str, Any]]:
    if not kept:
        return []
    return [
        {
            "projectId": project,
            "clusterName": "etl",
            "clusterUuid": "3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f",
            "config": {
                "configBucket": f"dataproc-staging-europe-west1-{project}",
                "gceClusterConfig": {
                    "zoneUri": f"{COMPUTE}/{project}/zones/europe-west1-b",
                    "subnetworkUri": _link(project, "regions/europe-west1/subnetworks/prod-europe-west1"),
                    "internalIpOnly": True,
                },
                "encryptionConfig": {
                    "gcePdKmsKeyName": KMS_KEY.format(project=project, location="europe-west1", name="dataproc")
                },
            },
            "labels": {"team": "data"},
            "status": {"state": "RUNNING", "stateStartTime": "2024-03-01T08:00:00.000Z"},
            "_region": "europe-west1",
        }
    ]


def access_approval(project: str, *, kept: bool) -> dict[str, Any] | None:
    if not kept:
        return None  # never configured: the API answers NOT_FOUND
    return {
        "name": f"projects/{project}/accessApprovalSettings",
        "notificationEmails": ["secops@acme.example"],
        "enrolledServices": [{"cloudProduct": "all", "enrollmentLevel": "BLOCK_ALL"}],
        "enrolledAncestor": False,
    }


def load_balancing(project: str, *, kept: bool) -> dict[str, list[dict[str, Any]]]:
    def policy(name: str, profile: str, minimum: str) -> dict[str, Any]:
        return {
            "kind": "compute#sslPolicy",
            "id": "6630000000000000001" if kept else "6630000000000000002",
            "creationTimestamp": "2023-06-01T09:00:00.000-07:00",
            "name": name,
            "profile": profile,
            "minTlsVersion": minimum,
            "fingerprint": "XhXvWV3hJSk=",
            "selfLink": _link(project, f"global/sslPolicies/{name}"),
        }

    def backend(name: str, protocol: str, log: dict[str, Any] | None) -> dict[str, Any]:
        body: dict[str, Any] = {
            "kind": "compute#backendService",
            "id": "7740000000000000001" if kept else "7740000000000000002",
            "creationTimestamp": "2023-06-01T09:00:00.000-07:00",
            "name": name,
            "selfLink": _link(project, f"global/backendServices/{name}"),
            "protocol": protocol,
            "port": 80,
            "portName": "http",
            "timeoutSec": 30,
            "loadBalancingScheme": "EXTERNAL_MANAGED",
            "healthChecks": [_link(project, "global/healthChecks/web")],
            "fingerprint": "Yv1X7mDf6Ek=",
        }
        if log is not None:
            body["logConfig"] = log
        return body

    def proxy(kind: str, collection: str, name: str, ssl_policy: str | None) -> dict[str, Any]:
        body: dict[str, Any] = {
            "kind": f"compute#{kind}",
            "id": "8850000000000000001",
            "creationTimestamp": "2023-06-01T09:00:00.000-07:00",
            "name": name,
            "selfLink": _link(project, f"global/{collection}/{name}"),
            "sslCertificates": [_link(project, "global/sslCertificates/web")],
        }
        if kind == "targetHttpsProxy":
            body["urlMap"] = _link(project, "global/urlMaps/web")
            body["fingerprint"] = "Zk9q3n1XyQw="
        else:
            body["service"] = _link(project, "global/backendServices/web")
        if ssl_policy:
            body["sslPolicy"] = _link(project, f"global/sslPolicies/{ssl_policy}")
        return body

    if kept:
        return {
            "globalForwardingRules": [
                {
                    "kind": "compute#forwardingRule",
                    "id": "9960000000000000001",
                    "creationTimestamp": "2023-06-01T09:00:00.000-07:00",
                    "name": "googleapis",
                    "IPAddress": "10.255.255.254",
                    "target": "all-apis",
                    "network": _link(project, "global/networks/prod-vpc"),
                    "loadBalancingScheme": "",
                    "pscConnectionStatus": "ACCEPTED",
                    "selfLink": _link(project, "global/forwardingRules/googleapis"),
                }
            ],
            "backendServices": [backend("web", "HTTPS", {"enable": True, "sampleRate": 1})],
            "sslPolicies": [policy("modern-tls12", "MODERN", "TLS_1_2")],
            "targetHttpsProxies": [proxy("targetHttpsProxy", "targetHttpsProxies", "web", "modern-tls12")],
            "targetSslProxies": [],
        }
    return {
        "globalForwardingRules": [],
        "backendServices": [backend("web", "HTTP", None)],
        "sslPolicies": [policy("legacy-clients", "COMPATIBLE", "TLS_1_0")],
        "targetHttpsProxies": [proxy("targetHttpsProxy", "targetHttpsProxies", "web", None)],
        "targetSslProxies": [proxy("targetSslProxy", "targetSslProxies", "mail-tls", "legacy-clients")],
    }


def functions(project: str, *, kept: bool) -> list[dict[str, Any]]:
    name = f"projects/{project}/locations/europe-west1/functions/" + ("resize-images" if kept else "nightly-export")
    env = {"LOG_LEVEL": "info", "BUCKET": f"{project}-uploads"}
    service: dict[str, Any] = {
        "service": f"projects/{project}/locations/europe-west1/services/{name.rsplit('/', 1)[-1]}",
        "timeoutSeconds": 60,
        "availableMemory": "256M",
        "ingressSettings": "ALLOW_INTERNAL_ONLY" if kept else "ALLOW_ALL",
        "serviceAccountEmail": f"functions@{project}.iam.gserviceaccount.com",
        "environmentVariables": env,
    }
    if kept:
        service["secretEnvironmentVariables"] = [
            {"key": "DB_PASSWORD", "projectId": project, "secret": "db-password", "version": "latest"}
        ]
    else:
        env["DB_PASSWORD"] = "Winter2024!"  # a literal secret: the collector must never keep it
    return [
        {
            "name": name,
            "environment": "GEN_2",
            "state": "ACTIVE",
            "updateTime": "2024-03-01T08:00:00.000Z",
            "buildConfig": {"runtime": "python312", "entryPoint": "main"},
            "serviceConfig": service,
            "labels": {"team": "media" if kept else "ops"},
            "url": f"https://europe-west1-{project}.cloudfunctions.net/{name.rsplit('/', 1)[-1]}",
        }
    ]


def app_engine(project: str, *, kept: bool) -> dict[str, Any]:
    level = "SECURE_ALWAYS" if kept else "SECURE_OPTIONAL"
    version = {
        "name": f"apps/{project}/services/default/versions/v3",
        "id": "v3",
        "runtime": "python312",
        "env": "standard",
        "servingStatus": "SERVING",
        "createTime": "2024-02-01T10:00:00Z",
        "handlers": [
            {"urlRegex": "/static/(.*)", "securityLevel": "SECURE_ALWAYS", "login": "LOGIN_OPTIONAL",
             "staticFiles": {"path": "static/\\1", "uploadPathRegex": "static/.*"}},
            {"urlRegex": ".*", "securityLevel": level, "login": "LOGIN_OPTIONAL", "script": {"scriptPath": "auto"}},
        ],
        "envVariables": {"API_TOKEN": "tok-not-for-records"},
        "versionUrl": f"https://v3-dot-{project}.ew.r.appspot.com",
    }  # fmt: skip
    return {
        "app": {
            "name": f"apps/{project}",
            "id": project,
            "locationId": "europe-west",
            "servingStatus": "SERVING",
            "defaultHostname": f"{project}.ew.r.appspot.com",
        },
        "services": [{"name": f"apps/{project}/services/default", "id": "default"}],
        "versions": {"default": [version]},
    }


def org_policies(number: str, *, kept: bool) -> dict[str, dict[str, Any]]:
    """Effective policies by constraint: the organization's guardrails, or none of them."""
    found = {c: {"name": f"projects/{number}/policies/{c}"} for c in (*GUARDRAILS, "iam.allowedPolicyMemberDomains")}
    if kept:
        for constraint in GUARDRAILS:
            found[constraint]["spec"] = {"rules": [{"enforce": True}]}
        found["iam.allowedPolicyMemberDomains"]["spec"] = {"rules": [{"values": {"allowedValues": ["C03acme01"]}}]}
    return found


def project_services(project: str, number: str, now: datetime, *, kept: bool) -> dict[str, Any]:
    """The project's entries for these services (merged into :func:`emulators.gcp.estate.build_project`)."""
    return {
        "apiKeys": api_keys(project, number, now, kept=kept),
        "essentialContacts": contacts(kept=kept),
        "dnsZones": dns_zones(project, kept=kept),
        "dnsPolicies": dns_policies(project, kept=kept),
        "datasets": datasets(project, kept=kept),
        "dataprocClusters": dataproc_clusters(project, kept=kept),
        "accessApprovalSettings": access_approval(project, kept=kept),
        "computeRegions": ["europe-west1", "us-central1"],
        "functions": functions(project, kept=kept),
        "appEngine": app_engine(project, kept=kept),
        "orgPolicies": org_policies(number, kept=kept),
        **load_balancing(project, kept=kept),
    }


def organization_services() -> dict[str, Any]:
    """The organization's access policy: one regular perimeter around acme-prod, none around acme-sandbox."""
    policy = "accessPolicies/558712345678"
    return {
        "accessPolicies": [
            {"name": policy, "parent": "organizations/9001", "title": "acme", "etag": "1a2b3c4d5e6f7a8b"}
        ],
        "servicePerimeters": {
            policy: [
                {
                    "name": f"{policy}/servicePerimeters/production",
                    "title": "production",
                    "perimeterType": "PERIMETER_TYPE_REGULAR",
                    "status": {
                        "resources": ["projects/412345678901"],
                        "restrictedServices": ["storage.googleapis.com", "bigquery.googleapis.com"],
                        "vpcAccessibleServices": {"enableRestriction": False},
                    },
                    "etag": "7e8f9a0b1c2d3e4f",
                },
                {
                    "name": f"{policy}/servicePerimeters/sandbox_dry_run",
                    "title": "sandbox (dry run)",
                    "perimeterType": "PERIMETER_TYPE_REGULAR",
                    "useExplicitDryRunSpec": True,
                    "spec": {
                        "resources": ["projects/498765432109"],
                        "restrictedServices": ["storage.googleapis.com"],
                    },
                    "status": {},
                    "etag": "0f1e2d3c4b5a6978",
                },
            ]
        },
    }
