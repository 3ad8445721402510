from __future__ import annotations

import importlib
import pkgutil

from django.apps import AppConfig
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


def import_rule_packs() -> None:
    """Import every module under posture.rules.packs, registering its rules."""
    from posture.rules import packs

    for info in pkgutil.walk_packages(packs.__path__, prefix="posture.rules.packs."):
        importlib.import_module(info.name)


def import_plugins(names: list[str]) -> None:
    for name in names:
        try:
            importlib.import_module(name)
        except ImportError as exc:
            raise ImproperlyConfigured(f"POSTURE_PLUGINS: cannot import {name!r}: {exc}") from exc


class RulesConfig(AppConfig):
    name = "posture.rules"
    label = "rules"

    def ready(self) -> None:
        from posture.rules import frameworks

        import_rule_packs()
        import_plugins(settings.PLUGINS)
        for folder in settings.FRAMEWORK_DIRS:
            frameworks.add_directory(folder)
        try:
            frameworks.catalog()
        except frameworks.FrameworkError as exc:
            raise ImproperlyConfigured(str(exc)) from None
