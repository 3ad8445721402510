"""``python manage.py scan-manifests``: the spelling the docs use; the command lives in scan_manifests.py."""

from posture.rules.management.commands.scan_manifests import Command

__all__ = ["Command"]
