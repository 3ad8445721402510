"""What an Azure managed identity may do, from the subscription's stored role assignments.

An identity is known by its client id (what AKS workload identity's ``azure.workload.identity/client-id`` names)
and its object (principal) id (what a role assignment names): an AKS cluster's kubelet identity
(``identityProfile.kubeletidentity``) and user-assigned identities recorded as
``azure.managedidentity.user_assigned`` (``properties.clientId``/``principalId``). Built-in roles are known by
their fixed definition GUIDs: Owner, Contributor and User Access Administrator on a subscription or resource
group make the scope theirs; the Storage Blob Data roles reach the storage accounts under the scope; the Key
Vault secret roles reach the vaults under it.
"""

from __future__ import annotations

from typing import Any

from posture.paths.items import Graph, Item, target_node

AKS = "azure.aks.managed_cluster"
USER_ASSIGNED = "azure.managedidentity.user_assigned"
ASSIGNMENTS = "azure.authorization.role_assignments"
STORAGE = "azure.storage.account"
VAULT = "azure.keyvault.vault"
ADMIN_ROLES = {
    "8e3af657-a8ff-443c-a75c-2fe8c4bcb635": "Owner",
    "b24988ac-6180-42a0-ab88-20f7382dd24c": "Contributor",
    "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9": "User Access Administrator",
}
DATA_ROLES = {
    "b7e6dc6d-f1e8-4753-8033-0f276bb0955b": "Storage Blob Data Owner",
    "ba92f5b4-2d11-453d-a403-e96b0029c9fe": "Storage Blob Data Contributor",
    "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1": "Storage Blob Data Reader",
}
SECRET_ROLES = {
    "00482a5a-887f-4fb3-b363-3b7fe8e74483": "Key Vault Administrator",
    "4633458b-17de-408a-b874-0445c86b69e6": "Key Vault Secrets User",
    "b86a8fe4-44ce-4948-aee5-eccb2c155cd7": "Key Vault Secrets Officer",
}


def _props(value: Any) -> dict[str, Any]:
    """An ARM object's properties, whether the SDK kept them nested or flattened them."""
    if not isinstance(value, dict):
        return {}
    props = value.get("properties")
    return props if isinstance(props, dict) else value


def _get(value: dict[str, Any], *names: str) -> str:
    return next((str(value[n]) for n in names if value.get(n)), "")


class AzureIdentities:
    """Managed identities by client id (with their principal ids), and role assignments by principal."""

    def __init__(self, items: list[Item]) -> None:
        self.by_client: dict[str, tuple[Item, str, str]] = {}  # client id -> (item, principal id, label)
        self.assignments: dict[str, list[dict[str, Any]]] = {}
        self.scoped: dict[str, list[Item]] = {STORAGE: [], VAULT: []}
        self.subscriptions: dict[str, Item] = {}
        for item in items:
            self._index(item)

    def _index(self, item: Item) -> None:
        if item.type == AKS:
            kubelet = (_props(item.config).get("identityProfile") or {}).get("kubeletidentity") or {}
            client = _get(kubelet, "clientId", "client_id").lower()
            if client:
                self.by_client[client] = (item, _get(kubelet, "objectId", "object_id"), f"{item.name} kubelet identity")
        elif item.type == USER_ASSIGNED:
            props = _props(item.config)
            client = _get(props, "clientId", "client_id").lower()
            if client:
                self.by_client[client] = (item, _get(props, "principalId", "principal_id"), item.name)
        elif item.type == ASSIGNMENTS:
            self.subscriptions[item.uid.split("/providers/", 1)[0].lower()] = item
            for assignment in item.config.get("roleAssignments") or []:
                props = _props(assignment)
                principal = _get(props, "principalId", "principal_id")
                if principal:
                    self.assignments.setdefault(principal, []).append(props)
        elif item.type in self.scoped:
            self.scoped[item.type].append(item)

    def identity(self, client_id: str) -> tuple[Item, str, str] | None:
        return self.by_client.get(client_id.strip().lower())

    def link_targets(self, graph: Graph, principal: str, key: str) -> None:
        for props in self.assignments.get(principal, []):
            role = _get(props, "roleDefinitionId", "role_definition_id").rsplit("/", 1)[-1].lower()
            scope = _get(props, "scope").rstrip("/").lower()
            if role in ADMIN_ROLES:
                holder = self.subscriptions.get("/".join(scope.split("/")[:3]))
                if holder is not None:
                    name = f"Azure {ADMIN_ROLES[role]}: {scope}"
                    graph.link(key, target_node(graph, holder, "admin", name), "may administer", name)
            for roles, type_, kind, verb in (
                (DATA_ROLES, STORAGE, "data", "may read/write"),
                (SECRET_ROLES, VAULT, "secrets", "may read secrets"),
            ):
                if role not in roles:
                    continue
                for item in self.scoped[type_]:
                    if item.uid.lower() == scope or item.uid.lower().startswith(scope + "/"):
                        label = f"{'Storage account' if type_ == STORAGE else 'Key vault'} {item.name}"
                        graph.link(key, target_node(graph, item, kind, label), verb, f"{roles[role]} on {scope}")
