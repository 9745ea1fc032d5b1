"""`foerderkette users …`: accounts for the web UI, passwords never on the command line."""

from __future__ import annotations

import json

from sqlalchemy import Engine
from sqlmodel import Session

from foerderkette.users import authenticate
from tests.conftest import CliRunner
from tests.factories import make_region


def test_users_add_list_passwd_and_deactivate(run_cli: CliRunner, engine: Engine) -> None:
    with Session(engine) as session:
        make_region(session)
    added = run_cli(
        "users",
        "add",
        "a.schmidt",
        "--region",
        "BY-BA",
        "--role",
        "agency",
        "--agency",
        "JC-BA",
        "--name",
        "Anna Schmidt",
        "--password-stdin",
        input_text="erstes-Passwort-123\n",
    )
    assert added.returncode == 0, added.stderr
    assert "Benutzer a.schmidt angelegt: agency in BY-BA für JC-BA" in added.stdout
    changed = run_cli("users", "passwd", "a.schmidt", "--password-stdin", input_text="zweites-Passwort-456\n")
    assert changed.returncode == 0, changed.stderr
    with Session(engine) as session:
        assert authenticate(session=session, username="a.schmidt", password="erstes-Passwort-123") is None
        assert authenticate(session=session, username="a.schmidt", password="zweites-Passwort-456") is not None
    assert run_cli("users", "deactivate", "a.schmidt").returncode == 0
    listed = json.loads(run_cli("users", "list", "--format", "json").stdout)
    assert listed == [
        {
            "username": "a.schmidt",
            "name": "Anna Schmidt",
            "role": "agency",
            "region": "BY-BA",
            "agency": "JC-BA",
            "active": False,
            "last_login": None,
        }
    ]
    with Session(engine) as session:
        assert authenticate(session=session, username="a.schmidt", password="zweites-Passwort-456") is None


def test_users_add_refuses_bad_input_before_asking_for_a_password(run_cli: CliRunner, engine: Engine) -> None:
    with Session(engine) as session:
        make_region(session)
    no_agency = run_cli("users", "add", "jc-user", "--region", "BY-BA", "--role", "agency")
    assert no_agency.returncode == 1
    assert "muss eine Stelle angegeben werden (--agency)" in no_agency.stderr
    no_tty = run_cli("users", "add", "leser", "--region", "BY-BA", "--role", "readonly")
    assert no_tty.returncode == 1 and "--password-stdin" in no_tty.stderr
    short = run_cli(
        "users", "add", "leser", "--region", "BY-BA", "--role", "readonly", "--password-stdin", input_text="kurz\n"
    )
    assert short.returncode == 1 and "mindestens 12 Zeichen" in short.stderr
    unknown = run_cli(
        "users",
        "add",
        "leser",
        "--region",
        "BY-BA",
        "--role",
        "agency",
        "--agency",
        "XX-BA",
        "--password-stdin",
        input_text="langes-Passwort-123\n",
    )
    assert unknown.returncode == 1 and "Stelle 'XX-BA' gibt es in Region BY-BA nicht" in unknown.stderr
    assert json.loads(run_cli("users", "list", "--format", "json").stdout) == []


def test_users_add_and_passwd_refuse_a_weak_password(run_cli: CliRunner, engine: Engine) -> None:
    """Issue 20 (finding 7)."""
    run_cli("demo", "--participants", "10", "--regions", "1", "--seed", "3")
    for weak, why in (("password1234", "häufig verwendetes"), ("a.weber-2026!", "Benutzernamen")):
        refused = run_cli(
            "users",
            "add",
            "a.weber",
            "--region",
            "BY-BA",
            "--role",
            "readonly",
            "--password-stdin",
            input_text=weak + "\n",
        )
        assert refused.returncode == 1 and why in refused.stderr
    added = run_cli(
        "users",
        "add",
        "a.weber",
        "--region",
        "BY-BA",
        "--role",
        "readonly",
        "--password-stdin",
        input_text="Tomate Fahrrad Wolke\n",
    )
    assert added.returncode == 0, added.stderr
    weak = run_cli("users", "passwd", "a.weber", "--password-stdin", input_text="123456789012\n")
    assert weak.returncode == 1 and "leicht zu erraten" in weak.stderr
