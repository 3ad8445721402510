"""Keys for the embedded default, kept in the data directory.

When ``POSTURE_SECRET_KEY`` or ``POSTURE_ENCRYPTION_KEYS`` is not set, a key is
generated once and stored in a file readable only by its owner, so that a
single-machine install works with nothing configured and keeps decrypting its
credentials across restarts. Scaled-out installs set both variables.
"""

from __future__ import annotations

import base64
import os
import secrets
from pathlib import Path


def read_or_create(path: Path, make) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    value = make()
    with os.fdopen(fd, "w") as handle:
        handle.write(value + "\n")
    return value


def new_secret_key() -> str:
    return secrets.token_urlsafe(50)


def new_fernet_key() -> str:
    return base64.urlsafe_b64encode(os.urandom(32)).decode()
