"""`foerderkette offers import|list` and `foerderkette konferenz report` as a subprocess: an
offer file replaces the region's overview all or nothing, with German errors by line and column;
the report and the brochure name no participant (no reference, no name, no contact)."""

from __future__ import annotations

import json
from pathlib import Path

from pypdf import PdfReader
from sqlalchemy import create_engine, text

from tests.cli.test_documents_cli import _weasyprint
from tests.conftest import CliRunner

AS_OF = "2026-11-20"
HEADER = "art;name;traeger;adresse;plz;ort;telefon;email;web;zeiten;sprachen;gemeinden;hinweis"
GOOD = [
    "mbe;MBE Bamberg;Caritas;Obere Königstraße 4;96052;Bamberg;0951 1234;mbe@caritas-bamberg.example;;Mo–Do 9–12 Uhr;Deutsch, Arabisch;Bamberg, Hallstadt;",
    "Kinderbetreuung;Kurskita Hirschaid;Kita-Verbund;Schulstraße 2;96114;Hirschaid;;kita@hirschaid.example;;vormittags;Deutsch;Hirschaid;Für Kinder der Kursteilnehmenden",
]


def _personal(cli_env: dict[str, str]) -> list[str]:
    engine = create_engine(cli_env["FOERDERKETTE_DATABASE_URL"])
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT ref, first_name, last_name, email, phone FROM participant")).all()
    engine.dispose()
    found = []
    for ref, first, last, email, phone in rows:
        found += [ref, f"{first} {last}", f"{last}, {first}", *(value for value in (email, phone) if value)]
    return found


def test_offers_import_list_and_the_conference_report(
    run_cli: CliRunner, tmp_path: Path, cli_env: dict[str, str]
) -> None:
    assert run_cli("demo", "--participants", "400", "--regions", "1", "--seed", "3", "--as-of", AS_OF).returncode == 0
    demo = json.loads(run_cli("offers", "list", "--region", "BY-BA", "--format", "json").stdout)
    assert len(demo) >= 6 and {o["kind"] for o in demo} >= {
        "mbe",
        "jmd",
        "fib",
        "lotsen",
        "ehrenamt",
        "kinderbetreuung",
    }

    bad = tmp_path / "angebote-fehler.csv"
    bad.write_text(
        "\n".join(
            [
                HEADER,
                GOOD[0],
                "Beratungsstelle;Irgendwas;;;;;;;;;;;",
                "mbe;;;;;;;;;;;;",
                "jmd;JMD;;;;;;keine-adresse;;;;;",
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    refused = run_cli("offers", "import", str(bad), "--region", "BY-BA")
    assert refused.returncode == 1
    assert "angebote-fehler.csv: Import abgebrochen, nichts gespeichert" in refused.stderr
    assert "Zeile 3, Spalte 'art', Wert 'Beratungsstelle': unbekannte Angebotsart" in refused.stderr
    assert "Zeile 4, Spalte 'name': Pflichtangabe fehlt" in refused.stderr
    assert "Zeile 5, Spalte 'email', Wert 'keine-adresse'" in refused.stderr
    # nothing written: the demo's overview stands
    assert json.loads(run_cli("offers", "list", "--region", "BY-BA", "--format", "json").stdout) == demo

    good = tmp_path / "angebote.csv"
    good.write_text("\n".join([HEADER, *GOOD]) + "\n", encoding="utf-8")
    done = run_cli("offers", "import", str(good), "--region", "BY-BA")
    assert done.returncode == 0, done.stderr
    assert "2 Angebote für BY-BA eingelesen" in done.stdout
    now = json.loads(run_cli("offers", "list", "--region", "BY-BA", "--format", "json").stdout)
    assert [o["name"] for o in now] == ["MBE Bamberg", "Kurskita Hirschaid"]
    assert now[0]["languages"] == ["Deutsch", "Arabisch"] and now[1]["kind_label"] == "Kinderbetreuung"
    listed = run_cli("offers", "list", "--region", "BY-BA")
    assert "Migrationsberatung für Erwachsene (MBE)" in listed.stdout and "mbe" not in listed.stdout.split()

    report = run_cli("konferenz", "report", "--region", "BY-BA", "--period", "2026-H2", "--as-of", AS_OF)
    assert report.returncode == 0, report.stderr
    html = report.stdout
    assert "Integrationskonferenz – Situationsanalyse 2. Halbjahr 2026" in html
    for part in (
        "Teilnehmende nach Stufe",
        "nach Altersgruppe",
        "nach Kursart",
        "Besondere Bedarfe",
        "Übergang binnen 6 Monaten",
        "Angebotsübersicht",
        "MBE Bamberg",
        "Kurskita Hirschaid",
    ):
        assert part in html, part
    assert "Halbjahr davor" in html and "Herkunft" in html
    leaked = [value for value in _personal(cli_env) if value in html]
    assert leaked == [], leaked[:5]
    wrong = run_cli("konferenz", "report", "--region", "BY-BA", "--period", "2026-3")
    assert wrong.returncode == 1 and "Halbjahr als JJJJ-H1 oder JJJJ-H2" in wrong.stderr


def test_report_and_brochure_as_pdf(run_cli: CliRunner, tmp_path: Path, cli_env: dict[str, str]) -> None:
    _weasyprint()
    assert run_cli("demo", "--participants", "300", "--regions", "1", "--seed", "5", "--as-of", AS_OF).returncode == 0
    report, brochure = tmp_path / "konferenz.pdf", tmp_path / "angebote.pdf"
    assert (
        run_cli(
            "konferenz",
            "report",
            "--region",
            "BY-BA",
            "--period",
            "2026-H2",
            "--as-of",
            AS_OF,
            "--format",
            "pdf",
            "-o",
            str(report),
        ).returncode
        == 0
    )
    assert run_cli("offers", "list", "--region", "BY-BA", "--format", "pdf", "-o", str(brochure)).returncode == 0
    personal = _personal(cli_env)
    for pdf, title in ((report, "Integrationskonferenz – Situationsanalyse"), (brochure, "Angebote für Zugewanderte")):
        reader = PdfReader(pdf)
        pages = [page.extract_text() for page in reader.pages]
        words = " ".join(" ".join(pages).split())
        assert title in words and f"Seite 1 von {len(pages)}" in words
        assert "Migrationsberatung für Erwachsene" in words
        assert [value for value in personal if value in words] == []
