from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from posture.access.permissions import ApiDocsPermission
from posture.api.views.admin import AuditLogViewSet, TokenViewSet
from posture.api.views.attestations import AttestationViewSet
from posture.api.views.compliance import ComplianceViewSet, FrameworkViewSet
from posture.api.views.compliance_rollup import ComplianceRollupViewSet
from posture.api.views.exposure import ExposureView
from posture.api.views.findings import EventViewSet, FindingViewSet, MuteRuleViewSet
from posture.api.views.images import ImageScanViewSet
from posture.api.views.inventory import AccountViewSet, ResourceViewSet, ScanViewSet
from posture.api.views.paths import PathViewSet
from posture.api.views.workloads import ImageViewSet, WorkloadViewSet

DOCS_PERMISSIONS = [ApiDocsPermission]
router = DefaultRouter()
router.register("accounts", AccountViewSet)
router.register("scans", ScanViewSet)
router.register("resources", ResourceViewSet)
router.register("images/scans", ImageScanViewSet, basename="image-scan")
router.register("images", ImageViewSet, basename="image")
router.register("workloads", WorkloadViewSet, basename="workload")
router.register("findings", FindingViewSet)
router.register("paths", PathViewSet, basename="path")
router.register("events", EventViewSet)
router.register("mutes", MuteRuleViewSet)
router.register("frameworks", FrameworkViewSet, basename="framework")
router.register("compliance", ComplianceViewSet, basename="compliance")
router.register("attestations", AttestationViewSet, basename="attestation")
router.register("audit", AuditLogViewSet)
router.register("tokens", TokenViewSet, basename="token")

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(permission_classes=DOCS_PERMISSIONS), name="schema"),
    # Swagger UI with no inline script or style (the CSP allows this origin's files only): the page loads
    # its init script from docs/?script= and Swagger UI itself from drf-spectacular-sidecar's static files.
    path(
        "docs/",
        SpectacularSwaggerSplitView.as_view(
            url_name="schema", template_name="api/swagger_ui.html", permission_classes=DOCS_PERMISSIONS
        ),
        name="api-docs",
    ),
    path(
        "compliance/<str:pk>/trend/",
        ComplianceViewSet.as_view({"get": "trend"}),
        name="compliance-trend",
    ),
    path(
        "compliance/<str:pk>/rollup/",
        ComplianceRollupViewSet.as_view({"get": "rollup"}),
        name="compliance-rollup",
    ),
    path(
        "compliance/<str:pk>/movement/",
        ComplianceRollupViewSet.as_view({"get": "movement"}),
        name="compliance-movement-api",
    ),
    path("exposure/", ExposureView.as_view(), name="exposure-api"),
    path("integrations/", include("posture.integrations.urls")),
    *router.urls,
]
