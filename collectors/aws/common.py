"""What every AWS collector shares: paging, JSON-safe configs, records, and secondary-call bookkeeping."""

from __future__ import annotations

import base64
import datetime as dt
import json
import logging
from collections.abc import Callable, Iterator
from typing import Any

import botocore.exceptions

from collectors.aws.provider import AwsProvider
from collectors.failures import log_failure
from collectors.permissions import explain
from collectors.records import GLOBAL_REGION, ResourceRecord

PROVIDER = "aws"
log = logging.getLogger(__name__)


def jsonable(value: Any) -> Any:
    """boto3's answer as plain JSON: datetimes as ISO 8601 strings, bytes as base64."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items() if k != "ResponseMetadata"}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    return value


def parse_policy(raw: Any) -> Any:
    """A resource policy returned as a JSON string, parsed; left as is when it is not JSON."""
    if not isinstance(raw, str):
        return raw
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def tags_of(items: Any, key: str = "Key", value: str = "Value") -> dict[str, str]:
    """AWS tag lists ([{Key, Value}]) or maps as a plain dict."""
    if isinstance(items, dict):
        return {str(k): str(v) for k, v in items.items()}
    return {str(t.get(key)): str(t.get(value, "")) for t in items or [] if isinstance(t, dict) and t.get(key)}


def record(
    service: str,
    type_: str,
    uid: str,
    name: str,
    config: dict[str, Any],
    region: str = GLOBAL_REGION,
    tags: dict[str, str] | None = None,
) -> ResourceRecord:
    return ResourceRecord(
        provider=PROVIDER,
        service=service,
        type=f"{PROVIDER}.{type_}",
        uid=uid,
        name=name,
        region=region,
        tags=tags or {},
        config=jsonable(config),
    )


def paginate(client: Any, operation: str, result_key: str, **kwargs: Any) -> Iterator[Any]:
    """Every item of a listing, through botocore's own paginator."""
    for page in client.get_paginator(operation).paginate(**kwargs):
        yield from page.get(result_key) or []


def error_code(exc: BaseException) -> str:
    if isinstance(exc, botocore.exceptions.ClientError):
        return str(exc.response.get("Error", {}).get("Code", ""))
    return type(exc).__name__


def failure_text(exc: BaseException) -> str:
    """A failed call in words with its error code, HTTP status and operation; never the exception's text."""
    text = explain(PROVIDER, exc, AwsProvider().classify_error(exc))
    log_failure(log, logging.DEBUG, f"aws: a secondary call failed: {text}", exc)
    return text


class Secondary:
    """Per-resource calls whose failure is noted in the record, not fatal to the collector.

    ``absent`` codes mean "this setting is not configured" (``NoSuchBucketPolicy``)
    and give ``default`` without an error; anything else is kept under
    ``config["_errors"][name]`` so a rule can tell "off" from "unknown".
    """

    def __init__(self) -> None:
        self.errors: dict[str, str] = {}

    def call(
        self,
        name: str,
        fn: Callable[..., Any],
        *args: Any,
        absent: tuple[str, ...] = (),
        default: Any = None,
        **kwargs: Any,
    ) -> Any:
        try:
            return fn(*args, **kwargs)
        except Exception as exc:  # one unreadable setting must not lose the resource
            code = error_code(exc)
            if code in absent:
                return default
            self.errors[name] = failure_text(exc)
            return default

    def attach(self, config: dict[str, Any]) -> dict[str, Any]:
        if self.errors:
            config["_errors"] = dict(self.errors)
        return config


DETAIL_WORKERS = 8


def detail_map(fn: Callable[[Any], Any], items: list[Any], workers: int = DETAIL_WORKERS) -> Iterator[Any]:
    """``fn`` over ``items`` on a few threads, in order: per-resource detail calls are latency-bound."""
    if len(items) < 2:
        yield from map(fn, items)
        return
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=min(workers, len(items)), thread_name_prefix="aws-detail") as pool:
        yield from pool.map(fn, items)
