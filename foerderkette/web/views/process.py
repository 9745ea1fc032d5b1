"""The process model in force: diagram (SVG), stages, events, steps and parameters."""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session

from foerderkette.web.deps import DB, current_viewer, get_app
from foerderkette.web.rendering import page
from pipeline.access import Viewer
from pipeline.repository import get_region
from process_models import ProcessModel
from process_models.diagram import GraphvizMissing, to_mermaid, to_svg
from process_models.durations import Duration
from process_models.spec import DueRule, Responsible

router = APIRouter()


def _responsible(model: ProcessModel, who: Responsible) -> str:
    if who.kind == "agency":
        return model.agencies[who.agency].label if who.agency in model.agencies else who.agency
    if who.kind == "fact":
        return f"Stelle laut „{model.facts[who.fact].label if who.fact in model.facts else who.fact}“"
    if who.kind == "switch":
        spec = model.facts[who.fact]
        values = model.value_sets[spec.type[5:]].values
        cases = "; ".join(f"{values.get(value, value)}: {_responsible(model, ref)}" for value, ref in who.cases)
        otherwise = ", ".join(_responsible(model, ref) for ref in who.otherwise)
        return f"nach „{spec.label}“ – {cases}" + (f"; sonst {otherwise}" if otherwise else "")
    return "Migrationsberatung (MBE/JMD)"


def _due(model: ProcessModel, rule: DueRule) -> str:
    anchor = "Beginn der Stufe" if rule.anchor == "stage_since" else model.facts[rule.anchor].label
    if rule.offset_ref:
        parameter = model.parameters[rule.offset_ref]
        value = parameter.value.label_de() if isinstance(parameter.value, Duration) else parameter.value
        return f"{parameter.label} ({value}) ab {anchor}"
    amount = rule.offset.label_de()
    return f"{amount} {'vor' if rule.offset.amount < 0 else 'nach'} {anchor}"


def steps_de(model: ProcessModel) -> list[dict[str, str]]:
    """The steps with responsible agencies and deadlines in words."""
    return [
        {
            "label": step.label,
            "responsible": ", ".join(_responsible(model, who) for who in step.responsible),
            "due": "; ".join(_due(model, rule) for rule in step.due),
            "legal_basis": step.legal_basis,
        }
        for step in model.steps.values()
    ]


#: the diagram's sizes: fitted to the page (the default), or magnified; value → label
ZOOMS = {"ganz": "an die Seite angepasst", "100": "100 %", "150": "150 %", "200": "200 %"}


@router.get("/prozess", response_class=HTMLResponse)
def process_page(
    request: Request, viewer: Viewer = Depends(current_viewer), session: Session = DB, zoom: str = "ganz"
) -> Response:
    model = get_app(request).model(get_region(session=session, code=viewer.region_code))
    zoom = zoom if zoom in ZOOMS else "ganz"
    try:
        svg, missing = to_svg(model), None
        svg = svg[svg.index("<svg") :]  # drop the XML prolog and doctype for inline use
    except GraphvizMissing as exc:
        svg, missing = None, str(exc)
    return page(
        request,
        "process.html",
        {
            "title": "Prozess",
            "viewer": viewer,
            "model": model,
            "svg": svg,
            "missing": missing,
            "mermaid": to_mermaid(model) if missing else "",
            "steps": steps_de(model),
            "zoom": zoom,
            "zooms": ZOOMS,
        },
    )


@router.get("/prozess/ablauf.svg")
def diagram_file(request: Request, viewer: Viewer = Depends(current_viewer), session: Session = DB) -> Response:
    """The diagram alone, to open in its own tab, zoom or save."""
    model = get_app(request).model(get_region(session=session, code=viewer.region_code))
    try:
        return Response(to_svg(model), media_type="image/svg+xml")
    except GraphvizMissing as exc:
        raise HTTPException(status_code=404, detail=str(exc)) from None
