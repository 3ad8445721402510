"""python -m emulators.kubernetes [--port N] [--namespaces N --pods N] [--kubeconfig PATH] [--tls]

Serves until stopped; prints its URL first.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from emulators.kubernetes import KubernetesEmulator, demo_estate, large_estate
from emulators.kubernetes.tls import make_tls_material


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m emulators.kubernetes")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--namespaces", type=int, default=0, help="serve a large generated estate instead of the demo")
    parser.add_argument("--pods", type=int, default=0)
    parser.add_argument("--kubeconfig", type=Path, help="write a kubeconfig for the emulator here")
    parser.add_argument(
        "--token",
        default="emulator-token",
        help="the bearer token to require ('' for none: kubectl sends no token to a plain-http server)",
    )
    parser.add_argument("--tls", action="store_true", help="serve https with a throw-away CA (kubeconfig carries it)")
    args = parser.parse_args(argv)
    estate = large_estate(args.namespaces, args.pods) if args.namespaces else demo_estate()
    tls = make_tls_material() if args.tls else None
    emulator = KubernetesEmulator(estate, token=args.token, port=args.port, tls=tls).start()
    if args.kubeconfig:
        emulator.write_kubeconfig(args.kubeconfig)
    print(emulator.url, flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        emulator.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
