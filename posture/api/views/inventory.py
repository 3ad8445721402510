from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from collectors.cluster_access import PLATFORMS
from posture.access.audit import record
from posture.access.roles import Role
from posture.access.scoping import can_see
from posture.api.schema import CONFLICT, QUEUE_DOWN
from posture.api.scoped import Scoped
from posture.api.serializers import AccountSerializer, ClusterSerializer, ResourceSerializer, ScanSerializer
from posture.api.views.scan_drift import ScanDriftActions
from posture.inventory.account_input import account_changes, new_account, new_cluster_account
from posture.inventory.accounts import create_account, remove_account, test_account, update_account
from posture.inventory.clusters import add_cluster_account, cloud_clusters
from posture.inventory.filters import ResourceFilter
from posture.inventory.models import CloudAccount, Resource
from posture.scans.baseline import BaselineRefused, clear_baseline, mark_baseline
from posture.scans.diff import KINDS
from posture.scans.drift import DriftError, DriftFilters, drift
from posture.scans.models import Scan
from posture.scans.pipeline import cancel_scan
from posture.scans.tasks import start_scan


def account_values(validated: dict) -> dict:
    """The serializer's fields under the AccountInput names (the API says scan_schedule and via_cluster)."""
    renamed = {"scan_schedule": "schedule", "via_cluster": "cluster"}
    return {renamed.get(k, k): value for k, value in validated.items()}


