"""A synthetic cloud account of any size, for ``distributed_scan.py``: a provider plugin, loaded only there.

Loaded with ``POSTURE_PLUGINS=benchmarks.synthetic_cloud`` by the benchmark and by the workers it starts. Its
records are the AWS rule cases' own resources (``tests/rules/cases/aws``: real shapes, so the real AWS rules
run on them, context rules included), copied under new uids and spread over services and regions (what an
account has one or a few of, such as its settings, trails, alarms and clusters, once per region), each padded
to about ``SYNTHETIC_CONFIG_BYTES`` of JSON like a real API answer. Each collector waits ``SYNTHETIC_DELAY``
seconds per call, as a far API would: one list call per ``SYNTHETIC_PAGE`` records, and one more call for every
``1 / SYNTHETIC_DETAIL`` records (a detail read). The size comes from the account's credential ``resources``.
"""

from __future__ import annotations

import copy
import os
import time
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from collectors.records import Identity, ResourceRecord, Target
from collectors.registry import REGISTRY, BaseProvider, CredentialField

CASES = Path(__file__).resolve().parent.parent / "tests" / "rules" / "cases" / "aws"
SERVICES = ("ec2", "s3", "iam", "ecr", "rds", "eks", "cloudtrail", "logs", "cloudwatch", "sns", "kms", "vpc")
REGIONS = tuple(f"r{n:02d}" for n in range(1, 9))
DELAY = float(os.environ.get("SYNTHETIC_DELAY", "0.05"))
PAGE = int(os.environ.get("SYNTHETIC_PAGE", "100"))
DETAIL = float(os.environ.get("SYNTHETIC_DETAIL", "0.2"))
CONFIG_BYTES = int(os.environ.get("SYNTHETIC_CONFIG_BYTES", "1000"))


# Account-level settings and what an account has a few of (trails, alarms, topics, clusters, registries) stay
# few: one of each shape per (service, region); the rest of the account is the other shapes, copied.
FEW_SERVICES = {"cloudtrail", "cloudwatch", "logs", "sns", "kms"}
FEW_SUFFIXES = (
    ".account",
    ".registry",
    ".region_settings",
    ".cluster",
    ".nodegroup",
    ".peering_connection",
    ".endpoint",
    ".server_certificate",
    ".password_policy",
)


def few(type_: str) -> bool:
    return type_.split(".")[1] in FEW_SERVICES or type_.endswith(FEW_SUFFIXES)


def templates() -> dict[str, list[dict[str, Any]]]:
    """service -> the AWS case resources of that service ({type, config}), first of each uid."""
    found: dict[str, list[dict[str, Any]]] = defaultdict(list)
    seen: set[str] = set()
    for path in sorted(CASES.glob("*.yaml")):
        for case in yaml.safe_load(path.read_text()) or []:
            for item in [case.get("resource"), *(case.get("context") or [])]:
                if not isinstance(item, dict) or item.get("uid") in seen or "type" not in item:
                    continue
                seen.add(item["uid"])
                service = item["type"].split(".")[1]
                if service in SERVICES:
                    found[service].append({"type": item["type"], "config": item.get("config") or {}})
    return found


TEMPLATES = templates()


FEW = {service: [t for t in shapes if few(t["type"])] for service, shapes in TEMPLATES.items()}
BULK = {service: [t for t in shapes if not few(t["type"])] for service, shapes in TEMPLATES.items()}


class Account:
    def __init__(self, resources: int) -> None:
        self.resources = resources

    def bulk_per_unit(self) -> int:
        """Copies of the bulk shapes per unit of a service that has them, so the account has ``resources``."""
        few_total = sum(map(len, FEW.values())) * len(REGIONS)
        bulk_units = sum(1 for shapes in BULK.values() if shapes) * len(REGIONS)
        return max(0, (self.resources - few_total) // max(1, bulk_units))


class SyntheticProvider(BaseProvider):
    name = "synthetic"
    title = "Synthetic account (benchmarks)"
    credential_fields = (CredentialField("resources", "how many resources the account has"),)

    def connect(self, target: Target) -> Account:
        return Account(int(target.credentials.get("resources") or 1000))

    def list_regions(self, session: Account, target: Target) -> list[str]:
        return list(REGIONS)

    def identify(self, session: Account) -> Identity:
        return Identity(external_id="synthetic-0001")


def padding(size: int) -> list[dict[str, str]]:
    return [{"Key": f"tag-{n}", "Value": "v" * 40} for n in range(max(0, size // 60))]


def collector(service: str):
    def collect(session: Account, region: str) -> Iterator[ResourceRecord]:
        bulk = BULK.get(service) or []
        shapes = FEW.get(service, []) + bulk * (session.bulk_per_unit() // len(bulk) + 1 if bulk else 0)
        count = len(FEW.get(service, [])) + (session.bulk_per_unit() if bulk else 0)
        pad = padding(CONFIG_BYTES)
        details = 0.0
        for n in range(count):
            if n % PAGE == 0:
                time.sleep(DELAY)  # a list call
            details += DETAIL
            if details >= 1:
                details -= 1
                time.sleep(DELAY)  # a detail read
            shape = shapes[n]
            config = copy.deepcopy(shape["config"])
            config["SyntheticTags"] = pad
            uid = f"arn:synthetic:{service}:{region}:{n}"
            yield ResourceRecord("aws", service, shape["type"], uid, f"{service}-{region}-{n}", region, {}, config)

    return collect


if "synthetic" not in REGISTRY.provider_names():
    REGISTRY.add_provider(SyntheticProvider())
    for _service in SERVICES:
        REGISTRY.collector("synthetic", _service)(collector(_service))
