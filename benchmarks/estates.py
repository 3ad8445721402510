"""The small emulated estates the benchmarks scan: the demo's AWS, Azure, Google Cloud and Kubernetes accounts.

Each ``start_*`` starts its emulator on 127.0.0.1 (moto for AWS, the project's own emulators for the
others) with the estate the demo and the tests use, and returns an :class:`Estate`: the Target to scan,
the emulator's URL, a way to read the emulator's own request log, and ``stop``. ``through`` points the
Target at another address (a proxy in front of the emulator) instead. No Django here.

:func:`in_own_process` serves an estate from a child process instead, so that the emulator's work
does not share the scanner's interpreter (and its lock) when a benchmark times the scan.
"""

from __future__ import annotations

import multiprocessing
import secrets
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from collectors.records import Target  # noqa: E402

PROVIDERS = ("aws", "azure", "gcp", "kubernetes")


@dataclass
class Estate:
    provider: str
    target: Target
    url: str  # the emulator's own address
    requests: Callable[[], list[tuple[str, str]]]  # the emulator's log: (api or method, path), [] where it keeps none
    stop: Callable[[], None]
    retarget: Callable[[Target, str], Target]  # the same Target, pointed at another base URL

    def through(self, url: str) -> Target:
        """The Target pointed at ``url`` (a proxy that forwards to :attr:`url`)."""
        return self.retarget(self.target, url)


def _endpoint(target: Target, url: str) -> Target:
    return replace(target, endpoint_url=url)


def start_aws() -> Estate:
    """The demo's production account (moto): IAM, S3, VPC, CloudTrail, KMS, RDS, EKS, ECR in us-east-1."""
    from emulators.aws.estate import REGION, build_estate
    from emulators.aws.server import FAKE_KEYS, MotoEmulator

    emulator = MotoEmulator()
    url = emulator.start()
    emulator.reset()
    build_estate(emulator.clients(REGION))
    keys = {"access_key_id": FAKE_KEYS["aws_access_key_id"], "secret_access_key": FAKE_KEYS["aws_secret_access_key"]}
    target = Target("aws", "bench-aws", regions=(REGION,), endpoint_url=url, credentials=keys)
    return Estate("aws", target, url, list, emulator.stop, _endpoint)


def start_azure() -> Estate:
    """The demo's subscription on the ARM emulator: AKS, storage, network, monitor, Key Vault, Defender."""
    from emulators.azure import ArmEmulator
    from emulators.azure.demo import SUB, demo_estate

    token = "bench-" + secrets.token_urlsafe(12)
    emulator = ArmEmulator(demo_estate(page_size=50), token=token)
    url = emulator.start()
    target = Target(
        "azure", "bench-azure", endpoint_url=url, credentials={"access_token": token, "subscription_id": SUB}
    )
    return Estate("azure", target, url, lambda: list(emulator.requests), emulator.stop, _endpoint)


def start_gcp() -> Estate:
    """The demo's two projects under a folder on the Google Cloud emulator (50 items a page)."""
    from emulators.gcp.estate import FOLDER, demo_estate
    from emulators.gcp.server import GcpEmulator

    token = "bench-" + secrets.token_urlsafe(12)
    emulator = GcpEmulator(demo_estate(), token=token, page_size=50).start()
    target = Target(
        "gcp", "bench-gcp", endpoint_url=emulator.url, credentials={"access_token": token, "folder": FOLDER}
    )
    return Estate("gcp", target, emulator.url, lambda: list(emulator.calls), emulator.stop, _endpoint)


def _kubeconfig_for(emulator: Any, server: str) -> str:
    import yaml

    config = emulator.kubeconfig("bench")
    config["clusters"][0]["cluster"]["server"] = server
    return yaml.safe_dump(config)


def start_kubernetes() -> Estate:
    """The demo's cluster workloads on the Kubernetes API emulator, reached by kubeconfig."""
    from emulators.kubernetes.scenarios import demo_estate
    from emulators.kubernetes.server import KubernetesEmulator

    emulator = KubernetesEmulator(demo_estate(), token="bench-" + secrets.token_urlsafe(12)).start()

    def retarget(target: Target, url: str) -> Target:  # the kubeconfig names the server, not endpoint_url
        return replace(target, credentials={"kubeconfig_content": _kubeconfig_for(emulator, url)})

    target = Target(
        "kubernetes", "bench-k8s", credentials={"kubeconfig_content": _kubeconfig_for(emulator, emulator.url)}
    )
    log = lambda: [("GET", path) for path in emulator.requests]  # noqa: E731
    return Estate("kubernetes", target, emulator.url, log, emulator.stop, retarget)


STARTERS: dict[str, Callable[[], Estate]] = {
    "aws": start_aws,
    "azure": start_azure,
    "gcp": start_gcp,
    "kubernetes": start_kubernetes,
}


def _serve(provider: str, conn: Connection) -> None:
    """The child process: start the estate, then answer the parent's requests until it says stop."""
    estate = STARTERS[provider]()
    conn.send(estate.url)
    try:
        while True:
            what, argument = conn.recv()
            if what == "through":
                conn.send(estate.through(argument))
            elif what == "log":
                conn.send(estate.requests())
            else:
                return
    finally:
        estate.stop()


@dataclass
class RemoteEstate:
    """An estate served by a child process: its emulator's URL, Targets and request log through a pipe."""

    provider: str
    url: str
    conn: Connection

    def _ask(self, what: str, argument: Any = None) -> Any:
        self.conn.send((what, argument))
        if not self.conn.poll(120):
            raise TimeoutError(f"the {self.provider} estate's process did not answer {what!r}")
        return self.conn.recv()

    def through(self, url: str) -> Target:
        return self._ask("through", url)

    @property
    def target(self) -> Target:
        return self.through(self.url)

    def requests(self) -> list[tuple[str, str]]:
        return self._ask("log")


@contextmanager
def in_own_process(provider: str) -> Iterator[RemoteEstate]:
    """The provider's estate served by a child process (spawned: no threads inherited), stopped on exit."""
    context = multiprocessing.get_context("spawn")
    parent, child = context.Pipe()
    process = context.Process(target=_serve, args=(provider, child), name=f"{provider}-estate", daemon=True)
    process.start()
    try:
        if not parent.poll(300):
            raise TimeoutError(f"the {provider} estate did not start")
        yield RemoteEstate(provider, parent.recv(), parent)
    finally:
        if process.is_alive():
            parent.send(("stop", None))
            process.join(30)
        if process.is_alive():
            process.terminate()
            process.join(10)
