from __future__ import annotations

import importlib

from django.apps import AppConfig
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


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
        from posture.rules.packs import import_rule_packs

        import_rule_packs()
        import_plugins(settings.PLUGINS)
        for folder in settings.FRAMEWORK_DIRS:
            frameworks.add_directory(folder)
        try:
            frameworks.catalog()
        except frameworks.FrameworkError as exc:
            raise ImproperlyConfigured(str(exc)) from None
