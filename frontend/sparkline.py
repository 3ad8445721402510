"""A small inline score trend line (SVG, server-side): no script, no inline style, a label for screen readers."""

from __future__ import annotations

from typing import Any

from django.utils.html import format_html, format_html_join

WIDTH, HEIGHT, PAD = 120, 28, 2


def _segments(points: list[dict[str, Any]]) -> list[list[tuple[float, float]]]:
    """Runs of (x, y) for consecutive days that have a score (a day with no account in scope breaks the line)."""
    step = (WIDTH - 2 * PAD) / max(len(points) - 1, 1)
    runs: list[list[tuple[float, float]]] = [[]]
    for i, p in enumerate(points):
        if p["score"] is None:
            runs.append([])
            continue
        runs[-1].append((round(PAD + i * step, 1), round(PAD + (100 - p["score"]) * (HEIGHT - 2 * PAD) / 100, 1)))
    return [run for run in runs if run]


def label(points: list[dict[str, Any]]) -> str:
    """What the line says, in words: first and last known scores and the number of days."""
    known = [p for p in points if p["score"] is not None]
    if not known:
        return f"No score over {len(points)} days"
    first, last = known[0], known[-1]
    return f"Score {first['score']:g}% on {first['date']} to {last['score']:g}% on {last['date']}"


def sparkline(points: list[dict[str, Any]]) -> str:
    """An ``<svg role="img">`` polyline of the points' scores (0-100%), safe to insert into a page."""
    lines = format_html_join(
        "",
        '<polyline points="{}" fill="none" stroke="currentColor" stroke-width="1.5"/>',
        ((" ".join(f"{x},{y}" for x, y in run),) for run in _segments(points)),
    )
    dots = format_html_join(
        "", '<circle cx="{}" cy="{}" r="1.5" fill="currentColor"/>', (run[-1] for run in _segments(points)[-1:])
    )
    text = label(points)
    return format_html(
        '<svg class="sparkline" width="{}" height="{}" viewBox="0 0 {} {}" role="img" aria-label="{}">'
        "<title>{}</title>{}{}</svg>",
        WIDTH,
        HEIGHT,
        WIDTH,
        HEIGHT,
        text,
        text,
        lines,
        dots,
    )
