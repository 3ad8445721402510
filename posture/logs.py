"""Log formatting and the audit forwarders configured from the environment."""

from __future__ import annotations

import json
import logging
from typing import Any
from urllib.parse import urlsplit


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message (and the exception, if any)."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            out["exception"] = self.formatException(record.exc_info)
        return json.dumps(out, default=str)


def audit_handlers(syslog: str, http_url: str) -> dict[str, dict[str, Any]]:
    """Handlers for the ``posture.audit`` logger: syslog (host:port or a socket path) and/or an HTTP collector."""
    handlers: dict[str, dict[str, Any]] = {}
    if syslog:
        if syslog.startswith("/"):
            address: Any = syslog
        else:
            host, _, port = syslog.rpartition(":")
            address = [host or "127.0.0.1", int(port or 514)]
        handlers["audit_syslog"] = {
            "class": "logging.handlers.SysLogHandler",
            "address": address,
            "facility": "authpriv",
            "formatter": "message",
        }
    if http_url:
        parts = urlsplit(http_url)
        handlers["audit_http"] = {
            "class": "logging.handlers.HTTPHandler",
            "host": parts.netloc,
            "url": parts.path or "/",
            "method": "POST",
            "secure": parts.scheme == "https",
        }
    return handlers
