"""A region with participants whose steps fall due around Pentecost 2026 (Bavaria).

Pfingstmontag is Monday 25.05.2026; Fronleichnam Thursday 04.06.2026.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlmodel import Session

from pipeline.tables import Region
from process_models import ProcessModel
from tests.factories import make_participant, make_region

#: ref → (stage, since, facts)
PARTICIPANTS: dict[str, tuple[str, date, dict[str, Any]]] = {
    # obliged by the Jobcenter on 07.05.: proof of registration due Thursday 21.05.
    "BA-OBL": ("obliged", date(2026, 5, 7), {"obliged_on": date(2026, 5, 7), "obliged_by": "JC"}),
    # registered with the VHS on 13.04.: course start due 25.05. (Pfingstmontag) → 26.05.
    "BA-REG": (
        "registered",
        date(2026, 4, 13),
        {"registered_on": date(2026, 4, 13), "assigned_on": date(2026, 4, 13), "provider": "VHS-BA"},
    ),
    # unexcused absence of a person obliged by the ABH, reported 23.04.: follow-up due 08.05.
    "BA-ABS": (
        "in_course",
        date(2026, 2, 2),
        {
            "course_started_on": date(2026, 2, 2),
            "course_end_planned": date(2026, 12, 18),
            "obliged_on": date(2026, 1, 12),
            "obliged_by": "ABH",
            "absence_reported_on": date(2026, 4, 23),
        },
    ),
    # course ends 17.07. without a follow-on plan: graduate management by the Jobcenter (8 weeks
    # ahead), an SGB II recipient (§ 44a Abs. 1 Nr. 2 AufenthG)
    "BA-GRD": (
        "in_course",
        date(2026, 1, 12),
        {
            "course_started_on": date(2026, 1, 12),
            "course_end_planned": date(2026, 7, 17),
            "provider": "BFZ-BA",
            "benefit_status": "sgb2",
        },
    ),
    # entitlement (ABH) lapsing 01.07.: ABH and the migration counselling (MBE, 36 years old)
    "BA-LAP": ("entitled", date(2025, 7, 1), {"entitled_on": date(2025, 7, 1), "entitled_by": "ABH"}),
    # Berufssprachkurs registered 20.04. with the bfz, issued by the Agentur: start due 18.05.
    "BA-BSK": (
        "bsk_registered",
        date(2026, 4, 20),
        {"bsk_registered_on": date(2026, 4, 20), "bsk_issuer": "AA", "bsk_provider": "BFZ-BA", "dtz_level": "B1"},
    ),
}


def build(session: Session, model: ProcessModel, *, full_names: bool = False) -> Region:
    region = make_region(session)
    region.full_names_in_email = full_names
    session.add(region)
    session.commit()
    for ref, (stage, since, facts) in PARTICIPANTS.items():
        make_participant(session, region, model, ref=ref, stage=stage, since=since, birth_year=1990, **facts)
    return region
