"""EKS's aws-auth ConfigMap (kube-system): which IAM roles and users it maps to which Kubernetes groups.

The ConfigMap's values are YAML strings (``mapRoles``, ``mapUsers``). The ConfigMap record keeps only key names
(:func:`collectors.kubernetes.convert.configmap_config`); for aws-auth it also keeps each mapping's ARN, user
name and groups, parsed here: identities, not secrets. A value that is not a YAML list of mappings is an error
on the record (``_errors.awsAuth``), never a guess.
"""

from __future__ import annotations

from typing import Any

import yaml

AWS_AUTH = ("kube-system", "aws-auth")
MAPPINGS = {"mapRoles": "rolearn", "mapUsers": "userarn"}


def is_aws_auth(obj: dict[str, Any]) -> bool:
    metadata = obj.get("metadata") or {}
    return (str(metadata.get("namespace", "")), str(metadata.get("name", ""))) == AWS_AUTH


def aws_auth_mappings(data: dict[str, Any]) -> tuple[list[dict[str, Any]], str]:
    """``([{key, arn, username, groups}], error)``: mapRoles and mapUsers entries, and what could not be read."""
    found: list[dict[str, Any]] = []
    problems = []
    for key, arn_field in MAPPINGS.items():
        if key not in data:
            continue
        try:
            entries = yaml.safe_load(str(data[key]) or "[]") or []
        except yaml.YAMLError as exc:
            problems.append(f"{key} is not YAML: {str(exc).splitlines()[0]}")
            continue
        if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
            problems.append(f"{key} is not a list of mappings")
            continue
        for entry in entries:
            groups = entry.get("groups") or []
            found.append(
                {
                    "key": key,
                    "arn": str(entry.get(arn_field, "")),
                    "username": str(entry.get("username", "")),
                    "groups": [str(g) for g in groups] if isinstance(groups, list) else [str(groups)],
                }
            )
    return found, "; ".join(problems)
