"""Settings come from the environment; a bad value stops the process with the variable's name."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from posture.env import SettingError, env_bool, env_choice, env_commands, env_int, env_list, env_str

ROOT = Path(__file__).resolve().parents[2]


def test_typed_readers(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("X_BOOL", "yes")
    monkeypatch.setenv("X_INT", "7")
    monkeypatch.setenv("X_LIST", "a, b,,c")
    monkeypatch.setenv("X_COMMANDS", "aws eks get-token --cluster-name *; ;kubelogin get-token --server-id 'a b'")
    secret = tmp_path / "secret"
    secret.write_text("from-a-file\n")
    monkeypatch.setenv("X_SECRET_FILE", str(secret))
    assert env_bool("X_BOOL", False) is True
    assert env_int("X_INT", 1, minimum=1) == 7
    assert env_list("X_LIST") == ["a", "b", "c"]
    assert env_commands("X_COMMANDS") == [
        ("aws", "eks", "get-token", "--cluster-name", "*"),
        ("kubelogin", "get-token", "--server-id", "a b"),
    ]
    assert env_str("X_SECRET") == "from-a-file"
    assert env_bool("X_UNSET", True) is True


@pytest.mark.parametrize(
    ("name", "value", "call"),
    [
        ("X_BOOL", "maybe", lambda: env_bool("X_BOOL", False)),
        ("X_INT", "seven", lambda: env_int("X_INT", 1)),
        ("X_INT", "0", lambda: env_int("X_INT", 1, minimum=1)),
        ("X_CHOICE", "loud", lambda: env_choice("X_CHOICE", "info", ("info", "debug"))),
        ("X_SECRET_FILE", "/nonexistent/file", lambda: env_str("X_SECRET")),
        ("X_COMMANDS", "aws 'unclosed", lambda: env_commands("X_COMMANDS")),
        ("X_COMMANDS", "* get-token", lambda: env_commands("X_COMMANDS")),
    ],
)
def test_bad_values_fail_loudly_naming_the_variable(monkeypatch, name, value, call) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingError, match=name.removesuffix("_FILE")):
        call()


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("POSTURE_SCAN_CONCURRENCY", "lots", "POSTURE_SCAN_CONCURRENCY='lots' is not a whole number"),
        ("POSTURE_DEBUG", "perhaps", "POSTURE_DEBUG='perhaps' is not a boolean"),
        ("DATABASE_URL", "nonsense://", "DATABASE_URL"),
        ("POSTURE_ENCRYPTION_KEYS", "not-a-fernet-key", "key #1 is not a Fernet key"),
        ("POSTURE_K8S_MAX_POD_AGE_DAYS", "30d", "POSTURE_K8S_MAX_POD_AGE_DAYS='30d' is not a whole number"),
        ("POSTURE_K8S_MAX_KUBELET_MINOR_LAG", "-1", "POSTURE_K8S_MAX_KUBELET_MINOR_LAG=-1 is below the minimum 0"),
        ("POSTURE_K8S_ALLOWED_REGISTRIES", "ghcr.io/acme", "POSTURE_K8S_ALLOWED_REGISTRIES: 'ghcr.io/acme' is not"),
        ("POSTURE_K8S_IMAGE_MAX_AGE_DAYS", "six months", "POSTURE_K8S_IMAGE_MAX_AGE_DAYS='six months' is not a whole"),
        ("POSTURE_ECR_STALE_IMAGE_DAYS", "0", "POSTURE_ECR_STALE_IMAGE_DAYS=0 is below the minimum 1"),
        ("POSTURE_GCP_API_KEY_MAX_AGE_DAYS", "ninety", "POSTURE_GCP_API_KEY_MAX_AGE_DAYS='ninety' is not a whole"),
        ("POSTURE_AWS_MAX_ATTEMPTS", "many", "POSTURE_AWS_MAX_ATTEMPTS='many' is not a whole number"),
        (
            "POSTURE_AZURE_STORAGE_KEY_MAX_AGE_DAYS",
            "0",
            "POSTURE_AZURE_STORAGE_KEY_MAX_AGE_DAYS=0 is below the minimum",
        ),
    ],
)
def test_a_bad_setting_stops_start_up(tmp_path, variable, value, message) -> None:
    env = {**os.environ, "POSTURE_DATA_DIR": str(tmp_path), variable: value}
    code = (
        "import django; django.setup()\n"
        "from posture.crypto import encrypt_json; encrypt_json({'a': 1})\n"
        "from django.db import connection; connection.ensure_connection()\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**env, "DJANGO_SETTINGS_MODULE": "posture.settings"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert message in result.stderr


def test_every_variable_read_is_in_env_example() -> None:
    read = set()
    for path in (ROOT / "posture").rglob("*.py"):
        read |= set(re.findall(r'env_\w+\(\s*"([A-Z][A-Z0-9_]+)"', path.read_text()))
    listed = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", (ROOT / ".env.example").read_text(), re.M))
    assert read, "no settings found"
    assert read <= listed, f"missing from .env.example: {sorted(read - listed)}"


def test_embedded_default_with_nothing_set(tmp_path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("POSTURE_", "DATABASE_URL", "CELERY_"))}
    env["POSTURE_DATA_DIR"] = str(tmp_path)
    code = (
        "import django; django.setup()\n"
        "from django.conf import settings\n"
        "print(settings.DATABASES['default']['ENGINE'], settings.CELERY_TASK_ALWAYS_EAGER)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**env, "DJANGO_SETTINGS_MODULE": "posture.settings"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["django.db.backends.sqlite3", "True"]
    assert oct((tmp_path / "encryption_key").stat().st_mode & 0o777) == "0o600"
