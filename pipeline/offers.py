"""The region's offer overview besides the courses (Angebotsübersicht): counselling (MBE, JMD,
Flüchtlings- und Integrationsberatung), integration guides and volunteer groups, childcare.

Read one way (`list_offers`, shared by CLI, web, the public page, the brochure and the
conference report) and written one way (`replace_offers`: a file replaces the region's
overview, all or nothing). Offers are published: they name organisations, never a person
being counselled."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, delete, insert, text

from pipeline.labels import OFFER_KINDS
from pipeline.reads import fetch
from process_models import ProcessModel

if TYPE_CHECKING:
    from pipeline.importing import Column


def offer_columns() -> tuple[Column, ...]:
    """The columns of an offer file (German headers; `art` takes a code or the German name; every
    text at most 120 characters, as in every import).
    Built when a file is read: listing offers never loads the import machinery (and its ORM)."""
    from pipeline.importing import Column  # noqa: PLC0415

    return (
        Column("art", "kind", "text", True, ("angebotsart", "typ")),
        Column("name", "name", "text", True, ("angebot",)),
        Column("traeger", "provider", "text", aliases=("träger", "anbieter")),
        Column("adresse", "address", "text", aliases=("strasse", "straße", "anschrift")),
        Column("plz", "postcode", "postcode"),
        Column("ort", "place", "text"),
        Column("telefon", "phone", "phone", aliases=("tel",)),
        Column("email", "email", "email", aliases=("e_mail", "mail")),
        Column("web", "website", "text", aliases=("website", "internet")),
        Column("zeiten", "hours", "text", aliases=("oeffnungszeiten", "öffnungszeiten", "sprechzeiten")),
        Column("sprachen", "languages", "text"),
        Column("gemeinden", "municipalities", "text", aliases=("einzugsgebiet",)),
        Column("hinweis", "note", "text", aliases=("bemerkung",)),
    )


@dataclass(frozen=True, slots=True)
class OfferRow:
    kind: str
    name: str
    provider: str = ""
    address: str = ""
    postcode: str = ""
    place: str = ""
    phone: str = ""
    email: str = ""
    website: str = ""
    hours: str = ""
    languages: tuple[str, ...] = ()
    municipalities: tuple[str, ...] = ()
    note: str = ""

    @property
    def kind_label(self) -> str:
        return OFFER_KINDS.get(self.kind, self.kind)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data.update(
            kind_label=self.kind_label, languages=list(self.languages), municipalities=list(self.municipalities)
        )
        return data


def _kind(text_value: str) -> str | None:
    wanted = text_value.strip().casefold()
    return next(
        (
            code
            for code, label in OFFER_KINDS.items()
            if wanted in (code, label.casefold(), label.split(" (")[0].casefold())
        ),
        None,
    )


def _list(value: str | None) -> tuple[str, ...]:
    return tuple(part.strip() for part in re.split(r"[;,]", value or "") if part.strip())


def parse_offers(path: Path, model: ProcessModel, *, max_bytes: int) -> list[OfferRow]:
    """Every offer of the file, or ImportFailed naming each problem by line and column."""
    from pipeline.importing import ImportFailed, RowError, map_headers, parse_rows  # noqa: PLC0415
    from pipeline.tabular import read_table  # noqa: PLC0415

    table = read_table(path, max_bytes=max_bytes)
    mapping, errors = map_headers(table, offer_columns())
    if errors:
        raise ImportFailed(errors)
    headers = {column.target: table.headers[index] for index, column in mapping.items()}
    offers: list[OfferRow] = []
    seen: dict[tuple[str, str, str], int] = {}
    for line, values in parse_rows(
        table, mapping, model, lambda column: "str" if column.kind == "text" else column.kind, errors
    ):
        if not values.get("kind") or not values.get("name"):
            continue
        kind = _kind(values["kind"])
        if kind is None:
            known = ", ".join(f"{code} ({label})" for code, label in OFFER_KINDS.items())
            errors.append(RowError(line, headers["kind"], values["kind"], f"unbekannte Angebotsart (bekannt: {known})"))
            continue
        key = (kind, values["name"].casefold(), (values.get("place") or "").casefold())
        if key in seen:
            errors.append(
                RowError(
                    line, headers["name"], values["name"], f"Angebot kommt doppelt vor (zuerst in Zeile {seen[key]})"
                )
            )
            continue
        seen[key] = line
        offers.append(
            OfferRow(
                kind=kind,
                name=values["name"],
                provider=values.get("provider") or "",
                address=values.get("address") or "",
                postcode=values.get("postcode") or "",
                place=values.get("place") or "",
                phone=values.get("phone") or "",
                email=values.get("email") or "",
                website=values.get("website") or "",
                hours=values.get("hours") or "",
                languages=_list(values.get("languages")),
                municipalities=_list(values.get("municipalities")),
                note=values.get("note") or "",
            )
        )
    if errors:
        raise ImportFailed(sorted(errors, key=lambda error: error.row))
    if not offers:
        raise ImportFailed([RowError(0, "", "", "die Datei enthält kein Angebot")])
    return offers


def replace_offers(conn: Connection, region_id: int, offers: Sequence[OfferRow]) -> int:
    """The region's overview becomes `offers` (in the caller's transaction: all or nothing)."""
    from pipeline.database import table_of  # noqa: PLC0415
    from pipeline.tables import Offer  # noqa: PLC0415 – the ORM only where offers are written

    table = table_of(Offer)
    conn.execute(delete(table).where(table.c.region_id == region_id))
    if offers:
        from pipeline.database import utcnow  # noqa: PLC0415

        now = utcnow()
        conn.execute(
            insert(table),
            [
                {
                    **asdict(o),
                    "languages": list(o.languages),
                    "municipalities": list(o.municipalities),
                    "region_id": region_id,
                    "updated_at": now,
                }
                for o in offers
            ],
        )
    return len(offers)


def list_offers(conn: Connection, region_id: int) -> list[OfferRow]:
    """The region's offers by kind (in the order of OFFER_KINDS), then place and name."""
    import orjson  # noqa: PLC0415

    rows = fetch(
        conn,
        text(
            "SELECT kind, name, provider, address, postcode, place, phone, email, website, hours, languages, "
            "municipalities, note FROM offer WHERE region_id = :region"
        ),
        {"region": region_id},
    )
    order = {code: index for index, code in enumerate(OFFER_KINDS)}
    result = []
    for kind, name, provider, address, postcode, place, phone, email, website, hours, langs, places, note in rows:
        languages, municipalities = (
            orjson.loads(v) if isinstance(v, str | bytes) else v or [] for v in (langs, places)
        )
        result.append(
            OfferRow(
                kind, name, provider, address, postcode, place, phone, email, website, hours,
                tuple(languages), tuple(municipalities), note,
            )
        )  # fmt: skip
    return sorted(result, key=lambda o: (order.get(o.kind, len(order)), o.place, o.name))
