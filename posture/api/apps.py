from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "posture.api"
    label = "api"
