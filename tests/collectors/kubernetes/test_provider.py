"""Reaching a cluster: kubeconfig file or content, context, endpoint override, identity, error kinds."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import yaml
from kubernetes import client
from kubernetes.client.exceptions import ApiException

from collectors.kubernetes.provider import KubernetesProvider
from collectors.records import CredentialPolicy, Target
from collectors.registry import InvalidCredentials
from emulators.kubernetes import KubernetesEmulator
from emulators.kubernetes.estate import KUBE_SYSTEM_UID


def test_identify_with_a_kubeconfig_file(provider: KubernetesProvider, kubeconfig: Path) -> None:
    session = provider.connect(Target("kubernetes", "c", credentials={"kubeconfig": str(kubeconfig)}))
    identity = provider.identify(session)
    assert identity.external_id == KUBE_SYSTEM_UID
    assert identity.display == "demo (Kubernetes v1.30.4)"


def test_pasted_content_and_a_chosen_context(provider: KubernetesProvider, emulator: KubernetesEmulator) -> None:
    config = emulator.kubeconfig("a")
    other = emulator.kubeconfig("b")
    other["users"][0]["user"]["token"] = "wrong"
    config["clusters"] += other["clusters"]
    config["users"] += other["users"]
    config["contexts"] += other["contexts"]
    content = yaml.safe_dump(config)
    provider.validate_credentials({"kubeconfig_content": content, "context": "b"})
    good = provider.connect(Target("kubernetes", "c", credentials={"kubeconfig_content": content, "context": "a"}))
    assert provider.identify(good).external_id == KUBE_SYSTEM_UID
    bad = provider.connect(Target("kubernetes", "c", credentials={"kubeconfig_content": content, "context": "b"}))
    with pytest.raises(ApiException) as caught:
        provider.identify(bad)
    assert provider.classify_error(caught.value) == "denied"


def test_the_endpoint_override_replaces_the_server(provider: KubernetesProvider, emulator, tmp_path: Path) -> None:
    config = emulator.kubeconfig()
    config["clusters"][0]["cluster"]["server"] = "https://cluster.invalid:6443"
    path = tmp_path / "kc"
    path.write_text(yaml.safe_dump(config))
    target = Target("kubernetes", "c", endpoint_url=emulator.url, credentials={"kubeconfig": str(path)})
    assert provider.identify(provider.connect(target)).external_id == KUBE_SYSTEM_UID


@pytest.mark.parametrize(
    ("credentials", "message"),
    [
        ({}, "need credentials"),
        ({"kubeconfig_content": "clusters: [unclosed"}, "not valid YAML"),
        ({"kubeconfig_content": "just a string"}, "not a kubeconfig"),
        ({"kubeconfig": "/nonexistent/kubeconfig"}, "cannot read the file"),
        ({"kubeconfig": "x", "kubeconfig_content": "y"}, "choose one way"),
        ({"token": "t"}, "do not apply"),
    ],
)
def test_bad_credentials_get_a_clear_error(provider: KubernetesProvider, credentials: dict, message: str) -> None:
    with pytest.raises(InvalidCredentials, match=message):
        provider.validate_credentials(credentials)


def test_an_unknown_context_is_named(provider: KubernetesProvider, kubeconfig: Path) -> None:
    with pytest.raises(InvalidCredentials, match=r"context 'prod' is not in .*contexts: demo"):
        provider.validate_credentials({"kubeconfig": str(kubeconfig), "context": "prod"})


def test_a_kubeconfig_the_client_cannot_use(provider: KubernetesProvider, tmp_path: Path) -> None:
    config = {
        "clusters": [{"name": "x", "cluster": {"server": "https://127.0.0.1:1"}}],
        "contexts": [{"name": "x", "context": {"cluster": "x", "user": "missing"}}],
        "users": [{"name": "u", "user": {"client-certificate": "/nonexistent.crt", "client-key": "/nonexistent.key"}}],
        "current-context": "x",
    }
    config["contexts"][0]["context"]["user"] = "u"
    with pytest.raises(InvalidCredentials, match="cannot be used"):
        provider.connect(Target("kubernetes", "c", credentials={"kubeconfig_content": yaml.safe_dump(config)}))


def test_regions_do_not_apply(provider: KubernetesProvider) -> None:
    with pytest.raises(ValueError, match="takes no regions"):
        provider.validate_regions(["eu-west-1"])
    provider.validate_regions([])


def test_an_unreachable_cluster_is_classified(provider: KubernetesProvider, tmp_path: Path, emulator) -> None:
    config = emulator.kubeconfig()
    config["clusters"][0]["cluster"]["server"] = "http://127.0.0.1:9"
    target = Target("kubernetes", "c", credentials={"kubeconfig_content": yaml.safe_dump(config)})
    session = provider.connect(target)
    configuration = session.api_client.configuration
    configuration.retries = False
    session.api_client = client.ApiClient(configuration)
    with pytest.raises(Exception) as caught:
        provider.identify(session)
    assert provider.classify_error(caught.value) == "unreachable"


def test_an_exec_plugin_supplies_the_token(provider: KubernetesProvider, emulator, tmp_path: Path) -> None:
    """As `aws eks get-token`, `kubelogin` or `gke-gcloud-auth-plugin` do: an ExecCredential on stdout."""
    plugin = tmp_path / "plugin.py"
    plugin.write_text(
        "import json\n"
        "print(json.dumps({'apiVersion': 'client.authentication.k8s.io/v1beta1', 'kind': 'ExecCredential',"
        f" 'status': {{'token': {emulator.token!r}}}}}))\n"
    )
    config = emulator.kubeconfig()
    config["users"][0]["user"] = {
        "exec": {
            "apiVersion": "client.authentication.k8s.io/v1beta1",
            "command": sys.executable,
            "args": [str(plugin)],
            "interactiveMode": "Never",
        }
    }
    policy = CredentialPolicy(exec_allowlist=((sys.executable, "*"),))  # as the operator would allow it
    target = Target("kubernetes", "c", credentials={"kubeconfig_content": yaml.safe_dump(config)}, policy=policy)
    assert provider.identify(provider.connect(target)).external_id == KUBE_SYSTEM_UID


@pytest.fixture(scope="module")
def tls_material():
    from emulators.kubernetes.tls import make_tls_material

    return make_tls_material()


@pytest.mark.parametrize("client_certificate", [True, False], ids=["client-certificate", "token-over-tls"])
def test_tls_with_the_cluster_ca(provider: KubernetesProvider, tls_material, client_certificate: bool) -> None:
    from emulators.kubernetes import demo_estate

    with KubernetesEmulator(demo_estate(), tls=tls_material) as emulator:
        content = yaml.safe_dump(emulator.kubeconfig("tls", client_certificate=client_certificate))
        session = provider.connect(Target("kubernetes", "c", credentials={"kubeconfig_content": content}))
        assert session.host.startswith("https://127.0.0.1:")
        assert provider.identify(session).external_id == KUBE_SYSTEM_UID


def test_a_server_the_ca_did_not_sign_is_refused(provider: KubernetesProvider, tls_material) -> None:
    from emulators.kubernetes import demo_estate
    from emulators.kubernetes.tls import make_tls_material

    with KubernetesEmulator(demo_estate(), tls=tls_material) as emulator:
        config = emulator.kubeconfig("tls")
        other_ca = make_tls_material().ca_pem
        config["clusters"][0]["cluster"]["certificate-authority-data"] = tls_material.b64(other_ca)
        session = provider.connect(
            Target("kubernetes", "c", credentials={"kubeconfig_content": yaml.safe_dump(config)})
        )
        configuration = session.api_client.configuration
        configuration.retries = False
        session.api_client = client.ApiClient(configuration)
        with pytest.raises(Exception) as caught:
            provider.identify(session)
        assert "CERTIFICATE_VERIFY_FAILED" in f"{caught.value} {caught.value.__context__}"
        assert provider.classify_error(caught.value) == "unreachable"
