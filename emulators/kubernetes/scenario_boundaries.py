"""Access paths and boundaries the demo cluster shows beside its other neglect, and a cluster without namespaces.

- :func:`add_access_and_certificates` (on :func:`~emulators.kubernetes.scenarios.demo_estate`): in namespace
  ``legacy``, a RoleBinding that grants ``view`` to every authenticated user; two Ingresses for GKE's controller
  (class ``gce``), ``shop/storefront`` with a Google-managed certificate and ``legacy/admin`` with a certificate
  Secret (self-managed); GKE's default ``standard-rwo`` StorageClass (the provider's key) and ``cmek-rwo`` (a
  Cloud KMS key).
- :func:`single_namespace_estate`: a small EKS-like cluster where a team deployed everything into ``default``;
  its node sits in a public subnet (a public ExternalIP), the Amazon VPC CNI enforces NetworkPolicies, and
  aws-auth maps an ops role into system:masters (the demo's aws-auth maps the node role only).
"""

from __future__ import annotations

from datetime import datetime

from emulators.kubernetes.estate import Estate

RBAC = "rbac.authorization.k8s.io"
GCE_CLASS = {"kubernetes.io/ingress.class": "gce"}
PD_KEY = "projects/acme-prod/locations/europe-west1/keyRings/gke/cryptoKeys/persistent-disks"


NODE_MAPPING = """- rolearn: arn:aws:iam::123456789012:role/eks-node
  username: system:node:{{EC2PrivateDNSName}}
  groups: [system:bootstrappers, system:nodes]
"""
OPS_MASTERS = """- rolearn: arn:aws:iam::123456789012:role/ops
  username: ops
  groups: [system:masters]
"""


def add_access_and_certificates(e: Estate) -> None:
    e.add("ConfigMap", "aws-auth", "kube-system", data={"mapRoles": NODE_MAPPING})
    e.add(
        "RoleBinding",
        "all-users-view",
        "legacy",
        roleRef={"apiGroup": RBAC, "kind": "ClusterRole", "name": "view"},
        subjects=[{"apiGroup": RBAC, "kind": "Group", "name": "system:authenticated"}],
    )
    e.add(
        "StorageClass",
        "standard-rwo",
        annotations={"storageclass.kubernetes.io/is-default-class": "true"},
        provisioner="pd.csi.storage.gke.io",
        parameters={"type": "pd-balanced"},
        reclaimPolicy="Delete",
        volumeBindingMode="WaitForFirstConsumer",
        allowVolumeExpansion=True,
    )
    e.add(
        "StorageClass",
        "cmek-rwo",
        provisioner="pd.csi.storage.gke.io",
        parameters={"type": "pd-balanced", "disk-encryption-kms-key": PD_KEY},
        reclaimPolicy="Delete",
        volumeBindingMode="WaitForFirstConsumer",
        allowVolumeExpansion=True,
    )
    e.add(
        "Ingress",
        "storefront",
        "shop",
        annotations={**GCE_CLASS, "networking.gke.io/managed-certificates": "storefront-cert"},
        spec={"rules": [{"host": "store.example.com"}]},
    )
    e.add(
        "Ingress",
        "admin",
        "legacy",
        annotations=GCE_CLASS,
        spec={
            "tls": [{"hosts": ["admin.example.com"], "secretName": "admin-tls"}],
            "rules": [{"host": "admin.example.com"}],
        },
    )


ECR = "602401143452.dkr.ecr.us-east-1.amazonaws.com"
AWS_NODE = {
    "hostNetwork": True,
    "containers": [
        {"name": "aws-node", "image": f"{ECR}/amazon-k8s-cni:v1.18.3-eksbuild.1"},
        {
            "name": "aws-eks-nodeagent",
            "image": f"{ECR}/amazon/aws-network-policy-agent:v1.1.2-eksbuild.1",
            "args": ["--enable-ipv6=false", "--enable-network-policy=true", "--enable-cloudwatch-logs=false"],
        },
    ],
}


def single_namespace_estate(now: datetime | None = None) -> Estate:
    """Namespaces default and kube-system only; the team's two Deployments in default, CoreDNS in kube-system."""
    from emulators.kubernetes.scenarios import _cluster_basics, _node, container

    e = Estate(version="v1.30.4-eks-a737599", now=now)
    _cluster_basics(e, [("default", {}), ("kube-system", {}), ("kube-public", {}), ("kube-node-lease", {})])
    _node(e, "ip-10-0-1-20.ec2.internal", "v1.30.4-eks-a737599")
    e.objects("Node")[-1]["status"]["addresses"] = [
        {"type": "InternalIP", "address": "10.0.1.20"},
        {"type": "ExternalIP", "address": "54.170.12.34"},
        {"type": "Hostname", "address": "ip-10-0-1-20.ec2.internal"},
    ]
    e.daemonset("kube-system", "aws-node", AWS_NODE, nodes=1)
    e.add("ConfigMap", "aws-auth", "kube-system", data={"mapRoles": NODE_MAPPING + OPS_MASTERS})
    e.deployment("kube-system", "coredns", {"containers": [container("coredns", "registry.k8s.io/coredns:v1.11.1")]})
    for name in ("api", "worker"):
        e.deployment("default", name, {"containers": [container(name, f"ghcr.io/acme/{name}:1.4.2")]}, replicas=1)
    return e
