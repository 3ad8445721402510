"""Image digests as the OCI image spec defines them: ``algorithm:encoded``, for a registered algorithm only.

A reference is pinned only by a digest that names exactly one image: a registered algorithm (sha256, sha384
or sha512) and its full lowercase hex length. ``@sha256:abc`` names nothing (the registry refuses it, and a
reviewer cannot tell which image was meant); ``@sha512:<128 hex>`` is as good a pin as sha256.
"""

from __future__ import annotations

import re
from typing import Any

# algorithm -> length of its hex-encoded digest (OCI image spec, "Registered algorithms")
DIGEST_HEX_LENGTHS = {"sha256": 64, "sha384": 96, "sha512": 128}
DIGEST = re.compile(r"^(?P<algorithm>[a-z0-9]+):(?P<hex>[0-9a-f]+)$")


def well_formed(digest: str) -> bool:
    """Whether ``digest`` (``sha256:<hex>``) is a registered algorithm with its full hex length."""
    match = DIGEST.match(digest)
    return match is not None and DIGEST_HEX_LENGTHS.get(match["algorithm"]) == len(match["hex"])


def digest_of(reference: Any) -> str | None:
    """The well-formed digest of an image reference or an ``imageID`` (``docker-pullable://repo@sha256:...``
    too); None for a tag, a malformed or an unregistered digest."""
    text = str(reference or "")
    if "@" not in text:
        return None
    digest = text.rsplit("@", 1)[1]
    return digest if well_formed(digest) else None


def pinned(reference: Any) -> bool:
    return digest_of(reference) is not None
