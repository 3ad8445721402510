"""Secret-named variables and ConfigMap keys as the collector stores them and the rules judge them.

A Deployment and a ConfigMap go through the collector's own record builders (redaction included), then the
rules run on the records: a literal secret is redacted and failed; a look-alike (a ``*_FILE`` path, a
reference, a cache key) is kept as written and passes.
"""

from __future__ import annotations

import pytest

from collectors.kubernetes.convert import configmap_config
from collectors.kubernetes.objects import REDACTED, record_for, workload_record
from collectors.literal_secrets import literal_secret
from collectors.records import ResourceRecord
from collectors.redact import redact_string
from posture.rules.evaluate import evaluate
from posture.rules.registry import RULES, RuleRegistry

JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJjaSIsImV4cCI6OTk5OTk5OTk5OX0.c2lnbmF0dXJlLW9mLXRoZS10b2tlbg"


def deployment(env: list[dict[str, object]]) -> dict[str, object]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "api", "namespace": "shop"},
        "spec": {"template": {"spec": {"containers": [{"name": "api", "image": "ghcr.io/acme/api:1.4", "env": env}]}}},
    }


def verdict(rule_id: str, record: ResourceRecord) -> str:
    only = RuleRegistry()
    only.add(RULES.get(rule_id))
    (result,) = evaluate([record], only)
    return str(result.status)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("DB_PASSWORD_FILE", "/run/secrets/db-password"),
        ("TLS_PRIVATE_KEY_PATH", "/etc/tls/tls.key"),
        ("DB_PASSWORD", "$(DB_PASSWORD_FROM_SECRET)"),
        ("API_TOKEN", "vault:secret/data/api#token"),
        ("SIGNING_KEY", "projects/acme/secrets/signing-key/versions/latest"),
        ("CLIENT_SECRET", "https://acme-kv.vault.azure.net/secrets/client-secret"),
        ("PWD", "/app"),
        ("CACHE_KEY", "user-profile"),
        ("KMS_KEY", "alias/app"),
        ("TOKEN_AUTH_ENABLED", "true"),
        ("config.yaml", "database:\n  password: ${DB_PASSWORD}\n  password_file: /run/secrets/db\n"),
    ],
)
def test_a_reference_is_kept_and_passes(name: str, value: str) -> None:
    assert literal_secret(name, value) is None
    record = workload_record(deployment([{"name": name, "value": value}]))
    assert record.config["spec"]["template"]["spec"]["containers"][0]["env"][0]["value"] == value
    assert verdict("kubernetes.workloads.literal_secret_in_env", record) == "PASS"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("pwd", "hunter2hunter2"),
        ("PASSWD", "s3cr3t!"),
        ("DB_PASS", "hunter2"),
        ("AZURE_BATCH_KEY", "dGhpcyBpcyBub3QgYSByZWFsIGtleSBidXQgaXQgbG9va3MgbGlrZSBvbmU="),
        ("azureStorageAccountKey", "dGhpcyBpcyBub3QgYSByZWFsIGtleQ=="),
        ("SSH_KEY_CONTENT", "AAAAB3NzaC1yc2EAAAADAQABAAABAQ"),
        ("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
        ("DB_PASSWORD", "/not a path but a passphrase"),
        ("EXTRA_HEADERS", "Authorization: Bearer " + JWT),
        ("UPSTREAM_AUTH", "Bearer 8f14e45fceea167a5a36dedd4bea2543"),
        ("GH", "ghp_a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"),
        ("SLACK", "xoxb-123456789012-abcdefghijkl"),
        ("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE"),
        ("TOKEN_FILE", JWT),
    ],
)
def test_a_literal_secret_is_redacted_and_fails(name: str, value: str) -> None:
    assert literal_secret(name, value) is not None
    record = workload_record(deployment([{"name": name, "value": value}]))
    stored = record.config["spec"]["template"]["spec"]["containers"][0]["env"][0]["value"]
    assert REDACTED in stored and value not in stored
    assert verdict("kubernetes.workloads.literal_secret_in_env", record) == "FAIL"


def test_value_from_is_no_literal() -> None:
    env = [{"name": "DB_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "db", "key": "password"}}}]
    assert verdict("kubernetes.workloads.literal_secret_in_env", workload_record(deployment(env))) == "PASS"


def configmap(data: dict[str, str]) -> ResourceRecord:
    obj = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "app", "namespace": "shop"}, "data": data}
    return record_for("kubernetes.core.configmap", obj, configmap_config(obj))


def test_configmap_keys_that_only_point_at_secrets_pass() -> None:
    record = configmap(
        {
            "DB_PASSWORD_FILE": "/run/secrets/db",
            "API_TOKEN_PATH": "/var/run/secrets/tokens/api",
            "CACHE_KEY": "sessions",
            "application.yaml": "spring:\n  datasource:\n    password: ${DB_PASSWORD}\n",
        }
    )
    assert record.config["_secretLookingKeys"] == []
    assert verdict("kubernetes.core.configmap_holds_no_secrets", record) == "PASS"


def test_configmap_secrets_by_name_or_value_fail_without_their_values() -> None:
    record = configmap(
        {
            "PASSWD": "hunter2",
            "AZURE_BATCH_KEY": "dGhpcyBpcyBub3QgYSByZWFsIGtleQ==",
            "nginx.conf": 'proxy_set_header Authorization "Bearer 8f14e45fceea167a5a36dedd4bea2543";',
            "application.yaml": "spring:\n  datasource:\n    password: hunter2\n",
            "MODE": "production",
        }
    )
    flagged = {f["key"]: f["reason"] for f in record.config["_secretLookingKeys"]}
    assert set(flagged) == {"PASSWD", "AZURE_BATCH_KEY", "nginx.conf", "application.yaml"}
    assert "hunter2" not in str(record.config)
    assert verdict("kubernetes.core.configmap_holds_no_secrets", record) == "FAIL"


def test_a_bearer_token_in_a_string_is_redacted() -> None:
    assert redact_string("Authorization: Bearer 8f14e45fceea167a5a36dedd4bea2543") == f"Authorization: {REDACTED}"
    assert redact_string("auth type: bearer") == "auth type: bearer"
