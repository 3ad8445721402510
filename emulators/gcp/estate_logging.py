"""Cloud Logging sinks and log-based metrics and Cloud Monitoring alert policies for the demo estate."""

from __future__ import annotations

from typing import Any

# The filters the CIS Google Cloud Foundations benchmark (section 2) recommends, by metric name.
CIS_FILTERS = {
    "project-ownership-changes": (
        '(protoPayload.serviceName="cloudresourcemanager.googleapis.com") AND (ProjectOwnership OR '
        'projectOwnerInvitee) OR (protoPayload.serviceData.policyDelta.bindingDeltas.action="REMOVE" AND '
        'protoPayload.serviceData.policyDelta.bindingDeltas.role="roles/owner") OR '
        '(protoPayload.serviceData.policyDelta.bindingDeltas.action="ADD" AND '
        'protoPayload.serviceData.policyDelta.bindingDeltas.role="roles/owner")'
    ),
    "audit-config-changes": (
        'protoPayload.methodName="SetIamPolicy" AND protoPayload.serviceData.policyDelta.auditConfigDeltas:*'
    ),
    "custom-role-changes": (
        'resource.type="iam_role" AND (protoPayload.methodName="google.iam.admin.v1.CreateRole" OR '
        'protoPayload.methodName="google.iam.admin.v1.DeleteRole" OR '
        'protoPayload.methodName="google.iam.admin.v1.UpdateRole")'
    ),
    "firewall-changes": (
        'resource.type="gce_firewall_rule" AND (protoPayload.methodName:"compute.firewalls.patch" OR '
        'protoPayload.methodName:"compute.firewalls.insert" OR protoPayload.methodName:"compute.firewalls.delete")'
    ),
    "route-changes": (
        'resource.type="gce_route" AND (protoPayload.methodName:"compute.routes.delete" OR '
        'protoPayload.methodName:"compute.routes.insert")'
    ),
    "network-changes": (
        'resource.type="gce_network" AND (protoPayload.methodName:"compute.networks.insert" OR '
        'protoPayload.methodName:"compute.networks.patch" OR protoPayload.methodName:"compute.networks.delete" OR '
        'protoPayload.methodName:"compute.networks.removePeering" OR '
        'protoPayload.methodName:"compute.networks.addPeering")'
    ),
    "bucket-iam-changes": 'resource.type="gcs_bucket" AND protoPayload.methodName="storage.setIamPermissions"',
    "sql-config-changes": 'protoPayload.methodName="cloudsql.instances.update"',
}


def sinks(project: str, *, kept: bool) -> list[dict[str, Any]]:
    if kept:
        return [
            {
                "name": "all-to-audit-bucket",
                "destination": f"storage.googleapis.com/{project}-audit-logs",
                "writerIdentity": "serviceAccount:service-412345678901@gcp-sa-logging.iam.gserviceaccount.com",
                "createTime": "2023-06-01T09:05:00.000000Z",
                "updateTime": "2023-06-01T09:05:00.000000Z",
            },
            {
                "name": "errors-to-bigquery",
                "destination": f"bigquery.googleapis.com/projects/{project}/datasets/errors",
                "filter": "severity>=ERROR",
                "writerIdentity": "serviceAccount:service-412345678901@gcp-sa-logging.iam.gserviceaccount.com",
                "createTime": "2023-06-01T09:06:00.000000Z",
                "updateTime": "2023-06-01T09:06:00.000000Z",
            },
        ]
    return [
        {
            "name": "gke-only",
            "destination": f"storage.googleapis.com/{project}-logs",
            "filter": 'resource.type="k8s_cluster"',
            "writerIdentity": "serviceAccount:service-498765432109@gcp-sa-logging.iam.gserviceaccount.com",
            "createTime": "2020-06-01T09:05:00.000000Z",
            "updateTime": "2020-06-01T09:05:00.000000Z",
        }
    ]


def _metric(name: str) -> dict[str, Any]:
    return {
        "name": name,
        "description": f"CIS: {name.replace('-', ' ')}",
        "filter": CIS_FILTERS[name],
        "metricDescriptor": {
            "name": f"projects/p/metricDescriptors/logging.googleapis.com/user/{name}",
            "type": f"logging.googleapis.com/user/{name}",
            "metricKind": "DELTA",
            "valueType": "INT64",
            "unit": "1",
        },
        "createTime": "2023-06-02T10:00:00.000000Z",
        "updateTime": "2023-06-02T10:00:00.000000Z",
        "version": "V2",
    }


def log_metrics(project: str, *, kept: bool) -> list[dict[str, Any]]:
    names = [n for n in CIS_FILTERS if n != "sql-config-changes"] if kept else ["firewall-changes"]
    return [_metric(name) for name in names]


def _policy(project: str, index: int, metric: str, *, enabled: bool = True, channels: bool = True) -> dict[str, Any]:
    name = f"projects/{project}/alertPolicies/{1000 + index}"
    doc: dict[str, Any] = {
        "name": name,
        "displayName": f"CIS {metric}",
        "combiner": "OR",
        "conditions": [
            {
                "name": f"{name}/conditions/{2000 + index}",
                "displayName": f"{metric} > 0",
                "conditionThreshold": {
                    "filter": f'resource.type = "global" AND metric.type = "logging.googleapis.com/user/{metric}"',
                    "comparison": "COMPARISON_GT",
                    "thresholdValue": 0,
                    "duration": "0s",
                    "trigger": {"count": 1},
                    "aggregations": [{"alignmentPeriod": "60s", "perSeriesAligner": "ALIGN_COUNT"}],
                },
            }
        ],
        "enabled": enabled,
        "creationRecord": {"mutateTime": "2023-06-02T10:05:00.000Z", "mutatedBy": "platform@acme.example"},
        "mutationRecord": {"mutateTime": "2023-06-02T10:05:00.000Z", "mutatedBy": "platform@acme.example"},
    }
    if channels:
        doc["notificationChannels"] = [f"projects/{project}/notificationChannels/{3000 + index}"]
    return doc


def alert_policies(project: str, *, kept: bool) -> list[dict[str, Any]]:
    if not kept:
        return [_policy(project, 0, "firewall-changes", enabled=False)]
    metrics = [n for n in CIS_FILTERS if n != "sql-config-changes"]
    return [_policy(project, i, metric, channels=(metric != "bucket-iam-changes")) for i, metric in enumerate(metrics)]
