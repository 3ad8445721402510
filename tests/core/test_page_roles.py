"""Every route refuses a signed-in user with no role (as the API does), except the short public list below.

The routes are those of tests/core/test_scoping_coverage.py's walk; each is requested with every method it
answers (GET and POST for plain views) by a user whose role was removed. A new route is refused by default;
one that lets such a user through fails here until it is listed with a reason.
"""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.models import User
from django.http import HttpResponse
from django.test import Client
from django.urls import include, path, resolve

from tests.core.test_scoping_coverage import normalize, routes

pytestmark = pytest.mark.django_db

# Routes a signed-in user without a role may still use, and why.
PUBLIC = {
    "login/": "signing in",
    "login/code/": "the second sign-in step",
    "login/oidc/": "redirect to the identity provider",
    "login/oidc/callback/": "the identity provider's answer",
    "logout/": "signing out: the one thing a user without a role needs",
    "vendor/htmx.min.js": "a static script",
    "admin/login/": "redirect to Posture's sign-in",
    "settings/totp/": "the user's own second factor (no account data)",
    "settings/totp/confirm/": "the user's own second factor",
    "settings/totp/remove/": "the user's own second factor (a code needed, locked out like sign-in)",
}
GROUP = re.compile(r"\(\?P<\w+>([^)]*)\)|<(?:\w+:)?\w+>")


def sample(route: str) -> str:
    """A path the route matches: each parameter is ``1`` (or the literal word a regex group asks for)."""
    filled = GROUP.sub(lambda m: m.group(1) if (m.group(1) or "").isalnum() else "1", route)
    return "/" + filled.rstrip("$")


def methods_of(methods: set[str]) -> list[str]:
    return ["get", "post"] if methods == {"*"} else sorted(methods)


def refused(response: HttpResponse) -> bool:
    """403, or a redirect to a sign-in page."""
    if response.status_code == 302:
        return response["Location"].startswith(("/login/", "/admin/login/"))
    return response.status_code == 403


def let_through() -> list[str]:
    """Route x method a role-less signed-in user is not refused, outside the public list."""
    roleless = User.objects.create_user("no-role", password="a-long-test-password")
    client = Client()
    found = []
    for route, (_, methods) in sorted(routes().items()):
        url = sample(route)
        assert normalize(resolve(url).route) == route, (route, url)
        for method in methods_of(methods):
            client.force_login(roleless)  # again: a POST to logout/ signs out
            response = getattr(client, method)(url)
            if route in PUBLIC:
                assert response.status_code != 403, (route, method)
            elif not refused(response):
                found.append(f"{method.upper()} {url}: {response.status_code}")
    return found


def test_a_user_without_a_role_is_refused_everywhere_but_the_public_list() -> None:
    found = let_through()
    assert not found, "a user without a role got through:\n" + "\n".join(found)


def test_the_refusal_says_why_and_offers_sign_out() -> None:
    client = Client()
    client.force_login(User.objects.create_user("no-role"))
    response = client.get("/findings/")
    html = response.content.decode()
    assert response.status_code == 403
    assert "no role" in html and 'action="/logout/"' in html
    assert 'href="/findings/"' not in html, "no navigation to pages that refuse anyway"


def test_a_viewer_still_reads_the_pages(client) -> None:
    from django.contrib.auth.models import Group

    viewer = User.objects.create_user("vee")
    viewer.groups.add(Group.objects.get_or_create(name="viewer")[0])
    client.force_login(viewer)
    assert client.get("/findings/").status_code == 200
    assert client.get("/findings/export/?format=json").status_code == 200


@login_not_required
def opened_by_mistake(request):
    return HttpResponse("account data")


def new_page(request, pk):  # pragma: no cover - refused before it runs
    raise AssertionError


urlpatterns = [
    path("", include("posture.urls")),
    path("reports/<int:pk>/", new_page, name="new-report"),
    path("reports/open/", opened_by_mistake, name="open-report"),
]


def test_a_new_page_is_refused_by_default_and_an_opened_one_fails_here(settings) -> None:
    settings.ROOT_URLCONF = __name__  # the project's routes plus two new ones
    assert let_through() == ["GET /reports/open/: 200", "POST /reports/open/: 200"]


def test_the_public_list_names_only_real_routes() -> None:
    assert set(PUBLIC) <= set(routes()), set(PUBLIC) - set(routes())
