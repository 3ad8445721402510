from __future__ import annotations

from rest_framework import viewsets

from posture.access.roles import Role
from posture.api.serializers import AccountSerializer, FindingSerializer, ScanSerializer
from posture.findings.models import Finding
from posture.inventory.models import CloudAccount
from posture.scans.models import Scan


class AccountViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = CloudAccount.objects.all()
    serializer_class = AccountSerializer
    filterset_fields = ["provider", "team", "enabled"]
    write_role = Role.ADMIN


class ScanViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = Scan.objects.select_related("account")
    serializer_class = ScanSerializer
    filterset_fields = ["state", "account__name"]


class FindingViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = Finding.objects.select_related("account", "resource")
    serializer_class = FindingSerializer
    filterset_fields = ["status", "severity", "rule_id", "muted", "account__name"]
