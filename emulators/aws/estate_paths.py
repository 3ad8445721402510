"""IAM roles in the demo's production account that its EKS ``prod`` cluster's service accounts are bound to
(IRSA), for the exposure paths (the cluster side: :func:`emulators.kubernetes.paths_scenario.eks_orders_estate`).

- ``orders-app`` may do ``s3:*`` on the ``<prefix>-orders-data`` bucket's objects: the real path;
- ``orders-audit`` may read objects of a bucket the account does not have: it reaches no data (a decoy).
"""

from __future__ import annotations

import json
from typing import Any

from emulators.aws.estate import ACCOUNT, ClientFactory

OIDC = f"arn:aws:iam::{ACCOUNT}:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE"


def role_arn(name: str) -> str:
    return f"arn:aws:iam::{ACCOUNT}:role/{name}"


def _trust(service_account: str) -> str:
    issuer = OIDC.split("oidc-provider/", 1)[1]
    statement: dict[str, Any] = {
        "Effect": "Allow",
        "Principal": {"Federated": OIDC},
        "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": {"StringEquals": {f"{issuer}:sub": f"system:serviceaccount:orders:{service_account}"}},
    }
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def _role(iam: Any, name: str, service_account: str, statement: dict[str, Any]) -> None:
    iam.create_role(RoleName=name, AssumeRolePolicyDocument=_trust(service_account))
    document = json.dumps({"Version": "2012-10-17", "Statement": [statement]})
    iam.put_role_policy(RoleName=name, PolicyName=f"{name}-data", PolicyDocument=document)


def build_irsa_roles(client: ClientFactory, prefix: str = "posture") -> dict[str, str]:
    """The data bucket and the two roles; returns their ARNs."""
    bucket = f"{prefix}-orders-data"
    client("s3").create_bucket(Bucket=bucket)
    iam = client("iam")
    _role(
        iam, "orders-app", "storefront", {"Effect": "Allow", "Action": "s3:*", "Resource": f"arn:aws:s3:::{bucket}/*"}
    )
    missing = f"arn:aws:s3:::{prefix}-archive-elsewhere/*"
    _role(iam, "orders-audit", "audit", {"Effect": "Allow", "Action": "s3:GetObject", "Resource": missing})
    return {"bucket": f"arn:aws:s3:::{bucket}", "app": role_arn("orders-app"), "audit": role_arn("orders-audit")}
