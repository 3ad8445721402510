"""GET /api/v1/exposure/: what the internet can reach across clouds (the Internet exposure page's data)."""

from __future__ import annotations

from dataclasses import asdict

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from posture.findings.exposure import KINDS, exposure


class ExposureFindingSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    rule_id = serializers.CharField()
    severity = serializers.CharField()
    message = serializers.CharField()
    muted = serializers.BooleanField(help_text="muted findings stay listed: muting accepts a risk")


class FootholdSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="the workload's resource id (GET workloads/{id}/)")
    uid = serializers.CharField()
    finding = serializers.IntegerField(help_text="its failing kubernetes.image_vulnerabilities finding")
    muted = serializers.BooleanField()
    cves = serializers.ListField(child=serializers.CharField(), help_text="the critical ones with a fix")


class ExposedResourceSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="the resource's id (GET resources/{id}/)")
    uid = serializers.CharField()
    name = serializers.CharField()
    type = serializers.CharField()
    region = serializers.CharField()
    account = serializers.CharField()
    provider = serializers.CharField()
    kind = serializers.CharField(help_text=f"one of {', '.join(k for k, _ in KINDS)}")
    findings = ExposureFindingSerializer(many=True, help_text="failing exposure findings; empty for an entry point")
    footholds = FootholdSerializer(
        many=True, help_text="running workloads it reaches whose image has a critical vulnerability with a fix"
    )


class ExposureKindSerializer(serializers.Serializer):
    kind = serializers.CharField()
    label = serializers.CharField()
    resources = serializers.IntegerField()


class ExposureSerializer(serializers.Serializer):
    kinds = ExposureKindSerializer(many=True, help_text="the kinds with something reachable, in display order")
    results = ExposedResourceSerializer(many=True, help_text="grouped by kind, worst finding first within it")
    truncated = serializers.BooleanField(help_text="true when the lists were cut at their limits")


class ExposureView(APIView):
    """Resources reachable from the internet in the user's accounts, with their failing exposure findings."""

    @extend_schema(operation_id="exposure_retrieve", responses={200: ExposureSerializer})
    def get(self, request):
        if request.query_params:
            raise ValidationError({name: ["unknown filter"] for name in sorted(request.query_params)})
        found = exposure(request.user)
        groups = found.groups()
        return Response(
            {
                "kinds": [{"kind": k, "label": label, "resources": len(rs)} for k, label, rs in groups],
                "results": [asdict(r) for _, _, rs in groups for r in rs],
                "truncated": found.truncated,
            }
        )
