"""The pipeline: how many participants stand where, and who must act next."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from foerderkette.web.deps import current_viewer, get_app, reading, today
from foerderkette.web.rendering import page
from pipeline.access import Viewer, visible_participants
from pipeline.labels import STAGE_GROUPS
from pipeline.reads import (
    NEED_LABELS,
    NEEDS,
    ORDERS,
    ParticipantFilter,
    count_participants,
    find_region,
    list_participants,
    stage_counts,
)

router = APIRouter()
PAGE_SIZE = 100
GROUPS = STAGE_GROUPS


@router.get("/pipeline", response_class=HTMLResponse)
def pipeline_page(
    request: Request,
    viewer: Viewer = Depends(current_viewer),
    stufe: str = "",
    stelle: str = "",
    kursart: str = "",
    bedarf: str = "",
    ueberfaellig: str = "",
    suche: str = "",
    seite: int = 1,
    sortierung: str = "due",
) -> Response:
    app = get_app(request)
    day = today(app)
    seite = max(seite, 1)
    with reading(app) as conn:
        region = find_region(conn, viewer.region_code)
        model = app.model(region)
        scope = visible_participants(viewer, conn.dialect.name, model)
        filters = ParticipantFilter(
            as_of=day,
            stage=stufe if stufe in model.stages else None,
            responsible=stelle if stelle in model.agencies else None,
            course_type=kursart if kursart in model.course_types else None,
            need=bedarf if bedarf in NEEDS else None,
            overdue=ueberfaellig == "1",
            search=suche.strip() or None,
            scope=scope,
            order=sortierung if sortierung.lstrip("-") in ORDERS else "due",
        )
        counts = stage_counts(conn, as_of=day, scope=scope)
        total = count_participants(conn, filters)
        rows = list_participants(conn, filters, limit=PAGE_SIZE, offset=(seite - 1) * PAGE_SIZE)
    shown = {
        "stufe": stufe,
        "stelle": stelle,
        "kursart": kursart,
        "bedarf": bedarf,
        "ueberfaellig": ueberfaellig,
        "suche": suche,
        "sortierung": filters.order if filters.order != "due" else "",
    }
    pages = max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1)

    def url(number: int) -> str:
        return "/pipeline?" + urlencode({key: value for key, value in {**shown, "seite": str(number)}.items() if value})

    def sort_url(key: str) -> str:
        """The column's link: ascending first, the other way round when it is sorted already."""
        wanted = f"-{key}" if filters.order == key else key
        return "/pipeline?" + urlencode({k: v for k, v in {**shown, "sortierung": wanted}.items() if v})

    columns = {
        key: {
            "url": sort_url(key),
            "sort": "ascending" if filters.order == key else "descending" if filters.order == f"-{key}" else "",
        }
        for key in ORDERS
    }

    board: dict[str, list[dict[str, object]]] = {}
    for stage in model.stages.values():
        count, late = counts.get(stage.id, (0, 0))
        board.setdefault(GROUPS.get(stage.group, stage.group), []).append(
            {"id": stage.id, "label": stage.label, "count": count, "overdue": late, "final": stage.final}
        )
    return page(
        request,
        "pipeline.html",
        {
            "title": "Pipeline",
            "viewer": viewer,
            "region": region,
            "model": model,
            "board": board,
            "rows": rows,
            "total": total,
            "page_number": seite,
            "pages": pages,
            "prev_url": url(seite - 1) if seite > 1 else None,
            "next_url": url(seite + 1) if seite < pages else None,
            "filters": shown,
            "columns": columns,
            "need_labels": NEED_LABELS,
            "today": day,
            "all_overdue": sum(late for _, late in counts.values()),
            "all_count": sum(count for count, _ in counts.values()),
        },
    )
