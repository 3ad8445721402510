"""The overview's charts read as named images with a text summary and a table of their figures."""

from __future__ import annotations

import re

from frontend import charts

TREND = {
    "AWS Foundations": [
        {"date": "2026-11-01", "score": 40.0, "accounts": 1},
        {"date": "2026-11-02", "score": None, "accounts": 0},
        {"date": "2026-11-03", "score": 61.0, "accounts": 2},
    ],
    "EKS": [{"date": d, "score": None, "accounts": 0} for d in ("2026-11-01", "2026-11-02", "2026-11-03")],
}


def _root(svg: str) -> str:
    return re.match(r"<svg [^>]*>", svg).group(0)


def test_the_trend_chart_is_a_named_image_with_its_figures_in_a_table():
    html = charts.trend_chart(TREND)
    root = _root(html)
    assert 'role="img"' in root and 'aria-label="Compliance score per day, per framework"' in root
    desc_id = re.search(r'aria-describedby="([^"]+)"', root).group(1)
    desc = re.search(rf'<desc id="{desc_id}">([^<]*)</desc>', html).group(1)
    assert desc == "Score from Nov 1 to Nov 3. AWS Foundations: 40% then 61%; EKS: no data then no data."
    assert "Pygal" not in html
    table = html[html.index("</svg>") :]
    assert table.startswith(
        '</svg><div class="visually-hidden"><table><caption>Compliance score per day, per framework'
    )
    assert '<th scope="col">Score on Nov 1</th><th scope="col">Score on Nov 3</th>' in table
    assert '<th scope="row">AWS Foundations</th><td>40%</td><td>61%</td>' in table


def test_the_severity_chart_names_every_severity_and_its_count():
    html = charts.severity_chart({"critical": 2, "low": 1234})
    assert 'aria-label="Failing findings by severity"' in _root(html) and "Pygal" not in html
    assert ">Failing findings: Critical 2, High 0, Medium 0, Low 1,234, Info 0.</desc>" in html
    assert '<th scope="row">Low</th><td>1,234</td>' in html


def test_labels_are_escaped():
    html = charts.trend_chart({"A <b> & co": TREND["EKS"]})
    assert "A &lt;b&gt; &amp; co" in html and "<b>" not in html


def test_badge_colours_meet_wcag_aa_under_white_text():
    """Severity bars and badges share these colours; white text on them needs 4.5:1."""

    def luminance(hex_colour: str) -> float:
        channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    for severity, colour in charts.SEVERITY_COLOURS.items():
        assert (1.05 / (luminance(colour) + 0.05)) >= 4.5, severity
