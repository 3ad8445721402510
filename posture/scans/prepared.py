"""What a spread scan's units work out for each record they stage, so that the one finishing step does not.

The finishing step (:func:`posture.scans.staged.store_staged`) is one worker; the units are all of them. So a
unit, as it stages a batch (``staged.stage``), also prepares each record (``StagedRecord.prepared``, JSON):

- ``hash`` and ``label``: the config hash and search label that ``persist.persist_resources`` would compute;
- ``verdicts``: the results of the rules that read only their own record, one ``[rule id, status, message,
  evidence]`` each (status None: the rule does not apply). The finishing step runs only the other rules
  (:func:`results`), those that asked the context for the account's other records.

A rule is known to read only its own record when it ran against a context that refuses every question
(:class:`_Refusing`): a rule that asks stops there (:class:`NeedsContext` is no ``Exception``, so neither
``evaluate.judge`` nor a rule's own ``except Exception`` takes it for the rule's failure) and is left to the
finishing step, for that record. Rules are pure functions of the record and the context, so what a rule
that never asked answered is what it answers when storing. The results are exactly those of an evaluation
at the finishing step:

- the record judged is the one the finishing step reads back (decoded from its staged JSON text);
- a workload running an image is not prepared at all: its ``_imageScans`` are attached when storing;
- a result is kept only if it comes back exactly (:func:`_exact`: a tuple stays a tuple, since the search text
  shows evidence values as Python writes them); any other leaves its rule to the finishing step.

A row without ``prepared`` (an empty text) is judged whole when storing, as before.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from collectors.records import ResourceRecord
from posture.findings.search import resource_label
from posture.images.running import running_digests
from posture.rules.context import RuleContext
from posture.rules.evaluate import Result, judge
from posture.rules.registry import RULES, Rule, RuleRegistry
from posture.rules.verdicts import Evidence, Status
from posture.scans.container_drift import WORKLOAD_TYPE

log = logging.getLogger(__name__)


class NeedsContext(BaseException):  # not an Exception: a rule's own ``except Exception`` lets it by
    """A rule asked the refusing context for other records: it is judged when storing."""


class _Inexact(Exception):
    """A value that would not come back from JSON as it is."""


class _Refusing(RuleContext):
    """A context with nothing in it that says so by raising; ``asked`` stays set even if a rule swallows that."""

    def __init__(self) -> None:
        super().__init__(())
        self.asked = False

    def resources(self, type_: str) -> list[ResourceRecord]:
        self.asked = True
        raise NeedsContext

    def types(self) -> set[str]:
        self.asked = True
        raise NeedsContext


@dataclass(frozen=True, slots=True)
class Prepared:
    """A staged record's preparation, read back: config hash, search label and the rules judged already."""

    hash: str
    label: str
    verdicts: dict[str, Result | None]  # rule id -> result (None: the rule does not apply)


def prepare(records: Sequence[ResourceRecord], registry: RuleRegistry = RULES) -> list[str]:
    """Each record's preparation as JSON text; empty for a record that is prepared only when storing.

    ``records`` are the records as the finishing step will read them (decoded from their staged text).
    """
    rules_by_type = registry.for_types({r.type for r in records})
    return [_prepare(record, rules_by_type.get(record.type, ())) for record in records]


def _prepare(record: ResourceRecord, rules: Sequence[Rule]) -> str:
    try:
        return _preparation(record, rules)
    except Exception as exc:  # an odd record: it is worked out when storing, as before, and fails there if it must
        log.debug("record %s left to the finishing step: %s", record.uid, type(exc).__name__)
        return ""


def _preparation(record: ResourceRecord, rules: Sequence[Rule]) -> str:
    if record.type == WORKLOAD_TYPE and any(True for _ in running_digests(record.config)):
        return ""
    verdicts = []
    for r in rules:
        refusing = _Refusing()
        try:
            result = judge(r, record, refusing)
        except NeedsContext:
            continue
        if refusing.asked:
            continue
        try:
            verdicts.append(_verdict(r, result))
        except (_Inexact, RecursionError):
            continue
    label = resource_label(record.name[:500], record.config)
    return json.dumps({"hash": record.config_hash(), "label": label, "verdicts": verdicts}, separators=(",", ":"))


def read(text: str, uid: str, registry: RuleRegistry = RULES) -> Prepared | None:
    """A staged record's preparation (``uid``: its record's), None where it has none (or one unreadable)."""
    if not text:
        return None
    try:
        data = json.loads(text)
        verdicts: dict[str, Result | None] = {}
        for rule_id, status, message, evidence in data["verdicts"]:
            if rule_id not in registry:
                continue  # a rule this worker lacks: it is not run here either
            r = registry.get(rule_id)
            verdicts[rule_id] = (
                None
                if status is None
                else Result(rule_id, uid, Status(status), r.severity, message, tuple(_evidence(evidence)))
            )
        return Prepared(str(data["hash"]), str(data["label"]), verdicts)
    except (ValueError, TypeError, KeyError, RecursionError):
        return None  # judged whole, as a row staged without preparation


def results(
    records: Sequence[ResourceRecord],
    prepared: Sequence[Prepared | None],
    ctx: RuleContext,
    registry: RuleRegistry = RULES,
) -> Iterator[Result]:
    """As ``evaluate(records, ctx=ctx)``, in the same order, taking each rule's prepared result where there is one."""
    rules_by_type = registry.for_types(ctx.types())
    for record, ready in zip(records, prepared, strict=True):
        done = ready.verdicts if ready is not None else {}
        for r in rules_by_type.get(record.type, ()):
            result = done[r.id] if r.id in done else judge(r, record, ctx)
            if result is not None:
                yield result


def _verdict(r: Rule, result: Result | None) -> list[Any]:
    if result is None:
        return [r.id, None, "", []]
    if not isinstance(result.status, Status) or type(result.message) is not str:
        raise _Inexact
    if any(type(e) is not Evidence or type(e.path) is not str for e in result.evidence):
        raise _Inexact
    return [r.id, str(result.status), result.message, [[e.path, _exact(e.value)] for e in result.evidence]]


SCALARS = (str, int, float, bool, type(None))


def _exact(value: Any) -> Any:
    """``value`` in a JSON form that :func:`_back` turns into an equal value of the same types, or _Inexact.

    Scalars are themselves; containers are one-key objects: ``{"l": [...]}`` a list, ``{"t": [...]}`` a tuple,
    ``{"d": [[key, value], ...]}`` a dict with text keys, in its order.
    """
    kind = type(value)
    if kind in SCALARS:
        return value
    if kind is list:
        return {"l": [_exact(v) for v in value]}
    if kind is tuple:
        return {"t": [_exact(v) for v in value]}
    if kind is dict and all(type(k) is str for k in value):
        return {"d": [[k, _exact(v)] for k, v in value.items()]}
    raise _Inexact


def _back(value: Any) -> Any:
    if not isinstance(value, dict):
        return value
    ((kind, items),) = value.items()
    if kind == "l":
        return [_back(v) for v in items]
    if kind == "t":
        return tuple(_back(v) for v in items)
    if kind == "d":
        return {str(k): _back(v) for k, v in items}
    raise ValueError(f"unknown container {kind!r}")


def _evidence(items: list[Any]) -> Iterator[Evidence]:
    for path, value in items:
        yield Evidence(str(path), _back(value))
