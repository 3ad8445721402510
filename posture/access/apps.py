from django.apps import AppConfig


class AccessConfig(AppConfig):
    name = "posture.access"
    label = "access"
    verbose_name = "Access and audit"
