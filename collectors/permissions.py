"""The cloud permissions a scan needs, gathered from the collectors' declarations, as documents to grant them.

Each collector declares what its calls need (``REGISTRY.collector(..., permissions=(...))``) and each provider
what its own connect, identify and region listing call (``BaseProvider.permissions``). A permission is written
the way its cloud writes it:

- AWS: an IAM action, ``iam:GetAccountSummary``;
- Azure: a Resource Manager operation, ``Microsoft.Storage/storageAccounts/read``; a data action
  (``Microsoft.KeyVault/vaults/keys/read``, granted through the role's ``DataActions``); a Microsoft Graph
  application permission (``Policy.Read.All``), which no Azure role grants: the hint names them for admin consent;
- Google Cloud: an IAM permission, ``storage.buckets.getIamPolicy``;
- Kubernetes: ``VERB RESOURCE[.GROUP]`` as ``kubectl auth can-i`` takes it, ``list deployments.apps``.

:func:`document` turns them into what the person granting them applies: an IAM policy, an Azure custom
role, a Google Cloud custom role for ``gcloud iam roles create --file``, a Kubernetes ClusterRole.
All of them read-only: a declaration that is not is refused (:func:`check_read_only`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

import yaml

from collectors.failures import describe
from collectors.registry import REGISTRY, Registry

PROVIDER_SERVICE = "connect"  # who needs a provider's own permissions, beside the collectors
ROLE_NAME = "posture-reader"
ROLE_TITLE = "Posture reader"
DESCRIPTION = "Read-only access for Posture's security posture scans"
# What a read-only permission looks like in each cloud; anything else must be named in READ_ONLY_EXTRAS.
READ_ONLY = {
    "aws": re.compile(r"^[a-z0-9-]+:(Describe|Get|List)[A-Za-z0-9]+$"),
    "azure": re.compile(r"^Microsoft\.[A-Za-z]+(/[A-Za-z]+)+/read$"),
    "gcp": re.compile(r"^[a-z]+(\.[A-Za-z]+)+\.(get|list|getIamPolicy)$"),
    "kubernetes": re.compile(r"^(get|list|watch) [a-z]+(\.[a-z0-9.-]+)?$"),
}
# Not read or list by name, yet read-only: each with why.
READ_ONLY_EXTRAS = {
    "iam:GenerateCredentialReport": "starts the account's credential report, which GetCredentialReport reads",
    "config:BatchGetResourceConfig": "AWS Config's recorded configuration of up to 100 resources (S3 buckets)",
    "cloudasset.assets.listResource": "Cloud Asset Inventory's listing of resources with their configuration",
    "apigateway:GET": "API Gateway names its management actions by HTTP verb: GET reads APIs and stages",
    "Microsoft.ContainerService/managedClusters/listClusterUserCredential/action": (
        "the AKS cluster's user kubeconfig (no secret for Entra ID clusters), to scan the cluster"
    ),
    "Microsoft.KeyVault/vaults/secrets/readMetadata/action": "lists secrets' attributes (expiry), never their values",
}
KUBERNETES = re.compile(r"^(?P<verb>[a-z]+) (?P<resource>[a-z]+)(?:\.(?P<group>[a-z0-9.-]+))?$")
# The API server's own words for a refusal: ``User "x" cannot list resource "pods" in API group "" at ...``
KUBERNETES_REFUSAL = re.compile(
    r'cannot (?P<verb>[a-z]+) resource \\?"(?P<resource>[a-z]+)\\?" in API group \\?"(?P<group>[a-z0-9.-]*)\\?"'
)
AZURE_SCOPE = re.compile(
    r"^/(subscriptions/[0-9A-Za-z_-]+(/resourceGroups/[\w().-]+)?"
    r"|providers/Microsoft\.Management/managementGroups/[\w().-]+)$"
)
GRANT_HINTS = {
    "aws": "# attach it to the scanning user or role: aws iam put-role-policy --role-name ROLE "
    "--policy-name posture-reader --policy-document file://policy.json\n",
    "azure": "# create it: az role definition create --role-definition @role.json; then assign it to the service "
    "principal: az role assignment create --assignee APP_ID --role 'Posture reader' --scope /subscriptions/ID\n"
    "# the built-in Reader grants every /read action here; the rest needs this role\n",
    "gcp": "# create it: gcloud iam roles create posture_reader --project PROJECT --file role.yaml; then grant it: "
    "gcloud projects add-iam-policy-binding PROJECT --member serviceAccount:EMAIL "
    "--role projects/PROJECT/roles/posture_reader\n",
    "kubernetes": "# apply it: kubectl apply -f clusterrole.yaml; then bind it: kubectl create clusterrolebinding "
    "posture-reader --clusterrole posture-reader --serviceaccount NAMESPACE:NAME\n",
}


class NotReadOnly(ValueError):
    pass


def required(provider: str, registry: Registry = REGISTRY) -> dict[str, list[str]]:
    """Every permission ``provider``'s scans need, sorted, with the services that need each."""
    needs: dict[str, set[str]] = {}
    for permission in getattr(registry.provider(provider), "permissions", ()):
        needs.setdefault(permission, set()).add(PROVIDER_SERVICE)
    for spec in registry.collectors(provider):
        for permission in spec.permissions:
            needs.setdefault(permission, set()).add(spec.service)
    return {permission: sorted(needs[permission]) for permission in sorted(needs)}


