"""No secret in a page, a response, a log line, an audit row or an error report.

Plants known secrets (cloud credentials of every provider, a webhook secret, a Jira token, the OpenID
client secret, an API token's key, the encryption key, a user's password and TOTP secret), then as an
admin renders every page, calls every GET of the API (exports and schema too) and every object's
detail, walks error paths (bad input, failing connection tests, scans of unreachable endpoints,
failed sign-ins, failing webhook and Jira checks), and reads every log record (DEBUG and up, also
through posture.logs.JsonFormatter) and audit row. None of the secrets may appear, raw, URL-encoded
or base64-encoded at any alignment.

Scan errors: every credential field is planted again with a trailing newline (an ordinary copy-paste),
which makes the SDKs quote the whole token in their exception text ("Invalid header value b'Bearer
...\\n'"). Collected configuration: a cluster (the Kubernetes emulator, reached with a planted token)
runs a workload with secrets in a database URL, in arguments, shaped like well-known keys and in
annotations; its scan succeeds, and its resources, findings, pages and API answers are searched too.
"""

from __future__ import annotations

import base64
import json
import logging
import secrets
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import redirect_stdout
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import StringIO
from urllib.parse import quote, quote_plus

import pytest
import yaml
from django.conf import settings as django_settings
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django.test import Client

from emulators.kubernetes import KubernetesEmulator, demo_estate
from posture.access.models import AuditLog
from posture.access.tokens import issue_token
from posture.access.totp import _secret as totp_secret
from posture.access.totp import code_for, confirm, start_enrolment
from posture.inventory.accounts import AccountInput, create_account
from posture.inventory.models import Resource
from posture.logs import JsonFormatter
from posture.scans.models import Scan
from posture.scans.pipeline import create_scan, run_scan
from tests.api import test_team_scoping as api_matrix
from tests.frontend import test_team_scoping as page_matrix
from tests.support.planted_workload import UID as PLANTED_UID
from tests.support.planted_workload import plant_workload, planted_values

pytestmark = pytest.mark.django_db


def planted(name: str) -> str:
    """A unique secret with characters that URL-encoding and JSON change."""
    return f"plant-{name}-{secrets.token_hex(8)}/+={secrets.token_hex(4)}&"


def planted_token(name: str) -> str:
    """A unique bearer token (tokens are checked for their shape: letters, digits, ``.-_``)."""
    return f"plant.{name}_{secrets.token_hex(12)}-{secrets.token_hex(12)}"


def encodings(secret: str) -> set[str]:
    forms = {secret, quote(secret, safe=""), quote_plus(secret), json.dumps(secret)[1:-1]}
    raw = secret.encode()
    for pad in range(3):  # base64 at each alignment inside a longer blob: compare the stable middle
        for encode in (base64.b64encode, base64.urlsafe_b64encode):
            forms.add(encode(b"\0" * pad + raw).decode()[4:-4])
    return forms


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Refusing(BaseHTTPRequestHandler):
    """A cloud endpoint that refuses every call (403, not retried), as a revoked credential meets."""

    BODY = json.dumps(
        {
            "error": {"code": 403, "message": "refused by the test endpoint", "status": "PERMISSION_DENIED"},
            "kind": "Status",
            "apiVersion": "v1",
            "status": "Failure",
            "message": "refused by the test endpoint",
            "reason": "Forbidden",
            "code": 403,
        }
    ).encode()

    def _refuse(self) -> None:
        self.send_response(403)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(self.BODY)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(self.BODY)

    do_GET = do_POST = do_PUT = do_HEAD = _refuse

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def refusing_endpoint() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Refusing)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


class Leaks:
    def __init__(self, planted_secrets: dict[str, str]) -> None:
        self.forms = {name: encodings(value) for name, value in planted_secrets.items()}
        self.found: list[str] = []
        self.places = 0

    def scan(self, where: str, text: str | bytes) -> None:
        self.places += 1
        if isinstance(text, bytes):
            text = text.decode(errors="replace")
        for name, forms in self.forms.items():
            if any(form in text for form in forms):
                self.found.append(f"{name} in {where}")


class Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


# Client libraries that log raw requests at DEBUG (botocore logs the X-Amz-Security-Token header): the
# settings pin them at WARNING whatever POSTURE_LOG_LEVEL says, and this test checks that they stay so.
LIBRARY_LOGGERS = ("botocore", "urllib3", "azure")


@pytest.fixture
def captured_logs() -> Iterator[Capture]:
    """Every record at DEBUG (the most Posture's settings can log), also of loggers that do not propagate."""
    pinned = django_settings.LOGGING["loggers"]
    for name in LIBRARY_LOGGERS:
        assert logging.getLevelName(pinned[name]["level"]) >= logging.WARNING, name
    handler = Capture()
    names = [None, *logging.root.manager.loggerDict]
    loggers = [logging.getLogger(n) for n in names]
    saved = [(lg, lg.level) for lg in loggers if isinstance(lg, logging.Logger)]
    for lg, _ in saved:
        if lg.name.split(".")[0] not in LIBRARY_LOGGERS:
            lg.setLevel(logging.DEBUG)
        if lg is logging.root or not lg.propagate:
            lg.addHandler(handler)
    yield handler
    for lg, level in saved:
        lg.setLevel(level)
        lg.removeHandler(handler)


# Credential fields planted again with a trailing newline; the leak search looks for the value without it.
NEWLINE_FIELDS = ("aws-secret-key-nl", "aws-session-token-nl", "azure-token-nl", "gcp-token-nl", "kube-token-nl")


@pytest.fixture
def secrets_planted(settings, estate) -> dict[str, str]:
    s = {name: planted(name) for name in ("aws-secret-key", "aws-session-token", "azure-client-secret")}
    s |= {name: planted_token(name) for name in ("azure-token", "gcp-token", "kube-token", "jira")}
    s |= {name: planted_token(name) for name in (*NEWLINE_FIELDS, "kube-token-live")}
    s |= {f"workload-{name}": value for name, value in planted_values().items()}
    s |= {name: planted(name) for name in ("webhook", "password")}
    s |= {"oidc-client-secret": planted("oidc"), "encryption-key": django_settings.ENCRYPTION_KEYS[0]}
    settings.OIDC_CLIENT_SECRET = s["oidc-client-secret"]
    return s


@pytest.fixture
def planted_cluster(secrets_planted: dict[str, str]) -> Iterator[KubernetesEmulator]:
    """The Kubernetes emulator with the planted workload, answering only the planted live token."""
    cluster = demo_estate()
    plant_workload(cluster, {k.removeprefix("workload-"): v for k, v in secrets_planted.items() if "workload-" in k})
    with KubernetesEmulator(cluster, token=secrets_planted["kube-token-live"]) as emulator:
        yield emulator


def kubeconfig_for(server: str, token: str) -> str:
    return yaml.safe_dump(
        {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": "c", "cluster": {"server": server}}],
            "users": [{"name": "u", "user": {"token": token}}],
            "contexts": [{"name": "ctx", "context": {"cluster": "c", "user": "u"}}],
            "current-context": "ctx",
        }
    )


def plant_newline_accounts(s: dict[str, str], dead: str, cluster: KubernetesEmulator) -> None:
    """Every credential field once more, each value ending in a newline, and the cluster with the workload."""
    nl = {name: s[name] + "\n" for name in NEWLINE_FIELDS}
    for provider, endpoint, credentials in (
        (
            "aws",
            dead,
            {
                "access_key_id": "AKIAPLANTEDKEY000002",
                "secret_access_key": nl["aws-secret-key-nl"],
                "session_token": nl["aws-session-token-nl"],
            },
        ),
        (
            "azure",
            dead,
            {"subscription_id": "00000000-0000-0000-0000-000000000001", "access_token": nl["azure-token-nl"]},
        ),
        ("gcp", dead, {"access_token": nl["gcp-token-nl"], "projects": "plant-project"}),
        ("kubernetes", "", {"kubeconfig_content": kubeconfig_for(cluster.url, nl["kube-token-nl"])}),
    ):
        regions = ["us-east-1"] if provider == "aws" else []
        account = AccountInput(
            provider, f"plant-{provider}-nl", regions, endpoint_url=endpoint, credentials=credentials
        )
        create_account(account, source="cli")
    live = {"kubeconfig_content": kubeconfig_for(cluster.url, s["kube-token-live"])}
    create_account(AccountInput("kubernetes", "plant-cluster", [], credentials=live), source="cli")


