"""The charts' SVG structure (not its pixels) against golden outlines: which elements, classes
and texts a chart has – title and description for screen readers, one bar or dot per value,
axis labels, legend – and that nothing fetches or runs anything."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from figures import charts
from tests.golden import check_golden

GOLDEN = Path(__file__).parent / "golden"
SVG = "{http://www.w3.org/2000/svg}"


def outline(svg: str) -> str:
    """One line per element: depth, tag, classes and its own text; coordinates left out."""
    root = ET.fromstring(svg)  # noqa: S314 – the SVG our own code just drew
    lines: list[str] = []

    def walk(node: ET.Element, depth: int) -> None:
        tag = node.tag.replace(SVG, "")
        if tag == "style":
            lines.append(f"{'  ' * depth}style")
            return
        classes = node.get("class", "")
        text = (node.text or "").strip()
        extra = "".join(f" {name}={node.get(name)}" for name in ("id", "role", "aria-labelledby") if node.get(name))
        lines.append(
            f"{'  ' * depth}{tag}{'.' + classes.replace(' ', '.') if classes else ''}{extra}{' “' + text + '”' if text else ''}"
        )
        for child in node:
            walk(child, depth + 1)

    walk(root, 0)
    return "\n".join(lines) + "\n"


CASES = {
    "waiting": lambda: charts.waiting_histogram([3, 10, 20, 30, 41, 42, 50, 90, 200], 42, "6 Wochen"),
    "bars": lambda: charts.horizontal_bars(
        "overdue",
        "Überfällige Schritte nach Stelle",
        [("Jobcenter", 12), ("Kursträger", 5)],
        unit="Personen",
        empty="–",
    ),
    "trend": lambda: charts.trend_chart(
        "trend",
        "Quoten je Monat",
        ["Okt 2026", "Nov 2026", "Dez 2026"],
        [("Abschlussquote", [0.8, None, 0.9]), ("Übergang", [0.5, 0.6, 0.7])],
        unit="%",
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_chart_structure(name: str) -> None:
    chart = CASES[name]()
    assert chart.svg.startswith('<svg role="img"')
    assert "<script" not in chart.svg and "http://" not in chart.svg.replace("http://www.w3.org/2000/svg", "")
    assert f'<title id="chart-{chart.key}-title">{chart.title}</title>' in chart.svg
    check_golden(GOLDEN / f"{name}.outline", outline(chart.svg))


def test_a_chart_shows_every_value_and_its_table_holds_them() -> None:
    chart = CASES["waiting"]()
    values = re.findall(r'<text[^>]*class="value[^"]*"[^>]*>(\d+)</text>', chart.svg)
    assert sorted(map(int, values)) == sorted(int(row[1]) for row in chart.rows if row[1] != "0")
    assert chart.rows[-1] == ("> 16", "1", "nein")
    assert "6 von 9 (67 %) begannen innerhalb von 6 Wochen" in chart.description


def test_sparkline_needs_no_style_sheet() -> None:
    svg = charts.sparkline("w", "Wartezeit: Verlauf", [3.0, None, 4.5, 5.0])
    assert "<style" not in svg and 'stroke="#0072B2"' in svg and 'fill="none"' in svg
    assert '<title id="chart-w-title">Wartezeit: Verlauf</title>' in svg
