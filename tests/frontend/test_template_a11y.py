"""Every form field in every template has a label (a placeholder is not one), and every page has a skip link."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

TEMPLATES = Path(__file__).resolve().parents[2] / "frontend" / "templates"
UNLABELLED_TYPES = {"hidden", "submit", "button", "reset", "image"}


class FieldFinder(HTMLParser):
    """Collects the form fields of one template and whether each is labelled."""

    def __init__(self) -> None:
        super().__init__()
        self.label_depth = 0
        self.label_for: set[str] = set()
        self.fields: list[tuple[dict[str, str], bool]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "label":
            self.label_depth += 1
            if a.get("for"):
                self.label_for.add(a["for"])
        elif tag in ("input", "select", "textarea") and a.get("type", "") not in UNLABELLED_TYPES:
            self.fields.append((a, self.label_depth > 0 or bool(a.get("aria-label") or a.get("aria-labelledby"))))

    def handle_endtag(self, tag: str) -> None:
        if tag == "label":
            self.label_depth = max(0, self.label_depth - 1)

    def unlabelled(self) -> list[str]:
        return [
            a.get("name") or a.get("id") or "?" for a, ok in self.fields if not ok and a.get("id") not in self.label_for
        ]


def test_every_form_field_has_a_label():
    missing = {}
    for path in sorted(TEMPLATES.rglob("*.html")):
        finder = FieldFinder()
        finder.feed(path.read_text(encoding="utf-8"))
        if finder.unlabelled():
            missing[str(path.relative_to(TEMPLATES))] = finder.unlabelled()
    assert not missing, missing


def test_the_finder_sees_an_unlabelled_field():
    finder = FieldFinder()
    finder.feed(
        '<label>Name <input name="a"></label><input name="b" placeholder="B"><label for="c">C</label>'
        '<input id="c" name="c"><input name="d" aria-label="D"><input type="hidden" name="e">'
    )
    assert finder.unlabelled() == ["b"]


def test_the_base_page_has_a_skip_link_to_the_main_content():
    base = (TEMPLATES / "frontend" / "base.html").read_text(encoding="utf-8")
    assert base.index('class="skip-link" href="#main"') < base.index("<aside")
    assert '<main class="content" id="main"' in base