def plant_accounts(s: dict[str, str], estate, dead: str) -> None:
    kubeconfig = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "c", "cluster": {"server": dead}}],
        "users": [{"name": "u", "user": {"token": s["kube-token"]}}],
        "contexts": [{"name": "ctx", "context": {"cluster": "c", "user": "u"}}],
        "current-context": "ctx",
    }
    for provider, endpoint, credentials in (
        (
            "aws",
            dead,
            {
                "access_key_id": "AKIAPLANTEDKEY000001",
                "secret_access_key": s["aws-secret-key"],
                "session_token": s["aws-session-token"],
            },
        ),
        (
            "azure",
            dead,
            {
                "subscription_id": "00000000-0000-0000-0000-000000000001",
                "tenant_id": "00000000-0000-0000-0000-000000000002",
                "client_id": "00000000-0000-0000-0000-000000000003",
                "client_secret": s["azure-client-secret"],
            },
        ),
        ("gcp", dead, {"access_token": s["gcp-token"], "projects": "plant-project"}),
        ("kubernetes", "", {"kubeconfig_content": yaml.safe_dump(kubeconfig)}),
    ):
        regions = ["us-east-1"] if provider == "aws" else []
        create_account(
            AccountInput(
                provider=provider,
                name=f"plant-{provider}",
                regions=regions,
                endpoint_url=endpoint,
                credentials=credentials,
            ),
            source="cli",
        )
    create_account(
        AccountInput(
            provider="azure",
            name="plant-azure-token",
            regions=[],
            endpoint_url=dead,
            credentials={"subscription_id": "00000000-0000-0000-0000-000000000001", "access_token": s["azure-token"]},
        ),
        source="cli",
    )
    testcloud = create_account(
        AccountInput(provider="testcloud", name="plant-testcloud", regions=[], credentials={"estate": str(estate.path)})
    )
    run_scan(create_scan(testcloud).pk)


