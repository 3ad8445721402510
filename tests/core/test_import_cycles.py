"""No import cycles: between modules of posture/, collectors/ and frontend/, and none new between apps.

A function-level import counts (a lazy import is still a dependency; it only hides the cycle until run
time); an ``if TYPE_CHECKING:`` import does not (type checkers read it, Python never runs it).
"""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path

from tests.support.import_graph import Import, cycles, import_graph

# A cycle allowed for now would be listed here with the reason and when it goes. There is none.
KNOWN_MODULE_CYCLES: set[frozenset[str]] = set()

# Apps (posture.<app>, and posture's own top-level modules) that depend on each other both ways today. Each is
# a model shared across the line, not a call: a new pair fails the test; moving a model to end one is welcome.
KNOWN_APP_PAIRS = {
    # findings' events, snapshots and scores belong to a Scan; the scan pipeline writes the findings
    frozenset({"posture.findings", "posture.scans"}),
    # Finding belongs to an account's Resource; inventory's workload pages count a workload's failing findings
    frozenset({"posture.findings", "posture.inventory"}),
}


def app_of(module: str) -> str:
    parts = module.split(".")
    return ".".join(parts[:2]) if parts[0] == "posture" and len(parts) > 1 else parts[0]


def named(cycle: list[str], edges: list[Import]) -> str:
    """``a -> b (a.py:12, inside a function) -> a (...)``: each step with where it is imported."""
    steps = [cycle[0]]
    for a, b in pairwise(cycle):
        imp = next(i for i in edges if i.importer == a and i.target == b)
        steps.append(f"{b} (line {imp.line} of {a}{', inside a function' if imp.lazy else ''})")
    return " -> ".join(steps)


def test_no_module_imports_itself_back() -> None:
    edges = import_graph()
    found = [c for c in cycles((i.importer, i.target) for i in edges) if frozenset(c) not in KNOWN_MODULE_CYCLES]
    assert found == [], "import cycles (move the shared part down, or the caller up):\n" + "\n".join(
        named(c, edges) for c in found
    )


def test_no_new_two_way_dependency_between_apps() -> None:
    depends: set[tuple[str, str]] = {
        (app_of(i.importer), app_of(i.target)) for i in import_graph() if app_of(i.importer) != app_of(i.target)
    }
    two_way = {frozenset(pair) for pair in depends if (pair[1], pair[0]) in depends}
    new = sorted(" <-> ".join(sorted(pair)) for pair in two_way - KNOWN_APP_PAIRS)
    assert new == [], "apps that now depend on each other both ways:\n" + "\n".join(new)
    gone = sorted(" <-> ".join(sorted(pair)) for pair in KNOWN_APP_PAIRS - two_way)
    assert gone == [], "no longer two-way, remove from KNOWN_APP_PAIRS:\n" + "\n".join(gone)


def test_the_graph_counts_lazy_imports_and_not_type_checking_ones(tmp_path: Path) -> None:
    pkg = tmp_path / "posture"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from posture import b\n")
    (pkg / "b.py").write_text("def later():\n    from posture.c import thing\n")
    (pkg / "c.py").write_text(
        "import typing\nif typing.TYPE_CHECKING:\n    from posture.b import later\nimport posture.a\n"
    )
    (pkg / "d.py").write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from posture import e\n")
    (pkg / "e.py").write_text("from . import d\n")
    edges = import_graph(tmp_path, ("posture",))
    assert cycles((i.importer, i.target) for i in edges) == [["posture.a", "posture.b", "posture.c", "posture.a"]]
    assert named(["posture.a", "posture.b", "posture.c", "posture.a"], edges) == (
        "posture.a -> posture.b (line 1 of posture.a) -> posture.c (line 2 of posture.b, inside a function)"
        " -> posture.a (line 4 of posture.c)"
    )
