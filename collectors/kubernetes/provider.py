"""How Posture reaches a Kubernetes cluster: a kubeconfig (file or pasted content) and a context.

The kubeconfig decides how to authenticate (bearer token, client certificate,
exec plugin); the client's own loaders read it into a fresh
``client.Configuration`` (never the process-wide default), so several
clusters can be scanned at once. The cluster is the account: collectors are
not regional and run once, in ``global``.

Before the loaders see a kubeconfig, :mod:`.kubeconfig` checks it against the Target's
:class:`~collectors.records.CredentialPolicy` (inline data only unless the operator gave it; plugins
only from the allow-list; the server through the URL check), and the final host is checked again
just before the session is made. Redirects are never followed: a 3xx could point anywhere.

A managed cluster added ``--via`` a cloud account has no kubeconfig: its
Target carries the cloud account's credentials (``{"via": ..., "cluster":
REF}``, resolved by the Django side at scan time) and :mod:`.cloud` builds the
Configuration from the cloud's answer (see :mod:`collectors.cluster_access`).

The Kubernetes client is imported by the methods that call it, not here: registering the provider,
checking a kubeconfig and the rule packs that read this package's record helpers must not load it.
"""

from __future__ import annotations

import json
import os
from typing import TYPE_CHECKING, Any

import yaml

from collectors.cluster_access import ClusterAccessError
from collectors.kubernetes.kubeconfig import check_kubeconfig
from collectors.records import CredentialPolicy, Identity, Target
from collectors.registry import BaseProvider, CredentialField, InvalidCredentials

if TYPE_CHECKING:
    from kubernetes import client

DEFAULT_PAGE_SIZE = 500
READ_NODE_CONFIG = "read-node-config"  # the Target option (account label) that opts in to the kubelets' configz
REQUEST_TIMEOUT = (10, 60)


class KubernetesSession:
    """One cluster's ApiClient plus paged listing; thread-safe (urllib3 pools are)."""

    def __init__(
        self,
        api_client: client.ApiClient,
        context: str = "",
        page_size: int = DEFAULT_PAGE_SIZE,
        read_node_config: bool = False,
    ) -> None:
        self.api_client = api_client
        self.context = context
        self.page_size = page_size
        self.read_node_config = read_node_config  # the account opted in to the kubelets' configz (nodes/proxy)

    @property
    def host(self) -> str:
        return str(self.api_client.configuration.host)

    def api(self, cls: type) -> Any:
        """An API group object (``client.CoreV1Api`` ...) bound to this cluster."""
        return cls(self.api_client)

    def get_json(self, method: Any, *args: Any, **kwargs: Any) -> Any:
        """Call a client method and return the response body as plain JSON (the API's own shape)."""
        response = method(*args, _preload_content=False, _request_timeout=REQUEST_TIMEOUT, **kwargs)
        try:
            return json.loads(response.data)
        except ValueError as exc:
            raise ValueError(f"the API answered with something that is not JSON: {exc}") from None


def _read_kubeconfig(credentials: dict[str, Any]) -> dict[str, Any]:
    """The kubeconfig as a dict, from ``kubeconfig`` (a path) or ``kubeconfig_content`` (YAML text)."""
    if credentials.get("kubeconfig_content"):
        text, where = str(credentials["kubeconfig_content"]), "--kubeconfig-content"
    else:
        path = os.path.expanduser(str(credentials.get("kubeconfig", "")))
        where = f"--kubeconfig {path}"
        try:
            with open(path, encoding="utf-8") as handle:
                text = handle.read()
        except OSError as exc:
            raise InvalidCredentials(f"{where}: cannot read the file ({exc.strerror})") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" at line {mark.line + 1}" if mark is not None else ""
        raise InvalidCredentials(f"{where}: not valid YAML{at}") from None
    if not isinstance(data, dict) or not isinstance(data.get("clusters"), list) or not data.get("contexts"):
        raise InvalidCredentials(f"{where}: not a kubeconfig (it needs clusters and contexts)")
    return data


