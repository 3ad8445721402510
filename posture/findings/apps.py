from django.apps import AppConfig


class FindingsConfig(AppConfig):
    name = "posture.findings"
    label = "findings"
