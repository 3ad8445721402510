"""How Posture reaches Azure: credentials, the Resource Manager endpoint, and which subscriptions.

Scope: ``--subscription-id`` scans that one subscription; without it every
subscription the credentials can see (except disabled or deleted ones) is
scanned, listed through azure-mgmt-resource-subscriptions. The account's
``--regions`` (Azure locations such as ``westeurope``) narrow the scan to
resources in those locations; subscription-wide settings are always collected.
Every collector runs once ("global") and walks the subscriptions itself.

The Azure SDKs are imported by the methods that call them, not here: registering the provider (and
checking an account's credential options) must not load them.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from collectors.azure.credentials import check_credentials, token_credential
from collectors.failures import StatedError
from collectors.records import Identity, Target
from collectors.registry import BaseProvider, CredentialField, InvalidCredentials

if TYPE_CHECKING:
    from collectors.azure.session import AzureSession, Subscription

LOCATION = re.compile(r"^[a-z][a-z0-9]{2,40}$")
SKIPPED_STATES = {"disabled", "deleted"}
UNSUPPORTED_CODES = {
    "InvalidResourceType",
    "NoRegisteredProviderFound",
    "MissingSubscriptionRegistration",
    "InvalidApiVersionParameter",
    "NotSupported",
}


class SubscriptionWithoutId(ValueError, StatedError):
    """Resource Manager answered with a subscription that has no id: nothing to scope, record or scan."""

    def __init__(self) -> None:
        super().__init__("the subscription answer has no id")


def _subscription(answer: Any) -> Subscription:
    """One subscription from the SDK's model; SubscriptionWithoutId (an invalid_response) if the id is missing."""
    from collectors.azure.session import Subscription

    if not answer.subscription_id:
        raise SubscriptionWithoutId()
    return Subscription(answer.subscription_id, answer.display_name or "", answer.tenant_id or "", _text(answer.state))


def _text(value: Any) -> str:
    """An SDK enum or string as its plain value (``SubscriptionState.DISABLED`` -> ``Disabled``)."""
    return str(getattr(value, "value", value) or "")


class AzureProvider(BaseProvider):
    name = "azure"
    title = "Microsoft Azure"
    # the subscriptions (connect, identify); an AKS cluster's user kubeconfig when its cluster is scanned (aks_auth);
    # Resource Graph, the bulk inventory the collectors list from first (collectors.azure.resource_graph)
    permissions = (
        "Microsoft.Resources/subscriptions/read",
        "Microsoft.ResourceGraph/resources/read",
        "Microsoft.ContainerService/managedClusters/listClusterUserCredential/action",
    )
    credential_fields = (
        CredentialField("subscription_id", "the subscription to scan (default: every subscription it can see)"),
        CredentialField("tenant_id", "the Entra ID tenant of the service principal"),
        CredentialField(
            "client_id", "the service principal's application id (alone: a user-assigned managed identity)"
        ),
        CredentialField("client_secret", "the service principal's client secret", secret=True),
        CredentialField(
            "certificate_path", "the service principal's certificate (PEM or PKCS12 file)", server_file=True
        ),
        CredentialField("certificate_password", "the certificate's password, if it has one", secret=True),
        CredentialField(
            "access_token", "a pre-issued OAuth access token (Azure Resource Manager, Google)", secret=True
        ),
    )
    region_pattern = LOCATION

    def validate_credentials(self, credentials: dict[str, Any]) -> None:
        super().validate_credentials(credentials)
        check_credentials(credentials)

    def connect(self, target: Target) -> AzureSession:
        from collectors.azure.resource_graph import resource_graph
        from collectors.azure.session import PUBLIC_ARM, AzureSession, cloud_for, is_loopback

        creds = {k: v for k, v in target.credentials.items() if v not in (None, "")}
        check_credentials(creds)
        base_url = (target.endpoint_url or PUBLIC_ARM).rstrip("/")
        if base_url.lower().startswith("http://") and not is_loopback(base_url):
            raise InvalidCredentials(
                f"the Resource Manager URL {base_url} is plain http: tokens are sent over https only "
                "(http is allowed for 127.0.0.1 alone, for a local emulator)"
            )
        _, authority = cloud_for(base_url)
        session = AzureSession(
            credential=token_credential(creds, authority),
            base_url=base_url,
            locations=frozenset(r.lower() for r in target.regions),
        )
        session.subscriptions = self._subscriptions(session, creds.get("subscription_id", ""))
        session.bulk = resource_graph(session, self.classify_error)
        return session

    def _subscriptions(self, session: AzureSession, subscription_id: str) -> list[Subscription]:
        client = session.subscription_client()
        if subscription_id:
            return [_subscription(client.subscriptions.get(subscription_id))]
        found = [_subscription(s) for s in client.subscriptions.list()]
        usable = [s for s in found if s.state.lower() not in SKIPPED_STATES]
        if not usable:
            raise InvalidCredentials("the credentials see no enabled subscription; give --subscription-id")
        return sorted(usable, key=lambda s: s.subscription_id)

    def list_regions(self, session: AzureSession, target: Target) -> list[str]:
        return sorted(session.locations) or ["global"]

    def identify(self, session: AzureSession) -> Identity:
        subs = session.subscriptions
        if len(subs) == 1:
            return Identity(external_id=subs[0].subscription_id, display=subs[0].display_name)
        tenants = sorted({s.tenant_id for s in subs if s.tenant_id})
        names = ", ".join(s.display_name or s.subscription_id for s in subs)
        return Identity(
            external_id=tenants[0] if len(tenants) == 1 else subs[0].subscription_id,
            display=f"{len(subs)} subscriptions: {names}",
        )

    def classify_error(self, exc: BaseException) -> str:
        from azure.core.exceptions import (
            ClientAuthenticationError,
            DecodeError,
            HttpResponseError,
            ResourceNotFoundError,
            ServiceRequestError,
            ServiceRequestTimeoutError,
            ServiceResponseError,
            ServiceResponseTimeoutError,
        )

        cause = getattr(exc, "first_error", None)
        if isinstance(cause, BaseException):
            exc = cause
        if isinstance(exc, ClientAuthenticationError):
            return "denied"
        if isinstance(exc, ServiceRequestTimeoutError | ServiceResponseTimeoutError):
            return "timeout"
        if isinstance(exc, DecodeError):
            return "invalid_response"
        if isinstance(exc, HttpResponseError):
            status = exc.status_code
            code = getattr(exc.error, "code", None) or ""
            if status in (401, 403):
                return "denied"
            if status == 429:
                return "throttled"
            if code in UNSUPPORTED_CODES or status == 501 or (isinstance(exc, ResourceNotFoundError) and not code):
                return "unsupported"
            return "error"
        if isinstance(exc, ServiceRequestError | ServiceResponseError):
            return "unreachable"
        return super().classify_error(exc)
