"""Names read from one answer that go into the next request's path stay in their own form."""

from __future__ import annotations

from typing import Any

import pytest

from collectors.gcp.vpc_service_controls import perimeters_of


class Answers:
    def __init__(self, policy_name: str) -> None:
        self.policy_name, self.paths = policy_name, []

    def pages(self, api: str, path: str, key: str, params: Any = None):
        self.paths.append(path)
        if path == "v1/accessPolicies":
            yield {"name": self.policy_name}
        else:
            yield {"name": f"{path}/p1"}

    def client(self, key: str, load):
        return load()


def test_an_access_policy_name_is_followed_in_its_own_form_only() -> None:
    good = Answers("accessPolicies/123456")
    assert perimeters_of(good, "organizations/1") == [{"name": "v1/accessPolicies/123456/servicePerimeters/p1"}]
    hostile = Answers("accessPolicies/../../v1/projects/x/secrets")
    with pytest.raises(ValueError, match="unexpected access policy name"):
        perimeters_of(hostile, "organizations/1")
    assert hostile.paths == ["v1/accessPolicies"]
