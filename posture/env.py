"""Typed readers for environment variables.

Every reader raises ``SettingError`` with the variable's name and the expected
form when the value cannot be parsed, so a typo stops the process at start-up
instead of changing behaviour silently. A secret may also be given as
``NAME_FILE``: the path of a file holding it (Docker and Kubernetes secrets).

No Django here: the rule packs, which know nothing of Django, read their
settings through the same readers.
"""

from __future__ import annotations

import os
import shlex
from pathlib import Path


class SettingError(ValueError):
    """An environment variable whose value cannot be used; the message names the variable."""


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str = "") -> str:
    """A string, or the content of the file named by ``NAME_FILE``."""
    file_var = f"{name}_FILE"
    if os.environ.get(file_var):
        path = Path(os.environ[file_var])
        try:
            return path.read_text().strip()
        except OSError as exc:
            raise SettingError(f"{file_var}: cannot read {path}: {exc.strerror}") from exc
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise SettingError(f"{name}={raw!r} is not a boolean (use true/false, 1/0, yes/no, on/off)")


def env_int(name: str, default: int, minimum: int | None = None, maximum: int | None = None) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw.strip())
    except ValueError:
        raise SettingError(f"{name}={raw!r} is not a whole number") from None
    if minimum is not None and value < minimum:
        raise SettingError(f"{name}={value} is below the minimum {minimum}")
    if maximum is not None and value > maximum:
        raise SettingError(f"{name}={value} is above the maximum {maximum}")
    return value


def env_list(name: str, default: list[str] | None = None) -> list[str]:
    """A comma-separated list; blank items are dropped."""
    raw = env_str(name)
    if not raw.strip():
        return list(default or [])
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_commands(name: str) -> list[tuple[str, ...]]:
    """Command lines separated by ``;``, each split as a shell would (quotes allowed, nothing expanded)."""
    commands = []
    for item in env_str(name).split(";"):
        try:
            words = tuple(shlex.split(item))
        except ValueError as exc:
            raise SettingError(f"{name}: {item.strip()!r} is not a command line ({exc})") from None
        if words and words[0] == "*":
            raise SettingError(f"{name}: {item.strip()!r} must start with a command, not *")
        if words:
            commands.append(words)
    return commands


def env_choice(name: str, default: str, choices: tuple[str, ...]) -> str:
    value = os.environ.get(name, default).strip().lower()
    if value not in choices:
        raise SettingError(f"{name}={value!r} must be one of: {', '.join(choices)}")
    return value
