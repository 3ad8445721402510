"""Container images: parsing references, and which workloads run which image.

Plain functions over stored workload configurations (``kubernetes.workloads.workload`` resources, whose
``config`` is the object itself); the images page, the workload page and the API read them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from collectors.kubernetes.objects import containers, pod_spec

DOCKER_HUB = "docker.io"
HUB_ALIASES = ("index.docker.io", "registry-1.docker.io", "registry.hub.docker.com")
DIGEST = re.compile(r"^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[0-9a-fA-F]{32,}$")
NAME_PART = re.compile(r"^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$")
TAG = re.compile(r"^[\w][\w.-]{0,127}$")


class BadImageRef(ValueError):
    """A container image reference that is not ``[registry/]repository[:tag][@digest]``."""


@dataclass(frozen=True, slots=True)
class ImageRef:
    """One image reference, normalized as Docker does: ``busybox`` is ``docker.io/library/busybox:latest``."""

    registry: str
    repository: str
    tag: str  # empty when only a digest pins it
    digest: str  # "sha256:..." or empty

    @property
    def name(self) -> str:
        return f"{self.registry}/{self.repository}"

    def __str__(self) -> str:
        return self.name + (f":{self.tag}" if self.tag else "") + (f"@{self.digest}" if self.digest else "")


def parse_image_ref(raw: str) -> ImageRef:
    """``registry/repo:tag@sha256:...`` -> :class:`ImageRef`; raises :class:`BadImageRef` with the reason."""
    text = (raw or "").strip()
    if not text or any(c.isspace() for c in text):
        raise BadImageRef(f"{raw!r} is not an image reference")
    name, _, digest = text.partition("@")
    if "@" in text and not DIGEST.match(digest):
        raise BadImageRef(f"{raw!r}: the digest {digest!r} is not algorithm:hex")
    registry, path = _split_registry(name)
    repository, tag = _split_tag(path)
    if not repository or not all(NAME_PART.match(p) for p in repository.split("/")):
        raise BadImageRef(f"{raw!r}: the repository {repository!r} is not lower-case name parts")
    if tag and not TAG.match(tag):
        raise BadImageRef(f"{raw!r}: the tag {tag!r} is not a valid tag")
    if registry == DOCKER_HUB and "/" not in repository:
        repository = f"library/{repository}"
    return ImageRef(registry, repository, tag or ("" if digest else "latest"), digest)


def _split_registry(name: str) -> tuple[str, str]:
    """A first component with a dot or a port, or ``localhost``, is a registry host; else Docker Hub."""
    first, sep, rest = name.partition("/")
    if sep and ("." in first or ":" in first or first == "localhost"):
        return (DOCKER_HUB if first in HUB_ALIASES else first), rest
    return DOCKER_HUB, name


def _split_tag(path: str) -> tuple[str, str]:
    head, _, last = path.rpartition("/")
    repo, _, tag = last.partition(":")
    return (f"{head}/{repo}" if head else repo), tag


@dataclass(frozen=True, slots=True)
class ContainerImage:
    """A container of a workload's pod spec and the image it runs (``ref`` None when unparsable)."""

    container: str
    group: str  # containers, initContainers, ephemeralContainers
    image: str
    ref: ImageRef | None


def workload_images(config: dict[str, Any]) -> list[ContainerImage]:
    """Every container of a stored workload with its image, in the spec's order."""
    spec = pod_spec(config) or {}
    found = []
    for path, container in containers(spec):
        image = str(container.get("image") or "")
        try:
            ref = parse_image_ref(image)
        except BadImageRef:
            ref = None
        found.append(ContainerImage(str(container.get("name", "")), path.split(".")[0], image, ref))
    return found


@dataclass(frozen=True, slots=True)
class Workload:
    """What the images page needs of one stored workload."""

    id: int
    account: str
    uid: str
    config: dict[str, Any]
    failing: int = 0

    @property
    def kind(self) -> str:
        return str(self.config.get("kind", ""))

    @property
    def namespace(self) -> str:
        return str((self.config.get("metadata") or {}).get("namespace", ""))

    @property
    def name(self) -> str:
        return str((self.config.get("metadata") or {}).get("name", ""))

    @property
    def running_since(self) -> str | None:
        return self.config.get("_oldestPodStart") or (self.config.get("status") or {}).get("startTime")


@dataclass(slots=True)
class ImageUse:
    """One image and the workloads that run it."""

    ref: ImageRef | None
    image: str  # as written in the first spec seen
    workloads: list[Workload] = field(default_factory=list)
    pushed_at: str | None = None  # the newest push to its repository, where a registry record says

    @property
    def failing(self) -> int:
        return sum(w.failing for w in self.workloads)

    @property
    def running_since(self) -> str | None:
        starts = [s for w in self.workloads if (s := w.running_since)]
        return min(starts) if starts else None

    @property
    def search_text(self) -> str:
        parts = [self.image] if self.ref is None else [str(self.ref), self.ref.registry, self.ref.repository]
        return " ".join(parts).lower()


def images_in_use(workloads: Iterable[Workload], pushed: dict[str, str] | None = None) -> list[ImageUse]:
    """Each distinct image (normalized reference) with its workloads, the most failing first."""
    uses: dict[str, ImageUse] = {}
    for workload in workloads:
        for item in workload_images(workload.config):
            key = str(item.ref) if item.ref else item.image
            use = uses.setdefault(key, ImageUse(item.ref, item.image))
            if not use.workloads or use.workloads[-1].id != workload.id:  # two containers, one image
                use.workloads.append(workload)
    for use in uses.values():
        use.pushed_at = (pushed or {}).get(use.ref.name) if use.ref else None
    return sorted(uses.values(), key=lambda u: (-u.failing, str(u.ref or u.image)))


def matching(uses: Iterable[ImageUse], query: str) -> list[ImageUse]:
    """The images whose registry, repository, tag or digest contain ``query`` (case-insensitive)."""
    needle = query.strip().lower()
    return [u for u in uses if needle in u.search_text] if needle else list(uses)


def ecr_pushes(repositories: Iterable[dict[str, Any]]) -> dict[str, str]:
    """``registry/repository`` -> the newest push to it, from stored ECR repository configurations."""
    pushes = {}
    for config in repositories:
        uri, images = str(config.get("repositoryUri") or ""), config.get("_Images") or {}
        if uri and isinstance(images, dict) and images.get("LatestImagePushedAt"):
            pushes[uri] = str(images["LatestImagePushedAt"])
    return pushes
