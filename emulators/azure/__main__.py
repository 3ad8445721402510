"""python -m emulators.azure [--port N] [--estate FILE.json] [--token T]: serve an estate on 127.0.0.1."""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from emulators.azure.demo import demo_estate
from emulators.azure.server import ArmEmulator


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=0, help="default: a free port")
    parser.add_argument("--estate", type=Path, help="an estate JSON file (default: the demo subscription)")
    parser.add_argument("--token", help="the bearer token to require (default: any)")
    args = parser.parse_args()
    estate = json.loads(args.estate.read_text()) if args.estate else demo_estate()
    emulator = ArmEmulator(estate, token=args.token)
    print(f"Azure Resource Manager emulator on {emulator.start(port=args.port)}", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        emulator.stop()


if __name__ == "__main__":
    main()
