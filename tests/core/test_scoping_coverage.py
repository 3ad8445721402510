"""No route skips the role x team matrix: every URL pattern (and every method of an API route) is walked by
tests/api/test_team_scoping.py, tests/api/test_forged.py or tests/frontend/test_team_scoping.py, or is
listed below as public or not account-scoped, with the reason. A new endpoint fails here until it is."""

from __future__ import annotations

import re
from collections import defaultdict
from urllib.parse import urlsplit

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, include, path, resolve

from tests.api import test_forged as api_writes
from tests.api import test_team_scoping as api_matrix
from tests.frontend import test_team_scoping as page_matrix

# Routes outside the matrix, by name, and why nothing team-scoped can leak through them.
NOT_SCOPED = {
    "login": "signing in: no account data, throttled (tests/core/test_login_throttle.py)",
    "logout": "signing out",
    "login-code": "second sign-in step: no account data",
    "login-oidc": "redirect to the identity provider",
    "login-oidc-callback": "the identity provider's answer: no account data",
    "vendor-htmx": "a static script",
    "schema": "the OpenAPI document: routes and fields, no data",
    "api-docs": "Swagger UI over the schema, no data",
    "api-root": "links to the API's routes, no data",
    "settings-token-create": "creates a token for the signed-in user only",
    "settings-totp": "the signed-in user's own second factor",
    "settings-totp-confirm": "the signed-in user's own second factor",
    "settings-totp-remove": "the signed-in user's own second factor",
    "settings-user-totp-reset": "admins only (who see every account); no account data",
}
# Django's admin site: staff only, checked below; staff are admins, who see every account anyway.
ADMIN_SITE = "admin/"
SUFFIX = re.compile(r"\\\.\(\?P<format>\[a-z0-9\]\+\)/\?\$$")


def normalize(route: str) -> str:
    """A format-suffix variant (``.json``) is the same view as its route."""
    return SUFFIX.sub("/$", route).replace("<drf_format_suffix:format>", "").replace("^", "")


def routes() -> dict[str, tuple[str | None, set[str]]]:
    """Every route: its name and the methods it answers (``*`` for plain views)."""
    found: dict[str, tuple[str | None, set[str]]] = {}

    def walk(patterns, prefix: str) -> None:
        for p in patterns:
            if isinstance(p, URLResolver):
                walk(p.url_patterns, prefix + str(p.pattern))
            elif isinstance(p, URLPattern):
                actions = getattr(p.callback, "actions", None)
                methods = {m for m in actions if m not in ("head", "options")} if actions else {"*"}
                found.setdefault(normalize(prefix + str(p.pattern)), (p.name, set()))[1].update(methods)

    walk(get_resolver().url_patterns, "")
    return found


def exercised() -> dict[str, set[str]]:
    """The routes the matrix tests request, with the methods they use."""
    ids = defaultdict(lambda: "1")
    calls: list[tuple[str, str]] = []
    calls += [("get", url) for url, _ in api_matrix.LISTS]
    for group in (
        api_matrix.OBJECT_READS,
        api_matrix.SUMMARY_READS,
        api_matrix.ADMIN_READS,
        api_matrix.OWN_READS,
        api_matrix.CATALOG_READS,
        ["/api/v1/findings/export/?format=json", "/api/v1/compliance/test-benchmark-1.0/"],
        page_matrix.LISTS,
        page_matrix.OBJECT_PAGES,
        page_matrix.EXPORTS,
    ):
        calls += [("get", url) for url in group]
    calls += [(method, url) for method, url, _ in api_writes.API_WRITES]
    calls += [(method, url) for method, url, _ in page_matrix.PAGE_WRITES]
    seen: dict[str, set[str]] = defaultdict(set)
    for method, url in calls:
        match = resolve(urlsplit(url.format_map(ids)).path)
        seen[normalize(match.route)].add(method)
    return seen


def unwalked() -> list[str]:
    """Routes (or API methods) no scoping test requests and the lists above do not excuse."""
    seen = exercised()
    missing = []
    for route, (name, methods) in sorted(routes().items()):
        if route.startswith(ADMIN_SITE) or name in NOT_SCOPED:
            continue
        walked = seen.get(route, set())
        lacking = ({"*"} if not walked else set()) if methods == {"*"} else methods - walked
        if lacking:
            missing.append(f"{route} ({name}): {', '.join(sorted(lacking))}")
    return missing


def test_every_route_is_walked_by_the_matrix_or_listed_with_a_reason() -> None:
    missing = unwalked()
    assert not missing, "routes no scoping test walks:\n" + "\n".join(missing)


def new_endpoint(request):  # pragma: no cover - never called
    raise AssertionError


urlpatterns = [
    path("", include("posture.urls")),
    path("api/v1/new-report/<int:pk>/", new_endpoint, name="new-report"),
]


def test_a_new_endpoint_fails_until_the_matrix_walks_it(settings) -> None:
    settings.ROOT_URLCONF = __name__  # the project's routes plus one nobody added to the matrix
    assert unwalked() == ["api/v1/new-report/<int:pk>/ (new-report): *"]


def test_the_public_list_names_only_real_routes() -> None:
    names = {name for name, _ in routes().values()}
    assert set(NOT_SCOPED) <= names, set(NOT_SCOPED) - names


@pytest.mark.django_db
def test_the_admin_site_is_for_staff_only(client, django_user_model) -> None:
    from django.contrib.auth.models import Group

    viewer = django_user_model.objects.create_user("viewer", password="a-long-test-password")
    viewer.groups.add(Group.objects.get(name="viewer"))
    client.force_login(viewer)
    response = client.get("/admin/inventory/cloudaccount/")
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")


def test_coverage_figures(capsys) -> None:
    every = routes()
    scoped = {r: v for r, v in every.items() if not r.startswith(ADMIN_SITE) and v[0] not in NOT_SCOPED}
    api = [r for r in scoped if r.startswith("api/")]
    with capsys.disabled():
        print(
            f"\nscoping matrix: {len(api)} API routes ({sum(len(scoped[r][1]) for r in api)} route x method), "
            f"{len(scoped) - len(api)} pages; {len(NOT_SCOPED)} named routes and the admin site listed as not scoped"
        )
    assert len(scoped) > 40
