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
import tempfile
from pathlib import Path


def read_or_create(path: Path, make) -> str:
    """The key in ``path``, made once: processes starting together all read the one that was linked first."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        return path.read_text().strip()
    value = make()
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(value + "\n")
        os.link(tmp, path)  # complete before it is visible; fails if another process linked first
    except FileExistsError:
        return path.read_text().strip()
    finally:
        os.unlink(tmp)
    return value


def new_secret_key() -> str:
    return secrets.token_urlsafe(50)


def new_fernet_key() -> str:
    return base64.urlsafe_b64encode(os.urandom(32)).decode()
