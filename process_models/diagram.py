"""Draws the process model: Mermaid and Graphviz DOT text, SVG through the `dot` program."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterable

from process_models.spec import ProcessModel, Responsible

FORMATS = ("mermaid", "dot", "svg")
_GROUP_LABELS = {
    "integrationskurs": "Integrationskurs",
    "anschluss": "Anschluss",
    "sprache_beruf": "Sprache → Beruf",
    "arbeit_ausbildung": "Arbeit / Ausbildung",
    "allgemein": "Allgemein",
}


class GraphvizMissing(RuntimeError):
    """The `dot` program is not installed."""


def possible_agencies(item: Responsible, model: ProcessModel) -> tuple[str, ...]:
    """Every agency type a responsibility can resolve to (a fact's agency comes from its events)."""
    if item.kind == "agency":
        return (item.agency,)
    if item.kind == "counselling":
        return ("JMD", "MBE")
    found: dict[str, None] = {}
    if item.kind == "switch":
        for inner in (*(ref for _, ref in item.cases), *item.otherwise):
            found.update(dict.fromkeys(possible_agencies(inner, model)))
        return tuple(found)
    for event in model.events.values():
        for fact, source in (*event.sets, *event.keeps, *event.appends):
            if fact != item.fact:
                continue
            if source.startswith("="):
                found[source[1:]] = None
            elif source == "by":
                found.update(dict.fromkeys(event.actors))
            elif source.startswith("payload."):
                spec = event.field(source[8:])
                found.update(dict.fromkeys(spec.choices if spec and spec.choices else model.agencies))
    return tuple(found)


def stage_agencies(model: ProcessModel, stage: str) -> tuple[str, ...]:
    """Agencies responsible for a stage's own main step (empty for stages without steps).

    The main step is the first one defined for the fewest stages, i.e. the most specific to it.
    """
    steps = sorted(model.steps_in_stage.get(stage, ()), key=lambda step: len(step.stages))
    if not steps:
        return ()
    agencies: dict[str, None] = {}
    for item in steps[0].responsible:
        agencies.update(dict.fromkeys(possible_agencies(item, model)))
    return tuple(agencies)


ANY_STAGE = "any_open_stage"
ANY_STAGE_LABEL = "jede offene Stufe"


def _global_events(model: ProcessModel) -> set[tuple[str, str]]:
    """(event, target) pairs reachable from most open stages, drawn once from ANY_STAGE."""
    open_stages = [stage for stage in model.stages.values() if not stage.final]
    sources: dict[tuple[str, str], set[str]] = {}
    for transition in model.transitions:
        sources.setdefault((transition.event, transition.target), set()).add(transition.source)
    return {key for key, found in sources.items() if len(found) > len(open_stages) * 2 // 3}


def _edges(model: ProcessModel) -> dict[tuple[str, str], list[str]]:
    edges: dict[tuple[str, str], list[str]] = {}
    global_events = _global_events(model)
    for event, target in sorted(global_events):
        edges.setdefault((ANY_STAGE, target), []).append(event)
    for transition in model.transitions:
        if transition.source == transition.target or (transition.event, transition.target) in global_events:
            continue
        labels = edges.setdefault((transition.source, transition.target), [])
        if transition.event not in labels:
            labels.append(transition.event)
    return edges


def _quote(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def to_mermaid(model: ProcessModel) -> str:
    lines = ["flowchart LR", f"  %% {model.label}"]
    for group, stages in _grouped(model):
        lines.append(f'  subgraph {group}["{_GROUP_LABELS.get(group, group)}"]')
        for stage in stages:
            spec = model.stages[stage]
            shape = ('(["', '"])') if spec.final else (('(("', '"))') if spec.start else ('["', '"]'))
            lines.append(f"    {stage}{shape[0]}{_quote(spec.label)}{shape[1]}")
        lines.append("  end")
    edges = _edges(model)
    if any(source == ANY_STAGE for source, _ in edges):
        lines.append(f'  {ANY_STAGE}{{{{"{ANY_STAGE_LABEL}"}}}}')
    for (source, target), events in edges.items():
        label = " / ".join(model.event_label(event) for event in events)
        arrow = "-.->" if source == ANY_STAGE else "-->"
        lines.append(f'  {source} {arrow}|"{_quote(label)}"| {target}')
    for code, agency in model.agencies.items():
        lines.append(f"  classDef {code.lower()} fill:{agency.color},color:#ffffff,stroke:#333333")
    for stage in model.stages:
        agencies = stage_agencies(model, stage)
        if agencies:
            lines.append(f"  class {stage} {agencies[0].lower()}")
    return "\n".join(lines) + "\n"


def _grouped(model: ProcessModel) -> Iterable[tuple[str, list[str]]]:
    groups: dict[str, list[str]] = {}
    for stage in model.stages.values():
        groups.setdefault(stage.group or "allgemein", []).append(stage.id)
    return groups.items()


def to_dot(model: ProcessModel) -> str:
    lines = [
        "digraph referenzprozess {",
        f'  label="{_quote(model.label)}"; labelloc=t; fontname="Helvetica"; rankdir=LR;',
        '  node [shape=box, style="rounded,filled", fontname="Helvetica", fillcolor="#ffffff"];',
        '  edge [fontname="Helvetica", fontsize=9];',
    ]
    for index, (group, stages) in enumerate(_grouped(model)):
        lines.append(
            f'  subgraph cluster_{index} {{ label="{_quote(_GROUP_LABELS.get(group, group))}"; style=dashed; color="#bbbbbb";'
        )
        for stage in stages:
            spec = model.stages[stage]
            agencies = stage_agencies(model, stage)
            colors = ":".join(model.agencies[code].color for code in agencies if code in model.agencies)
            style = '"filled,striped"' if len(agencies) > 1 else '"rounded,filled"'
            # the German name only: the diagram is shown to users (the node's name keeps the id)
            attrs = [f'label="{_quote(spec.label)}"']
            if colors:
                attrs += [f"style={style}", f'fillcolor="{colors}"', 'fontcolor="#ffffff"']
                attrs.append(f'tooltip="Zuständig: {", ".join(agencies)}"')
            if spec.final:
                attrs.append("peripheries=2")
            if spec.start:
                attrs.append("penwidth=2")
            lines.append(f"    {stage} [{', '.join(attrs)}];")
        lines.append("  }")
    edges = _edges(model)
    if any(source == ANY_STAGE for source, _ in edges):
        lines.append(f'  {ANY_STAGE} [label="{ANY_STAGE_LABEL}", shape=note, style=dashed];')
    for (source, target), events in edges.items():
        actors = model.events[events[0]].actors
        color = model.agencies[actors[0]].color if actors and actors[0] in model.agencies else "#555555"
        # each label quoted on its own, then joined by Graphviz's line break (quoting the joined
        # text turned the break into a literal "\\n" on the page)
        label = "\\n".join(_quote(model.event_label(event)) for event in events)
        style = ", style=dashed" if source == ANY_STAGE else ""
        lines.append(f'  {source} -> {target} [label="{label}", color="{color}", fontcolor="{color}"{style}];')
    lines.append('  subgraph cluster_legend { label="Zuständige Stelle"; style=solid; color="#dddddd";')
    for code, agency in model.agencies.items():
        lines.append(
            f'    legend_{code} [label="{code}: {_quote(agency.label)}", fillcolor="{agency.color}", fontcolor="#ffffff"];'
        )
    lines.append("  }")
    lines.append("}")
    return "\n".join(lines) + "\n"


def to_svg(model: ProcessModel, *, dot_binary: str | None = None) -> str:
    """Render through Graphviz; raises GraphvizMissing with a German explanation if `dot` is absent."""
    binary = dot_binary or shutil.which("dot")
    if not binary:
        raise GraphvizMissing(
            "SVG braucht Graphviz, das Programm 'dot' ist nicht installiert "
            "(Debian/Ubuntu: apt-get install graphviz). Alternativ --format mermaid oder --format dot."
        )
    result = subprocess.run(
        [binary, "-Tsvg"], input=to_dot(model), capture_output=True, text=True, check=False, timeout=60
    )
    if result.returncode != 0:
        raise RuntimeError(f"Graphviz ist fehlgeschlagen: {result.stderr.strip()}")
    return result.stdout


def render(model: ProcessModel, fmt: str) -> str:
    if fmt == "mermaid":
        return to_mermaid(model)
    if fmt == "dot":
        return to_dot(model)
    if fmt == "svg":
        return to_svg(model)
    raise ValueError(f"Unbekanntes Format '{fmt}' (erlaubt: {', '.join(FORMATS)})")
