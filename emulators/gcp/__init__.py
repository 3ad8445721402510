"""A local Google Cloud REST emulator for the tests and the demo (loopback only).

from emulators.gcp import GcpEmulator, demo_estate
with GcpEmulator(demo_estate()) as emulator:
    ...  # point clients at emulator.url
"""

from emulators.gcp.estate import demo_estate
from emulators.gcp.server import GcpEmulator

__all__ = ["GcpEmulator", "demo_estate"]
