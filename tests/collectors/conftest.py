"""Fixtures of every collector test."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session", autouse=True)
def moto_answers_as_aws_gives_them() -> None:
    """moto in this process (``mock_aws``, threaded servers) answers with the project's mends, as the demo's does."""
    from emulators.aws import mends

    mends.install()
