"""Images and workloads over the API: what the images page and the workload page show, as JSON."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, viewsets
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response

from collectors.image_scans import SEVERITIES
from posture.access.scoping import scope
from posture.api.schema import PostureAutoSchema
from posture.images.in_use import ImageVulnerabilities, filtered, image_vulnerabilities
from posture.images.models import ImageScanResult
from posture.images.running import running_digests, scans_for_workload, tally
from posture.inventory.images import ContainerImage, ImageRef, matching
from posture.inventory.models import Resource
from posture.inventory.workloads import WORKLOAD_TYPE, WorkloadView, image_uses, workload_view


class WorkloadRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    account = serializers.CharField()
    kind = serializers.CharField()
    namespace = serializers.CharField()
    name = serializers.CharField()
    failing = serializers.IntegerField(help_text="Its failing, unmuted findings")


class ScanRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="/api/v1/images/scans/{id}/: the result with its vulnerabilities")
    digest = serializers.CharField()
    source = serializers.CharField()
    imported = serializers.BooleanField()
    scanned_at = serializers.DateTimeField(allow_null=True)


class ImageVulnerabilitySerializer(serializers.Serializer):
    scanned = serializers.BooleanField(help_text="A complete scan result exists for a digest it runs")
    digests = serializers.ListField(child=serializers.CharField(), help_text="The digests its pods run")
    sources = serializers.ListField(child=serializers.CharField())
    imported = serializers.BooleanField(help_text="A result comes from an imported report")
    scanned_at = serializers.DateTimeField(allow_null=True, help_text="The oldest scan of its running digests")
    counts = serializers.DictField(help_text="{SEVERITY: {total, fixable}}, the worst of its running digests")
    scans = ScanRefSerializer(many=True)


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
    vulnerabilities = ImageVulnerabilitySerializer()


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


class RunningScanSerializer(ScanRefSerializer):
    pushed_at = serializers.DateTimeField(allow_null=True)
    status = serializers.CharField()
    counts = serializers.DictField(help_text="{SEVERITY: {total, fixable}}")


class RunningImageSerializer(serializers.Serializer):
    digest = serializers.CharField()
    containers = serializers.ListField(child=serializers.CharField(), help_text="pod/container running it")
    scan = RunningScanSerializer(allow_null=True, help_text="The result to go by; null: never scanned")


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
    image_scans = RunningImageSerializer(many=True, help_text="Each digest its pods run, with its scan result")


def ref_fields(ref: ImageRef | None) -> dict[str, str]:
    keys = ("registry", "repository", "tag", "digest")
    return {k: getattr(ref, k) for k in keys} if ref else dict.fromkeys(keys, "")


def scan_ref(digest: str, result: ImageScanResult) -> dict[str, Any]:
    return {
        "id": result.pk,
        "digest": digest,
        "source": result.source,
        "imported": result.imported,
        "scanned_at": result.scanned_at,
    }


def vulnerabilities_json(row: ImageVulnerabilities) -> dict[str, Any]:
    return {
        "scanned": row.scanned,
        "digests": sorted(row.scans),
        "sources": row.sources,
        "imported": row.imported,
        "scanned_at": row.scanned_at,
        "counts": row.counts,
        "scans": [scan_ref(d, r) for d, r in sorted(row.scans.items()) if r is not None],
    }


def image_json(row: ImageVulnerabilities) -> dict[str, Any]:
    use = row.use
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
        "vulnerabilities": vulnerabilities_json(row),
    }


def container_json(c: ContainerImage) -> dict[str, Any]:
    return {"container": c.container, "group": c.group, "image": c.image, **ref_fields(c.ref)}


def neighbour_json(r: Resource) -> dict[str, Any]:
    return {"id": r.pk, "uid": r.uid, "name": r.name}


def running_scan_json(digest: str, result: ImageScanResult | None) -> dict[str, Any] | None:
    if result is None:
        return None
    return {**scan_ref(digest, result), "pushed_at": result.pushed_at, "status": result.status, "counts": tally(result)}


def workload_json(view: WorkloadView) -> dict[str, Any]:
    r = view.resource
    containers = running_digests(r.config)
    scans = scans_for_workload(r.config)
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
        "image_scans": [
            {"digest": d, "containers": containers[d], "scan": running_scan_json(d, scans[d])} for d in sorted(scans)
        ],
    }


def vulnerability_filters(params: Any) -> tuple[str | None, bool | None]:
    """``severity`` and ``fixable`` from query parameters; a bad value is a 400 naming it."""
    severity, fixable = params.get("severity") or None, params.get("fixable")
    if severity is not None and severity.upper() not in SEVERITIES:
        raise ValidationError({"severity": [f"one of {', '.join(s.lower() for s in SEVERITIES)}"]})
    if fixable not in (None, "true", "false", "1", "0"):
        raise ValidationError({"fixable": ["true or false"]})
    return severity, (None if fixable is None else fixable in ("true", "1"))


class OneObjectSchema(PostureAutoSchema):
    """The list answers one object (``count`` and ``results``), not an array of them."""

    def _is_list_view(self, serializer: Any = None) -> bool:
        return False


class ImageViewSet(viewsets.ViewSet):
    """The container images the scanned clusters run, with the workloads running each (most failing first)."""

    schema = OneObjectSchema()

    @extend_schema(
        operation_id="images_list",
        parameters=[
            OpenApiParameter("q", OpenApiTypes.STR, description="substring of registry/repo:tag@digest"),
            OpenApiParameter(
                "severity", OpenApiTypes.STR, enum=[s.lower() for s in SEVERITIES], description="carries one"
            ),
            OpenApiParameter(
                "fixable", OpenApiTypes.BOOL, description="with a fix (true) or only without (false), per severity"
            ),
        ],
        responses={200: ImageListSerializer},
    )
    def list(self, request):
        params = request.query_params
        unknown = sorted(set(params) - {"q", "severity", "fixable"})
        if unknown:
            raise ValidationError({name: ["unknown filter"] for name in unknown})
        severity, fixable = vulnerability_filters(params)
        found = matching(image_uses(scope(Resource.objects.all(), request.user)), params.get("q", ""))
        rows = filtered(image_vulnerabilities(found), severity, fixable)
        return Response({"count": len(rows), "results": [image_json(r) for r in rows]})


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
