"""One exposure path as a picture: a box per hop, left to right, arrows named by how each hop reaches the next.

Server-rendered inline SVG with presentation attributes only (the CSP allows no inline style); every box
links to its resource (a workload's page, or the findings page narrowed to the resource). A hop that fails a
rule is outlined in its severity's colour; one whose findings are all muted is dashed.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from django.urls import reverse
from django.utils.html import escape

BOX_W, BOX_H, GAP, TOP = 168, 58, 74, 22
KIND_LABELS = {
    "internet": "Internet",
    "entry": "Entry",
    "route": "Route",
    "workload": "Foothold",
    "service_account": "Service account",
    "identity": "Cloud identity",
    "target": "Target",
}
OUTLINE = {"critical": "#b91c1c", "high": "#c2410c", "medium": "#a16207", "low": "#4b5563", "info": "#4b5563"}
FILL = {"target": "#fef2f2", "internet": "#eff6ff"}


def hop_url(hop: dict[str, Any]) -> str:
    """Where a hop's box leads: its workload page, or its findings (every status)."""
    if hop.get("type") == "kubernetes.workloads.workload" and hop.get("resource"):
        return reverse("workload-detail", args=[hop["resource"]])
    if hop.get("uid"):
        return f"{reverse('findings')}?resource={quote(str(hop['uid']), safe='')}&status=all&muted=any"
    return ""


def _short(text: str, size: int = 24) -> str:
    text = str(text)
    return text if len(text) <= size else "…" + text[-(size - 1) :]


def _box(index: int, hop: dict[str, Any]) -> str:
    x = index * (BOX_W + GAP)
    findings = hop.get("findings") or []
    live = [f for f in findings if not f.get("muted")]
    worst = (live or findings)[0]["severity"] if findings else ""
    stroke = OUTLINE.get(worst, "#94a3b8")
    dash = ' stroke-dasharray="5 3"' if findings and not live else ""
    fill = FILL.get(str(hop.get("kind")), "#ffffff")
    kind = KIND_LABELS.get(str(hop.get("kind")), str(hop.get("kind")))
    if hop.get("target_kind"):
        kind = f"{kind}: {hop['target_kind']}"
    label = str(hop.get("label", ""))
    if str(hop.get("type", "")).startswith("kubernetes.") and " " in label:  # "Ingress ns/name": kind up top
        object_kind, label = label.split(" ", 1)
        kind = f"{kind} · {object_kind}"
    elif "@" in label:  # a service account's email: its name is what tells them apart
        label = label.split("@", 1)[0] + "@…"
    note = f"{len(findings)} finding{'s' if len(findings) != 1 else ''}" + (" (muted)" if dash else "")
    body = (
        f'<rect x="{x}" y="{TOP}" width="{BOX_W}" height="{BOX_H}" rx="6" fill="{fill}" stroke="{stroke}" '
        f'stroke-width="{2 if findings else 1}"{dash}/>'
        f'<text x="{x + 8}" y="{TOP + 17}" font-size="10.5" fill="#475569">{escape(kind)}</text>'
        f'<text x="{x + 8}" y="{TOP + 34}" font-size="12" font-weight="600" fill="#0f172a">'
        f"{escape(_short(label))}</text>"
    )
    if findings:
        body += f'<text x="{x + 8}" y="{TOP + 50}" font-size="10.5" fill="{stroke}">{escape(note)}</text>'
    title = f"<title>{escape(kind)}: {escape(hop.get('label', ''))}</title>"
    url = hop_url(hop)
    return f'<a href="{escape(url)}">{title}{body}</a>' if url else f"<g>{title}{body}</g>"


def _arrow(index: int, hop: dict[str, Any]) -> str:
    x1 = index * (BOX_W + GAP) - GAP + 2
    x2 = index * (BOX_W + GAP) - 4
    y = TOP + BOX_H // 2
    edge = (hop.get("edge") or {}).get("kind", "")
    return (
        f'<line x1="{x1}" y1="{y}" x2="{x2}" y2="{y}" stroke="#334155" stroke-width="1.5" marker-end="url(#arrow)"/>'
        f'<text x="{(x1 + x2) // 2}" y="{y - 6}" font-size="9.5" text-anchor="middle" fill="#334155">'
        f"{escape(edge)}</text>"
    )


def path_svg(hops: list[dict[str, Any]], description: str) -> str:
    width = len(hops) * (BOX_W + GAP) - GAP + 2
    height = TOP + BOX_H + 8
    parts = [_arrow(i, h) for i, h in enumerate(hops) if i] + [_box(i, h) for i, h in enumerate(hops)]
    return (
        f'<svg class="path-svg" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
        f'aria-label="{escape(description)}" xmlns="http://www.w3.org/2000/svg">'
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" '
        'orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#334155"/></marker></defs>'
        + "".join(parts)
        + "</svg>"
    )
