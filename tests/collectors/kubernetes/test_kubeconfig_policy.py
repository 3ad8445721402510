"""What a kubeconfig may make the Posture server do (issue #17, defects 1-3).

Pasted kubeconfigs carry inline data only; exec plugins run only for the operator and only from
POSTURE_KUBECONFIG_EXEC_ALLOWLIST; file fields and server paths are the operator's; every cluster
server goes through the outbound URL check, at add, Test and scan, and no redirect is followed.
"""

from __future__ import annotations

import re
import socket
import sys
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.core.management import call_command
from django.core.management.base import CommandError

from collectors import REGISTRY
from collectors.kubernetes.kubeconfig import command_matches
from collectors.records import CredentialPolicy, Target
from emulators.aws.estate import ACCOUNT, REGION
from emulators.kubernetes import KubernetesEmulator
from emulators.kubernetes.managed import point_eks_cluster
from emulators.kubernetes.tls import TlsMaterial
from posture.inventory.accounts import test_account as connection_test
from posture.inventory.models import CloudAccount
from posture.scans.pipeline import create_scan, run_scan
from tests.collectors.kubernetes.test_cloud_identity_eks import ARN as EKS_ARN
from tests.collectors.kubernetes.test_cloud_identity_eks import estate  # noqa: F401  (a fixture)

pytestmark = pytest.mark.django_db
SECRET = "s3cret-server-file-content"


def exec_kubeconfig(emulator: KubernetesEmulator, command: list[str]) -> str:
    config = emulator.kubeconfig()
    config["users"][0]["user"] = {
        "exec": {"apiVersion": "client.authentication.k8s.io/v1beta1", "command": command[0], "args": command[1:]}
    }
    return yaml.safe_dump(config)


def marker_plugin(tmp_path: Path, emulator: KubernetesEmulator) -> tuple[list[str], Path]:
    """A command that writes a marker file, then hands out the emulator's token as an ExecCredential."""
    marker = tmp_path / "ran"
    plugin = tmp_path / "plugin.py"
    plugin.write_text(
        f"import json, pathlib\npathlib.Path({str(marker)!r}).write_text('ran')\n"
        "print(json.dumps({'apiVersion': 'client.authentication.k8s.io/v1beta1', 'kind': 'ExecCredential',"
        f" 'status': {{'token': {emulator.token!r}}}}}))\n"
    )
    return [sys.executable, str(plugin)], marker


def add_by_api(client: Any, name: str, provider: str, credentials: dict[str, str]) -> tuple[bool, str]:
    body = {"provider": provider, "name": name, "credentials": credentials}
    response = client.post("/api/v1/accounts/", body, content_type="application/json")
    assert response.status_code in (201, 400), response.content
    return response.status_code == 201, response.content.decode()


def add_by_page(client: Any, name: str, provider: str, credentials: dict[str, str]) -> tuple[bool, str]:
    form = {"provider": provider, "name": name, **{f"cred.{provider}.{k}": v for k, v in credentials.items()}}
    response = client.post("/accounts/new/", form)
    page = response.content.decode()
    assert SECRET not in page
    return response.status_code == 302, " ".join(re.findall(r'class="field-error"[^>]*>([^<]*)<', page))


def add_by_cli(client: Any, name: str, provider: str, credentials: dict[str, str]) -> tuple[bool, str]:
    flags = [item for k, v in credentials.items() for item in ("--" + k.replace("_", "-"), v)]
    try:
        call_command("accounts", "add", provider, "--name", name, *flags)
    except CommandError as exc:
        return False, str(exc)
    return True, ""


WAYS: dict[str, Callable[..., tuple[bool, str]]] = {"api": add_by_api, "page": add_by_page, "cli": add_by_cli}


@pytest.mark.parametrize("way", sorted(WAYS))
def test_an_exec_plugin_is_refused_without_the_allow_list_and_never_runs(
    way: str, admin_client, emulator: KubernetesEmulator, tmp_path: Path
) -> None:
    command, marker = marker_plugin(tmp_path, emulator)
    added, said = WAYS[way](
        admin_client, "c1", "kubernetes", {"kubeconfig_content": exec_kubeconfig(emulator, command)}
    )
    assert not added and "users[0].user.exec runs a command on the Posture server" in said
    assert not marker.exists() and not CloudAccount.objects.exists()


