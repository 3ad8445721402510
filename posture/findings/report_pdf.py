"""The compliance report as a PDF, drawn with fpdf2 (pure Python wheels: no system libraries to install).

:func:`render_pdf` takes the dict of :func:`posture.findings.report.build_report` and returns the file's
bytes; the page's "Download PDF" link and the command line both call it. Text is set in Noto Sans (shipped
by the ``fontpkg-noto-sans`` wheel: Latin, Greek, Cyrillic). Names come from cloud accounts and may hold
any character: one the font cannot draw is written as its ``\\uXXXX`` escape, never dropped, never a crash.

Tables are laid out here, a line at a time (fpdf2's own table wraps each cell with a full layout pass and
took ~10 s for 2,000 rows; this takes about a second).
"""

from __future__ import annotations

import logging
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any

import fontpkg_noto_sans
from fpdf import FPDF

FONT = "noto"
FONT_FILE = Path(fontpkg_noto_sans.ROOT) / "files" / "NotoSans[wdth,wght].ttf"
INK, MUTED, RULE, HEAD_FILL = (25, 30, 40), (105, 112, 125), (215, 219, 226), (238, 241, 245)
ACCENT = (30, 64, 175)
STATUS_COLOURS = {
    "fail": (185, 28, 28),
    "attested_fail": (185, 28, 28),
    "pass": (21, 128, 61),
    "attested_pass": (21, 128, 61),
    "needs_attestation": (180, 83, 9),
    "error": (180, 83, 9),
}
LINE = 3.6  # mm per line of 7.5 pt text
PAD = 1.2
# fontTools logs every step of subsetting the font at INFO: a dozen lines a report.
logging.getLogger("fontTools").setLevel(logging.WARNING)


def render_pdf(report: dict[str, Any]) -> bytes:
    """The report as PDF bytes."""
    pdf = ReportPDF(report)
    pdf.add_page()
    _title(pdf, report)
    _summary(pdf, report["summary"])
    _scans(pdf, report["scans"])
    for section in report["sections"]:
        _section(pdf, section)
    _attestations(pdf, report["attestations"])
    return bytes(pdf.output())


@lru_cache(maxsize=1)
def _drawable() -> frozenset[int]:
    probe = FPDF()
    probe.add_font(FONT, "", str(FONT_FILE))
    return frozenset(probe.fonts[FONT].cmap)


def safe(value: Any) -> str:
    """``value`` as text the font can draw: controls and characters it lacks become ``\\uXXXX``."""
    drawable = _drawable()
    out = []
    for ch in str(value if value is not None else ""):
        if ord(ch) in drawable and unicodedata.category(ch) not in ("Cc", "Cf", "Cs", "Co", "Cn"):
            out.append(ch)
        elif ch in "\t\n\r":
            out.append(" ")
        else:
            out.append(f"\\u{ord(ch):04x}" if ord(ch) <= 0xFFFF else f"\\U{ord(ch):08x}")
    return "".join(out)


class ReportPDF(FPDF):
    """A4 pages with the report's running header and a footer saying who produced it, when, and the page."""

    def __init__(self, report: dict[str, Any]) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.report = report
        fw = report["framework"]
        self.set_title(safe(f"Compliance report: {fw['title']} {fw['version']}"))
        self.set_author(safe(report["generated_by"]))
        self.set_creator("Posture")
        self.set_margins(15, 18, 15)
        self.set_auto_page_break(False, margin=16)
        self.add_font(FONT, "", str(FONT_FILE))
        self.set_font(FONT, size=9)
        self.widths: dict[float, dict[str, float]] = {}

    def header(self) -> None:
        fw = self.report["framework"]
        with self.local_context(font_size_pt=7, text_color=MUTED):
            self.text(15, 10, safe(f"Posture · Compliance report · {fw['title']} {fw['version']}"))
            self.text(195 - self.get_string_width(safe(self.report["scope"])), 10, safe(self.report["scope"]))
        with self.local_context(draw_color=RULE, line_width=0.2):
            self.line(15, 12, 195, 12)
        self.set_y(18)

    def footer(self) -> None:
        stamp = f"Generated {_when(self.report['generated_at'])} by {self.report['generated_by']}"
        with self.local_context(font_size_pt=7, text_color=MUTED):
            self.text(15, 290, safe(stamp))
            self.set_xy(15, 287.5)
            self.cell(180, 3.5, f"Page {self.page_no()} of {{nb}}", align="R")

    def measure(self) -> Callable[[str], float]:
        """The width of one character at the current size, remembered per size (fpdf2 measures slowly)."""
        known = self.widths.setdefault(self.font_size_pt, {})

        def width(ch: str) -> float:
            if ch not in known:
                known[ch] = self.get_string_width(ch)
            return known[ch]

        return width

    def room(self, height: float) -> None:
        """A new page unless ``height`` mm still fit on this one."""
        if self.get_y() + height > self.page_break_trigger:
            self.add_page()


