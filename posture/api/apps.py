from django.apps import AppConfig


class ApiConfig(AppConfig):
    """The REST API.

    Its drf-spectacular extensions (``posture.api.schema``: the token scheme) register when the API's
    views import that module, which every schema generation does first (the schema is made from the
    URLconf); a process that serves no API, such as a command or a Celery worker, does not load them.
    """

    name = "posture.api"
    label = "api"
