"""python -m emulators.jira [cloud|datacenter]: serve an empty Jira on a free loopback port until Ctrl-C."""

from __future__ import annotations

import sys
import time

from emulators.jira.server import JiraEmulator

if __name__ == "__main__":
    flavor = sys.argv[1] if len(sys.argv) > 1 else "cloud"
    emulator = JiraEmulator(flavor).start()
    print(f"Jira ({flavor}) on {emulator.url}: email {emulator.email}, token {emulator.token}, project SEC")
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        emulator.stop()
