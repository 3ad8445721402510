"""GcpProvider: credential checks, project scope, identity, service-account keys, error kinds."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import google.api_core.exceptions as gexc
import google.auth.exceptions
import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from collectors.gcp import PROVIDER
from collectors.gcp.provider import ScopeFailures
from collectors.records import Target
from collectors.registry import InvalidCredentials
from collectors.run import collect, plan
from emulators.gcp import GcpEmulator
from tests.collectors.gcp.conftest import session_for, target


def key_file(tmp_path: Path, token_uri: str, **changes: object) -> Path:
    pem = rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    info = {
        "type": "service_account",
        "project_id": "acme-prod",
        "private_key_id": "0123456789abcdef",
        "private_key": pem.decode(),
        "client_email": "posture@acme-prod.iam.gserviceaccount.com",
        "client_id": "1234567890",
        "token_uri": token_uri,
        **changes,
    }
    path = tmp_path / "key.json"
    path.write_text(json.dumps({k: v for k, v in info.items() if v is not None}))
    return path


def test_credentials_are_checked_before_anything_is_stored(tmp_path: Path) -> None:
    PROVIDER.validate_credentials({"access_token": "t", "projects": "acme-prod,acme-sandbox"})
    PROVIDER.validate_credentials({"organization": "9001"})  # the default chain, every project of an org
    with pytest.raises(InvalidCredentials, match="choose one way"):
        PROVIDER.validate_credentials({"access_token": "t", "service_account_key_file": "/x.json"})
    with pytest.raises(InvalidCredentials, match="choose one scope"):
        PROVIDER.validate_credentials({"projects": "acme-prod", "folder": "folders/1"})
    with pytest.raises(InvalidCredentials, match="not project ids"):
        PROVIDER.validate_credentials({"projects": "Acme_Prod"})
    with pytest.raises(InvalidCredentials, match="folders/NUMBER"):
        PROVIDER.validate_credentials({"folder": "engineering"})
    with pytest.raises(InvalidCredentials, match="do not apply"):
        PROVIDER.validate_credentials({"subscription_id": "x"})


def test_a_broken_key_file_is_refused_without_quoting_the_key(tmp_path: Path) -> None:
    with pytest.raises(InvalidCredentials, match="not JSON"):
        (tmp_path / "bad.json").write_text("-----BEGIN PRIVATE KEY----- not json")
        PROVIDER.validate_credentials({"service_account_key_file": str(tmp_path / "bad.json")})
    path = key_file(tmp_path, "http://127.0.0.1:9/token", client_email=None)
    with pytest.raises(InvalidCredentials) as raised:
        PROVIDER.validate_credentials({"service_account_key_file": str(path)})
    assert "client_email" in str(raised.value) and "PRIVATE KEY" not in str(raised.value)
    user = key_file(tmp_path, "http://127.0.0.1:9/token", type="authorized_user")
    with pytest.raises(InvalidCredentials, match="not service_account"):
        PROVIDER.validate_credentials({"service_account_key_file": str(user)})
    with pytest.raises(InvalidCredentials, match="No such file"):
        PROVIDER.validate_credentials({"service_account_key_file": str(tmp_path / "missing.json")})


def test_a_service_account_key_signs_in_and_scans_its_own_project(emulator: GcpEmulator, tmp_path: Path) -> None:
    emulator.token = ""  # the client libraries sign their own JWTs with the key; any bearer is let in
    path = key_file(tmp_path, f"{emulator.url}/token")
    PROVIDER.validate_credentials({"service_account_key_file": str(path)})
    credentials = {"service_account_key_file": str(path)}
    session = PROVIDER.connect(Target("gcp", "k", endpoint_url=emulator.url, credentials=credentials))
    assert session.projects == ["acme-prod"]  # from the key file's project_id
    identity = PROVIDER.identify(session)
    assert identity.external_id == "acme-prod" and identity.display == "Acme Prod"
    assert session.get_json("iam", "v1/projects/acme-prod/serviceAccounts")["accounts"]  # a token from /token
    claims = [
        json.loads(base64.urlsafe_b64decode(b.split(".")[1] + "==")) for b in emulator.bearers if b.count(".") == 2
    ]
    assert {c["iss"] for c in claims} == {"posture@acme-prod.iam.gserviceaccount.com"}  # the self-signed JWT
    assert "emulator-token" in emulator.bearers


def test_a_folder_scope_finds_every_active_project_below_it(emulator: GcpEmulator) -> None:
    emulator.estate["folders"].append(
        {"name": "folders/1002", "parent": "folders/1001", "displayName": "Nested", "state": "ACTIVE"}
    )
    emulator.estate["projects"][1]["parent"] = "folders/1002"
    session = session_for(emulator, folder="folders/1001")
    assert session.projects == ["acme-prod", "acme-sandbox"]
    assert PROVIDER.identify(session).external_id == "folders/1001"
    org = session_for(emulator, organization="organizations/9001")
    assert org.projects == ["acme-prod", "acme-sandbox"]


def test_without_any_project_the_account_is_refused(emulator: GcpEmulator) -> None:
    with pytest.raises(InvalidCredentials, match="no project to scan"):
        PROVIDER.connect(Target("gcp", "t", endpoint_url=emulator.url, credentials={"access_token": "t"}))


def test_a_wrong_token_is_denied(emulator: GcpEmulator) -> None:
    session = session_for(emulator, access_token="wrong")
    with pytest.raises(Exception) as raised:
        PROVIDER.identify(session)
    assert PROVIDER.classify_error(raised.value) == "denied"


def test_one_failing_project_keeps_the_others(emulator: GcpEmulator) -> None:
    emulator.estate["projects"][1]["projectId"] = "acme-gone"  # listed, but every call on it is refused
    session = session_for(emulator, projects="acme-prod,acme-sandbox")
    result = collect(PROVIDER, session, plan(PROVIDER, session, target(emulator, projects="acme-prod,acme-sandbox")))
    buckets = {r.name for r in result.records if r.type == "gcp.storage.bucket"}
    assert buckets == {"acme-prod-audit-logs", "acme-prod-artifacts", "acme-prod-public-site"}
    storage = next(e for e in result.errors if e.service == "storage")
    assert storage.kind == "denied" and "acme-sandbox" in storage.error


@pytest.mark.parametrize(
    ("exc", "kind"),
    [
        (gexc.Forbidden("no"), "denied"),
        (gexc.TooManyRequests("slow down"), "throttled"),
        (gexc.NotFound("no such API"), "unsupported"),
        (gexc.InternalServerError("boom"), "error"),
        (google.auth.exceptions.RefreshError("expired"), "denied"),
        (requests.ConnectionError("refused"), "unreachable"),
        (requests.ReadTimeout("slow"), "timeout"),
        (ValueError("junk"), "invalid_response"),
        (ScopeFailures({"p": gexc.TooManyRequests("x")}), "throttled"),
    ],
)
def test_errors_are_classified(exc: BaseException, kind: str) -> None:
    assert PROVIDER.classify_error(exc) == kind
