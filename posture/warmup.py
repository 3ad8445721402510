"""Start-up of a serving process: build what the first request would, then keep it out of the collector.

A warmed process holds ~375,000 objects the garbage collector tracks (modules, URL patterns, rules,
framework catalogue). Python's full collection walks all of them and lands on whichever request
triggers it: ~0.2 s on this machine, at the tail of every latency figure. ``gc.freeze()`` moves them
to the permanent generation (they live as long as the process anyway), so a full collection walks only
what requests allocate. ``benchmarks/gc_pause.py`` measures it.
"""

from __future__ import annotations

import gc
import importlib

# what views import on first use, so that a command line process does not pay for them
LATE_IMPORTS = ("posture.findings.report_pdf", "pygal")


def warm_up() -> None:
    """Import every view module (and what they load late) and build the rule and framework catalogue now."""
    from django.urls import get_resolver

    from posture.rules.frameworks import catalog

    get_resolver().url_patterns  # noqa: B018  (imports every URLconf and view)
    for name in LATE_IMPORTS:
        importlib.import_module(name)
    catalog()


def warm_up_and_freeze() -> None:
    warm_up()
    gc.freeze()
