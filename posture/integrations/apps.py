from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "posture.integrations"
    label = "integrations"
    verbose_name = "Ticketing: webhooks and Jira"

    def ready(self) -> None:
        import posture.celery  # noqa: F401  (binds the shared tasks to Posture's Celery app)
        from posture.integrations import tasks
        from posture.scans.signals import scan_finished

        scan_finished.connect(tasks.on_scan_finished, dispatch_uid="posture.integrations.scan_finished")
