"""Images and workloads over the API: what the images page and the workload page show, as JSON."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, viewsets
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response

from posture.access.scoping import scope
from posture.api.schema import PostureAutoSchema
from posture.inventory.images import ContainerImage, ImageRef, ImageUse, matching
from posture.inventory.models import Resource
from posture.inventory.workloads import WORKLOAD_TYPE, WorkloadView, image_uses, workload_view


class WorkloadRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    account = serializers.CharField()
    kind = serializers.CharField()
    namespace = serializers.CharField()
    name = serializers.CharField()
    failing = serializers.IntegerField(help_text="Its failing, unmuted findings")


class ImageSerializer(serializers.Serializer):
    image = serializers.CharField(help_text="Normalized reference (as written, when it is not a valid one)")
    registry = serializers.CharField(allow_blank=True)
    repository = serializers.CharField(allow_blank=True)
    tag = serializers.CharField(allow_blank=True, help_text="Empty when only a digest pins the image")
    digest = serializers.CharField(allow_blank=True)
    running_since = serializers.CharField(allow_null=True, help_text="The oldest start of a pod running it")
    pushed_at = serializers.CharField(allow_null=True, help_text="The newest push to its repository, if known")
    failing = serializers.IntegerField(help_text="Failing, unmuted findings of the workloads running it")
    workloads = WorkloadRefSerializer(many=True)


class ImageListSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    results = ImageSerializer(many=True)


class ContainerSerializer(serializers.Serializer):
    container = serializers.CharField()
    group = serializers.CharField(help_text="containers, initContainers or ephemeralContainers")
    image = serializers.CharField(allow_blank=True)
    registry = serializers.CharField(allow_blank=True)
    repository = serializers.CharField(allow_blank=True)
    tag = serializers.CharField(allow_blank=True)
    digest = serializers.CharField(allow_blank=True)


class NeighbourSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    uid = serializers.CharField()
    name = serializers.CharField()


class WorkloadFindingSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    rule_id = serializers.CharField()
    status = serializers.CharField()
    severity = serializers.CharField()
    muted = serializers.BooleanField()


class WorkloadSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    account = serializers.CharField()
    uid = serializers.CharField()
    kind = serializers.CharField()
    namespace = serializers.CharField()
    name = serializers.CharField()
    service_account = serializers.CharField()
    containers = ContainerSerializer(many=True)
    services = NeighbourSerializer(many=True, help_text="Services whose selector picks its pods")
    ingresses = NeighbourSerializer(many=True, help_text="Ingresses routing to those Services")
    pods = serializers.ListField(child=serializers.DictField())
    findings = WorkloadFindingSerializer(many=True)


def ref_fields(ref: ImageRef | None) -> dict[str, str]:
    keys = ("registry", "repository", "tag", "digest")
    return {k: getattr(ref, k) for k in keys} if ref else dict.fromkeys(keys, "")


def image_json(use: ImageUse) -> dict[str, Any]:
    workloads = [
        {
            "id": w.id,
            "account": w.account,
            "kind": w.kind,
            "namespace": w.namespace,
            "name": w.name,
            "failing": w.failing,
        }
        for w in use.workloads
    ]
    return {
        "image": str(use.ref) if use.ref else use.image,
        **ref_fields(use.ref),
        "running_since": use.running_since,
        "pushed_at": use.pushed_at,
        "failing": use.failing,
        "workloads": workloads,
    }


def container_json(c: ContainerImage) -> dict[str, Any]:
    return {"container": c.container, "group": c.group, "image": c.image, **ref_fields(c.ref)}


def neighbour_json(r: Resource) -> dict[str, Any]:
    return {"id": r.pk, "uid": r.uid, "name": r.name}


def workload_json(view: WorkloadView) -> dict[str, Any]:
    r = view.resource
    return {
        "id": r.pk,
        "account": r.account.name,
        "uid": r.uid,
        "kind": view.kind,
        "namespace": view.namespace,
        "name": r.name,
        "service_account": view.service_account,
        "containers": [container_json(c) for c in view.containers],
        "services": [neighbour_json(s) for s in view.services],
        "ingresses": [neighbour_json(i) for i in view.ingresses],
        "pods": view.pods,
        "findings": [
            {"id": f.pk, "rule_id": f.rule_id, "status": f.status, "severity": f.severity, "muted": f.muted}
            for f in view.findings
        ],
    }


class OneObjectSchema(PostureAutoSchema):
    """The list answers one object (``count`` and ``results``), not an array of them."""

    def _is_list_view(self, serializer: Any = None) -> bool:
        return False


class ImageViewSet(viewsets.ViewSet):
    """The container images the scanned clusters run, with the workloads running each (most failing first)."""

    schema = OneObjectSchema()

    @extend_schema(
        operation_id="images_list",
        parameters=[OpenApiParameter("q", OpenApiTypes.STR, description="substring of registry/repo:tag@digest")],
        responses={200: ImageListSerializer},
    )
    def list(self, request):
        unknown = sorted(set(request.query_params) - {"q"})
        if unknown:
            raise ValidationError({name: ["unknown filter"] for name in unknown})
        found = matching(image_uses(scope(Resource.objects.all(), request.user)), request.query_params.get("q", ""))
        return Response({"count": len(found), "results": [image_json(u) for u in found]})


class WorkloadViewSet(viewsets.ViewSet):
    """One Kubernetes workload: its containers and images, service account, exposure, pods and findings."""

    @extend_schema(
        operation_id="workloads_retrieve",
        parameters=[OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH, description="the resource id")],
        responses={200: WorkloadSerializer},
    )
    def retrieve(self, request, pk=None):
        key = int(pk) if str(pk).isascii() and str(pk).isdigit() and int(pk) < 2**63 else None
        visible = scope(Resource.objects.select_related("account"), request.user)
        resource = visible.filter(pk=key, type=WORKLOAD_TYPE).first() if key is not None else None
        if resource is None:
            raise NotFound("No workload matches the given query.")  # as for any missing object
        return Response(workload_json(workload_view(resource)))
