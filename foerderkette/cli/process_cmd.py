"""`foerderkette process show|validate|diagram`.

Imports inside the handlers are on purpose: every command module is imported for `--help`,
which must not pay for SQLAlchemy, SQLModel, Prefect or openpyxl (0.3–1.3 s each, measured).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from foerderkette.cli.base import CliError, add_command, print_json, print_table

if TYPE_CHECKING:
    from process_models import ProcessModel


def register(sub: Any) -> None:
    process = sub.add_parser(
        "process",
        help="Prozessmodell anzeigen, prüfen, zeichnen",
        description="Das Prozessmodell (Referenzprozess) anzeigen, prüfen und zeichnen.",
    )
    actions = process.add_subparsers(title="Aktionen", metavar="AKTION", required=True, parser_class=type(process))

    show = add_command(actions, "show", "Stufen, Ereignisse, Schritte und Parameter anzeigen", _show)
    _model_options(show)
    show.add_argument("--format", choices=("text", "json"), default="text", help="Ausgabeformat (Standard: text)")

    validate = add_command(
        actions,
        "validate",
        "Prozessdefinition und regionale Anpassung prüfen",
        _validate,
        description="Prüft eine Prozessdefinition (Standard: alle mitgelieferten Versionen) und optional eine regionale Anpassung. "
        "Bei Fehlern: jede Fundstelle mit Datei und Zeile, Exit-Code 1.",
    )
    validate.add_argument(
        "file", nargs="?", type=Path, help="Definitionsdatei (Standard: alle unter process_models/definitions/)"
    )
    validate.add_argument(
        "--override", type=Path, metavar="REGION.yaml", help="regionale Anpassung, die mitgeprüft wird"
    )
    validate.add_argument("--land", help="Bundesland für den Kalender (Kürzel, z. B. BY)")

    diagram = add_command(actions, "diagram", "Prozess als Diagramm ausgeben (Mermaid, DOT oder SVG)", _diagram)
    _model_options(diagram)
    diagram.add_argument(
        "--format",
        choices=("mermaid", "dot", "svg"),
        default="mermaid",
        help="Format (Standard: mermaid; svg braucht Graphviz)",
    )
    diagram.add_argument("--output", "-o", type=Path, help="in diese Datei schreiben statt auf die Standardausgabe")


def _model_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--region", help="Regionskürzel; lädt FOERDERKETTE_OVERRIDES_DIR/REGION.yaml, falls vorhanden")
    parser.add_argument("--override", type=Path, metavar="REGION.yaml", help="regionale Anpassung aus dieser Datei")
    parser.add_argument("--version", dest="model_version", help="Modellversion (Standard: die aktuelle)")


def load_for_cli(args: argparse.Namespace) -> ProcessModel:
    from foerderkette.settings import Settings  # noqa: PLC0415
    from process_models.loader import ModelCatalog, definition_paths, load_model  # noqa: PLC0415

    if getattr(args, "override", None):
        paths = {load_model(path).version: path for path in definition_paths()}
        version = args.model_version or max(paths)
        if version not in paths:
            raise CliError(f"Prozessversion '{version}' gibt es nicht (vorhanden: {', '.join(paths)})")
        return load_model(paths[version], override=args.override)
    catalog = ModelCatalog(Settings.from_env().overrides_dir)
    if args.model_version:
        return catalog.get(args.model_version, args.region)
    return catalog.current(args.region)


def _show(args: argparse.Namespace) -> int:
    model = load_for_cli(args)
    if args.format == "json":
        print_json(describe_model(model))
        return 0
    out = sys.stdout
    out.write(
        f"{model.label}\nQuelle: {model.source}"
        + (f" + {model.override_source}" if model.override_source else "")
        + "\n"
    )
    if model.valid_from:
        out.write(f"Gültig ab: {model.valid_from:%d.%m.%Y}\n")
    out.write(
        f"Kalender: Land {model.calendar.land}"
        + (f", {model.calendar.subdivision}" if model.calendar.subdivision else "")
        + "\n\n"
    )
    out.write("STUFEN\n")
    print_table(
        ["Stufe", "Bezeichnung", "Bereich", "Art"],
        [(s.id, s.label, s.group, "Start" if s.start else ("Ende" if s.final else "")) for s in model.stages.values()],
    )
    out.write("\nEREIGNISSE\n")
    print_table(
        ["Ereignis", "Bezeichnung", "Erfasst durch", "Angaben"],
        [
            (
                e.id,
                e.label,
                ", ".join(e.actors),
                ", ".join(f"{f.name}{'*' if f.required else ''}:{f.type}" for f in e.payload),
            )
            for e in model.events.values()
        ],
    )
    out.write("\nOFFENE SCHRITTE\n")
    print_table(
        ["Schritt", "Bezeichnung", "In Stufen", "Zuständig", "Frist"],
        [
            (
                step.id,
                step.label,
                ", ".join(step.stages),
                ", ".join(r.describe() for r in step.responsible),
                "; ".join(f"{rule.anchor} + {rule.offset_ref or rule.offset}" for rule in step.due),
            )
            for step in model.steps.values()
        ],
    )
    out.write("\nPARAMETER (* = regional angepasst)\n")
    print_table(
        ["Parameter", "Wert", "Bedeutung", "Rechtsgrundlage"],
        [(p.name + ("*" if p.overridden else ""), p.display(), p.label, p.source) for p in model.parameters.values()],
    )
    rule = model.reminders
    out.write(
        f"\nERINNERUNGEN (Standard): {rule.lead.label_de()} vorher, am Fälligkeitstag: {'ja' if rule.on_due else 'nein'}, "
        f"zweite Erinnerung nach {rule.repeat_after.label_de()}, Eskalation nach {rule.escalate_after.label_de()}\n"
    )
    return 0


def describe_model(model: ProcessModel) -> dict[str, Any]:
    """The model as JSON-ready data (for `process show --format json` and other tools)."""
    return {
        "model": model.model_id,
        "version": model.version,
        "title": model.title,
        "region": model.region,
        "fingerprint": model.fingerprint,
        "calendar": {"land": model.calendar.land, "subdivision": model.calendar.subdivision},
        "agencies": {code: agency.label for code, agency in model.agencies.items()},
        "stages": [
            {
                "id": s.id,
                "label": s.label,
                "group": s.group,
                "start": s.start,
                "final": s.final,
                "allowed_events": list(model.allowed_events(s.id)),
            }
            for s in model.stages.values()
        ],
        "events": [
            {
                "id": e.id,
                "label": e.label,
                "actors": list(e.actors),
                "payload": [
                    {"name": f.name, "type": f.type, "label": f.label, "required": f.required} for f in e.payload
                ],
            }
            for e in model.events.values()
        ],
        "transitions": [
            {"from": t.source, "event": t.event, "to": t.target, "guarded": bool(t.guard)} for t in model.transitions
        ],
        "steps": [
            {
                "id": step.id,
                "label": step.label,
                "stages": list(step.stages),
                "responsible": [r.describe() for r in step.responsible],
                "due": [{"from": rule.anchor, "after": rule.offset_ref or str(rule.offset)} for rule in step.due],
            }
            for step in model.steps.values()
        ],
        "parameters": {
            p.name: {
                "value": str(p.value) if not isinstance(p.value, bool | int) else p.value,
                "label": p.label,
                "source": p.source,
                "overridden": p.overridden,
            }
            for p in model.parameters.values()
        },
    }


def _validate(args: argparse.Namespace) -> int:
    from process_models.loader import ModelValidationError, definition_paths, load_model  # noqa: PLC0415

    paths = [args.file] if args.file else definition_paths()
    failed = False
    for path in paths:
        try:
            model = load_model(path, override=args.override, land=args.land)
        except ModelValidationError as exc:
            failed = True
            print(f"foerderkette: Fehler: {path.name}: {len(exc.errors)} Problem(e) gefunden", file=sys.stderr)
            for error in exc.errors:
                print(f"  {error}", file=sys.stderr)
            continue
        suffix = f" mit Anpassung {args.override.name}" if args.override else ""
        print(
            f"OK: {model.label}{suffix}: {len(model.stages)} Stufen, {len(model.events)} Ereignisse, "
            f"{len(model.transitions)} Übergänge, {len(model.steps)} Schritte, {len(model.parameters)} Parameter"
        )
    return 1 if failed else 0


def _diagram(args: argparse.Namespace) -> int:
    from process_models.diagram import GraphvizMissing, render  # noqa: PLC0415

    model = load_for_cli(args)
    try:
        text = render(model, args.format)
    except GraphvizMissing as exc:
        raise CliError(str(exc)) from None
    if args.output:
        args.output.write_text(text, encoding="utf-8")
        print(f"Diagramm geschrieben: {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0
