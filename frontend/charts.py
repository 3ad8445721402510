"""Server-side SVG charts (pygal): no JavaScript, nothing fetched, printable, readable by screen readers.

Each chart is an ``role="img"`` SVG named by its title and described by a text summary, followed by a
visually-hidden table of the figures it draws (pygal's own "Pygal" title is replaced).
"""

from __future__ import annotations

import html
import re
from typing import Any

SEVERITY_COLOURS = {
    "critical": "#9f1239",
    "high": "#dc2626",
    "medium": "#c2410c",
    "low": "#a16207",
    "info": "#64748b",
}
SERIES_COLOURS = ("#2563eb", "#0d9488", "#7c3aed", "#db2777", "#65a30d", "#0891b2", "#c2410c")

_BASE = {
    "background": "transparent",
    "plot_background": "transparent",
    "foreground": "#334155",
    "foreground_strong": "#0f172a",
    "foreground_subtle": "#e2e8f0",
    "font_family": "Inter, 'Segoe UI', system-ui, -apple-system, sans-serif",
    "label_font_size": 11,
    "major_label_font_size": 11,
    "legend_font_size": 11,
    "value_font_size": 11,
    "tooltip_font_size": 11,
    "title_font_size": 13,
    "opacity": ".9",
    "opacity_hover": "1",
}


_SCRIPT = re.compile(r"<script\b.*?</script>", re.S)
_STYLE = re.compile(r"<style\b[^>]*>(.*?)</style>", re.S)
_COMMENT = re.compile(r"<!--.*?-->", re.S)
_INLINE_STYLE = re.compile(r'\sstyle="[^"]*"')
_CHART_ID = re.compile(r"#chart-[0-9a-f-]{36}")
_SVG_ID = re.compile(r'<svg [^>]*?id="(chart-[0-9a-f-]{36})"')
_PYGAL_TITLE = "<title>Pygal</title>"
KINDS = ("trend", "severity")


def _short_date(iso: str) -> str:
    """``2026-11-03`` -> ``Nov 3``."""
    months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
    _, month, day = iso.split("-")
    return f"{months[int(month) - 1]} {int(day)}"


