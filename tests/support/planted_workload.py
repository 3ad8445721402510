"""A workload whose spec carries secrets where people put them, and look-alikes that are not secrets.

Used by the collector tests (each secret must be redacted, each look-alike kept) and by the secret-scan
test (none of the secrets may appear in a page, an API answer or a log after a scan).
"""

from __future__ import annotations

import json
import secrets
from typing import Any

from emulators.kubernetes.estate import Estate

NAMESPACE, NAME = "shop", "planted"
UID = f"{NAMESPACE}/Deployment/{NAME}"
HARMLESS = {
    "url": "https://docs.example.com/runbook",
    "password_file": "--password-file=/etc/app/password",
    "image": "registry.example.com:5000/team/app:1.4@sha256:" + "ab" * 32,
    "annotation": "https://dashboards.example.com/d/app",
}


def planted_values() -> dict[str, str]:
    """A fresh secret per place: in a URL, in arguments, shaped like known keys, in annotations."""
    hexes = {name: secrets.token_hex(12) for name in ("url", "arg", "inline", "sh", "annot", "applied", "ci")}
    return {
        "url-password": f"urlpw{hexes['url']}",
        "arg-value": f"argpw{hexes['arg']}",
        "arg-inline": f"inlinepw{hexes['inline']}",
        "sh-inline": f"shpw{hexes['sh']}",
        "stripe-key": f"sk_live_{secrets.token_hex(12)}",
        "slack-token": f"xoxb-{secrets.randbelow(10**12)}-{secrets.token_hex(8)}",
        "github-token": f"ghp_{secrets.token_hex(18)}",
        "gitlab-token": f"glpat-{secrets.token_hex(10)}",
        "aws-key-id": "AKIA" + secrets.token_hex(8).upper(),
        "annotation-token": f"annot{hexes['annot']}",
        "annotation-url": f"cipw{hexes['ci']}",
        "last-applied-env": f"appliedpw{hexes['applied']}",
    }


def plant_workload(estate: Estate, values: dict[str, str]) -> None:
    """A Deployment in ``shop`` with every planted value somewhere in its spec or annotations."""
    container = {
        "name": "app",
        "image": HARMLESS["image"],
        "command": ["/app", "--db-password", values["arg-value"], HARMLESS["password_file"]],
        "args": [f"--password={values['arg-inline']}", "sh", "-c", f"exec worker --api-token {values['sh-inline']}"],
        "env": [
            {"name": "DATABASE_URL", "value": f"postgres://app:{values['url-password']}@db:5432/app"},
            {"name": "DOCS", "value": HARMLESS["url"]},
            {"name": "STRIPE", "value": values["stripe-key"]},
            {"name": "NOTIFY", "value": f"slack {values['slack-token']}"},
            {"name": "GITHUB", "value": values["github-token"]},
            {"name": "GITLAB", "value": values["gitlab-token"]},
            {"name": "AWS_KEY_ID", "value": values["aws-key-id"]},
        ],
    }
    estate.deployment(NAMESPACE, NAME, {"containers": [container]}, replicas=1)
    deployment = estate.objects("Deployment")[-1]
    applied: dict[str, Any] = {
        "kind": "Deployment",
        "spec": {
            "template": {
                "spec": {"containers": [{"env": [{"name": "DB_PASSWORD", "value": values["last-applied-env"]}]}]}
            }
        },
    }
    annotations = {
        "kubectl.kubernetes.io/last-applied-configuration": json.dumps(applied),
        "example.com/api-token": values["annotation-token"],
        "ci.example.com/build-url": f"https://ci:{values['annotation-url']}@ci.example.com/job/1",
        "example.com/dashboard": HARMLESS["annotation"],
        "example.com/config": json.dumps({"env": [{"name": "DB_PASSWORD", "value": values["last-applied-env"]}]}),
    }
    deployment["metadata"]["annotations"] = annotations
    deployment["spec"]["template"]["metadata"]["annotations"] = {"example.com/api-token": values["annotation-token"]}
