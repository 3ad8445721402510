from typing import Any

from django.apps import AppConfig


def on_scan_finished(sender: Any, **kwargs: Any) -> None:
    """Imports the integrations' tasks (and their HTTP clients) only when a scan finishes."""
    from posture.integrations import tasks

    tasks.on_scan_finished(sender, **kwargs)


class IntegrationsConfig(AppConfig):
    name = "posture.integrations"
    label = "integrations"
    verbose_name = "Ticketing: webhooks and Jira"

    def ready(self) -> None:
        import posture.celery  # noqa: F401  (binds the shared tasks to Posture's Celery app)
        from posture.scans.signals import scan_finished

        scan_finished.connect(on_scan_finished, dispatch_uid="posture.integrations.scan_finished")
