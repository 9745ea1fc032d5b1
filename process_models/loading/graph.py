"""Checks of the stage graph as a whole: reachability, dead ends, shadowed transitions."""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping

from process_models.loading.yaml_source import ModelError, _Builder
from process_models.spec import (
    EventSpec,
    StageSpec,
    TransitionSpec,
)


def _check_graph(
    b: _Builder, stages: Mapping[str, StageSpec], events: Mapping[str, EventSpec], transitions: list[TransitionSpec]
) -> None:
    starts = [stage.id for stage in stages.values() if stage.start]
    if len(starts) != 1:
        b.error(
            ("stages",),
            f"Genau eine Startstufe (start: true) erwartet, gefunden: {len(starts)}",
            f"exactly one start stage expected, found {len(starts)}",
        )
    outgoing: dict[str, set[str]] = {stage: set() for stage in stages}
    for transition in transitions:
        if transition.source in outgoing and transition.target in stages:
            outgoing[transition.source].add(transition.target)
    for stage in stages.values():
        leaves = outgoing[stage.id] - {stage.id}
        if stage.final and outgoing[stage.id]:
            b.error(
                ("stages", stage.id),
                f"Endzustand '{stage.id}' hat ausgehende Übergänge",
                f"final stage '{stage.id}' has outgoing transitions",
            )
        if not stage.final and not leaves:
            b.error(
                ("stages", stage.id),
                f"Sackgasse: Stufe '{stage.id}' ist kein Endzustand, führt aber nirgendwohin",
                f"dead end: stage '{stage.id}' is not final but has no way out",
            )
    if len(starts) == 1:
        seen = {starts[0]}
        queue = deque(seen)
        while queue:
            for target in outgoing[queue.popleft()]:
                if target not in seen:
                    seen.add(target)
                    queue.append(target)
        for stage_id in stages:
            if stage_id not in seen:
                b.error(
                    ("stages", stage_id),
                    f"Stufe '{stage_id}' ist von der Startstufe aus nicht erreichbar",
                    f"stage '{stage_id}' is unreachable from the start stage",
                )
    used = {transition.event for transition in transitions}
    for event_id in events:
        if event_id not in used:
            b.error(
                ("events", event_id),
                f"Ereignis '{event_id}' kommt in keinem Übergang vor",
                f"event '{event_id}' is used by no transition",
            )
    unguarded: set[tuple[str, str]] = set()
    for transition in transitions:
        key = (transition.source, transition.event)
        if key in unguarded:
            b.errors.append(
                ModelError(
                    b.doc.name,
                    transition.line,
                    f"Übergang {transition.source} –{transition.event}→ {transition.target} wird nie erreicht (ein früherer ohne Bedingung greift immer)",
                    f"transition {transition.source} -{transition.event}-> {transition.target} is never reached (an earlier unguarded one always applies)",
                )
            )
        if not transition.guard:
            unguarded.add(key)
