"""Provider SDKs load only when their provider is used: a process that scans nothing imports none of them.

Each check runs in a fresh interpreter (a test process has long imported every SDK). The process sets
Django up, imports every URLconf and view (as a serving process's warm-up does), runs ``check`` and
``accounts list``, and checks every provider's credential options; then one provider's collectors are
asked for, and only that provider's SDK may appear.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# top-level packages of the cloud and cluster SDKs (and what only they pull in: protobuf, proto-plus, gRPC)
SDKS = ("boto3", "botocore", "s3transfer", "azure", "msal", "google", "googleapiclient", "proto", "grpc", "kubernetes")

KUBECONFIG = """
apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://127.0.0.1:6443"}}]
users: [{name: u, user: {token: t}}]
contexts: [{name: ctx, context: {cluster: c, user: u}}]
current-context: ctx
"""

CREDENTIALS = {
    "aws": {"access_key_id": "AKIAEXAMPLE", "secret_access_key": "s", "role_arn": "arn:aws:iam::123456789012:role/r"},
    "azure": {
        "tenant_id": "00000000-0000-0000-0000-000000000001",
        "client_id": "00000000-0000-0000-0000-000000000002",
        "client_secret": "s",
    },
    "gcp": {"access_token": "t", "projects": "proj-one,proj-two"},
    "kubernetes": {"kubeconfig_content": KUBECONFIG},
}

SCRIPT = """
import io, json, os, sys
os.environ["DJANGO_SETTINGS_MODULE"] = "posture.settings"
import django
django.setup()
from django.core.management import call_command
from django.urls import URLPattern, URLResolver, get_resolver

from collectors import REGISTRY
from posture.warmup import warm_up

SDKS = tuple(sys.argv[1].split(","))
CREDENTIALS = json.loads(sys.argv[2])
SERVICES_OF = sys.argv[3]


def loaded():
    return sorted({m.split(".")[0] for m in sys.modules if m.split(".")[0] in SDKS})


def walk(patterns):
    for p in patterns:
        if isinstance(p, URLResolver):
            walk(p.url_patterns)
        else:
            assert isinstance(p, URLPattern)


call_command("migrate", "--noinput", verbosity=0)
warm_up()
walk(get_resolver().url_patterns)
call_command("check", stdout=io.StringIO())
out = io.StringIO()
call_command("accounts", "list", stdout=out)
assert "no accounts yet" in out.getvalue(), out.getvalue()
for name, creds in CREDENTIALS.items():
    provider = REGISTRY.provider(name)
    provider.validate_credentials(creds)
    assert [f.name for f in provider.credential_fields]
before = loaded()
services = [spec.service for spec in REGISTRY.collectors(SERVICES_OF)]
print(json.dumps({"before": before, "services": services, "after": loaded()}))
"""


def run(services_of: str, tmp_path: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "CELERY_BROKER_URL")}
    env["POSTURE_DATA_DIR"] = str(tmp_path)
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, ",".join(SDKS), json.dumps(CREDENTIALS), services_of],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_pages_api_and_commands_that_scan_nothing_import_no_sdk_and_a_scan_loads_only_its_own(tmp_path) -> None:
    seen = run("gcp", tmp_path)
    assert seen["before"] == [], f"SDKs imported without a scan: {seen['before']}"
    assert {"compute_instances", "storage", "iam"} <= set(seen["services"])
    assert "google" in seen["after"]
    assert not {"boto3", "botocore", "azure", "kubernetes"} & set(seen["after"]), seen["after"]


def test_asking_for_the_aws_collectors_loads_botocore_alone(tmp_path) -> None:
    seen = run("aws", tmp_path)
    assert seen["before"] == []
    assert {"ec2", "s3", "iam", "cloudtrail"} <= set(seen["services"])
    assert "botocore" in seen["after"]
    assert not {"google", "azure", "kubernetes"} & set(seen["after"]), seen["after"]


COMMAND_PROBE = """
import runpy, sys
sys.argv = ["manage.py", "accounts", "list"]
try:
    runpy.run_path("manage.py", run_name="__main__")
finally:
    print("MODULES=" + ",".join(sorted(sys.modules)), file=sys.stderr)
"""


def test_a_command_that_scans_nothing_skips_the_urlconf_and_the_http_clients(tmp_path) -> None:
    """``accounts list`` runs no system checks (``manage.py check`` does), so no view, DRF or Jira client loads."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "CELERY_BROKER_URL")}
    env["POSTURE_DATA_DIR"] = str(tmp_path)
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)
    result = subprocess.run(
        [sys.executable, "-c", COMMAND_PROBE], cwd=ROOT, env=env, capture_output=True, text=True, timeout=180
    )
    assert result.returncode == 0, result.stderr
    assert "no accounts yet" in result.stdout
    modules = set(result.stderr.rsplit("MODULES=", 1)[1].split()[0].split(","))
    assert not {m for m in modules if m.split(".")[0] in ("requests", *SDKS)}
    heavy = {"posture.urls", "rest_framework.views", "drf_spectacular.views", "posture.integrations.tasks"}
    assert not heavy & modules, sorted(heavy & modules)
