"""Image references parsed as Docker does, and images joined to the workloads that run them."""

from __future__ import annotations

import pytest

from posture.inventory.images import (
    BadImageRef,
    ImageRef,
    Workload,
    ecr_pushes,
    images_in_use,
    matching,
    parse_image_ref,
    workload_images,
)

SHA = "sha256:" + "ab" * 32


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("busybox", ImageRef("docker.io", "library/busybox", "latest", "")),
        ("postgres:16", ImageRef("docker.io", "library/postgres", "16", "")),
        ("falcosecurity/falco:0.38", ImageRef("docker.io", "falcosecurity/falco", "0.38", "")),
        ("docker.io/library/postgres:16", ImageRef("docker.io", "library/postgres", "16", "")),
        ("index.docker.io/nginx", ImageRef("docker.io", "library/nginx", "latest", "")),
        ("ghcr.io/acme/web:1.2.3", ImageRef("ghcr.io", "acme/web", "1.2.3", "")),
        ("registry.example.com:5000/team/app:1.4", ImageRef("registry.example.com:5000", "team/app", "1.4", "")),
        ("localhost:5000/app", ImageRef("localhost:5000", "app", "latest", "")),
        ("localhost/app:dev", ImageRef("localhost", "app", "dev", "")),
        ("myhost:5000/app", ImageRef("myhost:5000", "app", "latest", "")),  # a port makes it a host
        (f"quay.io/acme/worker@{SHA}", ImageRef("quay.io", "acme/worker", "", SHA)),  # a digest only: no tag
        (f"ghcr.io/acme/web:1.2@{SHA}", ImageRef("ghcr.io", "acme/web", "1.2", SHA)),
        (f"alpine@{SHA}", ImageRef("docker.io", "library/alpine", "", SHA)),
        (
            "123456789012.dkr.ecr.eu-west-1.amazonaws.com/payments/api:v7",
            ImageRef("123456789012.dkr.ecr.eu-west-1.amazonaws.com", "payments/api", "v7", ""),
        ),
        ("gcr.io/a/b/c/d:x", ImageRef("gcr.io", "a/b/c/d", "x", "")),
    ],
)
def test_parse_image_ref(raw, expected):
    assert parse_image_ref(raw) == expected


def test_a_reference_prints_normalized():
    assert str(parse_image_ref("busybox")) == "docker.io/library/busybox:latest"
    assert str(parse_image_ref(f"quay.io/acme/worker@{SHA}")) == f"quay.io/acme/worker@{SHA}"
    assert parse_image_ref("registry.example.com:5000/team/app:1.4").name == "registry.example.com:5000/team/app"


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("", "not an image reference"),
        ("has space:1", "not an image reference"),
        ("app@sha256:xyz", "the digest"),
        ("app@", "the digest"),
        ("Upper/Case", "the repository"),
        ("ghcr.io/", "the repository"),
        ("app:-bad", "the tag"),
    ],
)
def test_bad_references_say_why(raw, reason):
    with pytest.raises(BadImageRef, match=reason):
        parse_image_ref(raw)


def deployment(name: str, *images: str, init: str = "", started: str | None = None) -> dict:
    spec = {"containers": [{"name": f"c{i}", "image": image} for i, image in enumerate(images)]}
    if init:
        spec["initContainers"] = [{"name": "init", "image": init}]
    return {
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": "shop"},
        "spec": {"template": {"spec": spec}},
        "_oldestPodStart": started,
    }


def test_workload_images_lists_every_container_group():
    found = workload_images(deployment("web", "nginx:1.27", "Bad Image", init="busybox"))
    assert [(c.group, c.container, c.image) for c in found] == [
        ("initContainers", "init", "busybox"),
        ("containers", "c0", "nginx:1.27"),
        ("containers", "c1", "Bad Image"),
    ]
    assert found[1].ref == parse_image_ref("nginx:1.27") and found[2].ref is None
    cron = {"kind": "CronJob", "spec": {"jobTemplate": {"spec": {"template": {"spec": {"containers": []}}}}}}
    assert workload_images(cron) == [] and workload_images({"kind": "Pod"}) == []


def test_images_in_use_joins_workloads_counts_failures_and_ages():
    web = Workload(1, "prod", "shop/Deployment/web", deployment("web", "nginx:1.27", "nginx"), failing=2)
    api = Workload(
        2,
        "prod",
        "shop/Deployment/api",
        deployment("api", "docker.io/library/nginx:1.27", started="2026-01-02T00:00:00Z"),
        failing=3,
    )
    old = Workload(
        3, "prod", "shop/Deployment/old", deployment("old", "nginx:1.27", "nginx:1.27", started="2025-12-01T00:00:00Z")
    )
    uses = images_in_use([web, api, old], pushed={"docker.io/library/nginx": "2025-11-30T00:00:00+00:00"})
    first, second = uses
    assert str(first.ref) == "docker.io/library/nginx:1.27"
    assert [w.id for w in first.workloads] == [1, 2, 3]  # once each, however many containers run it
    assert first.failing == 5 and first.running_since == "2025-12-01T00:00:00Z"
    assert first.pushed_at == "2025-11-30T00:00:00+00:00"
    assert str(second.ref) == "docker.io/library/nginx:latest" and second.failing == 2
    assert second.running_since is None


def test_matching_searches_registry_repository_tag_and_digest():
    workloads = [
        Workload(1, "a", "u1", deployment("x", "ghcr.io/acme/web:1.2")),
        Workload(2, "a", "u2", deployment("y", f"quay.io/acme/worker@{SHA}")),
        Workload(3, "a", "u3", deployment("z", "Not An Image")),
    ]
    uses = images_in_use(workloads)
    names = lambda q: sorted(str(u.ref or u.image) for u in matching(uses, q))  # noqa: E731
    assert names("ghcr.io") == ["ghcr.io/acme/web:1.2"]
    assert names("ACME/") == ["ghcr.io/acme/web:1.2", f"quay.io/acme/worker@{SHA}"]
    assert names(":1.2") == ["ghcr.io/acme/web:1.2"]
    assert names("abab") == [f"quay.io/acme/worker@{SHA}"]
    assert names("not an") == ["Not An Image"]
    assert len(matching(uses, "  ")) == 3 and matching(uses, "nothing-like-it") == []


def test_ecr_pushes_by_repository_uri():
    repos = [
        {"repositoryUri": "1234.dkr.ecr.eu-west-1.amazonaws.com/api", "_Images": {"LatestImagePushedAt": "2026-01-01"}},
        {"repositoryUri": "1234.dkr.ecr.eu-west-1.amazonaws.com/empty", "_Images": {"ImageCount": 0}},
        {"repositoryUri": "1234.dkr.ecr.eu-west-1.amazonaws.com/unread", "_Images": None},
    ]
    assert ecr_pushes(repos) == {"1234.dkr.ecr.eu-west-1.amazonaws.com/api": "2026-01-01"}
