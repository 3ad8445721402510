"""HMAC-SHA256 signatures for webhook deliveries, and how a receiver checks them.

Every delivery is a ``POST`` of a JSON body with these headers::

    Content-Type: application/json
    Posture-Event: finding.new_failure
    Posture-Delivery: 6f1c...-uuid          (the same on every retry of one delivery: de-duplicate on it)
    Posture-Signature: t=1767139200,v1=5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8bd

``v1`` is the hex HMAC-SHA256, keyed with the endpoint's secret, of the bytes
``f"{t}.".encode() + body`` - the timestamp, a dot, and the raw body exactly as received
(before any JSON parsing). To verify:

1. split the header on ``,`` into ``t`` and ``v1`` values;
2. compute ``hmac.new(secret, f"{t}.".encode() + raw_body, hashlib.sha256).hexdigest()``;
3. compare with ``v1`` in constant time (``hmac.compare_digest``);
4. reject a ``t`` more than 5 minutes from your clock (replays).

:func:`verify` does exactly that and can be copied into a receiver as is (standard library only).
"""

from __future__ import annotations

import hashlib
import hmac
import time

SIGNATURE_HEADER = "Posture-Signature"
TOLERANCE_SECONDS = 300


class SignatureError(ValueError):
    pass


def compute(secret: str, timestamp: int, body: bytes) -> str:
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def sign(secret: str, body: bytes, timestamp: int | None = None) -> str:
    """The ``Posture-Signature`` header value for ``body``."""
    ts = int(time.time()) if timestamp is None else timestamp
    return f"t={ts},v1={compute(secret, ts, body)}"


def verify(
    secret: str, header: str, body: bytes, *, now: float | None = None, tolerance: int = TOLERANCE_SECONDS
) -> int:
    """Check a ``Posture-Signature`` header against the raw body; the signed timestamp, or SignatureError."""
    parts: dict[str, list[str]] = {}
    for item in (header or "").split(","):
        key, sep, value = item.strip().partition("=")
        if sep:
            parts.setdefault(key, []).append(value)
    try:
        timestamp = int(parts["t"][0])
    except (KeyError, ValueError):
        raise SignatureError("no timestamp (t=) in the signature header") from None
    if not parts.get("v1"):
        raise SignatureError("no v1 signature in the signature header")
    current = time.time() if now is None else now
    if abs(current - timestamp) > tolerance:
        raise SignatureError(f"timestamp {timestamp} is outside the {tolerance} s tolerance")
    expected = compute(secret, timestamp, body)
    if not any(hmac.compare_digest(expected, candidate) for candidate in parts["v1"]):
        raise SignatureError("signature does not match the body")
    return timestamp
