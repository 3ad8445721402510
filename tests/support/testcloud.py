"""A provider for the tests: its "cloud" is a JSON estate file, so scans are exact and offline.

The file (credential ``estate``) holds::

    {"regions": ["r1", "r2"],
     "resources": [{"service": "storage", "region": "r1", "type": "testcloud.storage.bucket",
                    "uid": "b1", "name": "b1", "config": {...}}],
     "fail": [{"service": "storage", "region": "r2", "error": "boom"}],
     "hang": [{"service": "iam", "seconds": 60}]}

Loaded by pytest (``-p tests.support.testcloud``) and by worker processes
(``POSTURE_PLUGINS=tests.support.testcloud``).
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from collectors.records import Identity, ResourceRecord, Target
from collectors.registry import REGISTRY, BaseProvider, CredentialField
from posture.rules import frameworks
from posture.rules.registry import rule
from posture.rules.verdicts import check, observed


class Estate:
    def __init__(self, path: str) -> None:
        self.path = Path(path)

    def load(self) -> dict[str, Any]:
        return json.loads(self.path.read_text())


class TestCloudProvider(BaseProvider):
    name = "testcloud"
    title = "Test cloud (an estate file)"
    credential_fields = (CredentialField("estate", "path of the estate JSON file"),)
    credentials_required = True

    def connect(self, target: Target) -> Estate:
        estate = Estate(target.credentials["estate"])
        estate.load()  # a missing or broken file fails the scan at once
        return estate

    def list_regions(self, session: Estate, target: Target) -> list[str]:
        return list(target.regions) or session.load()["regions"]

    def identify(self, session: Estate) -> Identity:
        return Identity(external_id=session.load().get("id", "test-0001"), display=str(session.path))


def _collect(service: str):
    def collector(session: Estate, region: str):
        estate = session.load()
        for hang in estate.get("hang", []):
            if hang["service"] == service:
                time.sleep(hang.get("seconds", 3600))
        for failure in estate.get("fail", []):
            if failure["service"] == service and failure.get("region", region) == region:
                raise RuntimeError(failure.get("error", "simulated failure"))
        for item in estate["resources"]:
            if item["service"] == service and item.get("region", "global") == region:
                yield ResourceRecord(
                    provider="testcloud",
                    service=service,
                    type=item["type"],
                    uid=item["uid"],
                    name=item.get("name", item["uid"]),
                    region=region,
                    tags=item.get("tags", {}),
                    config=item.get("config", {}),
                )

    return collector


if "testcloud" not in REGISTRY.provider_names():
    REGISTRY.add_provider(TestCloudProvider())
    REGISTRY.collector("testcloud", "storage")(_collect("storage"))
    REGISTRY.collector("testcloud", "iam", regional=False)(_collect("iam"))

    @rule(
        id="testcloud.storage.bucket_not_public",
        title="Bucket is not public",
        severity="high",
        category="exposure",
        resource_type="testcloud.storage.bucket",
        rationale="Public buckets leak data.",
        remediation="Turn public access off.",
    )
    def bucket_not_public(resource: ResourceRecord, ctx) -> Any:
        return check(
            resource.config.get("public") is not True,
            "the bucket is private",
            "the bucket is public",
            observed(resource.config, "public"),
        )

    @rule(
        id="testcloud.iam.user_has_mfa",
        title="User has MFA",
        severity="medium",
        category="identity",
        resource_type="testcloud.iam.user",
        rationale="Passwords alone are phished.",
        remediation="Enable MFA.",
    )
    def user_has_mfa(resource: ResourceRecord, ctx) -> Any:
        return check(bool(resource.config.get("mfa")), "MFA is on", "MFA is off", observed(resource.config, "mfa"))

    frameworks.add_directory(Path(__file__).parent / "frameworks")
