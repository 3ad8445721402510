"""Signals other apps (integrations, notifications) listen to; sent after the scan's data is committed."""

from django.dispatch import Signal

# sent with scan=<Scan> once the scan reached its final state (succeeded, partial, failed, cancelled)
scan_finished = Signal()
