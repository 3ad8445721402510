"""Issue and comment text as a tiny block list, rendered as an Atlassian Document (v3) or wiki markup (v2)."""

from __future__ import annotations

from typing import Any

# a segment is plain text or (text, url); a block is ("h", text), ("p", [segments]) or ("ul", [[segments]])
Segment = str | tuple[str, str]
Block = tuple[str, Any]


def _adf_text(segment: Segment) -> dict[str, Any]:
    if isinstance(segment, tuple):
        text, url = segment
        return {"type": "text", "text": text or url, "marks": [{"type": "link", "attrs": {"href": url}}]}
    return {"type": "text", "text": segment}


def _adf_paragraph(segments: list[Segment]) -> dict[str, Any]:
    return {"type": "paragraph", "content": [_adf_text(s) for s in segments if s]}


def to_adf(blocks: list[Block]) -> dict[str, Any]:
    content: list[dict[str, Any]] = []
    for kind, value in blocks:
        if kind == "h":
            content.append({"type": "heading", "attrs": {"level": 3}, "content": [{"type": "text", "text": value}]})
        elif kind == "p":
            content.append(_adf_paragraph(value))
        elif kind == "ul" and value:
            items = [{"type": "listItem", "content": [_adf_paragraph(item)]} for item in value]
            content.append({"type": "bulletList", "content": items})
    return {"type": "doc", "version": 1, "content": content}


def _wiki_escape(text: str) -> str:
    return "".join("\\" + c if c in "{}[]|*_" else c for c in text)


def _wiki_segments(segments: list[Segment]) -> str:
    out = []
    for s in segments:
        if isinstance(s, tuple):
            out.append(f"[{_wiki_escape(s[0])}|{s[1]}]" if s[0] else f"[{s[1]}]")
        else:
            out.append(_wiki_escape(s))
    return "".join(out)


def to_wiki(blocks: list[Block]) -> str:
    lines: list[str] = []
    for kind, value in blocks:
        if kind == "h":
            lines.append(f"h3. {_wiki_escape(value)}")
        elif kind == "p":
            lines.append(_wiki_segments(value))
        elif kind == "ul":
            lines.extend(f"* {_wiki_segments(item)}" for item in value)
        lines.append("")
    return "\n".join(lines).strip() + "\n"


def render(blocks: list[Block], cloud: bool) -> Any:
    return to_adf(blocks) if cloud else to_wiki(blocks)
