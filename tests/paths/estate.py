"""Small estates as plain Items (the shapes the collectors store), for the graph and search tests and the
benchmark: a cluster account's objects, and the cloud accounts its identities live in."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

from posture.paths.items import ClusterLink, HopFinding, Item

CLUSTER, AWS, GCP = 1, 2, 3
ACCOUNT_ID = "111122223333"
EXPOSED = HopFinding(9001, "kubernetes.core.service_not_exposed", "medium", category="exposure")
PRIVILEGED = HopFinding(9002, "kubernetes.pss.privileged", "high", category="workload")
_ids = itertools.count(1)


def role_arn(name: str) -> str:
    return f"arn:aws:iam::{ACCOUNT_ID}:role/{name}"


@dataclass
class Estate:
    items: list[Item] = field(default_factory=list)
    findings: dict[int, list[HopFinding]] = field(default_factory=dict)
    links: list[ClusterLink] = field(default_factory=list)

    def add(self, account: int, provider: str, type_: str, uid: str, name: str, config: dict[str, Any]) -> Item:
        item = Item(next(_ids), account, provider, type_, uid, name, config)
        self.items.append(item)
        return item

    def finding(self, item: Item, *found: HopFinding) -> Item:
        self.findings.setdefault(item.id, []).extend(found)
        return item

    # the cluster
    def service(self, name: str, selector: dict[str, str], exposed: bool = True, ns: str = "shop") -> Item:
        config = {"kind": "Service", "metadata": {"name": name, "namespace": ns}, "spec": {"selector": selector}}
        config["spec"]["type"] = "LoadBalancer" if exposed else "ClusterIP"
        item = self.add(CLUSTER, "kubernetes", "kubernetes.core.service", f"{ns}/Service/{name}", name, config)
        return self.finding(item, EXPOSED) if exposed else item

    def ingress(self, name: str, backend: str, ns: str = "shop") -> Item:
        config = {
            "kind": "Ingress",
            "metadata": {"name": name, "namespace": ns},
            "spec": {"defaultBackend": {"service": {"name": backend, "port": {"number": 80}}}},
        }
        return self.add(CLUSTER, "kubernetes", "kubernetes.networking.ingress", f"{ns}/Ingress/{name}", name, config)

    def workload(
        self, name: str, labels: dict[str, str], sa: str, foothold: bool = True, ns: str = "shop", **spec: Any
    ) -> Item:
        template = {"metadata": {"labels": labels}, "spec": {"serviceAccountName": sa, "containers": [], **spec}}
        config = {"kind": "Deployment", "metadata": {"name": name, "namespace": ns}, "spec": {"template": template}}
        item = self.add(CLUSTER, "kubernetes", "kubernetes.workloads.workload", f"{ns}/Deployment/{name}", name, config)
        return self.finding(item, PRIVILEGED) if foothold else item

    def service_account(self, name: str, annotations: dict[str, str] | None = None, ns: str = "shop") -> Item:
        config = {"kind": "ServiceAccount", "metadata": {"name": name, "namespace": ns, "annotations": annotations}}
        uid = f"{ns}/ServiceAccount/{name}"
        return self.add(CLUSTER, "kubernetes", "kubernetes.core.serviceaccount", uid, name, config)

    # AWS
    def aws_account(self) -> Item:
        uid = f"arn:aws:iam::{ACCOUNT_ID}:account-settings"
        return self.add(AWS, "aws", "aws.iam.account", uid, ACCOUNT_ID, {"AccountId": ACCOUNT_ID})

    def bucket(self, name: str) -> Item:
        return self.add(AWS, "aws", "aws.s3.bucket", f"arn:aws:s3:::{name}", name, {"Name": name})

    def role(self, name: str, *statements: dict[str, Any], attached: list[str] | None = None) -> Item:
        config = {
            "RoleName": name,
            "Arn": role_arn(name),
            "RolePolicyList": [{"PolicyName": "inline", "PolicyDocument": {"Statement": list(statements)}}],
            "AttachedManagedPolicies": [{"PolicyArn": a} for a in attached or []],
        }
        return self.add(AWS, "aws", "aws.iam.role", role_arn(name), name, config)

    # Google Cloud
    def gcp_account(self, email: str) -> Item:
        uid = f"//iam.googleapis.com/projects/acme/serviceAccounts/{email}"
        return self.add(GCP, "gcp", "gcp.iam.service_account", uid, email, {"email": email, "_project": "acme"})

    def gcp_project(self, project: str, bindings: list[dict[str, Any]]) -> Item:
        config = {"projectId": project, "_project": project, "iamPolicy": {"bindings": bindings}}
        uid = f"//cloudresourcemanager.googleapis.com/projects/{project}"
        return self.add(GCP, "gcp", "gcp.resourcemanager.project", uid, project, config)

    def gcp_bucket(self, name: str, project: str, bindings: list[dict[str, Any]] | None = None) -> Item:
        config = {"name": name, "_project": project, "iamPolicy": {"bindings": bindings or []}}
        uid = f"//storage.googleapis.com/projects/_/buckets/{name}"
        return self.add(GCP, "gcp", "gcp.storage.bucket", uid, name, config)


def allow(action: str | list[str], resource: str | list[str]) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource}


def exposed_app(estate: Estate, sa: str, **workload: Any) -> Item:
    """An internet-facing LoadBalancer Service selecting a privileged Deployment running as ``sa``."""
    estate.service("web", {"app": "web"})
    return estate.workload("web", {"app": "web"}, sa, **workload)