def _check_context(data: dict[str, Any], context: str, where: str = "the kubeconfig") -> str:
    names: list[str] = [
        c["name"] for c in data.get("contexts") or [] if isinstance(c, dict) and isinstance(c.get("name"), str)
    ]
    chosen = context or data.get("current-context") or ""
    if not chosen:
        raise InvalidCredentials(f"{where} has no current-context; give --context (one of: {', '.join(names)})")
    if chosen not in names:
        raise InvalidCredentials(f"context {chosen!r} is not in {where} (contexts: {', '.join(names)})")
    return chosen


def _override_host(configuration: client.Configuration, host: str) -> None:
    """Point the client at ``host``.

    The loader's token-refresh hook re-applies the kubeconfig (server included)
    before each request and re-installs itself, so wrap it again every time.
    """
    configuration.host = host
    refresh = configuration.refresh_api_key_hook
    if refresh is None:
        return

    def refresh_and_override(config: client.Configuration) -> None:
        refresh(config)
        _override_host(config, host)

    configuration.refresh_api_key_hook = refresh_and_override


def _check_host(host: str, policy: CredentialPolicy) -> None:
    """The address the client will connect to, through the policy's outbound check (a name may move).

    The check raises ``ValueError``; its ``kind`` attribute (default ``denied``) classifies the refusal.
    A name that does not resolve now (kind ``unreachable``) is left to the client, which reports every
    unit unreachable, as :func:`collectors.cluster_access.check_cluster_server` does.
    """
    if policy.check_url is None:
        return
    try:
        policy.check_url(host)
    except ValueError as exc:
        kind = str(getattr(exc, "kind", "denied"))
        if kind != "unreachable":
            raise ClusterAccessError(f"the cluster's API server is refused ({kind}): {exc}", kind) from None


