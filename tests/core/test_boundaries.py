"""The one-direction flow: collectors and rule functions know nothing of Django; domain code never reaches up."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from tests.support.import_graph import Import, import_graph

ROOT = Path(__file__).resolve().parents[2]


def test_importing_collectors_and_the_rules_engine_pulls_in_no_django() -> None:
    code = (
        "import sys, collectors, collectors.run\n"
        "collectors.load_providers()\n"
        "import posture.rules.evaluate, posture.rules.frameworks\n"
        "from posture.rules.packs import import_rule_packs\n"
        "import_rule_packs()\n"
        "bad = sorted(m for m in sys.modules if m == 'django' or m.startswith('django.'))\n"
        "print(','.join(bad))\n"
    )
    # posture/__init__ imports the Celery app, which must not import Django either
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "", f"Django modules imported: {result.stdout}"


def test_rule_packs_import_without_django() -> None:
    code = (
        "import sys\n"
        "from posture.rules.packs import import_rule_packs\n"
        "import_rule_packs()\n"
        "print(','.join(sorted(m for m in sys.modules if m.startswith('django.db'))))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ""


# Domain code: posture/ but the API, the management commands and the project's wiring; and the collectors.
# It never reaches up into the API, the pages or a command; commands are leaves nobody imports.
UPWARD = ("posture.api", "frontend")
WIRING = {"posture", "posture.settings", "posture.urls", "posture.wsgi", "posture.celery", "posture.warmup"}
# `manage.py scan-manifests` is scan_manifests under the spelling the docs use: one command, two names.
COMMAND_ALIASES = {
    ("posture.rules.management.commands.scan-manifests", "posture.rules.management.commands.scan_manifests")
}


def is_command(module: str) -> bool:
    return re.search(r"\.management\.commands\.[^.]+$", module) is not None


def is_domain(module: str) -> bool:
    parts = module.split(".")
    if parts[0] == "collectors":
        return True
    return parts[0] == "posture" and module not in WIRING and parts[1] != "api" and not is_command(module)


def within(module: str, packages: tuple[str, ...]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in packages)


def where(imp: Import) -> str:
    return f"{imp.importer}:{imp.line} imports {imp.target}{' (inside a function)' if imp.lazy else ''}"


def test_domain_code_never_imports_the_api_the_pages_or_a_command() -> None:
    upward = [
        where(i) for i in import_graph() if is_domain(i.importer) and (within(i.target, UPWARD) or is_command(i.target))
    ]
    assert upward == [], "domain code reaches up; move what it needs down into the domain:\n" + "\n".join(upward)


def test_the_api_and_the_pages_are_imported_by_nobody_else() -> None:
    """Surfaces are siblings: the pages and the command line use the domain's filters, not the API's (the URLconf
    and the settings name the API and the pages as strings)."""
    found = [
        where(i)
        for i in import_graph()
        if within(i.target, UPWARD) and not any(within(i.importer, (s,)) and within(i.target, (s,)) for s in UPWARD)
    ]
    assert found == [], "\n".join(found)


def test_no_module_imports_a_management_command() -> None:
    found = [where(i) for i in import_graph() if is_command(i.target) and (i.importer, i.target) not in COMMAND_ALIASES]
    assert found == [], "commands are leaves; move shared helpers into a plain module:\n" + "\n".join(found)


def test_the_boundary_checks_see_what_they_forbid(tmp_path: Path) -> None:
    """The checks read function-level imports and relative ones too, and know a command module when they see one."""
    app = tmp_path / "posture" / "things"
    (app / "management" / "commands").mkdir(parents=True)
    for package in (tmp_path / "posture", app, app / "management", app / "management" / "commands"):
        (package / "__init__.py").write_text("")
    (tmp_path / "posture" / "api").mkdir()
    (tmp_path / "posture" / "api" / "__init__.py").write_text("")
    (tmp_path / "posture" / "api" / "filters.py").write_text("")
    (app / "management" / "commands" / "things.py").write_text("def helper(): ...\n")
    (app / "rows.py").write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from posture.api import filters\n"
        "def lazy():\n    from posture.api.filters import X\n"
        "from .management.commands import things\n"
    )
    found = {(i.importer, i.target, i.lazy) for i in import_graph(tmp_path, ("posture",))}
    assert found == {
        ("posture.things.rows", "posture.api.filters", True),
        ("posture.things.rows", "posture.things.management.commands.things", False),
    }
    assert is_domain("posture.things.rows") and not is_domain("posture.things.management.commands.things")
    assert is_domain("posture.crypto") and is_domain("posture.things") and not is_domain("posture.urls")
    assert is_command("posture.things.management.commands.things") and not is_domain("posture.api.filters")
