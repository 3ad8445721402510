from django.apps import AppConfig


class ScansConfig(AppConfig):
    name = "posture.scans"
    label = "scans"
