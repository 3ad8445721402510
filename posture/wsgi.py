"""The WSGI entry point (gunicorn posture.wsgi): the application, warmed up and frozen (see posture.warmup)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "posture.settings")
application = get_wsgi_application()

from posture.warmup import warm_up_and_freeze  # noqa: E402  (needs the settings loaded above)

warm_up_and_freeze()