def _when(moment: Any) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else "—"


@contextmanager
def _bold(pdf: ReportPDF, colour: tuple[int, int, int] = INK) -> Iterator[None]:
    """Bold set from the one regular face: the glyphs filled and stroked in the same colour."""
    with pdf.local_context(text_mode="FILL_STROKE", line_width=0.18, text_color=colour, draw_color=colour):
        yield


def wrap(pdf: ReportPDF, text: str, width: float) -> list[str]:
    """``text`` in lines no wider than ``width`` mm: at spaces where it can, inside a word where it must."""
    measure = pdf.measure()
    space = measure(" ")
    lines: list[str] = []
    current, used = "", 0.0
    for word in text.split(" "):
        needed = sum(measure(ch) for ch in word) + (space if current else 0.0)
        if used + needed <= width:
            current, used = (f"{current} {word}" if current else word), used + needed
            continue
        if current:
            lines.append(current)
            current, used = "", 0.0
        for ch in word:
            if current and used + measure(ch) > width:
                lines.append(current)
                current, used = "", 0.0
            current, used = current + ch, used + measure(ch)
    lines.append(current)
    return lines


def _heading(pdf: ReportPDF, text: str, size: float = 12, space: float = 4) -> None:
    pdf.room(space + size * 0.5 + 14)
    pdf.set_y(pdf.get_y() + space)
    with pdf.local_context(font_size_pt=size), _bold(pdf, ACCENT if size >= 12 else INK):
        pdf.text(pdf.l_margin, pdf.get_y() + size * 0.35, safe(text))
    pdf.set_y(pdf.get_y() + size * 0.5 + 1.5)


@contextmanager
def _font_size(pdf: ReportPDF, size: float) -> Iterator[None]:
    """A font size for what may span pages: set and restored directly, since a graphics state saved with
    ``local_context`` on one page cannot be restored on the next (the PDF would pop a state it never pushed)."""
    before = pdf.font_size_pt
    pdf.set_font_size(size)
    try:
        yield
    finally:
        pdf.set_font_size(before)


def _note(pdf: ReportPDF, text: str, colour: tuple[int, int, int] = MUTED) -> None:
    with _font_size(pdf, 8):
        for line in wrap(pdf, safe(text), pdf.epw):
            pdf.room(LINE)
            pdf.set_text_color(*colour)
            pdf.text(pdf.l_margin, pdf.get_y() + 2.8, line)
            pdf.set_text_color(*INK)
            pdf.set_y(pdf.get_y() + LINE)


def table(
    pdf: ReportPDF,
    columns: Sequence[tuple[str, float]],
    rows: Sequence[Sequence[Any]],
    colours: Sequence[tuple[int, int, int] | None] = (),
    coloured: int = -1,
) -> None:
    """Columns (title, width mm) and rows of cells, wrapped; the header is repeated on every page it spans.
    ``colours`` gives, row by row, the text colour of the ``coloured`` column (None: the default)."""
    with _font_size(pdf, 7.5):
        _table_head(pdf, columns)
        for i, row in enumerate(rows):
            cells = [wrap(pdf, safe(value), width - 2 * PAD) for value, (_, width) in zip(row, columns, strict=True)]
            colour = colours[i] if i < len(colours) else None
            _table_row(pdf, columns, cells, (coloured, colour))
    pdf.set_y(pdf.get_y() + 2)