class KubernetesProvider(BaseProvider):
    name = "kubernetes"
    title = "Kubernetes"
    # identify reads the kube-system namespace; /version and discovery are every authenticated user's already
    permissions = ("get namespaces",)
    credential_fields = (
        CredentialField("kubeconfig", "a kubeconfig file path", server_file=True),
        CredentialField("kubeconfig_content", "the kubeconfig itself (YAML text), stored encrypted", secret=True),
        CredentialField("context", "the kubeconfig context to use (default: its current-context)"),
    )
    exclusive_groups = (("kubeconfig",), ("kubeconfig_content",))
    credentials_required = True

    def validate_regions(self, regions: list[str]) -> None:
        if regions:
            raise ValueError("a Kubernetes account is one cluster and takes no regions")

    def validate_credentials(self, credentials: dict[str, Any]) -> None:
        if "via" in credentials:  # borrowed from a cloud account at connect time, never given by a user
            raise InvalidCredentials("a cluster reached --via a cloud account takes no credentials of its own")
        super().validate_credentials(credentials)
        if not (credentials.get("kubeconfig") or credentials.get("kubeconfig_content")):
            raise InvalidCredentials("kubernetes accounts need --kubeconfig PATH or --kubeconfig-content YAML")
        _check_context(_read_kubeconfig(credentials), str(credentials.get("context") or ""))

    def check_policy(self, credentials: dict[str, Any], policy: CredentialPolicy) -> None:
        """File paths and the pasted kubeconfig's fields, plugins and server, as ``policy`` allows."""
        super().check_policy(credentials, policy)
        if credentials.get("via") or not (credentials.get("kubeconfig") or credentials.get("kubeconfig_content")):
            return
        data = _read_kubeconfig(credentials)
        context = _check_context(data, str(credentials.get("context") or ""))
        where = "--kubeconfig-content" if credentials.get("kubeconfig_content") else "--kubeconfig"
        check_kubeconfig(data, context, policy, where)

    def connect(self, target: Target) -> KubernetesSession:
        from kubernetes import client
        from kubernetes.config.config_exception import ConfigException
        from kubernetes.config.kube_config import load_kube_config, load_kube_config_from_dict

        from collectors.kubernetes.cloud import cloud_configuration

        creds = target.credentials
        if creds.get("via"):  # a managed cluster, reached with its cloud account's identity
            configuration, context = cloud_configuration(creds)
            return self._session(configuration, context, target)
        self.check_policy(creds, target.policy)  # again at every connect: stored before a rule changed
        data = _read_kubeconfig(creds)
        context = _check_context(data, str(creds.get("context") or ""))
        configuration = type.__call__(client.Configuration)  # a fresh one, not a copy of the global default
        try:
            if creds.get("kubeconfig_content"):
                load_kube_config_from_dict(
                    data, context=context, client_configuration=configuration, persist_config=False
                )
            else:
                load_kube_config(
                    os.path.expanduser(str(creds["kubeconfig"])),
                    context=context,
                    client_configuration=configuration,
                    persist_config=False,
                )
        except (ConfigException, ValueError, KeyError, TypeError) as exc:
            raise InvalidCredentials(f"the kubeconfig cannot be used: {exc}") from None
        return self._session(configuration, context, target)

    @staticmethod
    def _session(configuration: client.Configuration, context: str, target: Target) -> KubernetesSession:
        import urllib3
        from kubernetes import client

        if target.endpoint_url:
            _override_host(configuration, target.endpoint_url.rstrip("/"))
        _check_host(str(configuration.host), target.policy)
        configuration.retries = urllib3.Retry(
            total=3, backoff_factor=0.5, status_forcelist=(429, 502, 503, 504), redirect=0, raise_on_redirect=True
        )
        read_node_config = READ_NODE_CONFIG in target.options
        return KubernetesSession(client.ApiClient(configuration), context, read_node_config=read_node_config)

    def list_regions(self, session: KubernetesSession, target: Target) -> list[str]:
        return []

    def identify(self, session: KubernetesSession) -> Identity:
        from kubernetes import client

        version = session.get_json(session.api(client.VersionApi).get_code)
        kube_system = session.get_json(session.api(client.CoreV1Api).read_namespace, "kube-system")
        uid = (kube_system.get("metadata") or {}).get("uid")
        if not uid:
            raise ValueError("the kube-system namespace has no uid")
        where = session.context or session.host
        return Identity(external_id=str(uid), display=f"{where} (Kubernetes {version.get('gitVersion', '?')})")

    def classify_error(self, exc: BaseException) -> str:
        import urllib3
        from kubernetes.client.exceptions import ApiException
        from kubernetes.config.config_exception import ConfigException

        if not isinstance(exc, ApiException) and isinstance(exc.__context__, ApiException):
            exc = exc.__context__  # the client fails decoding the body of its own transport errors
        if isinstance(exc, ApiException):
            if not exc.status:  # raised by the client itself: TLS verification, connection
                return "unreachable"
            if exc.status in (401, 403):
                return "denied"
            if exc.status == 429:
                return "throttled"
            if exc.status in (404, 405, 501):
                return "unsupported"
            return "error"
        if isinstance(exc, urllib3.exceptions.MaxRetryError):
            reason = exc.reason
            if isinstance(reason, urllib3.exceptions.NewConnectionError):  # a ConnectTimeoutError subclass
                return "unreachable"
            if isinstance(reason, urllib3.exceptions.ResponseError):
                return "throttled" if "429" in str(reason) else "error"
            if isinstance(reason, urllib3.exceptions.TimeoutError):
                return "timeout"
            return "unreachable"
        if isinstance(exc, urllib3.exceptions.NewConnectionError):
            return "unreachable"
        if isinstance(exc, urllib3.exceptions.TimeoutError):
            return "timeout"
        if isinstance(exc, ClusterAccessError):
            return exc.kind
        if isinstance(exc, (ConfigException, InvalidCredentials)):
            return "denied"
        return super().classify_error(exc)
