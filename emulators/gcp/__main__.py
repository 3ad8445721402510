"""Serve the demo Google Cloud estate on loopback until interrupted.

.venv/bin/python -m emulators.gcp [--page-size 2] [--token TOKEN]
"""

from __future__ import annotations

import argparse
import contextlib
import threading

from emulators.gcp import GcpEmulator, demo_estate


def main() -> None:
    parser = argparse.ArgumentParser(description="Serve the demo Google Cloud estate on 127.0.0.1.")
    parser.add_argument("--page-size", type=int, default=2, help="items per list page (default 2)")
    parser.add_argument("--token", default="", help="the only bearer token accepted (default: any)")
    args = parser.parse_args()
    with GcpEmulator(demo_estate(), token=args.token, page_size=args.page_size) as emulator:
        print(f"Google Cloud emulator on {emulator.url}")
        print(
            f"  python manage.py accounts add gcp --name acme --api-endpoint {emulator.url} "
            f"--access-token {args.token or 'any-token'} --folder folders/1001"
        )
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()


if __name__ == "__main__":
    main()