def _table_head(pdf: ReportPDF, columns: Sequence[tuple[str, float]]) -> None:
    pdf.room(2 * LINE + PAD * 4)
    y = pdf.get_y()
    with pdf.local_context(fill_color=HEAD_FILL):
        pdf.rect(pdf.l_margin, y, sum(w for _, w in columns), LINE + PAD, style="F")
    x = pdf.l_margin
    with _bold(pdf):
        for title, width in columns:
            pdf.text(x + PAD, y + LINE - 0.4, safe(title))
            x += width
    pdf.set_y(y + LINE + PAD)


def _table_row(pdf: ReportPDF, columns: Sequence[tuple[str, float]], cells: list[list[str]], colour: tuple) -> None:
    """One row; a row taller than what is left of the page goes on over the next pages, header repeated."""
    total = max(len(lines) for lines in cells)
    done = 0
    while done < total:
        fit = int((pdf.page_break_trigger - pdf.get_y() - PAD) // LINE)
        if fit < min(total - done, 2):
            pdf.add_page()
            _table_head(pdf, columns)
            continue
        take = min(fit, total - done)
        _row_lines(pdf, columns, cells, done, take, colour)
        done += take


def _row_lines(
    pdf: ReportPDF, columns: Sequence[tuple[str, float]], cells: list[list[str]], start: int, count: int, colour
) -> None:
    y = pdf.get_y()
    x = pdf.l_margin
    coloured, rgb = colour
    for column, (lines, (_, width)) in enumerate(zip(cells, columns, strict=True)):
        pdf.set_text_color(*(rgb or INK) if column == coloured else INK)
        for k, line in enumerate(lines[start : start + count]):
            pdf.text(x + PAD, y + PAD + 2.6 + k * LINE, line)
        x += width
    pdf.set_text_color(*INK)
    bottom = y + count * LINE + PAD
    with pdf.local_context(draw_color=RULE, line_width=0.15):
        pdf.line(pdf.l_margin, bottom, pdf.l_margin + sum(w for _, w in columns), bottom)
    pdf.set_y(bottom)


def _title(pdf: ReportPDF, report: dict[str, Any]) -> None:
    fw = report["framework"]
    with pdf.local_context(font_size_pt=9, text_color=MUTED):
        pdf.text(pdf.l_margin, pdf.get_y() + 3, "COMPLIANCE REPORT")
    pdf.set_y(pdf.get_y() + 6)
    with pdf.local_context(font_size_pt=18), _bold(pdf):
        for line in wrap(pdf, safe(fw["title"]), pdf.epw):
            pdf.text(pdf.l_margin, pdf.get_y() + 6, line)
            pdf.set_y(pdf.get_y() + 8)
    rows = [
        ("Framework", f"{fw['id']} (version {fw['version']})"),
        ("Scope", report["scope"]),
        ("Generated", _when(report["generated_at"])),
        ("Produced by", report["generated_by"]),
    ]
    pdf.set_y(pdf.get_y() + 2)
    _pairs(pdf, rows)
    for problem in report.get("problems", ()):
        _note(pdf, problem, STATUS_COLOURS["fail"])


def _pairs(pdf: ReportPDF, rows: Sequence[tuple[str, Any]]) -> None:
    with _font_size(pdf, 9):
        for label, value in rows:
            pdf.room(5)
            with pdf.local_context(text_color=MUTED):
                pdf.text(pdf.l_margin, pdf.get_y() + 3.4, safe(label))
            for line in wrap(pdf, safe(value), pdf.epw - 35):
                pdf.text(pdf.l_margin + 35, pdf.get_y() + 3.4, line)
                pdf.set_y(pdf.get_y() + 4.6)


def _summary(pdf: ReportPDF, s: dict[str, Any]) -> None:
    _heading(pdf, "Summary")
    score = "—" if s["score"] is None else f"{s['score']}%"
    table(
        pdf,
        [("Measure", 110), ("Value", 70)],
        [
            ("Score (controls passed ÷ controls evaluated or attested)", score),
            ("Controls passed", f"{s['controls_passed']} of {s['controls_evaluated']}"),
            ("Controls failed", s["controls_failed"]),
            ("Controls decided by attestation", s["controls_attested"]),
            ("Controls needing attestation", s["needs_attestation"]),
            ("Failing resources (distinct, unmuted)", s["resources_failed"]),
            ("Passing resources", s["resources_passed"]),
            ("Accounts in scope", s["accounts"]),
        ],
    )


def _scans(pdf: ReportPDF, scans: list[dict[str, Any]]) -> None:
    _heading(pdf, "Accounts and their latest scans")
    if not scans:
        _note(pdf, "No account in scope has a finished scan of this framework.")
        return
    rows = [(s["account"], s["team"] or "—", f"#{s['id']}", _when(s["finished_at"]), s["state"]) for s in scans]
    colours = [STATUS_COLOURS["error"] if s["partial"] else None for s in scans]
    table(pdf, [("Account", 60), ("Team", 35), ("Scan", 20), ("Finished", 40), ("State", 25)], rows, colours, 4)
    for s in (s for s in scans if s["partial"]):
        _heading(pdf, f"Not collected by scan #{s['id']} of {s['account']} (partial)", size=9, space=1)
        missing = [(m["service"], m["region"], m["kind"], m["error"]) for m in s["not_collected"]]
        table(pdf, [("Service", 35), ("Region", 30), ("Kind", 30), ("Error", 85)], missing)


def _section(pdf: ReportPDF, section: dict[str, Any]) -> None:
    if not section["controls"]:
        return
    _heading(pdf, f"{section['id']} {section['title']}")
    controls = section["controls"]
    rows = [(c["id"], c["title"], c["status_label"], c["passed"], c["failed"]) for c in controls]
    colours = [STATUS_COLOURS.get(c["status"]) for c in controls]
    table(pdf, [("Control", 18), ("Title", 100), ("Status", 34), ("Pass", 14), ("Fail", 14)], rows, colours, 2)
    for c in controls:
        if c["failing_resources"]:
            _failing(pdf, c)
        if c["attested_by"]:
            ids = ", ".join(f"#{a['id']}" for a in c["attested_by"])
            _note(pdf, f"{c['id']} {c['status_label'].lower()} by attestation {ids} (see Attestations).")


def _failing(pdf: ReportPDF, control: dict[str, Any]) -> None:
    rows = control["failing_resources"]
    _heading(pdf, f"Failing resources of {control['id']} {control['title']} ({len(rows)})", size=9, space=1)
    cells = [
        (
            r["account__name"],
            r["resource__name"] if r["resource__name"] and r["resource__name"] != r["resource_uid"] else "",
            r["resource_uid"],
            r["resource__type"],
            r["resource__region"] or "global",
            r["rule_id"],
        )
        for r in rows
    ]
    columns = [("Account", 24), ("Name", 26), ("Resource id", 50), ("Type", 32), ("Region", 14), ("Rule", 34)]
    table(pdf, columns, cells)


def _attestations(pdf: ReportPDF, attestations: list[dict[str, Any]]) -> None:
    _heading(pdf, "Attestations")
    if not attestations:
        _note(pdf, "No control of this report was decided by attestation.")
        return
    rows = [
        (
            f"#{a['id']} · {a['control_id']}",
            a["result"],
            a["scope"],
            a["note"] + (f" Evidence: {a['evidence_url']}" if a["evidence_url"] else ""),
            f"{a['created_by'] or '—'}, {_when(a['created_at'])}",
            _when(a["expires_at"]),
        )
        for a in attestations
    ]
    colours = [STATUS_COLOURS[a["result"]] for a in attestations]
    columns = [("Control", 20), ("Result", 13), ("Scope", 27), ("Note and evidence", 65), ("By", 30), ("Expires", 25)]
    table(pdf, columns, rows, colours, 1)
