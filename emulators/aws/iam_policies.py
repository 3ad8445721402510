"""AWS managed policies on moto, made once per account instead of once per account and partition.

With ``MOTO_IAM_LOAD_MANAGED_POLICIES`` on (the demo's and the path tests' setting, so an estate can attach
``AdministratorAccess``), moto parses its 4.7 MB list of AWS managed policies and makes 1,582 policy objects
for every IAM backend it makes: about 70 ms each. To find the account of a request's access key it makes an
IAM backend for each of the six partitions of every account it knows, so each account costs 0.4 s, on its first
request and again at every reset (2 s of the demo's start, 3 s of a reset after it in the tests).

Posture's estates live in the commercial partition (``aws``): only its backends load the policies, from the list
parsed once. A policy object stays each backend's own, as moto keeps attachment counts on it.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

COMMERCIAL = "aws"


@cache
def _policy_data() -> dict[str, Any]:
    from moto.iam.aws_managed_policies import aws_managed_policies_data

    return json.loads(aws_managed_policies_data)


def install() -> None:
    """Load AWS managed policies into the commercial partition's IAM backends only (idempotent)."""
    from moto.iam.models import AWSManagedPolicy, IAMBackend
    from moto.settings import load_iam_aws_managed_policies

    if getattr(IAMBackend._init_aws_policies, "_posture", False):
        return

    def _init_aws_policies(self: Any) -> list[Any]:
        if not load_iam_aws_managed_policies() or self.region_name != COMMERCIAL:
            return []
        return [AWSManagedPolicy.from_data(name, self.account_id, self.region_name, data)
                for name, data in _policy_data().items()]  # fmt: skip

    _init_aws_policies._posture = True  # type: ignore[attr-defined]
    IAMBackend._init_aws_policies = _init_aws_policies  # type: ignore[method-assign]
