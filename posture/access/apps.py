from django.apps import AppConfig


class AccessConfig(AppConfig):
    name = "posture.access"
    label = "access"
    verbose_name = "Access and audit"

    def ready(self) -> None:
        import posture.access.throttle  # noqa: F401  (counts failed sign-ins)
