"""A plugin for ``distributed_scan.py``: no exposure-path rebuild after each scan, so a worker's memory is the scan's.

The rebuild (``posture/paths/builds.py``, a task a ``scan_finished`` receiver asks for) reads every stored
resource of every account, in whichever worker takes it; the benchmark measures it apart (``--with-paths``).
"""

from __future__ import annotations

from typing import Any

from posture.paths import tasks
from posture.scans.signals import scan_finished


def skip(sender: Any, **kwargs: Any) -> None:
    """Nothing: the paths are not rebuilt."""


tasks.on_scan_finished = skip  # what posture.paths connects, if its app is made ready after this import
scan_finished.disconnect(dispatch_uid="posture.paths.scan_finished")  # or, if it was ready before