@pytest.mark.parametrize("way", ["api", "page"])
def test_an_allow_listed_plugin_is_still_refused_from_the_web(
    way: str, admin_client, emulator: KubernetesEmulator, tmp_path: Path, settings
) -> None:
    command, marker = marker_plugin(tmp_path, emulator)
    settings.KUBECONFIG_EXEC_ALLOWLIST = [tuple(command)]
    added, said = WAYS[way](
        admin_client, "c1", "kubernetes", {"kubeconfig_content": exec_kubeconfig(emulator, command)}
    )
    assert not added and "only the operator can set it" in said
    assert not marker.exists() and not CloudAccount.objects.exists()


def test_an_allow_listed_plugin_works_from_the_command_line(
    emulator: KubernetesEmulator, tmp_path: Path, settings
) -> None:
    command, marker = marker_plugin(tmp_path, emulator)
    settings.KUBECONFIG_EXEC_ALLOWLIST = [(command[0], "*")]
    call_command(
        "accounts", "add", "kubernetes", "--name", "c1", "--kubeconfig-content", exec_kubeconfig(emulator, command)
    )
    call_command("accounts", "test", "c1")
    assert marker.exists() and CloudAccount.objects.get(name="c1").external_id
    with pytest.raises(CommandError, match="is not a command line listed in POSTURE_KUBECONFIG_EXEC_ALLOWLIST"):
        other = [command[0], "-c", "print(1)"]  # '*' never stands for an option
        call_command(
            "accounts", "add", "kubernetes", "--name", "c2", "--kubeconfig-content", exec_kubeconfig(emulator, other)
        )


@pytest.mark.parametrize(
    ("kind", "field"),
    [
        ("user", "tokenFile"),
        ("user", "client-key"),
        ("user", "client-certificate"),
        ("cluster", "certificate-authority"),
    ],
)
@pytest.mark.parametrize("way", ["api", "page"])
def test_file_fields_are_refused_from_the_web_without_reading_them(
    way: str, kind: str, field: str, admin_client, emulator: KubernetesEmulator, tmp_path: Path
) -> None:
    answers = []
    for path in (tmp_path / "secret", tmp_path / "missing"):
        (tmp_path / "secret").write_text(SECRET)
        config = emulator.kubeconfig()
        entry = config["users"][0] if kind == "user" else config["clusters"][0]
        entry[kind][field] = str(path)
        added, said = WAYS[way](admin_client, "c1", "kubernetes", {"kubeconfig_content": yaml.safe_dump(config)})
        assert not added and f"{kind}s[0].{kind}.{field} names a file on the Posture server" in said
        answers.append(said.replace(str(path), "PATH"))
    assert SECRET not in answers[0] and answers[0] == answers[1]  # the same answer whether the file exists
    assert not CloudAccount.objects.exists()


@pytest.mark.parametrize(
    ("provider", "field", "others"),
    [
        ("kubernetes", "kubeconfig", {}),
        ("gcp", "service_account_key_file", {}),
        ("aws", "profile", {}),  # a profile's credential_process runs a command on the server
        ("azure", "certificate_path", {"tenant_id": "0" * 8 + "-0000-0000-0000-" + "0" * 12, "client_id": "c"}),
    ],
)
@pytest.mark.parametrize("way", ["api", "page"])
def test_server_paths_are_refused_from_the_web_and_say_nothing_of_the_file(
    way: str, provider: str, field: str, others: dict[str, str], admin_client, tmp_path: Path
) -> None:
    (tmp_path / "secret").write_text(SECRET)
    answers = []
    for path in (tmp_path / "secret", tmp_path / "missing"):
        added, said = WAYS[way](admin_client, "x1", provider, {**others, field: str(path)})
        flag = "--" + field.replace("_", "-")
        assert not added and f"{flag} names a file on the Posture server" in said
        answers.append(said.replace(str(path), "PATH"))
    assert SECRET not in answers[0] and answers[0] == answers[1]
    assert not CloudAccount.objects.exists()


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    """A socket that listens and never accepts: a connection attempt would be pending on it."""
    sock = socket.create_server(("127.0.0.1", 0))
    sock.setblocking(False)
    yield sock
    sock.close()


