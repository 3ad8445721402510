from django.apps import AppConfig


class ScansConfig(AppConfig):
    name = "posture.scans"
    label = "scans"

    def ready(self) -> None:
        import posture.celery  # noqa: F401  (binds the shared tasks to Posture's Celery app)
