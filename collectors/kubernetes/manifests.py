"""Kubernetes manifests (files, directories, multi-document YAML, List objects, Helm output) -> ResourceRecords.

Each document is parsed on its own, so one malformed document is reported
(file, document number, line) and the rest of the file is still read. The
records are those the cluster collectors make from the same objects, with
the same redactions (Secret values and ConfigMap values are never kept).
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from collectors.kubernetes.convert import record_from_object
from collectors.records import ResourceRecord

MANIFEST_SUFFIXES = (".yaml", ".yml", ".json")
SEPARATOR = re.compile(r"^---[ \t]*(?:#.*)?$", re.MULTILINE)
HELM_SOURCE = re.compile(r"^#\s*Source:\s*(\S+)", re.MULTILINE)


@dataclass(frozen=True, slots=True)
class Location:
    """Where an object came from: the file, the document's number in it (from 1), its first line, a List item."""

    path: str
    document: int
    line: int
    item: int | None = None
    helm_source: str = ""

    def __str__(self) -> str:
        item = f", item {self.item}" if self.item is not None else ""
        source = f" ({self.helm_source})" if self.helm_source else ""
        return f"{self.path}: document {self.document}{item} (line {self.line}){source}"


@dataclass(frozen=True, slots=True)
class ManifestError:
    location: Location
    error: str

    def __str__(self) -> str:
        return f"{self.location}: {self.error}"


@dataclass
class ManifestSet:
    """What a set of paths held: records with their locations, errors, and kinds Posture has no rules for."""

    records: list[ResourceRecord] = field(default_factory=list)
    locations: dict[str, Location] = field(default_factory=dict)
    errors: list[ManifestError] = field(default_factory=list)
    skipped_kinds: dict[str, int] = field(default_factory=dict)
    documents: int = 0


def manifest_files(paths: Iterable[str | Path]) -> Iterator[Path | str]:
    """Files to read, in a stable order: given files as they are, directories walked for YAML/JSON; ``-`` is stdin."""
    for raw in paths:
        if str(raw) == "-":
            yield "-"
            continue
        path = Path(raw)
        if path.is_dir():
            yield from sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in MANIFEST_SUFFIXES)
        else:
            yield path


def split_documents(text: str) -> Iterator[tuple[int, int, int, str]]:
    """``(document number, first line of content, first line of the chunk, text)`` per non-empty document."""
    starts = [0] + [m.end() + 1 for m in SEPARATOR.finditer(text)]
    ends = [m.start() for m in SEPARATOR.finditer(text)] + [len(text)]
    number = 0
    for start, end in zip(starts, ends, strict=True):
        chunk = text[start:end]
        meaningful = [ln for ln in chunk.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
        if not meaningful or meaningful == ["..."]:
            continue
        number += 1
        line = text.count("\n", 0, start) + 1
        offset = next(i for i, ln in enumerate(chunk.splitlines()) if ln.strip() and not ln.lstrip().startswith("#"))
        yield number, line + offset, line, chunk


def _objects(doc: Any, location: Location) -> Iterator[tuple[Location, Any]]:
    """A document's objects: itself, or the items of a List."""
    if isinstance(doc, dict) and str(doc.get("kind", "")).endswith("List") and isinstance(doc.get("items"), list):
        for index, item in enumerate(doc["items"], start=1):
            yield Location(location.path, location.document, location.line, index, location.helm_source), item
    else:
        yield location, doc


def _problem(obj: Any) -> str:
    if not isinstance(obj, dict):
        return f"not a Kubernetes object (a {type(obj).__name__}, not a mapping)"
    missing = [k for k in ("apiVersion", "kind") if not obj.get(k)]
    if missing:
        return f"not a Kubernetes object: no {' or '.join(missing)}"
    if not isinstance(obj.get("metadata"), dict) or not obj["metadata"].get("name"):
        return f"{obj['kind']} has no metadata.name"
    return ""


def load_text(text: str, path: str, result: ManifestSet) -> None:
    """Add one file's objects (or errors) to ``result``."""
    for number, line, chunk_line, chunk in split_documents(text):
        result.documents += 1
        source = HELM_SOURCE.search(chunk)
        location = Location(path, number, line, helm_source=source.group(1) if source else "")
        try:
            doc = json.loads(chunk) if path.endswith(".json") else yaml.safe_load(chunk)
        except (yaml.YAMLError, ValueError) as exc:
            mark = getattr(exc, "problem_mark", None)
            near = f" near line {chunk_line + mark.line}" if mark is not None else ""
            detail = getattr(exc, "problem", None) or str(exc).splitlines()[0]
            result.errors.append(ManifestError(location, f"malformed YAML{near}: {detail}"))
            continue
        if doc is None:
            continue
        for where, obj in _objects(doc, location):
            problem = _problem(obj)
            if problem:
                result.errors.append(ManifestError(where, problem))
                continue
            record = record_from_object(obj)
            if record is None:
                result.skipped_kinds[obj["kind"]] = result.skipped_kinds.get(obj["kind"], 0) + 1
                continue
            if record.uid in result.locations:  # the same object twice (two overlays): keep both apart
                record = ResourceRecord(**{**_fields(record), "uid": f"{record.uid}@{where}"})
            result.locations[record.uid] = where
            result.records.append(record)


def _fields(record: ResourceRecord) -> dict[str, Any]:
    return {name: getattr(record, name) for name in ResourceRecord.__slots__}


def load_manifests(paths: Iterable[str | Path]) -> ManifestSet:
    """Read every manifest under ``paths``; unreadable files and malformed documents become errors."""
    result = ManifestSet()
    for path in manifest_files(paths):
        name = "<stdin>" if path == "-" else str(path)
        try:
            text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            result.errors.append(ManifestError(Location(name, 0, 0), f"cannot read the file: {reason}"))
            continue
        load_text(text, name, result)
    return result