def connected(sock: socket.socket) -> bool:
    try:
        sock.accept()[0].close()
    except BlockingIOError:
        return False
    return True


def loopback_kubeconfig(port: int, token: str = SECRET) -> str:
    return yaml.safe_dump(
        {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": "c", "cluster": {"server": f"https://127.0.0.1:{port}"}}],
            "users": [{"name": "u", "user": {"token": token}}],
            "contexts": [{"name": "c", "context": {"cluster": "c", "user": "u"}}],
            "current-context": "c",
        }
    )


@pytest.mark.parametrize("way", sorted(WAYS))
def test_a_loopback_server_is_refused_when_loopback_is_not_allowed(
    way: str, admin_client, listener: socket.socket, settings
) -> None:
    settings.ALLOWED_NETWORKS = []
    content = loopback_kubeconfig(listener.getsockname()[1])
    added, said = WAYS[way](admin_client, "c1", "kubernetes", {"kubeconfig_content": content})
    assert not added and "clusters[0].cluster.server: 127.0.0.1 resolves to 127.0.0.1" in said
    assert not connected(listener) and not CloudAccount.objects.exists()


def test_the_server_is_checked_again_at_test_and_scan(listener: socket.socket, settings) -> None:
    content = loopback_kubeconfig(listener.getsockname()[1])
    call_command("accounts", "add", "kubernetes", "--name", "c1", "--kubeconfig-content", content)
    settings.ALLOWED_NETWORKS = []  # the address is refused from now on (as a name that resolves elsewhere now)
    account = CloudAccount.objects.get(name="c1")
    with pytest.raises(ValueError, match=re.escape("clusters[0].cluster.server: 127.0.0.1 resolves to 127.0.0.1")):
        connection_test(account, source="cli")
    scan = run_scan(create_scan(account).pk)
    assert scan.state == "failed" and "clusters[0].cluster.server" in scan.message and "127.0.0.1" in scan.message
    assert not connected(listener)


@pytest.mark.parametrize("operator", [False, True], ids=["stored-from-the-web", "stored-by-the-operator"])
def test_a_stored_kubeconfig_with_a_plugin_is_refused_at_scan(
    operator: bool, emulator: KubernetesEmulator, tmp_path: Path
) -> None:
    """Stored before the fix: Test and every scan refuse it, and nothing runs."""
    command, marker = marker_plugin(tmp_path, emulator)
    account = CloudAccount(provider="kubernetes", name="legacy")
    account.set_credentials({"kubeconfig_content": exec_kubeconfig(emulator, command)}, by_operator=operator)
    account.save()
    with pytest.raises(ValueError, match=re.escape("users[0].user.exec")):
        connection_test(account, source="cli")
    scan = run_scan(create_scan(account).pk)
    assert scan.state == "failed" and "users[0].user.exec" in scan.message
    assert REGISTRY.provider("kubernetes").classify_error(_connect_error(account)) == "denied"
    assert not marker.exists()


def _connect_error(account: CloudAccount) -> BaseException:
    try:
        REGISTRY.provider("kubernetes").connect(account.target())
    except Exception as exc:  # the refusal, as a scan sees it
        return exc
    raise AssertionError("connect did not refuse")


class Redirecting(BaseHTTPRequestHandler):
    location = ""

    def do_GET(self) -> None:
        self.send_response(302)
        self.send_header("Location", self.location + self.path)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


