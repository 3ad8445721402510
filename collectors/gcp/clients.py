"""The Google Cloud client libraries, built once per session, on the REST transport.

Their HTTP sessions refuse redirects like the session's own (:func:`collectors.gcp.session.refuse_redirects`).
"""

from __future__ import annotations

from typing import Any

# google-cloud-storage ships no type information: imported by its full name, mypy sees it as untyped (Any),
# not as a missing attribute of the typed google.cloud namespace.
import google.cloud.storage as storage
import requests
from google.cloud import compute_v1, container_v1, kms_v1, resourcemanager_v3

from collectors.gcp.session import GcpSession, authorized_session, pooled, refuse_redirects


def _rest_transport(cls: Any) -> Any:
    """A factory for ``cls``'s REST transport whose requests session refuses redirects."""
    transport_class = cls.get_transport_class("rest")

    def build(**kwargs: Any) -> Any:
        transport = transport_class(**kwargs)
        http = getattr(transport, "_session", None)  # the transport's AuthorizedSession: no public accessor
        if not isinstance(http, requests.Session):
            raise TypeError(f"{transport_class.__name__} has no requests session to refuse redirects on")
        pooled(refuse_redirects(http))
        return transport

    return build


def _rest(session: GcpSession, key: str, cls: Any, service: str) -> Any:
    return session.client(
        key,
        lambda: cls(
            transport=_rest_transport(cls),
            credentials=session.credentials,
            client_options=session.client_options(service),
        ),
    )


def cluster_manager(session: GcpSession) -> container_v1.ClusterManagerClient:
    return _rest(session, "container", container_v1.ClusterManagerClient, "container")


def compute(session: GcpSession, cls: type) -> Any:
    """A compute client (``compute_v1.FirewallsClient`` ...); compute is REST-only."""
    return _rest(session, f"compute.{cls.__name__}", cls, "compute")


def projects_client(session: GcpSession) -> resourcemanager_v3.ProjectsClient:
    return _rest(session, "projects", resourcemanager_v3.ProjectsClient, "cloudresourcemanager")


def folders_client(session: GcpSession) -> resourcemanager_v3.FoldersClient:
    return _rest(session, "folders", resourcemanager_v3.FoldersClient, "cloudresourcemanager")


def kms(session: GcpSession) -> kms_v1.KeyManagementServiceClient:
    return _rest(session, "kms", kms_v1.KeyManagementServiceClient, "cloudkms")


def storage_client(session: GcpSession, project: str) -> storage.Client:
    options = {"api_endpoint": session.base_url("storage")} if session.endpoint_url else None
    return session.client(
        f"storage.{project}",
        lambda: storage.Client(
            project=project,
            credentials=session.credentials,
            client_options=options,
            _http=authorized_session(session.credentials),
        ),
    )


def as_json(message: Any) -> dict[str, Any]:
    """A proto-plus message as the API's own JSON: camelCase keys, enum names, unset fields left out."""
    return type(message).to_dict(
        message,
        use_integers_for_enums=False,
        preserving_proto_field_name=False,
        always_print_fields_with_no_presence=False,
    )


__all__ = [
    "as_json",
    "cluster_manager",
    "compute",
    "compute_v1",
    "container_v1",
    "folders_client",
    "kms",
    "kms_v1",
    "projects_client",
]
