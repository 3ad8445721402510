"""API errors: bad input is a 400 naming the field, a refused action a 409, never a 500 for input."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_handler

from posture.findings.mutes import MuteInputError
from posture.inventory.accounts import AccountInputError
from posture.scans.pipeline import QueueUnavailable, ScanRefused

# The API's name of an AccountInput field, where the two differ.
ACCOUNT_FIELDS = {"schedule": "scan_schedule", "cluster": "via_cluster"}


def exception_handler(exc, context):
    if isinstance(exc, AccountInputError) and exc.field:
        return Response({ACCOUNT_FIELDS.get(exc.field, exc.field): [str(exc)]}, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, (AccountInputError, MuteInputError)):
        return Response({"detail": str(exc)}, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, ScanRefused):
        return Response({"detail": str(exc)}, status=status.HTTP_409_CONFLICT)
    if isinstance(exc, QueueUnavailable):  # the scan row says failed, with the same reason
        return Response({"detail": str(exc)}, status=status.HTTP_503_SERVICE_UNAVAILABLE)
    if isinstance(exc, DjangoValidationError):
        return Response({"detail": exc.messages}, status=status.HTTP_400_BAD_REQUEST)
    return drf_handler(exc, context)
