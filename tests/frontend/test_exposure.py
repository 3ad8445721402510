"""Internet exposure: one page and one endpoint list what the internet reaches in every cloud and cluster."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client
from django.utils import timezone

from posture.findings.models import Finding
from posture.inventory.models import CloudAccount, Resource
from posture.rules.registry import RULES
from tests.frontend.conftest import PASSWORD

pytestmark = pytest.mark.django_db

# (provider, account team, resource type, uid, rule id, status) as the collectors and rules write them
ESTATE = [
    ("aws", "red", "aws.s3.bucket", "arn:aws:s3:::acme-public-assets", "aws.s3.bucket_blocks_public_access", "FAIL"),
    (
        "aws",
        "red",
        "aws.s3.bucket",
        "arn:aws:s3:::acme-public-assets",
        "aws.s3.bucket_policy_no_public_principal",
        "FAIL",
    ),
    (
        "aws",
        "red",
        "aws.ec2.security_group",
        "sg-0a1b2c3d",
        "aws.ec2.security_group_no_public_admin_ports_ipv4",
        "FAIL",
    ),
    (
        "aws",
        "red",
        "aws.rds.db_instance",
        "arn:aws:rds:eu-west-1:1:db:orders",
        "aws.rds.not_publicly_accessible",
        "FAIL",
    ),
    ("aws", "red", "aws.s3.bucket", "arn:aws:s3:::acme-private", "aws.s3.bucket_blocks_public_access", "PASS"),
    ("aws", "red", "aws.s3.bucket", "arn:aws:s3:::acme-unencrypted", "aws.s3.bucket_denies_http", "FAIL"),
    (
        "azure",
        "red",
        "azure.storage.blob_container",
        "/subscriptions/s/containers/web",
        "azure.storage.container_not_public",
        "FAIL",
    ),
    (
        "azure",
        "red",
        "azure.network.security_group",
        "/subscriptions/s/nsg/web-nsg",
        "azure.network.nsg_ssh_not_open",
        "FAIL",
    ),
    ("gcp", "red", "gcp.storage.bucket", "acme-shared-artifacts", "gcp.storage.bucket_not_public", "FAIL"),
    (
        "gcp",
        "red",
        "gcp.container.cluster",
        "projects/p/clusters/legacy",
        "gcp.container.cluster_private_endpoint",
        "FAIL",
    ),
    (
        "kubernetes",
        "red",
        "kubernetes.core.service",
        "default/Service/shop",
        "kubernetes.core.service_not_exposed",
        "FAIL",
    ),
    ("kubernetes", "red", "kubernetes.networking.ingress", "default/Ingress/shop", None, None),
    ("gcp", "blue", "gcp.storage.bucket", "blue-team-public", "gcp.storage.bucket_not_public", "FAIL"),
]


def build_estate() -> None:
    now = timezone.now()
    for provider, team, rtype, uid, rule_id, status in ESTATE:
        account, _ = CloudAccount.objects.get_or_create(
            name=f"{provider}-{team}", defaults={"provider": provider, "team": team}
        )
        resource, _ = Resource.objects.get_or_create(
            account=account,
            uid=uid,
            defaults={
                "provider": provider,
                "service": rtype.split(".")[1],
                "region": "global",
                "type": rtype,
                "name": uid.rsplit("/", 1)[-1].rsplit(":", 1)[-1],
                "config": {},
                "config_hash": "x",
                "first_seen": now,
                "last_seen": now,
            },
        )
        if rule_id:
            Finding.objects.create(
                account=account,
                rule_id=rule_id,
                resource=resource,
                resource_uid=uid,
                status=status,
                severity=str(RULES.get(rule_id).severity),
                message="as observed",
                first_seen=now,
                last_seen=now,
                status_changed_at=now,
                updated_at=now,
            )


def person(role: str, *teams: str) -> Client:
    user = User.objects.create_user(f"{role}-{'-'.join(teams) or 'all'}", password=PASSWORD)
    user.groups.add(Group.objects.get_or_create(name=role)[0])
    for team in teams:
        user.groups.add(Group.objects.get_or_create(name=f"team:{team}")[0])
    client = Client()
    client.force_login(user)
    return client


def kinds_on(html: str) -> dict[str, set[str]]:
    """kind -> the resource uids listed under it."""
    out: dict[str, set[str]] = {}
    for section in re.findall(r'data-kind="([^"]+)">(.*?)</section>', html, re.S):
        out[section[0]] = set(re.findall(r'data-resource="([^"]+)"', section[1]))
    return out


def test_the_page_lists_a_public_bucket_of_each_cloud_grouped_by_kind_with_provider_badges(db) -> None:
    build_estate()
    response = person("viewer", "red").get("/exposure/")
    assert response.status_code == 200
    html = response.content.decode()
    kinds = kinds_on(html)
    assert kinds["storage"] == {
        "arn:aws:s3:::acme-public-assets",
        "/subscriptions/s/containers/web",
        "acme-shared-artifacts",
    }
    assert kinds["firewall"] == {"sg-0a1b2c3d", "/subscriptions/s/nsg/web-nsg"}
    assert kinds["load_balancer"] == {"default/Service/shop"}
    assert kinds["ingress"] == {"default/Ingress/shop"}
    assert kinds["cluster_endpoint"] == {"projects/p/clusters/legacy"}
    assert kinds["database"] == {"arn:aws:rds:eu-west-1:1:db:orders"}
    # passing, non-exposure and other teams' findings are not the internet's
    assert "acme-private" not in html and "acme-unencrypted" not in html and "blue-team-public" not in html
    for badge in ("provider-aws", "provider-azure", "provider-gcp", "provider-kubernetes"):
        assert badge in html
    assert "S3 Block Public Access is on for the bucket" in html and "Exposure" in html


def test_muted_stays_listed_gone_does_not(db) -> None:
    build_estate()
    Finding.objects.filter(rule_id="aws.ec2.security_group_no_public_admin_ports_ipv4").update(muted=True)
    Resource.objects.filter(uid="acme-shared-artifacts").update(gone_at=timezone.now())
    html = person("admin").get("/exposure/").content.decode()
    kinds = kinds_on(html)
    assert "sg-0a1b2c3d" in kinds["firewall"] and "muted-pill" in html
    assert "acme-shared-artifacts" not in kinds["storage"] and "blue-team-public" in kinds["storage"]


def test_the_api_answers_the_same_scoped_to_the_users_teams(db) -> None:
    build_estate()
    viewer = person("viewer", "red")
    red = viewer.get("/api/v1/exposure/").json()
    assert [k["kind"] for k in red["kinds"]] == [
        "storage",
        "firewall",
        "load_balancer",
        "ingress",
        "cluster_endpoint",
        "database",
    ]
    by_uid = {r["uid"]: r for r in red["results"]}
    bucket = by_uid["arn:aws:s3:::acme-public-assets"]
    assert (bucket["provider"], bucket["kind"], bucket["account"]) == ("aws", "storage", "aws-red")
    assert {f["rule_id"] for f in bucket["findings"]} == {
        "aws.s3.bucket_blocks_public_access",
        "aws.s3.bucket_policy_no_public_principal",
    }
    assert by_uid["default/Ingress/shop"]["findings"] == []
    assert "blue-team-public" not in by_uid and red["truncated"] is False
    admin = person("admin").get("/api/v1/exposure/").json()
    assert "blue-team-public" in {r["uid"] for r in admin["results"]}
    assert viewer.get("/api/v1/exposure/?provider=aws").status_code == 400


def test_an_estate_with_nothing_exposed_says_so(db) -> None:
    html = person("viewer").get("/exposure/").content.decode()
    assert "no failing exposure rule, no entry point" in html


def test_the_page_is_in_the_navigation(db) -> None:
    html = person("viewer").get("/").content.decode()
    assert 'href="/exposure/"' in html