def test_a_redirect_is_not_followed(settings) -> None:
    """127.0.0.1 is allowed, 127.0.0.2 is not: its redirect to 127.0.0.2 must not be followed."""
    settings.ALLOWED_NETWORKS = ["127.0.0.1/32"]
    blocked = socket.create_server(("127.0.0.2", 0))
    blocked.setblocking(False)
    Redirecting.location = f"http://127.0.0.2:{blocked.getsockname()[1]}"
    server = ThreadingHTTPServer(("127.0.0.1", 0), Redirecting)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        content = loopback_kubeconfig(server.server_address[1]).replace("https://", "http://")
        call_command("accounts", "add", "kubernetes", "--name", "c1", "--kubeconfig-content", content)
        with pytest.raises(ValueError, match="redirect"):
            connection_test(CloudAccount.objects.get(name="c1"), source="cli")
        assert not connected(blocked)
    finally:
        server.shutdown()
        server.server_close()
        blocked.close()


@pytest.mark.parametrize(
    ("entry", "command", "matches"),
    [
        (
            ("aws", "eks", "get-token", "--cluster-name", "*"),
            ["aws", "eks", "get-token", "--cluster-name", "prod"],
            True,
        ),
        (
            ("aws", "eks", "get-token", "--cluster-name", "*"),
            ["aws", "eks", "get-token", "--cluster-name", "--x"],
            False,
        ),
        (("aws", "eks", "get-token", "--cluster-name", "*"), ["aws", "eks", "get-token", "--cluster-name"], False),
        (("kubelogin", "get-token"), ["/tmp/kubelogin", "get-token"], False),
        (("kubelogin", "get-token"), ["kubelogin", "get-token", "--login", "x"], False),
        (("*", "get-token"), ["sh", "get-token"], False),
    ],
)
def test_allow_list_entries_match_word_for_word(entry: tuple[str, ...], command: list[str], matches: bool) -> None:
    assert command_matches(entry, command) is matches


def test_an_auth_provider_needs_its_allow_list_entry(emulator: KubernetesEmulator) -> None:
    config = emulator.kubeconfig()
    config["users"][0]["user"] = {"auth-provider": {"name": "gcp", "config": {"cmd-path": "/bin/sh -c id"}}}
    credentials = {"kubeconfig_content": yaml.safe_dump(config)}
    provider = REGISTRY.provider("kubernetes")
    refusals = {
        "gcp' is not in": CredentialPolicy(exec_allowlist=(("kubelogin",),)),
        "cmd-path '/bin/sh -c id' is not a command": CredentialPolicy(exec_allowlist=(("auth-provider:gcp",),)),
    }
    for message, policy in refusals.items():
        with pytest.raises(ValueError, match=message):
            provider.connect(Target("kubernetes", "c", credentials=credentials, policy=policy))


@pytest.mark.usefixtures("estate")
def test_a_managed_cluster_an_endpoint_override_puts_at_a_blocked_address_is_not_reached(
    tls: TlsMaterial, settings
) -> None:
    """The cloud account answers from an endpoint override (here moto): its cluster address is checked too."""
    settings.ALLOWED_NETWORKS = ["127.0.0.1/32"]  # moto's address; 127.0.0.2 is internal
    blocked = socket.create_server(("127.0.0.2", 0))
    blocked.setblocking(False)
    try:
        point_eks_cluster(ACCOUNT, REGION, "prod", f"https://127.0.0.2:{blocked.getsockname()[1]}", tls.ca_pem)
        call_command("accounts", "add", "kubernetes", "--name", "prod-eks", "--via", "prod-aws", "--cluster", EKS_ARN)
        scan = run_scan(create_scan(CloudAccount.objects.get(name="prod-eks")).pk)
        assert scan.state == "failed" and "the cluster's API server is refused (denied)" in scan.message
        assert not connected(blocked)
    finally:
        blocked.close()


def test_the_page_does_not_offer_server_paths(admin_client) -> None:
    page = admin_client.get("/accounts/new/").content.decode()
    assert 'name="cred.kubernetes.kubeconfig_content"' in page
    for field in ("kubernetes.kubeconfig", "gcp.service_account_key_file", "azure.certificate_path", "aws.profile"):
        assert f'name="cred.{field}"' not in page
