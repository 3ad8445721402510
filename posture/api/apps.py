from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "posture.api"
    label = "api"

    def ready(self) -> None:
        import posture.api.schema  # noqa: F401  (registers the token scheme with drf-spectacular)
