"""Rule packs, one package per provider; every module here is imported at start-up."""

from __future__ import annotations

import importlib
import pkgutil


def import_rule_packs() -> None:
    """Import every module under this package, registering its rules."""
    for info in pkgutil.walk_packages(__path__, prefix=f"{__name__}."):
        importlib.import_module(info.name)
