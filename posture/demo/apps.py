from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "posture.demo"
    label = "demo"
    verbose_name = "Demo estate"
