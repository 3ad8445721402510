"""The demo's clouds: each starts its local emulator, names its accounts, and moves through history steps.

A cloud's estate at step 0 is where the month starts; each later step is the
same estate some days on (fixes landed, regressions appeared). The demo scans
every account on its schedule of days and moves each cloud to the step that
day falls in.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass, field
from typing import Any, Protocol

log = logging.getLogger(__name__)


@dataclass
class DemoAccount:
    provider: str
    name: str
    team: str
    endpoint_url: str
    credentials: dict[str, str]
    regions: list[str] = field(default_factory=list)
    labels: dict[str, str] = field(default_factory=dict)


class DemoCloud(Protocol):
    title: str
    steps: int

    def start(self) -> list[DemoAccount]:
        """Start the emulator at step 0 and return the accounts to register."""

    def apply(self, step: int) -> None:
        """Move the estate to history step ``step`` (0 <= step < steps)."""

    def stop(self) -> None: ...


class AzureDemo:
    title = "Azure subscription with AKS (local ARM emulator)"
    steps = 3

    def __init__(self) -> None:
        from emulators.azure import ArmEmulator

        self.token = "demo-" + secrets.token_urlsafe(16)
        self.emulator = ArmEmulator(self._estate(0), token=self.token)

    @staticmethod
    def _estate(step: int) -> dict[str, Any]:
        from emulators.azure.demo import demo_estate

        return demo_estate(page_size=50, step=step)

    def start(self) -> list[DemoAccount]:
        from emulators.azure.demo import SUB

        url = self.emulator.start()
        return [
            DemoAccount(
                provider="azure",
                name="azure-production",
                team="platform",
                endpoint_url=url,
                credentials={"access_token": self.token, "subscription_id": SUB},
            )
        ]

    def apply(self, step: int) -> None:
        self.emulator.load(self._estate(min(step, self.steps - 1)))

    def stop(self) -> None:
        self.emulator.stop()


CLOUDS: list[type] = [AzureDemo]


def start_clouds() -> list[tuple[DemoCloud, list[DemoAccount]]]:
    """Every demo cloud that starts; one that cannot is left out with a warning."""
    started = []
    for cls in CLOUDS:
        try:
            cloud = cls()
            started.append((cloud, cloud.start()))
        except Exception as exc:  # one broken emulator must not stop the demo
            log.warning("demo: %s did not start: %s", cls.__name__, exc)
    return started
