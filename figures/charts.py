"""The key figures as charts: SVG drawn on the server with pygal (Kozea, who also make WeasyPrint),
without JavaScript and without anything fetched from elsewhere, so the same markup serves the
dashboard, the agenda and the PDF. Every chart carries a title and a text alternative, and the
table of its data goes beside it; series differ by line style and labels, not by colour alone."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from html import escape
from itertools import pairwise

import pygal
from pygal.style import Style

from figures.definitions import number_text, share_text

#: Okabe–Ito: told apart with the common colour-vision deficiencies, dark enough on white
COLOURS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9")
#: line styles, so series differ without colour
DASHES = ("", "8,4", "2,4", "10,3,2,3")

STYLE = Style(
    background="#ffffff",
    plot_background="#ffffff",
    foreground="#1a1a1a",
    foreground_strong="#1a1a1a",
    foreground_subtle="#595959",
    opacity="1",
    opacity_hover="1",
    colors=COLOURS,
    font_family="DejaVu Sans, Arial, sans-serif",
    title_font_family="DejaVu Sans, Arial, sans-serif",
    label_font_family="DejaVu Sans, Arial, sans-serif",
    major_label_font_family="DejaVu Sans, Arial, sans-serif",
    value_font_family="DejaVu Sans, Arial, sans-serif",
    value_label_font_family="DejaVu Sans, Arial, sans-serif",
    legend_font_family="DejaVu Sans, Arial, sans-serif",
    title_font_size=18,
    label_font_size=13,
    major_label_font_size=13,
    legend_font_size=13,
    value_font_size=12,
    value_label_font_size=12,
)


@dataclass(frozen=True)
class Chart:
    key: str
    title: str
    #: the text alternative: what the chart shows, in one or two sentences
    description: str
    svg: str
    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    definition: str = ""
    notes: tuple[str, ...] = field(default_factory=tuple)


_COMMENT = re.compile(r"<!--.*?-->", re.S)
_SCRIPT = re.compile(r"<script[^>]*>.*?</script>|<script[^>]*/>", re.S)
#: the empty tooltip of pygal's JavaScript (none here): an inline style the page's policy refuses
_TOOLTIP = re.compile(r'<g[^>]*class="plot tooltip-overlay">.*?<g class="text" ?/></g></g>', re.S)


def _finish(chart: pygal.graph.graph.Graph, key: str, title: str, description: str, *, sparkline: bool = False) -> str:
    """The chart's SVG for inline use: a stable id (golden tests, several charts on one page), no
    script, no generator comment with the date, and role="img" with its title and description."""
    chart.uuid = key
    svg = (
        chart.render_sparkline(width=chart.config.width, height=chart.config.height)
        if sparkline
        else chart.render(is_unicode=True)
    )
    if isinstance(svg, bytes):
        svg = svg.decode("utf-8")
    svg = _TOOLTIP.sub("", _SCRIPT.sub("", _COMMENT.sub("", svg))).replace("<title>Pygal</title>", "")
    svg = re.sub(r"^<\?xml[^>]*>\s*", "", svg)
    label = f"chart-{key}-title"
    head = (
        f'<svg role="img" aria-labelledby="{label} chart-{key}-desc" '
        if not sparkline
        else f'<svg role="img" aria-labelledby="{label}" '
    )
    svg = svg.replace("<svg ", head, 1)
    close = svg.index(">") + 1
    # pygal's own copy of the title (the second one a screen reader would meet) gives way to ours
    svg = svg.replace(f"<title>{escape(title, quote=False)}</title>", "", 1)
    alt = f'<title id="{label}">{escape(title)}</title>'
    if not sparkline:
        alt += f'<desc id="chart-{key}-desc">{escape(description)}</desc>'
    return svg[:close] + alt + svg[close:]


def _count_axis(chart: pygal.graph.graph.Graph, biggest: float) -> None:
    """Whole numbers on a count axis, at most about ten of them (pygal would label 0.2, 0.4 …)."""
    top = max(int(biggest), 1)
    step = max(1, -(-top // 10))
    chart.y_labels = list(range(0, top + step, step))


def _config(title: str, **options: object) -> dict[str, object]:
    base: dict[str, object] = dict(
        js=[],
        disable_xml_declaration=True,
        title=title,
        style=STYLE,
        width=760,
        height=340,
        print_values=True,
        show_legend=False,
        margin=16,
        truncate_label=-1,
        truncate_legend=-1,
    )
    return {**base, **options}


#: week buckets of the waiting-time histogram: up to 1 week, 1–2 weeks, … and more than 16
WEEK_EDGES = tuple(range(1, 17))


def waiting_histogram(waits: Sequence[int], target_days: int, target_label: str, definition: str = "") -> Chart:
    """Courses started by weeks from registration, the bars within the target set apart from those beyond it."""
    buckets = [0] * (len(WEEK_EDGES) + 1)
    for days in waits:
        weeks = days / 7
        index = next((i for i, edge in enumerate(WEEK_EDGES) if weeks <= edge), len(WEEK_EDGES))
        buckets[index] += 1
    labels = [f"≤ {WEEK_EDGES[0]}"] + [f"{a}–{b}" for a, b in pairwise(WEEK_EDGES)]
    labels.append(f"> {WEEK_EDGES[-1]}")
    target_weeks = target_days / 7
    within = [
        count if i < len(WEEK_EDGES) and WEEK_EDGES[i] <= target_weeks else None for i, count in enumerate(buckets)
    ]
    beyond = [None if within[i] is not None else count for i, count in enumerate(buckets)]
    title = f"Wartezeit Anmeldung → Kursbeginn (Grenze {target_label})"
    inside = sum(c for c in within if c)
    description = (
        f"Balkendiagramm: Kursbeginne nach Wochen zwischen Anmeldung und Kursbeginn. "
        f"{inside} von {len(waits)} ({share_text(inside, len(waits))}) begannen innerhalb von {target_label}."
        if waits
        else "Keine Kursbeginne im Zeitraum."
    )
    chart = pygal.StackedBar(
        **_config(
            title,
            show_legend=True,
            legend_at_bottom=True,
            x_title="Wochen von der Anmeldung bis zum Kursbeginn (bis einschließlich)",
            y_title="Kursbeginne",
            print_zeroes=False,
        )
    )
    # short axis labels (the upper end of each week), the ranges in the table
    chart.x_labels = [str(edge) for edge in WEEK_EDGES] + [f"> {WEEK_EDGES[-1]}"]
    chart.add(f"innerhalb von {target_label}", within)
    chart.add(f"länger als {target_label}", beyond)
    _count_axis(chart, max(buckets, default=0))
    rows = tuple(
        (label, str(count), "ja" if within[i] is not None else "nein")
        for i, (label, count) in enumerate(zip(labels, buckets, strict=True))
    )
    return Chart(
        "waiting",
        title,
        description,
        _finish(chart, "waiting", title, description),
        ("Wochen", "Kursbeginne", f"innerhalb von {target_label}"),
        rows,
        definition,
    )


def horizontal_bars(
    key: str,
    title: str,
    items: Sequence[tuple[str, float]],
    *,
    unit: str,
    empty: str,
    definition: str = "",
    share: bool = False,
    table: tuple[tuple[str, ...], tuple[tuple[str, ...], ...]] | None = None,
) -> Chart:
    """One bar per label (stage funnel, overdue per agency, fill per provider)."""
    values = [value for _, value in items]

    def show(value: float) -> str:
        return share_text(value, 1) if share else f"{int(value)}"

    if items:
        biggest = max(items, key=lambda item: item[1])
        description = (
            f"Balkendiagramm mit {len(items)} Balken ({unit}); am größten: {biggest[0]} mit {show(biggest[1])}."
        )
    else:
        description = empty
    chart = pygal.HorizontalBar(
        **_config(title, height=max(160, 44 * len(items) + 90), value_formatter=show, print_values=True)
    )
    # pygal stacks horizontal bars from the bottom: reversed, the first item stands on top
    chart.x_labels = [label for label, _ in reversed(items)]
    chart.add(unit, list(reversed(values)))
    if share:
        chart.range = (0, 1)
    else:
        _count_axis(chart, max(values, default=0))
    headers, rows = table or (("", unit), tuple((label, show(value)) for label, value in items))
    return Chart(key, title, description, _finish(chart, key, title, description), headers, rows, definition)


def trend_chart(
    key: str,
    title: str,
    labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[float | None]]],
    *,
    unit: str,
    definition: str = "",
) -> Chart:
    """Lines over the last months; several series differ by dash pattern and are named in the legend."""
    share = unit == "%"
    chart = pygal.Line(
        **_config(
            title,
            show_legend=len(series) > 1,
            legend_at_bottom=True,
            print_values=False,
            allow_interruptions=True,
            dots_size=4,
            y_title=unit,
            value_formatter=(lambda v: share_text(v, 1)) if share else (lambda v: number_text(v)),
        )
    )
    chart.x_labels = list(labels)
    for index, (name, numbers) in enumerate(series):
        chart.add(name, list(numbers), stroke_style={"width": 3, "dasharray": DASHES[index % len(DASHES)]})
    if share:
        chart.range = (0, 1)
    headers = ("Monat", *(name for name, _ in series))
    rows = tuple((label, *(_cell(numbers[i], share) for _, numbers in series)) for i, label in enumerate(labels))
    last = [f"{name}: {_cell(numbers[-1], share)}" for name, numbers in series if numbers]
    description = f"Liniendiagramm über {len(labels)} Monate; zuletzt {', '.join(last)}."
    return Chart(key, title, description, _finish(chart, key, title, description), headers, rows, definition)


def _cell(number: float | None, share: bool) -> str:
    if number is None:
        return "–"
    return share_text(number, 1) if share else number_text(number)


def sparkline(key: str, title: str, numbers: Sequence[float | None]) -> str:
    """A small line of the last months for an agenda figure (its numbers are in the text beside it).
    Drawn with presentation attributes instead of a style sheet, so it looks the same in a mail
    client, in the PDF and on a page whose policy refuses inline styles."""
    chart = pygal.Line(
        js=[],
        disable_xml_declaration=True,
        style=STYLE,
        width=180,
        height=36,
        allow_interruptions=True,
        show_dots=False,
        margin=2,
    )
    chart.add(title, list(numbers))
    svg = re.sub(r"<defs>.*?</defs>", "", _finish(chart, key, title, "", sparkline=True), flags=re.S)
    svg = svg.replace('class="background"', 'fill="none" class="background"')
    return svg.replace(
        'class="line reactive nofill"', f'fill="none" stroke="{COLOURS[0]}" stroke-width="2" class="line"'
    )


def with_nonce(svg: str, nonce: str) -> str:
    """The chart's style element marked with the page's nonce: a page whose policy allows styles
    from its own origin only lets this one inline style through."""
    return svg.replace("<style ", f'<style nonce="{nonce}" ', 1)