def test_no_secret_anywhere(
    secrets_planted, estate, captured_logs, client, refusing_endpoint, planted_cluster, monkeypatch
) -> None:
    monkeypatch.setenv("POSTURE_AWS_MAX_ATTEMPTS", "1")  # a refused call is not retried
    s = secrets_planted
    admin = User.objects.create_user("planter", password=s["password"])
    admin.groups.add(Group.objects.get(name="admin"))
    device = start_enrolment(admin)
    assert confirm(device, code_for(device))
    s["totp"] = totp_secret(device)
    plant_accounts(s, estate, refusing_endpoint)
    plant_newline_accounts(s, refusing_endpoint, planted_cluster)
    token, s["api-token"] = issue_token(admin, "planted")
    leaks = Leaks(s)
    api = {"HTTP_AUTHORIZATION": f"Bearer {s['api-token']}"}

    # sign in for real (password, then a TOTP code), after a failure with another secret
    refused = Client().post("/login/", {"username": "planter", "password": "wrong-" + s["password"]})
    leaks.scan("a refused sign-in", refused.content)
    browser = Client()
    response = browser.post("/login/", {"username": "planter", "password": s["password"]})
    assert response.status_code == 302 and response["Location"] == "/login/code/"  # the second factor
    response = browser.post("/login/code/", {"code": code_for(device, now=time.time() + 30)})
    assert response.status_code == 302, response.content
    leaks.scan("the sign-in answers", response.content + browser.get("/").content)
    client.force_login(admin)

    # integrations through the API: the creation answers must not echo the secret
    hook = client.post(
        "/api/v1/integrations/webhooks/",
        {
            "name": "hook",
            "url": f"http://127.0.0.1:{closed_port()}/",
            "secret": s["webhook"],
            "events": ["finding.new_failure"],
        },
        content_type="application/json",
    )
    assert hook.status_code == 201, hook.content
    jira = client.post(
        "/api/v1/integrations/jira/",
        {
            "name": "jira",
            "flavor": "cloud",
            "base_url": f"http://127.0.0.1:{closed_port()}/",
            "email": "bot@example.com",
            "token": s["jira"],
            "project_key": "SEC",
        },
        content_type="application/json",
    )
    assert jira.status_code == 201, jira.content
    leaks.forms["jira-basic-auth"] = encodings(f"bot@example.com:{s['jira']}")
    for response, where in ((hook, "webhook creation"), (jira, "jira creation")):
        leaks.scan(where, response.content)

    # error paths: connection tests and scans of unreachable endpoints, integration checks, bad input
    from posture.inventory.models import CloudAccount

    # (the service principal would sign in at login.microsoftonline.com: planted, shown, never sent)
    for account in CloudAccount.objects.exclude(provider="testcloud").exclude(name="plant-azure"):
        leaks.scan(f"test of {account.name}", client.post(f"/api/v1/accounts/{account.pk}/test/", **api).content)
        leaks.scan(f"page test of {account.name}", client.post(f"/accounts/{account.pk}/test/", follow=True).content)
        scan = run_scan(create_scan(account).pk)
        expected = ("succeeded",) if account.name == "plant-cluster" else ("failed", "partial")
        assert scan.state in expected, (account.name, scan.state, scan.message, scan.errors)
        leaks.scan(f"scan of {account.name}", json.dumps([scan.message, scan.errors]))
    newline_scans = Scan.objects.filter(account__name__endswith="-nl")
    assert newline_scans.count() == 4 and all(scan.message or scan.errors for scan in newline_scans)

    # collected configuration: the planted workload was stored, redacted, and failed its secrets rules
    for resource in Resource.objects.all():
        leaks.scan(f"resource {resource.uid}", json.dumps([resource.config, resource.name, resource.tags]))
    workload = Resource.objects.get(uid=PLANTED_UID)
    assert "**redacted**" in json.dumps(workload.config)
    planted_findings = list(workload.account.findings.filter(resource_uid=PLANTED_UID, status="FAIL"))
    assert "kubernetes.workloads.literal_secret_in_env" in {f.rule_id for f in planted_findings}
    for finding in planted_findings:
        leaks.scan(f"finding page {finding.rule_id}", client.get(f"/findings/{finding.pk}/").content)
        leaks.scan(f"finding api {finding.rule_id}", client.get(f"/api/v1/findings/{finding.pk}/", **api).content)
    leaks.scan("resource api", client.get(f"/api/v1/resources/{workload.pk}/", **api).content)
    for kind in ("webhooks", "jira"):
        pk = (hook if kind == "webhooks" else jira).json()["id"]
        response = client.post(f"/api/v1/integrations/{kind}/{pk}/test/", **api)
        assert response.status_code == 400
        leaks.scan(f"{kind} test", response.content)
    broken_kubeconfig = "apiVersion: v1\nusers:\n- name: u\n  user:\n    token: " + s["kube-token"] + "\n  - [broken"
    for body in (
        {"provider": "kubernetes", "name": "bad-kube", "credentials": {"kubeconfig_content": broken_kubeconfig}},
        {"provider": "aws", "name": "bad-aws", "credentials": {"secret_access_key": s["aws-secret-key"]}},
        {"provider": "azure", "name": "bad az", "credentials": {"client_secret": s["azure-client-secret"]}},
        {"provider": "gcp", "name": "bad-gcp", "credentials": {"access_token": s["gcp-token"], "nope": 1}},
    ):
        response = client.post("/api/v1/accounts/", body, content_type="application/json", **api)
        assert response.status_code == 400, response.content
        leaks.scan(f"refused account {body['name']}", response.content)
    kube = CloudAccount.objects.get(name="plant-kubernetes")
    response = client.patch(
        f"/api/v1/accounts/{kube.pk}/",
        {"credentials": {"kubeconfig_content": broken_kubeconfig}},
        content_type="application/json",
        **api,
    )
    assert response.status_code == 400
    leaks.scan("refused kubeconfig update", response.content)
    form = {"provider": "kubernetes", "name": "bad-kube-page", "cred.kubernetes.kubeconfig_content": broken_kubeconfig}
    response = client.post("/accounts/new/", form)
    assert response.status_code == 200 and "kubeconfig" in response.content.decode()  # refused, said why
    leaks.scan("refused account page", response.content)
    form = {"regions": "", "cred.kubernetes.kubeconfig_content": broken_kubeconfig}
    response = client.post(f"/accounts/{kube.pk}/", form)
    assert response.status_code == 200
    leaks.scan("refused account update page", response.content)

    # every page, as the admin
    objects = {
        a.name: page_matrix.objects_of(a) for a in CloudAccount.objects.filter(findings__isnull=False).distinct()
    }
    urls = page_matrix.LISTS + page_matrix.EXPORTS + ["/accounts/new/", "/settings/", "/settings/totp/"]
    urls += [url.format(**ids) for ids in objects.values() for url in page_matrix.OBJECT_PAGES]
    urls += [f"/accounts/{a.pk}/" for a in CloudAccount.objects.all()]
    urls += [f"/scans/{pk}/" for pk in CloudAccount.objects.values_list("scans", flat=True) if pk]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        leaks.scan(url, b"".join(response.streaming_content) if response.streaming else response.content)

    # every GET of the API: lists, each listed object's detail, exports, the schema
    lists = [url for url, _ in api_matrix.LISTS] + [u for u in api_matrix.ADMIN_READS if "{" not in u]
    lists += ["/api/v1/tokens/", "/api/v1/frameworks/", "/api/v1/compliance/", "/api/v1/integrations/tickets/"]
    for url in lists:
        response = client.get(url, **api)
        assert response.status_code == 200, url
        leaks.scan(url, response.content)
        for item in response.json()["results"] if isinstance(response.json(), dict) else response.json():
            pk = item.get("id") or (item.get("framework") or {}).get("id")
            if url.startswith(("/api/v1/findings/changes", "/api/v1/exposure/")) or not pk:  # no detail routes
                continue
            detail = f"{url.split('?')[0]}{pk}/"
            got = client.get(detail, **api)
            assert got.status_code == 200, detail
            leaks.scan(detail, got.content)
            if url == "/api/v1/scans/":
                leaks.scan(f"{detail}drift/", client.get(f"{detail}drift/", **api).content)
    for fmt in ("json", "csv", "ocsf", "sarif"):
        leaks.scan(f"export {fmt}", b"".join(client.get(f"/api/v1/findings/export/?format={fmt}", **api)))
    for url in ("/api/v1/schema/", "/api/v1/docs/", "/api/v1/", "/api/v1/compliance/test-benchmark-1.0/trend/"):
        response = client.get(url, **api)
        assert response.status_code == 200, url
        leaks.scan(url, response.content)

    # the command line, the audit trail and every log record
    out = StringIO()
    call_command("accounts", "list", "--format", "json", stdout=out)
    call_command("integrations", "list", stdout=out)
    call_command("integrations", "log", stdout=out)
    with redirect_stdout(out):
        call_command("findings", "export", "--format", "json")
    leaks.scan("the command line", out.getvalue())
    for entry in AuditLog.objects.order_by("id").values():
        leaks.scan(f"audit {entry['action']}", json.dumps(entry, default=str))
    formatter = JsonFormatter()
    for record in captured_logs.records:
        leaks.scan(f"log {record.name}", formatter.format(record) + repr(record.args) + repr(record.__dict__))

    assert not leaks.found, "\n".join(sorted(set(leaks.found)))
    assert captured_logs.records and leaks.places > 100
    assert token.pk and len(leaks.forms) == 14 + len(NEWLINE_FIELDS) + 1 + len(planted_values())
