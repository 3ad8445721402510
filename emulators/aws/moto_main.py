"""moto's own server (``moto_server``'s command line) with Posture's mends to moto's answers installed first.

    python -m emulators.aws.moto_main -H 127.0.0.1 -p 5000

The benchmarks run moto in a process of their own; this gives that process the answers the demo's in-process
server gives (:mod:`emulators.aws.mends`).
"""

from __future__ import annotations

from emulators.aws import mends


def main() -> None:
    from moto.server import main as moto_main

    mends.install()
    moto_main()


if __name__ == "__main__":
    main()
