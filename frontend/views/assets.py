"""htmx, served from the installed django-htmx wheel (no CDN, no copy in the repo).

django_htmx is not in INSTALLED_APPS (settings belong to the core), so its static
folder is not collected; this view serves the one file the pages need, cached hard.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import django_htmx
from django.http import HttpRequest, HttpResponse
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

HTMX_FILE = Path(django_htmx.__file__).parent / "static" / "django_htmx" / "htmx-2.min.js"


@cache
def _htmx() -> bytes:
    return HTMX_FILE.read_bytes()


@require_GET
@cache_control(public=True, max_age=86400)
def htmx_js(request: HttpRequest) -> HttpResponse:
    return HttpResponse(_htmx(), content_type="text/javascript; charset=utf-8")
