"""POST one signed delivery to a webhook endpoint (no redirects: only the configured URL is called).

Over https, or plain http to a network listed in ``POSTURE_ALLOWED_NETWORKS`` alone (checked again here).
"""

from __future__ import annotations

import json
from typing import Any

import requests

from posture.integrations.outcome import Outcome, classify_status, network_error
from posture.integrations.webhooks.signing import SIGNATURE_HEADER, sign
from posture.security import UnsafeURL, check_outbound_url

TIMEOUT = (5, 15)  # connect, read
USER_AGENT = "Posture-Webhooks/1"


def encode(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str).encode()


def post(url: str, secret: str, event: str, delivery_uid: str, payload: dict[str, Any]) -> Outcome:
    body = encode(payload)
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "Posture-Event": event,
        "Posture-Delivery": delivery_uid,
        SIGNATURE_HEADER: sign(secret, body),
    }
    try:
        check_outbound_url(url, carries_secrets=True)  # again at send time: the name may resolve elsewhere now
    except UnsafeURL as exc:
        return Outcome(ok=False, error=f"refused: {exc}")
    try:
        response = requests.post(url, data=body, headers=headers, timeout=TIMEOUT, allow_redirects=False)
    except requests.RequestException as exc:
        return network_error(exc)
    if 200 <= response.status_code < 300:
        return Outcome(ok=True, code=response.status_code, result=f"HTTP {response.status_code}")
    return Outcome(
        ok=False,
        code=response.status_code,
        transient=classify_status(response.status_code),
        error=f"the endpoint answered HTTP {response.status_code}: {response.text[:200]}",
    )
