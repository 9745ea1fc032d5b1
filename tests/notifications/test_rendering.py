"""Rendered digests against golden files; the template environment is strict."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from jinja2 import UndefinedError
from sqlalchemy import Engine
from sqlmodel import Session, select

from notifications.jobs import run_sweep
from notifications.messages import build_message
from notifications.rendering import render_email
from notifications.tables import OutboxContent, OutboxMessage
from process_models import ModelCatalog, load_model
from tests.golden import check_golden
from tests.notifications import scenario

GOLDEN = Path(__file__).parent / "golden"


@pytest.mark.parametrize(
    ("recipient", "name"),
    [("coordinator@kom-ba.bamberg.example", "coordinator"), ("case_worker@bamf-ba.bamberg.example", "bamf")],
)
def test_digest_matches_golden_files(engine: Engine, session: Session, recipient: str, name: str) -> None:
    scenario.build(session, load_model())
    run_sweep(
        engine=engine,
        catalog=ModelCatalog(None),
        region="BY-BA",
        today=date(2026, 5, 26),
        base_url="https://foerderkette.bamberg.example",
        answer_secret="golden-secret-" + "x" * 32,
    )
    message = session.exec(select(OutboxMessage).where(OutboxMessage.recipient == recipient)).one()
    content = session.get(OutboxContent, message.id)
    assert content is not None
    check_golden(GOLDEN / f"reminder_digest_{name}.subject.txt", message.subject + "\n")
    check_golden(GOLDEN / f"reminder_digest_{name}.txt", content.body_text)
    check_golden(GOLDEN / f"reminder_digest_{name}.html", content.body_html)
    row = {**message.model_dump(), **content.model_dump()}
    mime = build_message(row, mail_from="Förderkette <noreply@bamberg.example>").parsed()
    assert mime.get_body(("plain",)).get_content() == content.body_text  # type: ignore[union-attr]
    assert mime["Message-ID"] == f"<{message.idempotency_key[:40]}@bamberg.example>"


def test_html_escapes_data(engine: Engine, session: Session) -> None:
    from pipeline.tables import Participant

    scenario.build(session, load_model(), full_names=True)
    person = session.exec(select(Participant).where(Participant.ref == "BA-OBL")).one()
    person.first_name = "<script>alert(1)</script>"
    session.add(person)
    session.commit()
    run_sweep(engine=engine, catalog=ModelCatalog(None), region="BY-BA", today=date(2026, 5, 21))
    message = session.exec(
        select(OutboxMessage).where(OutboxMessage.recipient == "case_worker@jc-ba.bamberg.example")
    ).one()
    content = session.get(OutboxContent, message.id)
    assert content is not None
    assert "<script>" not in content.body_html and "&lt;script&gt;alert(1)&lt;/script&gt;" in content.body_html
    assert "<script>alert(1)</script>" in content.body_text


def test_a_missing_value_fails_instead_of_mailing_a_blank() -> None:
    with pytest.raises(UndefinedError):
        render_email("reminder_digest", {"region": {"code": "BY-BA", "name": "x"}})
