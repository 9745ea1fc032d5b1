"""Who may see and do what: the viewer and the one visibility rule.

coordinator: everything in their region. readonly: the same, without changing anything.
agency: only participants for whom their agency is or was responsible, without contact data,
and may record only events their agency records. Which participants a viewer sees is defined
once, as a WHERE fragment (`visible_participants`): listings filter with it, and opening one
record is the same query for that one reference (`pipeline.reads.participant_detail`).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, bindparam, text

from pipeline.reads import Scope, fact_sql, json_text_sql
from process_models.spec import EventSpec, ProcessModel
from process_models.state import AgencyRef


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

    @classmethod
    def of_agency(
        cls,
        *,
        username: str,
        display_name: str,
        region_id: int,
        region_code: str,
        agency_type: str,
        agency_code: str,
        agency_name: str,
    ) -> Viewer:
        """Someone acting for an agency without a login (an e-mail's recipient, the answer link):
        the coordination's staff as the coordinator, everyone else as their agency."""
        coordination = agency_type == "KOM"
        return cls(
            user_id=0,
            username=username,
            display_name=display_name,
            role="coordinator" if coordination else "agency",
            region_id=region_id,
            region_code=region_code,
            agency_type=None if coordination else agency_type,
            agency_code=None if coordination else agency_code,
            agency_name=agency_name,
        )

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
        return self.is_agency and event.recordable_by(self.agency_type)

    def may_hold(self, responsible: Sequence[str]) -> bool:
        """Whether the viewer may mark a step with these responsibility refs ("KT:VHS-BA", "JC")
        "in Bearbeitung": the coordination, or a responsible agency (a Kursträger only its own)."""
        if self.role == "coordinator":
            return True
        if not self.is_agency:
            return False
        return any(
            ref.type == self.agency_type and ref.code in (None, self.agency_code)
            for ref in map(AgencyRef.parse, responsible)
        )

    def recording_agency(self, chosen: str | None) -> str | None:
        """The agency an event is recorded for: an agency user's own, a coordinator's choice."""
        return self.agency_type if self.is_agency else (chosen or "KOM")


def visible_participants(viewer: Viewer, dialect: str, model: ProcessModel) -> Scope:
    """The participants `viewer` may see, as a WHERE fragment over participant `p` (region included).

    Which facts name a responsible agency or a Kursträger the model says by their types
    (`agency`, `agencies`, `provider`), so a fact added to the model is covered without a change here.
    """
    where = "p.region_id = :vis_region"
    params: dict[str, Any] = {"vis_region": viewer.region_id}
    if not viewer.is_agency:
        return where, params
    steps = json_text_sql(dialect, "p.open_steps")
    if viewer.agency_type == "KT":
        providers = " OR ".join(f"{fact_sql(dialect, name)} = :vis_code" for name in model.facts_of_type("provider"))
        params.update(vis_code=viewer.agency_code, vis_ref=f'%"KT:{viewer.agency_code}"%')
        return f"{where} AND ({providers} OR {steps} LIKE :vis_ref)", params
    facts = " OR ".join(
        [f"{fact_sql(dialect, name)} = :vis_type" for name in model.facts_of_type("agency")]
        + [f"{fact_sql(dialect, name)} LIKE :vis_like" for name in model.facts_of_type("agencies")]
    )
    params.update(
        vis_type=viewer.agency_type, vis_like=f'%"{viewer.agency_type}"%', vis_like_code=f'%"{viewer.agency_type}:%'
    )
    history = "EXISTS (SELECT 1 FROM stage_change sc WHERE sc.participant_id = p.id AND sc.by_agency = :vis_type)"
    return f"{where} AND ({facts} OR {steps} LIKE :vis_like OR {steps} LIKE :vis_like_code OR {history})", params


def visible_refs(connection: Connection, viewer: Viewer, model: ProcessModel, refs: Collection[str]) -> set[str]:
    """Which of `refs` (a document's persons) `viewer` may see: the same rule as every listing."""
    if not refs:
        return set()
    where, params = visible_participants(viewer, connection.dialect.name, model)
    statement = text(f"SELECT p.ref FROM participant p WHERE {where} AND p.ref IN :refs").bindparams(
        bindparam("refs", expanding=True)
    )
    return {row[0] for row in connection.execute(statement, {**params, "refs": sorted(refs)})}
