"""How Posture's AWS calls are retried: throttling patiently, other failures as the AWS SDKs do.

botocore's standard (and adaptive) retry mode gives every retryable failure the same number of attempts. A scan
wants two budgets: throttling is what a large account's scan meets all the time and rides out with backoff (up to
``POSTURE_AWS_MAX_ATTEMPTS``, 6 by default, with the adaptive mode's client-side rate limit), while a server
error or a dropped connection that survives the SDKs' standard 3 attempts is an outage or a service not
running there, and retrying it further only holds one of the scan's threads.

:func:`install` swaps the client's standard retry handler for the same handler (botocore's own retry quota,
backoff and throttling detection) with that split; the adaptive rate limiter stays as botocore set it. This
module imports botocore: the provider imports it only when it creates a client.
"""

from __future__ import annotations

from typing import Any

from botocore.retries import quota
from botocore.retries.standard import (
    ExponentialBackoff,
    MaxAttemptsChecker,
    RetryEventAdapter,
    RetryHandler,
    RetryPolicy,
    RetryQuotaChecker,
    StandardRetryConditions,
    ThrottlingErrorDetector,
)

TRANSIENT_MAX_ATTEMPTS = 3  # the AWS SDKs' standard mode


class Conditions(StandardRetryConditions):
    """botocore's standard conditions (what is retryable, up to ``max_attempts``), with every failure but
    throttling stopped at :data:`TRANSIENT_MAX_ATTEMPTS`."""

    def __init__(self, max_attempts: int, throttling: ThrottlingErrorDetector) -> None:
        super().__init__(max_attempts=max_attempts)
        self._throttling = throttling
        self._transient = MaxAttemptsChecker(min(max_attempts, TRANSIENT_MAX_ATTEMPTS))

    def is_retryable(self, context: Any) -> bool:
        if not super().is_retryable(context):
            return False
        return bool(self._throttling.is_throttling_error_from_context(context) or self._transient.is_retryable(context))


def install(client: Any, max_attempts: int) -> None:
    """Give ``client`` (created in the standard or adaptive mode) up to ``max_attempts`` attempts a call when
    throttled and up to :data:`TRANSIENT_MAX_ATTEMPTS` for any other retryable failure."""
    events = client.meta.events
    name = client.meta.service_model.service_id.hyphenize()
    adapter = RetryEventAdapter()
    throttling = ThrottlingErrorDetector(adapter)
    retry_quota = RetryQuotaChecker(quota.RetryQuota(), throttling)
    handler = RetryHandler(
        retry_policy=RetryPolicy(
            retry_checker=Conditions(max_attempts, throttling),
            retry_backoff=ExponentialBackoff(service_name=name, throttling_detector=throttling),
        ),
        retry_event_adapter=adapter,
        retry_quota=retry_quota,
        service_name=name,
    )
    unique_id = f"retry-config-{name}"  # botocore's own handler's id: it is replaced, not joined
    events.unregister(f"needs-retry.{name}", unique_id=unique_id)
    events.register(f"after-call.{name}", retry_quota.release_retry_quota)
    events.register(f"needs-retry.{name}", handler.needs_retry, unique_id=unique_id)