def check_read_only(provider: str, permissions: Iterable[str]) -> None:
    pattern = READ_ONLY.get(provider)
    wrong = [
        p
        for p in permissions
        if p not in READ_ONLY_EXTRAS
        and (pattern is None or not pattern.match(p))
        and not (provider == "azure" and _graph_permission(p))
    ]
    if wrong:
        raise NotReadOnly(f"not read-only {provider} permissions: {', '.join(wrong)}")


def aws_policy(actions: Iterable[str]) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [{"Sid": "PostureRead", "Effect": "Allow", "Action": sorted(set(actions)), "Resource": "*"}],
    }


def _graph_permission(permission: str) -> bool:
    from collectors.azure.operations import GRAPH_PERMISSION

    return bool(GRAPH_PERMISSION.match(permission))


def azure_role(actions: Iterable[str], scope: str = "/subscriptions/SUBSCRIPTION_ID") -> dict[str, Any]:
    """A custom role as ``az role definition create --role-definition`` takes it: the data actions (Key Vault)
    in ``DataActions``; Microsoft Graph permissions are no part of it (see :func:`grant_hint`)."""
    from collectors.azure.operations import DATA_ACTIONS

    if not AZURE_SCOPE.match(scope):
        raise ValueError(
            f"{scope!r} is not an Azure scope (/subscriptions/ID, /subscriptions/ID/resourceGroups/NAME "
            "or /providers/Microsoft.Management/managementGroups/NAME)"
        )
    return {
        "Name": ROLE_TITLE,
        "IsCustom": True,
        "Description": DESCRIPTION,
        "Actions": sorted({a for a in actions if a not in DATA_ACTIONS and not _graph_permission(a)}),
        "NotActions": [],
        "DataActions": sorted({a for a in actions if a in DATA_ACTIONS}),
        "NotDataActions": [],
        "AssignableScopes": [scope],
    }


def gcp_role(permissions: Iterable[str]) -> dict[str, Any]:
    """A custom role as ``gcloud iam roles create posture_reader --file ROLE.yaml`` takes it."""
    return {
        "title": ROLE_TITLE,
        "description": DESCRIPTION,
        "stage": "GA",
        "includedPermissions": sorted(set(permissions)),
    }


def kubernetes_rule(permission: str) -> tuple[str, str, str]:
    """``list deployments.apps`` -> ("apps", "deployments", "list")."""
    match = KUBERNETES.match(permission)
    if match is None:
        raise ValueError(f"not a Kubernetes permission (VERB RESOURCE[.GROUP]): {permission!r}")
    return match.group("group") or "", match.group("resource"), match.group("verb")


def cluster_role(permissions: Iterable[str], name: str = ROLE_NAME) -> dict[str, Any]:
    """A ClusterRole with one rule per (API group, verbs): exactly the resources and verbs declared."""
    verbs: dict[tuple[str, str], set[str]] = {}
    for permission in permissions:
        group, resource, verb = kubernetes_rule(permission)
        verbs.setdefault((group, resource), set()).add(verb)
    rules: dict[tuple[str, tuple[str, ...]], list[str]] = {}
    for (group, resource), granted in sorted(verbs.items()):
        rules.setdefault((group, tuple(sorted(granted))), []).append(resource)
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRole",
        "metadata": {"name": name, "annotations": {"posture/description": DESCRIPTION}},
        "rules": [
            {"apiGroups": [group], "resources": sorted(resources), "verbs": list(verbs_)}
            for (group, verbs_), resources in sorted(rules.items())
        ],
    }


