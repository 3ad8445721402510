"""Stored paths: built from the database, kept by key across builds, closed when a hop is fixed (with the
webhook event), read through the API, the page, the overview count and the command line, scoped by team."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import call_command

from posture.findings.models import Finding
from posture.integrations.models import Delivery, Event, WebhookEndpoint
from posture.inventory.models import Resource
from posture.paths.models import ExposurePath, PathEdge, PathNode
from posture.paths.query import open_path_count
from posture.paths.refresh import refresh_paths
from tests.frontend.conftest import client_for
from tests.paths.estate import AWS, CLUSTER, Estate, HopFinding, allow, exposed_app, role_arn
from tests.paths.stored import store

pytestmark = pytest.mark.django_db
IRSA = "eks.amazonaws.com/role-arn"


def eks_estate(muted: bool = False, role: str = "web") -> Estate:
    estate = Estate()
    workload = exposed_app(estate, "web", foothold=not muted)
    if muted:
        estate.finding(workload, HopFinding(1, "kubernetes.pss.host_path", "critical", True, "accepted until Q3"))
    estate.service_account("web", {IRSA: role_arn(role)})
    estate.bucket("customer-data")
    estate.aws_account()
    estate.role(role, allow("*", "*"))
    return estate


def webhook(events: list[str]) -> WebhookEndpoint:
    hook = WebhookEndpoint(name="paths", url="https://hooks.example.test/in", events=events)
    hook.secret = "a-webhook-secret-of-some-length"
    hook.save()
    return hook


def test_a_build_stores_the_graph_and_ranked_paths():
    store(eks_estate())
    done = refresh_paths()
    assert done.paths == 2 and len(done.opened) == 2
    paths = list(ExposurePath.objects.order_by("-rank"))
    assert [p.target_kind for p in paths] == ["admin", "data"]
    assert paths[0].hops[2]["uid"] == "shop/Deployment/web" and paths[0].hops[2]["findings"][0]["severity"] == "high"
    assert sorted(a.name for a in paths[0].accounts.all()) == ["aws", "cluster"]
    assert PathNode.objects.filter(kind="workload").count() == 1 and PathEdge.objects.filter(kind="assumes").exists()


def test_the_same_path_is_the_same_row_and_fixing_a_hop_closes_it_with_an_event():
    accounts = store(eks_estate())
    hook = webhook([Event.PATH_OPENED, Event.PATH_CLOSED])
    from posture.integrations.path_events import dispatch_paths

    first = refresh_paths()
    dispatch_paths(first.opened, first.closed, None)
    assert Delivery.objects.filter(webhook=hook, event=Event.PATH_OPENED).count() == 2
    again = refresh_paths()
    assert again.opened == [] and again.closed == [] and ExposurePath.objects.count() == 2
    service = Resource.objects.get(account=accounts[CLUSTER], type="kubernetes.core.service")
    Finding.objects.filter(resource=service).update(status="PASS")  # the Service made internal
    fixed = refresh_paths()
    assert len(fixed.closed) == 2 and not ExposurePath.objects.filter(closed_at__isnull=True).exists()
    dispatch_paths(fixed.opened, fixed.closed, None)
    closed = Delivery.objects.get(webhook=hook, event=Event.PATH_CLOSED, payload__path__target_kind="admin")
    assert closed.payload["path"]["closed_at"] and closed.payload["path"]["hops"][1]["kind"] == "entry"
    Finding.objects.filter(resource=service).update(status="FAIL")
    assert len(refresh_paths().opened) == 2 and ExposurePath.objects.count() == 2  # reopened, same rows


def test_a_disabled_account_takes_its_paths_away():
    accounts = store(eks_estate())
    refresh_paths()
    accounts[AWS].enabled = False
    accounts[AWS].save()
    assert len(refresh_paths().closed) == 2


@pytest.fixture
def people(db):
    def make(role: str, *teams: str) -> User:
        user = User.objects.create_user(f"{role}-{'-'.join(teams) or 'all'}", password="pw-for-tests-123")
        user.groups.add(Group.objects.get_or_create(name=role)[0])
        for team in teams:
            user.groups.add(Group.objects.get_or_create(name=f"team:{team}")[0])
        return user

    return make


def test_api_filters_pages_exports_and_scopes(people):
    store(eks_estate(), teams={CLUSTER: "red", AWS: "red"})
    store(eks_estate(role="x-web"), teams={CLUSTER: "red", AWS: "blue"}, prefix="x-")  # crosses into blue
    refresh_paths()
    admin, red = client_for(people("admin")), client_for(people("viewer", "red"))
    assert len(admin.get("/api/v1/paths/").json()["results"]) == 4
    body = red.get("/api/v1/paths/").json()
    assert [r["accounts"] for r in body["results"]] == [["aws", "cluster"]] * 2  # never the path into blue
    assert [r["target_kind"] for r in red.get("/api/v1/paths/?target_kind=data").json()["results"]] == ["data"]
    assert red.get("/api/v1/paths/?min_rank=80").json()["results"][0]["target_kind"] == "admin"
    page = admin.get("/api/v1/paths/?page_size=1").json()
    assert page["next"] and len(admin.get(page["next"]).json()["results"]) == 1
    assert admin.get("/api/v1/paths/?account=x-aws").json()["results"][0]["accounts"] == ["x-aws", "x-cluster"]
    assert red.get("/api/v1/paths/?target_kind=everything").status_code == 400
    assert red.get("/api/v1/paths/?bogus=1").status_code == 400
    csv = red.get("/api/v1/paths/?format=csv")
    assert csv["Content-Type"] == "text/csv" and csv.content.decode().count("\n") == 3
    exported = red.get("/api/v1/paths/?format=json").json()
    assert exported["next"] is None and [r["id"] for r in exported["results"]] == [r["id"] for r in body["results"]]
    path_id = body["results"][0]["id"]
    assert red.get(f"/api/v1/paths/{path_id}/").status_code == 200
    hidden = ExposurePath.objects.filter(accounts__name="x-aws").first()
    assert red.get(f"/api/v1/paths/{hidden.pk}/").status_code == 404
    assert open_path_count(people("analyst", "red")) == 2 and open_path_count(people("admin", "ops")) == 4
    html = red.get("/paths/").content.decode()
    assert html.count('class="card path"') == 2 and "x-aws" not in html and "<svg" in html
    assert 'id="path-count"' in red.get("/").content.decode()


def test_a_muted_foothold_finding_shows_on_the_path_with_its_reason(people):
    store(eks_estate(muted=True))
    refresh_paths()
    html = client_for(people("viewer")).get("/paths/").content.decode()
    assert "accepted until Q3" in html and "muted" in html and 'stroke-dasharray="5 3"' in html


def test_the_command_lists_as_json_and_text():
    store(eks_estate())
    out = StringIO()
    call_command("paths", "rebuild", stdout=out)
    assert out.getvalue().startswith("2 paths; 2 opened")
    out = StringIO()
    call_command("paths", "list", "--target-kind", "admin", "--format", "text", stdout=out)
    assert "[" in out.getvalue() and "AWS account admin" in out.getvalue() and "1 path" in out.getvalue()


def test_the_command_json_is_the_api_rows(capsys):
    store(eks_estate())
    refresh_paths()
    call_command("paths", "list", "--format", "json")
    rows = json.loads(capsys.readouterr().out)
    assert [r["target_kind"] for r in rows] == ["admin", "data"] and rows[0]["hops"][0]["kind"] == "internet"
