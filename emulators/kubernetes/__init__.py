"""A local Kubernetes API emulator for the tests, the benchmark and the demo."""

from emulators.kubernetes.estate import Estate
from emulators.kubernetes.scenarios import demo_estate, large_estate
from emulators.kubernetes.server import KubernetesEmulator

__all__ = ["Estate", "KubernetesEmulator", "demo_estate", "large_estate"]