def document(provider: str, registry: Registry = REGISTRY, **options: Any) -> dict[str, Any]:
    """The policy or role granting ``provider``'s scans what they need, and nothing more."""
    permissions = list(required(provider, registry))
    check_read_only(provider, permissions)
    if provider == "aws":
        return aws_policy(permissions)
    if provider == "azure":
        return azure_role(permissions, **options)
    if provider == "gcp":
        return gcp_role(permissions)
    if provider == "kubernetes":
        return cluster_role(permissions)
    raise ValueError(f"no permissions document for provider {provider!r}")


def render(provider: str, body: dict[str, Any]) -> str:
    """JSON for AWS and Azure, YAML for Google Cloud and Kubernetes: what their tools take."""
    if provider in ("aws", "azure"):
        return json.dumps(body, indent=2) + "\n"
    return yaml.safe_dump(body, sort_keys=False)


def grant_hint(provider: str) -> str:
    """How to apply the document: for stderr, beside the document on stdout."""
    hint = GRANT_HINTS.get(provider, "")
    if provider == "aws":
        from collectors.aws.actions import MANAGED_POLICIES, NOT_IN_MANAGED

        names = " and ".join(arn.removeprefix("arn:aws:iam::aws:policy/") for arn in MANAGED_POLICIES)
        gap = f", plus {', '.join(NOT_IN_MANAGED)}" if NOT_IN_MANAGED else " (and much more read access)"
        hint += f"# or attach the AWS managed policies {names}, which grant all of it{gap}\n"
    if provider == "azure":
        graph = sorted(p for p in required("azure") if _graph_permission(p))
        hint += (
            "# the DataActions read Key Vault keys', secrets' and certificates' attributes in vaults using Azure RBAC"
            " (or assign the built-in Key Vault Reader); a vault with access policies needs one for the service"
            " principal: keys List and Get Rotation Policy, secrets List, certificates List and Get\n"
        )
        if graph:
            hint += (
                f"# Microsoft Entra ID settings are read through Microsoft Graph: grant the app the application"
                f" permissions {', '.join(graph)} (API permissions, Microsoft Graph, then admin consent); Entra ID's"
                " diagnostic settings (microsoft.aadiam) need a directory role such as Security Reader\n"
            )
    return hint


def lacking(provider: str, exc: BaseException, registry: Registry = REGISTRY) -> list[str]:
    """The declared permissions a refusal names: never anything else from the error's text."""
    try:
        declared = list(required(provider, registry))
    except LookupError:
        return []
    text = f"{exc} {getattr(exc, 'body', '') or ''}"
    if provider == "kubernetes":
        named = {
            f"{m['verb']} {m['resource']}{'.' + m['group'] if m['group'] else ''}"
            for m in KUBERNETES_REFUSAL.finditer(text)
        }
        return [p for p in declared if p in named]
    found = [p for p in declared if re.search(rf"(?<![\w./:-]){re.escape(p)}(?![\w/-])", text)]
    if found:
        return found
    operation = getattr(exc, "operation_name", None)
    if provider == "aws" and isinstance(operation, str):
        from collectors.aws.actions import actions_for_operation

        return actions_for_operation(operation, declared)
    if provider == "azure":
        from collectors.azure.operations import operation_of

        wanted = operation_of(exc).lower()
        return [p for p in declared if p.lower() == wanted]
    return []


def denied_hint(provider: str, exc: BaseException, registry: Registry = REGISTRY) -> str:
    """``the credentials lack iam:GetAccountSummary; `manage.py permissions aws` prints them all``, or ''."""
    names = lacking(provider, exc, registry)
    if not names:
        return ""
    return f"the credentials lack {' or '.join(names)}; `manage.py permissions {provider}` prints what a scan needs"


def explain(provider: str, exc: BaseException, kind: str, known: Iterable[str] = ()) -> str:
    """:func:`collectors.failures.describe`, and for a refusal the permission it names (:func:`denied_hint`)."""
    text = describe(exc, kind, known)
    hint = denied_hint(provider, exc) if kind == "denied" else ""
    return f"{text}; {hint}" if hint else text
