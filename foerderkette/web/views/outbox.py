"""The outbox: planned, sent and failed emails with their content; resend a failed one."""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session

from foerderkette.web.deps import DB, audit, check_csrf, current_viewer, get_app
from foerderkette.web.rendering import document, page
from notifications.outbox import resend
from notifications.reads import list_outbox, status_counts
from notifications.tables import KINDS, STATUSES, OutboxContent, OutboxMessage
from pipeline.access import Viewer

router = APIRouter()


def _message(session: Session, viewer: Viewer, message_id: int) -> OutboxMessage:
    message = session.get(OutboxMessage, message_id)
    if message is None or message.region_id != viewer.region_id:
        raise HTTPException(status_code=404, detail=f"E-Mail Nr. {message_id} gibt es nicht")
    return message


@router.get("/postausgang", response_class=HTMLResponse)
def outbox_page(
    request: Request, viewer: Viewer = Depends(current_viewer), session: Session = DB, status: str = ""
) -> Response:
    connection = session.connection()
    messages = list_outbox(
        connection, status=status if status in STATUSES else None, region=viewer.region_code, limit=300
    )
    counts = status_counts(connection, region=viewer.region_code)
    return page(
        request,
        "outbox.html",
        {
            "title": "Postausgang",
            "viewer": viewer,
            "messages": messages,
            "counts": counts,
            "statuses": STATUSES,
            "kinds": KINDS,
            "selected": status,
        },
    )


def _content(session: Session, message_id: int) -> OutboxContent:
    content = session.get(OutboxContent, message_id)
    if content is None:
        raise HTTPException(status_code=404, detail=f"E-Mail Nr. {message_id} hat keinen Inhalt.")
    return content


@router.get("/postausgang/{message_id}", response_class=HTMLResponse)
def message_page(
    message_id: int, request: Request, viewer: Viewer = Depends(current_viewer), session: Session = DB
) -> Response:
    message = _message(session, viewer, message_id)
    return page(
        request,
        "outbox_message.html",
        {
            "title": f"E-Mail Nr. {message_id}",
            "viewer": viewer,
            "message": message,
            "content": _content(session, message_id),
            "statuses": STATUSES,
            "kinds": KINDS,
        },
    )


@router.get("/postausgang/{message_id}/html", response_class=HTMLResponse)
def message_html(message_id: int, viewer: Viewer = Depends(current_viewer), session: Session = DB) -> Response:
    """The HTML body as sent, sandboxed: no scripts, no requests, only shown in our own frame."""
    _message(session, viewer, message_id)
    return document(_content(session, message_id).body_html)


@router.post("/postausgang/{message_id}/erneut")
async def resend_message(
    message_id: int, request: Request, viewer: Viewer = Depends(current_viewer), session: Session = DB
) -> Response:
    await check_csrf(request)
    message = _message(session, viewer, message_id)
    if not resend(get_app(request).engine, message_id):
        raise HTTPException(
            status_code=422,
            detail=f"E-Mail Nr. {message_id} ist nicht fehlgeschlagen ({STATUSES.get(message.status, message.status)}) und wird nicht erneut gesendet.",
        )
    audit(session, viewer, "resend", detail=f"outbox {message_id} an {message.recipient}", request=request)
    return RedirectResponse(f"/postausgang/{message_id}?erneut=1", status_code=303)
