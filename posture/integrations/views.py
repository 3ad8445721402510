"""REST API: webhook endpoints and Jira connections (admins), the delivery log (admins), tickets (analysts ask)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from posture.access.roles import Role
from posture.access.scoping import account_filter
from posture.integrations import operations
from posture.integrations.filters import TicketFilter
from posture.integrations.models import Delivery, JiraConnection, Ticket, WebhookEndpoint
from posture.integrations.serializers import (
    DeliverySerializer,
    JiraSerializer,
    TicketRequestSerializer,
    TicketSerializer,
    WebhookSerializer,
)


class TargetViewSet(viewsets.ModelViewSet):
    read_role = Role.ADMIN
    write_role = Role.ADMIN
    filterset_fields = ["enabled"]

    def perform_create(self, serializer) -> None:
        operations.save_target(serializer, user=self.request.user, source="api")

    def perform_update(self, serializer) -> None:
        operations.save_target(serializer, user=self.request.user, source="api")

    def perform_destroy(self, instance) -> None:
        operations.remove_target(instance, user=self.request.user, source="api")

    @extend_schema(request=None, responses={200: dict, 400: dict})
    @action(detail=True, methods=["post"])
    def test(self, request, pk=None):
        """Webhook: send a signed test delivery. Jira: sign in and find the project. 400 says why not."""
        result = operations.check_target(self.get_object(), user=request.user, source="api")
        body = {"ok": result.ok, "detail": result.detail, "response_code": result.response_code}
        return Response(body, status=status.HTTP_200_OK if result.ok else status.HTTP_400_BAD_REQUEST)


class WebhookViewSet(TargetViewSet):
    """Signed webhook endpoints. The secret is write-only."""

    queryset = WebhookEndpoint.objects.prefetch_related("accounts")
    serializer_class = WebhookSerializer


class JiraViewSet(TargetViewSet):
    """Jira Cloud or Data Center connections. The token is write-only."""

    queryset = JiraConnection.objects.prefetch_related("accounts")
    serializer_class = JiraSerializer


class DeliveryViewSet(viewsets.ReadOnlyModelViewSet):
    """The delivery log: status, response code, attempts, error. POST .../resend/ queues a failed one again."""

    queryset = Delivery.objects.select_related("webhook", "jira")
    serializer_class = DeliverySerializer
    filterset_fields = ["status", "event", "webhook", "jira", "finding", "scan"]
    read_role = Role.ADMIN
    write_role = Role.ADMIN

    @extend_schema(request=None, responses={200: dict})
    @action(detail=True, methods=["post"])
    def resend(self, request, pk=None):
        d = self.get_object()
        count = operations.resend([d], user=request.user, source="api")
        d.refresh_from_db()
        return Response({"requeued": count, "delivery": DeliverySerializer(d).data})


class TicketViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Jira issues Posture opened. POST {connection, finding} asks for one by hand (analysts)."""

    queryset = Ticket.objects.select_related("connection").prefetch_related("findings")
    serializer_class = TicketSerializer
    filterset_class = TicketFilter
    write_role = Role.ANALYST

    def get_queryset(self):
        """Tickets that track findings of the accounts the user may see."""
        q = account_filter(self.request.user, "findings__account")
        qs = super().get_queryset()
        return qs if q is None else qs.filter(pk__in=Ticket.objects.filter(q).values("pk"))

    @extend_schema(request=TicketRequestSerializer, responses={201: TicketSerializer, 202: DeliverySerializer})
    def create(self, request, *args, **kwargs):
        data = TicketRequestSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        connection, finding = data.validated_data["connection"], data.validated_data["finding"]
        d = operations.request_ticket(connection, finding, user=request.user, source="api")
        d.refresh_from_db()
        ticket = Ticket.objects.filter(connection=connection, findings=finding).first()
        if ticket is not None:
            return Response(TicketSerializer(ticket).data, status=status.HTTP_201_CREATED)
        # not sent yet (a worker will) or refused: the delivery says which
        return Response(DeliverySerializer(d).data, status=status.HTTP_202_ACCEPTED)
