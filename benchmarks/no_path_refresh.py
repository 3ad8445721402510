"""A plugin for ``distributed_scan.py``: no exposure-path rebuild after each scan, so a worker's memory is the scan's.

The rebuild (``posture/paths/refresh.py``, a ``scan_finished`` receiver) reads every stored resource of every
account, in whichever process finished the scan; the benchmark measures it apart (``--with-paths``).
"""

from __future__ import annotations

from typing import Any

from posture.paths import refresh
from posture.scans.signals import scan_finished


def skip(sender: Any, **kwargs: Any) -> None:
    """Nothing: the paths are not rebuilt."""


refresh.on_scan_finished = skip  # what posture.paths connects, if its app is made ready after this import
scan_finished.disconnect(dispatch_uid="posture.paths.scan_finished")  # or, if it was ready before
