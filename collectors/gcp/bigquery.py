"""BigQuery (plain REST): datasets with their access lists and default keys, and tables with their keys.

The list calls give only a subset of each resource; one ``get`` per dataset and per table gives the access list
and the encryption configuration. A project whose BigQuery API is not enabled has no datasets to read.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

from collectors.gcp.api_state import api_disabled
from collectors.gcp.common import ERRORS_KEY, error_text, full_name, per_project, record
from collectors.gcp.session import GcpSession
from collectors.records import ResourceRecord
from collectors.registry import REGISTRY

log = logging.getLogger(__name__)
BASE = "bigquery/v2/projects/{project}/datasets"


def _id(reference: Any, key: str) -> str:
    return str(reference.get(key, "")) if isinstance(reference, dict) else ""


def _tables(session: GcpSession, project: str, dataset: str) -> Iterator[ResourceRecord]:
    path = f"{BASE.format(project=project)}/{quote(dataset, safe='')}/tables"
    for listed in session.pages("bigquery", path, "tables"):
        table = _id(listed.get("tableReference"), "tableId")
        if not table:
            continue
        try:
            config = session.get_json("bigquery", f"{path}/{quote(table, safe='')}")
        except Exception as exc:  # one unreadable table must not hide the others
            config = {**listed, ERRORS_KEY: {"table": error_text(exc)}}
        uid = full_name("bigquery", f"projects/{project}/datasets/{dataset}/tables/{table}")
        region = str(config.get("location") or "").lower()
        yield record("bigquery", "table", uid, f"{dataset}.{table}", project, config, region, config.get("labels"))


def _datasets(session: GcpSession, project: str) -> Iterator[ResourceRecord]:
    base = BASE.format(project=project)
    try:
        listed = list(session.pages("bigquery", base, "datasets", {"all": "true"}))
    except Exception as exc:
        if api_disabled(exc):
            log.info("gcp: the BigQuery API is not enabled in %s: no datasets", project)
            return
        raise
    for item in listed:
        dataset = _id(item.get("datasetReference"), "datasetId")
        if not dataset:
            continue
        try:
            config = session.get_json("bigquery", f"{base}/{quote(dataset, safe='')}")
        except Exception as exc:
            config = {**item, ERRORS_KEY: {"dataset": error_text(exc)}}
        try:
            yield from _tables(session, project, dataset)
        except Exception as exc:
            config.setdefault(ERRORS_KEY, {})["tables"] = error_text(exc)
        uid = full_name("bigquery", f"projects/{project}/datasets/{dataset}")
        region = str(config.get("location") or "").lower()
        yield record("bigquery", "dataset", uid, dataset, project, config, region, config.get("labels"))


@REGISTRY.collector(
    "gcp",
    "bigquery",
    regional=False,
    permissions=("bigquery.datasets.get", "bigquery.tables.list", "bigquery.tables.get"),
)
def collect_bigquery(session: GcpSession, region: str) -> Iterator[ResourceRecord]:
    yield from per_project(session, _datasets)