class AccountViewSet(Scoped, viewsets.ModelViewSet):
    """Cloud accounts and clusters. Admins change them; credentials are write-only."""

    queryset = CloudAccount.objects.all()
    account_path = ""
    serializer_class = AccountSerializer
    filterset_fields = ["provider", "team", "enabled"]
    write_role = Role.ADMIN

    def get_queryset(self):
        return super().get_queryset().select_related("via")

    def create(self, request, *args, **kwargs):
        data = self.get_serializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        if v.get("via") or v.get("via_cluster"):
            return self._create_via(v)
        account = create_account(new_account(account_values(v)), user=request.user, source="api")
        return Response(self.get_serializer(account).data, status=status.HTTP_201_CREATED)

    def _create_via(self, v: dict) -> Response:
        """A kubernetes account inside a managed cluster, reached with the cloud account's identity."""
        if not (v.get("via") and v.get("via_cluster")):
            raise ValidationError({"via_cluster": ["via and via_cluster go together"]})
        if v.get("provider") != "kubernetes":
            raise ValidationError({"provider": ["an account via a cloud account is a kubernetes account"]})
        borrowed = sorted(k for k in ("credentials", "regions") if v.get(k))
        if borrowed:
            raise ValidationError({name: ["does not apply: the cloud account's identity is used"] for name in borrowed})
        account = add_cluster_account(
            new_cluster_account(account_values(v), v["via"]), user=self.request.user, source="api"
        )
        return Response(self.get_serializer(account).data, status=status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        account = self.get_object()
        data = self.get_serializer(account, data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        v = dict(data.validated_data)
        if ("provider" in v and v["provider"] != account.provider) or ("name" in v and v["name"] != account.name):
            return Response({"detail": "provider and name cannot change"}, status=status.HTTP_400_BAD_REQUEST)
        if ("via" in v and v["via"] != account.via) or ("via_cluster" in v and v["via_cluster"] != account.via_cluster):
            return Response({"detail": "via and via_cluster cannot change"}, status=status.HTTP_400_BAD_REQUEST)
        changes = account_changes(account_values(v))
        update_account(account, changes, user=request.user, source="api")
        return Response(self.get_serializer(account).data)

    def destroy(self, request, *args, **kwargs):
        remove_account(self.get_object(), user=request.user, source="api")
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=None, responses={200: dict})
    @action(detail=True, methods=["post"])
    def test(self, request, pk=None):
        """One cheap call with the stored credentials; records the provider's own id."""
        account = self.get_object()
        who = test_account(account, user=request.user, source="api")
        return Response({"ok": True, "external_id": account.external_id, "identity": who})

    @extend_schema(request=None, responses={200: ClusterSerializer(many=True)})
    @action(detail=True, methods=["get"], pagination_class=None)  # a plain array, as answered
    def clusters(self, request, pk=None):
        """The EKS, AKS or GKE clusters this cloud account's scans found (none for other accounts).

        Scan inside one: POST accounts/ with {"name": ..., "via": this account, "via_cluster": its ref}."""
        account = self.get_object()
        found = cloud_clusters(account) if account.provider in PLATFORMS else []
        return Response(ClusterSerializer(found, many=True).data)


class ResourceViewSet(Scoped, viewsets.ReadOnlyModelViewSet):
    """Collected resources with their configuration as the provider's API returned it."""

    queryset = Resource.objects.select_related("account")
    serializer_class = ResourceSerializer
    filterset_class = ResourceFilter


DRIFT_PARAMETERS = [
    OpenApiParameter(
        "against",
        OpenApiTypes.STR,
        description="previous (default), baseline, or the id of another scan of the account",
    ),
    OpenApiParameter("provider", OpenApiTypes.STR, description="only resources of this provider"),
    OpenApiParameter(
        "type", OpenApiTypes.STR, description="only this resource type, e.g. kubernetes.workloads.workload"
    ),
    OpenApiParameter("namespace", OpenApiTypes.STR, description="only Kubernetes resources in this namespace"),
    OpenApiParameter("kind", OpenApiTypes.STR, enum=list(KINDS), description="only this kind of change"),
]


class ScanViewSet(Scoped, ScanDriftActions, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Scans: start one (POST {"account": NAME}), follow its state, cancel it, see its drift."""

    queryset = Scan.objects.select_related("account")
    serializer_class = ScanSerializer
    filterset_fields = ["state", "account__name"]

    @property
    def extra_params(self) -> tuple[str, ...]:
        """The drift action's own parameters (the scan filters do not apply to one scan)."""
        return tuple(p.name for p in DRIFT_PARAMETERS) if self.action == "drift" else ()

    @extend_schema(responses={202: ScanSerializer, 409: CONFLICT, 503: QUEUE_DOWN})
    def create(self, request, *args, **kwargs):
        data = self.get_serializer(data=request.data)
        data.is_valid(raise_exception=True)
        account = data.validated_data["account"]
        if not can_see(request.user, account):
            raise ValidationError({"account": [f"Object with name={account.name} does not exist."]})
        scan = start_scan(account, trigger="api", user=request.user, source="api")
        return Response(self.get_serializer(scan).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(request=None, responses={200: ScanSerializer, 409: CONFLICT})
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        scan = self.get_object()
        if not cancel_scan(scan):
            return Response(
                {"detail": f"scan {scan.pk} is {scan.state}; only queued or running scans cancel"},
                status=status.HTTP_409_CONFLICT,
            )
        record("scan.cancel", scan, user=request.user, source="api")
        return Response(self.get_serializer(scan).data)

    @extend_schema(parameters=DRIFT_PARAMETERS, responses={200: dict})
    @action(detail=True, methods=["get"])
    def drift(self, request, pk=None):
        """Resources whose configuration changed, field by field (volatile fields ignored), and findings that
        moved, in both directions: against the previous scan (default), the account's baseline or any scan
        of the same account. ``resources_changed[]``: uid, name, type, provider, namespace, kind (modified,
        recreated, appeared, gone), ``fields`` ([{path, before, after}], secrets redacted, at most 100) and
        ``fields_changed`` (how many); ``counts`` per kind before the kind filter."""
        params = request.query_params
        kind = params.get("kind", "")
        if kind and kind not in KINDS:
            raise ValidationError({"kind": [f"one of {', '.join(KINDS)}"]})
        filters = DriftFilters(
            provider=params.get("provider", ""),
            type=params.get("type", ""),
            namespace=params.get("namespace", ""),
            kind=kind,
        )
        try:
            return Response(drift(self.get_object(), params.get("against", "previous"), filters))
        except DriftError as exc:
            raise ValidationError({"against": [str(exc)]}) from None

    @extend_schema(request=None, responses={200: ScanSerializer, 409: CONFLICT})
    @action(detail=True, methods=["post", "delete"])
    def baseline(self, request, pk=None):
        """POST: make this finished scan its account's drift baseline (replacing the one before); DELETE: clear
        it. Analysts and admins; audited."""
        scan = self.get_object()
        if request.method == "DELETE":
            clear_baseline(scan, user=request.user, source="api")
            return Response(self.get_serializer(scan).data)
        try:
            mark_baseline(scan, user=request.user, source="api")
        except BaselineRefused as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_409_CONFLICT)
        return Response(self.get_serializer(scan).data)
