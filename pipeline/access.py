"""Who may see and do what in the web UI.

coordinator: everything in their region. readonly: the same, without changing anything.
agency: only participants for whom their agency is or was responsible, without contact data,
and may record only events their agency records.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from pipeline.reads import fact_sql
from process_models.spec import EventSpec

#: Facts that name the agency (by type) that obliged, entitled, issued or runs something.
AGENCY_FACTS = ("obliged_by", "entitled_by", "bsk_issuer", "measure_agency")
#: Facts that name a specific Kursträger (by code).
PROVIDER_FACTS = ("provider", "bsk_provider")


@dataclass(frozen=True)
class Viewer:
    user_id: int
    username: str
    display_name: str
    role: str
    region_id: int
    region_code: str
    agency_type: str | None = None
    agency_code: str | None = None
    agency_name: str | None = None

    @property
    def can_edit(self) -> bool:
        return self.role in ("coordinator", "agency")

    @property
    def is_agency(self) -> bool:
        return self.role == "agency"

    @property
    def sees_contact_data(self) -> bool:
        return not self.is_agency

    @property
    def sees_needs(self) -> bool:
        return not self.is_agency or self.agency_type in ("KT", "MBE", "JMD", "KOM")

    @property
    def label(self) -> str:
        return f"{self.display_name} ({self.agency_name})" if self.agency_name else self.display_name

    def may_record(self, event: EventSpec) -> bool:
        if self.role == "coordinator":
            return True
        return self.is_agency and (self.agency_type == "KOM" or self.agency_type in event.actors)

    def recording_agency(self, chosen: str | None) -> str | None:
        """The agency an event is recorded for: an agency user's own, a coordinator's choice."""
        return self.agency_type if self.is_agency else (chosen or "KOM")


def can_see(
    viewer: Viewer,
    *,
    region_id: int,
    facts: Mapping[str, Any],
    steps: Iterable[Mapping[str, Any]],
    history_agencies: Iterable[str | None],
) -> bool:
    """May `viewer` open this participant's record?"""
    if region_id != viewer.region_id:
        return False
    if not viewer.is_agency:
        return True
    kind, code = viewer.agency_type, viewer.agency_code
    if kind == "KT":
        return any(facts.get(name) == code for name in PROVIDER_FACTS) or any(
            f"KT:{code}" in step.get("responsible", []) for step in steps
        )
    return (
        any(facts.get(name) == kind for name in AGENCY_FACTS)
        or any(kind in [ref.split(":", 1)[0] for ref in step.get("responsible", [])] for step in steps)
        or kind in set(history_agencies)
    )


def visibility_sql(viewer: Viewer, dialect: str) -> tuple[str, dict[str, Any]]:
    """The same rule as `can_see`, as a WHERE fragment over participant `p` (region included)."""
    where = "p.region_id = :vis_region"
    params: dict[str, Any] = {"vis_region": viewer.region_id}
    if not viewer.is_agency:
        return where, params
    steps = "p.open_steps" if dialect == "sqlite" else "CAST(p.open_steps AS TEXT)"
    if viewer.agency_type == "KT":
        providers = " OR ".join(f"{fact_sql(dialect, name)} = :vis_code" for name in PROVIDER_FACTS)
        params.update(vis_code=viewer.agency_code, vis_ref=f'%"KT:{viewer.agency_code}"%')
        return f"{where} AND ({providers} OR {steps} LIKE :vis_ref)", params
    facts = " OR ".join(f"{fact_sql(dialect, name)} = :vis_type" for name in AGENCY_FACTS)
    params.update(
        vis_type=viewer.agency_type, vis_like=f'%"{viewer.agency_type}"%', vis_like_code=f'%"{viewer.agency_type}:%'
    )
    history = "EXISTS (SELECT 1 FROM stage_change sc WHERE sc.participant_id = p.id AND sc.by_agency = :vis_type)"
    return f"{where} AND ({facts} OR {steps} LIKE :vis_like OR {steps} LIKE :vis_like_code OR {history})", params
