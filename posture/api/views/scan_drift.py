"""The scan actions for container and compliance drift (``/api/v1/scans/{id}/container-drift/`` and
``/compliance-drift/``), mixed into the scans viewset so they share its scoping."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.decorators import action
from rest_framework.response import Response

from posture.scans.compliance_drift import compliance_drift
from posture.scans.container_drift import container_drift


class ScanDriftActions:
    """Read-only drift sections of one scan; ``get_object`` (the viewset's) applies the team scope."""

    @extend_schema(responses={200: dict})
    @action(detail=True, methods=["get"], url_path="container-drift")
    def container_drift(self, request, pk=None):
        """Tags that now run as another digest than at the previous scan, restarts and replaced pods since then."""
        return Response(container_drift(self.get_object()))

    @extend_schema(responses={200: dict})
    @action(detail=True, methods=["get"], url_path="compliance-drift")
    def compliance_drift(self, request, pk=None):
        """Resources whose failing findings grew (worse), shrank (better) or both (mixed) in this scan."""
        return Response(compliance_drift(self.get_object()))
