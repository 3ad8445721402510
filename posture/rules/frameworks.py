"""Compliance frameworks as data: ``frameworks/*.yaml``, sections -> controls -> rule ids.

A file looks like::

    id: cis-aws-foundations-7.0
    title: CIS Amazon Web Services Foundations Benchmark
    version: 7.0.0
    provider: aws
    sections:
      - id: "2"
        title: Identity and Access Management
        controls:
          - id: "2.1.1"
            title: Centralized root access in AWS Organizations
            assessment: manual          # or automated
            rules: []                   # rule ids that evidence it
            in_scope: false             # optional; out-of-scope controls are listed, never scored
        sections: []                    # nested sections, same shape

Adding a framework is adding a file. :func:`load_catalog` validates every file
against the rule registry and reports every problem at once.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from posture.rules.registry import RULES, RuleRegistry

BUILTIN_DIR = Path(__file__).parent / "frameworks"
# libyaml's safe loader where PyYAML was built with it: the same documents, parsed several times faster (the
# catalog is read at every start-up)
SAFE_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
ASSESSMENTS = ("automated", "manual")
# A framework for every provider's accounts (NIST SP 800-190): its controls mix rules of several providers.
ANY_PROVIDER = "any"


class FrameworkError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class Control:
    id: str
    title: str
    assessment: str
    section_id: str
    rules: tuple[str, ...] = ()
    in_scope: bool = True

    @property
    def manual(self) -> bool:
        return self.assessment == "manual"


@dataclass(frozen=True, slots=True)
class Section:
    id: str
    title: str
    parent_id: str | None = None


@dataclass(frozen=True, slots=True)
class Framework:
    id: str
    title: str
    version: str
    provider: str
    sections: tuple[Section, ...]
    controls: tuple[Control, ...]
    description: str = ""
    source: str = ""

    def applies_to(self, provider: str) -> bool:
        """Whether the framework scores accounts of ``provider``: its own, or, for a framework of any provider,
        every provider one of its rules checks."""
        if self.provider != ANY_PROVIDER:
            return self.provider == provider
        return any(rule_id.split(".", 1)[0] == provider for c in self.controls for rule_id in c.rules)

    def control(self, control_id: str) -> Control:
        for c in self.controls:
            if c.id == control_id:
                return c
        raise KeyError(f"{self.id} has no control {control_id!r}")

    def section_path(self, section_id: str) -> list[Section]:
        """The section and its parents, outermost first."""
        by_id = {s.id: s for s in self.sections}
        path: list[Section] = []
        current: str | None = section_id
        while current is not None:
            section = by_id[current]
            path.insert(0, section)
            current = section.parent_id
        return path


@dataclass
class Catalog:
    frameworks: dict[str, Framework] = field(default_factory=dict)
    _by_rule: dict[str, list[tuple[str, str]]] = field(default_factory=dict)

    def add(self, fw: Framework) -> None:
        self.frameworks[fw.id] = fw
        for control in fw.controls:
            for rule_id in control.rules:
                self._by_rule.setdefault(rule_id, []).append((fw.id, control.id))

    def get(self, framework_id: str) -> Framework:
        try:
            return self.frameworks[framework_id]
        except KeyError:
            known = ", ".join(sorted(self.frameworks)) or "none"
            raise FrameworkError(f"unknown framework {framework_id!r} (available: {known})") from None

    def __iter__(self) -> Iterator[Framework]:
        return iter(sorted(self.frameworks.values(), key=lambda f: f.id))

    def controls_for_rule(self, rule_id: str) -> list[tuple[str, str]]:
        """``(framework id, control id)`` pairs the rule evidences."""
        return list(self._by_rule.get(rule_id, ()))


def _text(data: dict[str, Any], key: str, where: str, problems: list[str]) -> str:
    value = data.get(key)
    if value is None or str(value).strip() == "":
        problems.append(f"{where}: '{key}' is missing")
        return ""
    return str(value).strip()


def _walk_sections(
    items: Any, parent: str | None, where: str, sections: list[Section], controls: list[Control], problems: list[str]
) -> None:
    if not isinstance(items, list):
        problems.append(f"{where}: 'sections' must be a list")
        return
    for n, raw in enumerate(items):
        here = f"{where} section #{n + 1}"
        if not isinstance(raw, dict):
            problems.append(f"{here}: must be a mapping")
            continue
        section_id = _text(raw, "id", here, problems)
        here = f"{where} section {section_id}"
        sections.append(Section(section_id, _text(raw, "title", here, problems), parent))
        for m, c in enumerate(raw.get("controls") or []):
            if not isinstance(c, dict):
                problems.append(f"{here} control #{m + 1}: must be a mapping")
                continue
            control_id = _text(c, "id", f"{here} control #{m + 1}", problems)
            cwhere = f"{where} control {control_id}"
            assessment = str(c.get("assessment", "")).strip()
            if assessment not in ASSESSMENTS:
                problems.append(f"{cwhere}: assessment must be automated or manual, not {assessment!r}")
            rules = c.get("rules") or []
            if not isinstance(rules, list) or not all(isinstance(r, str) for r in rules):
                problems.append(f"{cwhere}: 'rules' must be a list of rule ids")
                rules = []
            controls.append(
                Control(
                    id=control_id,
                    title=_text(c, "title", cwhere, problems),
                    assessment=assessment,
                    section_id=section_id,
                    rules=tuple(rules),
                    in_scope=bool(c.get("in_scope", True)),
                )
            )
        _walk_sections(raw.get("sections") or [], section_id, where, sections, controls, problems)


def parse_framework(data: Any, source: str, registry: RuleRegistry = RULES) -> tuple[Framework | None, list[str]]:
    """A framework from a parsed YAML document, and every problem found in it."""
    problems: list[str] = []
    if not isinstance(data, dict):
        return None, [f"{source}: must be a mapping with id, title, version, provider and sections"]
    fid = _text(data, "id", source, problems)
    sections: list[Section] = []
    controls: list[Control] = []
    _walk_sections(data.get("sections"), None, f"{source} ({fid})", sections, controls, problems)
    seen: set[str] = set()
    for c in controls:
        if c.id in seen:
            problems.append(f"{source}: control {c.id} appears twice")
        seen.add(c.id)
        for rule_id in c.rules:
            if rule_id not in registry:
                problems.append(f"{source}: control {c.id} names unknown rule {rule_id!r}")
    section_ids = [s.id for s in sections]
    if len(section_ids) != len(set(section_ids)):
        problems.append(f"{source}: a section id appears twice")
    fw = Framework(
        id=fid,
        title=_text(data, "title", source, problems),
        version=_text(data, "version", source, problems),
        provider=_text(data, "provider", source, problems),
        sections=tuple(sections),
        controls=tuple(controls),
        description=str(data.get("description", "")).strip(),
        source=source,
    )
    return fw, problems


def load_catalog(dirs: Iterable[Path], registry: RuleRegistry = RULES) -> Catalog:
    """Every ``*.yaml`` in ``dirs``, validated; raises :class:`FrameworkError` listing all problems."""
    catalog = Catalog()
    problems: list[str] = []
    for folder in dirs:
        for path in sorted(Path(folder).glob("*.yaml")):
            try:
                data = yaml.load(path.read_text(), Loader=SAFE_LOADER)
            except (OSError, yaml.YAMLError) as exc:
                problems.append(f"{path}: cannot be read: {exc}")
                continue
            fw, found = parse_framework(data, str(path), registry)
            problems.extend(found)
            if fw is None:
                continue
            if fw.id in catalog.frameworks:
                problems.append(f"{path}: framework id {fw.id} is also in {catalog.frameworks[fw.id].source}")
            catalog.add(fw)
    if problems:
        raise FrameworkError("framework files are invalid:\n  " + "\n  ".join(problems))
    return catalog


_extra_dirs: list[Path] = []
_catalog: Catalog | None = None
_lock = threading.Lock()


def add_directory(path: Path) -> None:
    """Serve the framework files in ``path`` too (plugins and tests)."""
    global _catalog
    with _lock:
        if Path(path) not in _extra_dirs:
            _extra_dirs.append(Path(path))
        _catalog = None


def catalog() -> Catalog:
    """The loaded, validated catalog (built once, after the rule packs are registered)."""
    global _catalog
    with _lock:
        if _catalog is None:
            _catalog = load_catalog([BUILTIN_DIR, *_extra_dirs])
        return _catalog


def reset() -> None:
    global _catalog
    with _lock:
        _catalog = None
