"""Image scan results over the API: list and read them (``/api/v1/images/scans/``), import a Trivy or Grype
report (POST, analysts and admins)."""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from posture.access.scoping import account_filter, scope
from posture.images.filters import ImageScanFilter
from posture.images.imports import import_report
from posture.images.models import ImageScanResult
from posture.images.reports import MAX_REPORT_BYTES, ReportError
from posture.images.running import running_digests, tally
from posture.inventory.models import Resource
from posture.inventory.workloads import WORKLOAD_TYPE

UPLOAD_FORMATS = ("auto", "trivy", "grype")


class ImageScanSerializer(serializers.ModelSerializer):
    account = serializers.SlugRelatedField(slug_field="name", read_only=True, allow_null=True)
    imported = serializers.BooleanField(read_only=True, help_text="From an imported report (no account)")
    imported_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    counts = serializers.SerializerMethodField(help_text="{SEVERITY: {total, fixable}}")

    class Meta:
        model = ImageScanResult
        fields = [
            "id",
            "digest",
            "source",
            "imported",
            "registry",
            "repository",
            "tags",
            "status",
            "scanned_at",
            "pushed_at",
            "counts",
            "account",
            "imported_by",
            "imported_at",
            "updated_at",
        ]

    def get_counts(self, obj: ImageScanResult) -> dict[str, dict[str, int]]:
        return tally(obj)


class VulnerabilitySerializer(serializers.Serializer):
    id = serializers.CharField()
    severity = serializers.CharField()
    package = serializers.CharField()
    installed_version = serializers.CharField()
    fixed_version = serializers.CharField(help_text="Empty when no fix is known")
    title = serializers.CharField()
    url = serializers.CharField()


class RunningWorkloadSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    account = serializers.CharField()
    uid = serializers.CharField()
    containers = serializers.ListField(child=serializers.CharField(), help_text="pod/container running the digest")


class ImageScanDetailSerializer(ImageScanSerializer):
    vulnerabilities = VulnerabilitySerializer(many=True, read_only=True)
    running = serializers.SerializerMethodField(help_text="The workloads (the user may see) running this digest")

    class Meta(ImageScanSerializer.Meta):
        fields = [*ImageScanSerializer.Meta.fields, "vulnerabilities", "running"]

    @extend_schema_field(RunningWorkloadSerializer(many=True))
    def get_running(self, obj: ImageScanResult) -> list[dict[str, Any]]:
        return self.context.get("running", [])


class ImportSerializer(serializers.Serializer):
    report = serializers.FileField(help_text="`trivy image -f json` or `grype -o json` output")
    format = serializers.ChoiceField(choices=UPLOAD_FORMATS, default="auto", required=False)


def visible_scans(user: Any):
    """Imported results (no account) and those of the accounts the user may see."""
    q = account_filter(user, "account")
    results = ImageScanResult.objects.all()
    return results if q is None else results.filter(Q(account__isnull=True) | q)


def workloads_running(user: Any, digest: str) -> list[dict[str, Any]]:
    """The workloads the user may see whose pods run ``digest``: one query."""
    workloads = scope(Resource.objects.filter(type=WORKLOAD_TYPE, gone_at__isnull=True), user)
    found = []
    for pk, account, uid, config in workloads.values_list("id", "account__name", "uid", "config"):
        containers = running_digests(config).get(digest)
        if containers:
            found.append({"id": pk, "account": account, "uid": uid, "containers": containers})
    return found


class ImageScanViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Stored image vulnerability scan results, one per (digest, scanner): from cloud registries' scanners
    and imported Trivy/Grype reports (``imported``: true, no account). POST imports a report."""

    serializer_class = ImageScanSerializer
    filterset_class = ImageScanFilter
    parser_classes = [MultiPartParser]

    def get_queryset(self):
        results = visible_scans(self.request.user).select_related("account", "imported_by")
        return results if self.action == "retrieve" else results.defer("vulnerabilities")

    def get_serializer_class(self):
        return ImageScanDetailSerializer if self.action == "retrieve" else super().get_serializer_class()

    def retrieve(self, request, *args, **kwargs):
        result = self.get_object()
        context = {**self.get_serializer_context(), "running": workloads_running(request.user, result.digest)}
        return Response(ImageScanDetailSerializer(result, context=context).data)

    @extend_schema(
        request={"multipart/form-data": ImportSerializer, "application/json": OpenApiTypes.OBJECT},
        parameters=[
            OpenApiParameter(
                "report_format", OpenApiTypes.STR, enum=list(UPLOAD_FORMATS), description="for a JSON body"
            )
        ],
        responses={201: ImageScanSerializer},
        description="Import a report: multipart (``report`` file, ``format``) or the report itself as an "
        f"application/json body (``?report_format=``); at most {MAX_REPORT_BYTES // (1024 * 1024)} MB.",
    )
    def create(self, request, *args, **kwargs):
        raw, fmt = self.upload(request)
        try:
            done = import_report(raw, fmt=fmt, user=request.user, source="api")
        except ReportError as exc:
            raise ValidationError({"report": [str(exc)]}) from None
        return Response(ImageScanSerializer(done.result).data, status=status.HTTP_201_CREATED)

    def upload(self, request) -> tuple[bytes, str]:
        """The report's bytes (size-limited) and the format asked for, from a JSON body or a multipart form."""
        if request.content_type.split(";")[0].strip() == "application/json":
            fmt = request.query_params.get("report_format", "auto")
            raw = request._request.read(MAX_REPORT_BYTES + 1)
        else:
            form = ImportSerializer(data=request.data)
            form.is_valid(raise_exception=True)
            upload, fmt = form.validated_data["report"], form.validated_data.get("format", "auto")
            if upload.size > MAX_REPORT_BYTES:
                raise ValidationError({"report": [f"larger than {MAX_REPORT_BYTES // (1024 * 1024)} MB"]})
            raw = upload.read()
        if fmt not in UPLOAD_FORMATS:
            raise ValidationError({"report_format": [f"one of {', '.join(UPLOAD_FORMATS)}"]})
        return raw, fmt
