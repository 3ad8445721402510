from rest_framework.routers import DefaultRouter

from posture.api.views import AccountViewSet, FindingViewSet, ScanViewSet

router = DefaultRouter()
router.register("accounts", AccountViewSet)
router.register("scans", ScanViewSet)
router.register("findings", FindingViewSet)

urlpatterns = router.urls
