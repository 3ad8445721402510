"""Which tickets: the Ticket FilterSet (by a finding the user may see, by connection name, key, done)."""

from __future__ import annotations

import django_filters as df

from posture.access.scoping import scope
from posture.findings.models import Finding
from posture.integrations.models import Ticket


class TicketFilter(df.FilterSet):
    finding = df.ModelChoiceFilter(
        field_name="findings",
        queryset=lambda request: scope(Finding.objects.all(), request.user) if request else Finding.objects.none(),
        label="tracks this finding",
    )
    connection = df.CharFilter(field_name="connection__name", label="connection name")

    class Meta:
        model = Ticket
        fields = ["key", "done"]
