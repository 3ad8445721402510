from django.apps import AppConfig


class ImagesConfig(AppConfig):
    name = "posture.images"
    label = "images"
    verbose_name = "Image vulnerabilities"