def _integer_ticks(top: int) -> list[int]:
    """At most about five whole-number ticks from 0 to at least ``top``."""
    top = max(top, 1)
    step = 1
    for candidate in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 2500, 5000, 10000):
        step = candidate
        if top / candidate <= 5:
            break
    else:
        step = max(1, top // 5)
    return list(range(0, top + step, step))


def _render(chart: Any) -> str:
    """The SVG without pygal's inline script, styles and comments: the page's CSP allows neither.

    The styles pygal would inline live in static/frontend/charts.css (see ``stylesheet``).
    """
    svg = chart.render(is_unicode=True)
    for pattern in (_SCRIPT, _STYLE, _COMMENT, _INLINE_STYLE):
        svg = pattern.sub("", svg)
    return svg


def _accessible(svg: str, title: str, summary: str, table: str) -> str:
    """The SVG as one named image (title, description) and, after it, its figures as a hidden table."""
    match = _SVG_ID.search(svg)
    chart_id = match.group(1) if match else "chart"
    title, summary = html.escape(title), html.escape(summary)
    svg = svg.replace(
        _PYGAL_TITLE, f'<title id="{chart_id}-title">{title}</title><desc id="{chart_id}-desc">{summary}</desc>', 1
    )
    svg = svg.replace("<svg ", f'<svg role="img" aria-label="{title}" aria-describedby="{chart_id}-desc" ', 1)
    return svg + table


def _table(caption: str, head: list[str], rows: list[list[str]]) -> str:
    """A visually-hidden HTML table: the chart's figures for screen readers and text browsers.

    The wrapper is the hidden box: a table is never narrower than its content, and would widen the page.
    """
    cells = "".join(f'<th scope="col">{html.escape(h)}</th>' for h in head)
    body = "".join(
        '<tr><th scope="row">'
        + html.escape(r[0])
        + "</th>"
        + "".join(f"<td>{html.escape(c)}</td>" for c in r[1:])
        + "</tr>"
        for r in rows
    )
    return (
        f'<div class="visually-hidden"><table><caption>{html.escape(caption)}</caption>'
        f"<thead><tr>{cells}</tr></thead><tbody>{body}</tbody></table></div>"
    )


def _pct(score: float | None) -> str:
    return "no data" if score is None else f"{score:.0f}%"


def trend_summary(series: dict[str, list[dict[str, Any]]]) -> tuple[str, list[list[str]]]:
    """Each line's first and latest score in the range, as a sentence and as table rows."""
    dates = next(iter(series.values()), [])
    first = _short_date(dates[0]["date"]) if dates else ""
    last = _short_date(dates[-1]["date"]) if dates else ""
    rows = []
    for label, points in series.items():
        scores = [p["score"] for p in points if p["accounts"] and p["score"] is not None]
        rows.append([label, _pct(scores[0] if scores else None), _pct(scores[-1] if scores else None)])
    sentence = "; ".join(f"{r[0]}: {r[1]} then {r[2]}" for r in rows)
    return f"Score from {first} to {last}. {sentence}.", rows


def severity_summary(counts: dict[str, int]) -> tuple[str, list[list[str]]]:
    """Failing findings per severity, as a sentence and as table rows."""
    rows = [[sev.capitalize(), f"{counts.get(sev, 0):,}"] for sev in SEVERITY_COLOURS]
    return "Failing findings: " + ", ".join(f"{r[0]} {r[1]}" for r in rows) + ".", rows


def stylesheet() -> str:
    """pygal's CSS for each chart kind, keyed by a class instead of a per-render id.

    ``python -m frontend.charts > frontend/static/frontend/charts.css`` regenerates the file;
    a test checks that it is current.
    """
    samples = {
        # one sample series per colour, so that every series' colour rules are in the sheet
        "trend": trend_chart(
            {f"s{n}": [{"date": "2000-01-01", "score": 1.0, "accounts": 1}] for n in range(len(SERIES_COLOURS))},
            raw=True,
        ),
        "severity": severity_chart({"high": 1}, raw=True),
    }
    parts = ["/* Generated by `python -m frontend.charts` from pygal's own styles: do not edit. */"]
    for kind, svg in samples.items():
        for css in _STYLE.findall(svg):
            css = html.unescape(_CHART_ID.sub(f".pygal-chart.chart-{kind}", css))
            parts.append(css.strip())
    parts.append(".pygal-chart .tooltip { display: none; }")
    return "\n".join(parts) + "\n"


def _config(**extra: Any) -> dict[str, Any]:
    base = {
        "js": [],  # pygal links a tooltip script from the internet by default: never
        "disable_xml_declaration": True,
        "explicit_size": False,
        "show_minor_x_labels": False,
        "margin": 8,
        "spacing": 12,
        "legend_at_bottom": True,
        "legend_box_size": 10,
        "print_values": False,
    }
    base.update(extra)
    return base


def trend_chart(series: dict[str, list[dict[str, Any]]], *, height: int = 240, raw: bool = False) -> str:
    """Score (%) per day, one line per framework; ``series`` maps a label to trend() points."""
    import pygal  # loaded on the first chart, not at start-up (a serving process's warm-up preloads it)
    from pygal.style import Style

    chart = pygal.Line(
        **_config(
            width=720,
            height=height,
            range=(0, 100),
            show_dots=True,
            dots_size=2.5,
            truncate_label=-1,
            stroke_style={"width": 2.5},
            x_label_rotation=0,
            y_labels=[0, 25, 50, 75, 100],
            show_legend=len(series) > 1,
            truncate_legend=40,
            style=Style(colors=SERIES_COLOURS, **_BASE),
            value_formatter=lambda v: f"{v:.0f}%",
            allow_interruptions=True,
            classes=["pygal-chart", "chart-trend"],
        )
    )
    dates = next(iter(series.values()), [])
    labels = [_short_date(p["date"]) for p in dates]
    chart.x_labels = labels
    chart.x_labels_major = labels[:: max(1, len(labels) // 6)]
    for label, points in series.items():
        chart.add(label, [p["score"] if p["accounts"] else None for p in points])
    if raw:
        return chart.render(is_unicode=True)
    summary, rows = trend_summary(series)
    head = [
        "Framework",
        f"Score on {labels[0]}" if labels else "First",
        f"Score on {labels[-1]}" if labels else "Latest",
    ]
    title = "Compliance score per day, per framework"
    return _accessible(_render(chart), title, summary, _table(title, head, rows))


def severity_chart(counts: dict[str, int], *, height: int = 220, raw: bool = False) -> str:
    """Failing findings per severity, one coloured bar each."""
    present = list(SEVERITY_COLOURS)  # always all five, so colour N is always the same severity
    import pygal
    from pygal.style import Style

    chart = pygal.StackedBar(  # one series per severity, each bar the full width of its slot
        **_config(
            width=420,
            height=height,
            show_legend=False,
            show_minor_x_labels=True,
            style=Style(colors=tuple(SEVERITY_COLOURS[s] for s in present), **_BASE),
            print_values=True,
            print_zeroes=False,
            print_values_position="top",
            y_labels=_integer_ticks(max(counts.values(), default=0)),
            value_formatter=lambda v: f"{v:,.0f}",
            classes=["pygal-chart", "chart-severity"],
        )
    )
    chart.x_labels = [s.capitalize() for s in present]
    for i, sev in enumerate(present):
        chart.add(sev.capitalize(), [None] * i + [counts.get(sev, 0)] + [None] * (len(present) - i - 1))
    if raw:
        return chart.render(is_unicode=True)
    summary, rows = severity_summary(counts)
    title = "Failing findings by severity"
    return _accessible(_render(chart), title, summary, _table(title, ["Severity", "Failing findings"], rows))


if __name__ == "__main__":
    print(stylesheet(), end="")
