"""Mounted at /api/v1/integrations/ (see the project's posture/api/urls.py)."""

from rest_framework.routers import DefaultRouter

from posture.integrations.views import DeliveryViewSet, JiraViewSet, TicketViewSet, WebhookViewSet

router = DefaultRouter()
router.register("webhooks", WebhookViewSet, basename="integration-webhook")
router.register("jira", JiraViewSet, basename="integration-jira")
router.register("deliveries", DeliveryViewSet, basename="integration-delivery")
router.register("tickets", TicketViewSet, basename="integration-ticket")

urlpatterns = router.urls
