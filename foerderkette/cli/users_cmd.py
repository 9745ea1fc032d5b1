"""`foerderkette users add|list|passwd|deactivate|activate`: accounts for the web UI.

Imports inside the handlers are on purpose: every command module is imported for `--help`,
which must not pay for SQLAlchemy, SQLModel, Prefect or openpyxl (0.3–1.3 s each, measured).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from foerderkette.cli.base import CliError, add_command, print_json, print_table, read_connection


def register(sub: Any) -> None:
    users = sub.add_parser(
        "users",
        help="Benutzerkonten der Weboberfläche verwalten",
        description=(
            "Benutzerkonten anlegen und pflegen. Rollen: coordinator (alles in der Region), "
            "agency (nur Fälle der eigenen Stelle, Ereignisse der eigenen Stelle), readonly (nur lesen).\n"
            "Passwörter werden nie als Argument übergeben: sie werden abgefragt oder mit --password-stdin gelesen."
        ),
    )
    actions = users.add_subparsers(title="Aktionen", metavar="AKTION", required=True, parser_class=type(users))
    add = add_command(actions, "add", "Benutzer anlegen", _add)
    add.add_argument("username", help="Benutzername (Kleinbuchstaben, Ziffern, . _ -)")
    add.add_argument("--region", required=True, help="Region, z. B. BY-BA")
    add.add_argument("--role", required=True, choices=("coordinator", "agency", "readonly"), help="Rolle")
    add.add_argument("--agency", help="Kürzel der Stelle (Pflicht für die Rolle agency), z. B. JC-BA")
    add.add_argument("--name", default="", help="Anzeigename, z. B. „Anna Schmidt (Jobcenter)“")
    add.add_argument("--password-stdin", action="store_true", help="Passwort aus der ersten Zeile der Standardeingabe")
    listing = add_command(actions, "list", "Benutzer anzeigen", _list)
    listing.add_argument("--region", help="nur diese Region")
    listing.add_argument("--format", choices=("table", "json"), default="table")
    passwd = add_command(actions, "passwd", "Passwort neu setzen", _passwd)
    passwd.add_argument("username")
    passwd.add_argument(
        "--password-stdin", action="store_true", help="Passwort aus der ersten Zeile der Standardeingabe"
    )
    for name, text, active in (("deactivate", "Benutzer sperren", False), ("activate", "Benutzer entsperren", True)):
        toggle = add_command(actions, name, text, _set_active)
        toggle.add_argument("username")
        toggle.set_defaults(active=active)
    logout = add_command(actions, "logout-all", "alle Sitzungen eines Benutzers sofort beenden", _logout_all)
    logout.add_argument("username")


def _read_password(args: argparse.Namespace) -> str:
    from foerderkette.users import MIN_PASSWORD  # noqa: PLC0415

    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        import getpass  # noqa: PLC0415

        if not sys.stdin.isatty():
            raise CliError("Kein Terminal für die Passwortabfrage – Passwort mit --password-stdin übergeben")
        password = getpass.getpass(f"Passwort (mindestens {MIN_PASSWORD} Zeichen): ")
        if getpass.getpass("Passwort wiederholen: ") != password:
            raise CliError("Die Passwörter stimmen nicht überein")
    if len(password) < MIN_PASSWORD:
        raise CliError(f"Das Passwort muss mindestens {MIN_PASSWORD} Zeichen haben")
    return password


def _actor() -> str:
    import getpass  # noqa: PLC0415

    return f"cli:{getpass.getuser()}"


def _add(args: argparse.Namespace) -> int:
    from foerderkette.app import App  # noqa: PLC0415
    from foerderkette.settings import Settings  # noqa: PLC0415
    from foerderkette.users import UserError, check_account, create_user  # noqa: PLC0415
    from pipeline.reads import NotFound  # noqa: PLC0415
    from pipeline.repository import find_agency, get_region, record_audit  # noqa: PLC0415

    try:
        check_account(args.username, args.role, has_agency=bool(args.agency))
    except UserError as exc:
        raise CliError(str(exc)) from None
    password = _read_password(args)
    app = App(Settings.from_env())
    try:
        with app.session() as session:
            region = get_region(session=session, code=args.region)
            agency = find_agency(session=session, region=region, code=args.agency) if args.agency else None
            user = create_user(
                session=session,
                username=args.username,
                display_name=args.name,
                password=password,
                role=args.role,
                region=region,
                agency=agency,
            )
            record_audit(
                session=session,
                actor=_actor(),
                action="user_add",
                region_id=region.id,
                detail=f"{user.username} ({user.role}{', ' + agency.code if agency else ''})",
                source="cli",
            )
    except (UserError, NotFound) as exc:
        raise CliError(str(exc)) from None
    finally:
        app.dispose()
    print(
        f"Benutzer {user.username} angelegt: {args.role} in {args.region}{' für ' + args.agency if args.agency else ''}"
    )
    return 0


def _list(args: argparse.Namespace) -> int:
    from sqlalchemy import Boolean  # noqa: PLC0415 - SQLAlchemy: not for --help

    from pipeline.database import UTCDateTime  # noqa: PLC0415
    from pipeline.labels import USER_ROLES  # noqa: PLC0415
    from pipeline.reads import fetch, typed  # noqa: PLC0415

    sql = (
        "SELECT u.username, u.display_name, u.role, r.code, a.code, u.active, u.last_login_at "
        "FROM app_user u JOIN region r ON r.id = u.region_id LEFT JOIN agency a ON a.id = u.agency_id"
    )
    params: dict[str, Any] = {}
    if args.region:
        sql += " WHERE r.code = :region"
        params["region"] = args.region
    with read_connection() as conn:
        rows = fetch(
            conn,
            typed(sql + " ORDER BY r.code, u.username", columns={"active": Boolean, "last_login_at": UTCDateTime()}),
            params,
        )
    records = [
        {
            "username": username,
            "name": name,
            "role": role,
            "region": region,
            "agency": agency,
            "active": bool(active),
            "last_login": last.isoformat(sep=" ")[:16] if last else None,
        }
        for username, name, role, region, agency, active, last in rows
    ]
    if args.format == "json":
        print_json(records)
    else:
        print_table(
            ["Benutzer", "Name", "Rolle", "Region", "Stelle", "Aktiv", "Letzte Anmeldung (UTC)"],
            [
                [
                    r["username"],
                    r["name"],
                    USER_ROLES.get(str(r["role"]), str(r["role"])),
                    r["region"],
                    r["agency"] or "",
                    "ja" if r["active"] else "gesperrt",
                    r["last_login"] or "",
                ]
                for r in records
            ],
        )
    return 0


def _change(args: argparse.Namespace, action: str, change: Any) -> None:
    from sqlmodel import select  # noqa: PLC0415

    from foerderkette.app import App  # noqa: PLC0415
    from foerderkette.settings import Settings  # noqa: PLC0415
    from foerderkette.users import User  # noqa: PLC0415
    from pipeline.repository import record_audit  # noqa: PLC0415

    app = App(Settings.from_env())
    try:
        with app.session() as session:
            user = session.exec(select(User).where(User.username == args.username.strip().lower())).first()
            if user is None:
                raise CliError(f"Benutzer '{args.username}' gibt es nicht")
            change(user)
            session.add(user)
            if action in ENDS_SESSIONS:
                from foerderkette.users import end_sessions  # noqa: PLC0415

                end_sessions(session=session, user=user, reason=ENDS_SESSIONS[action])
            record_audit(
                session=session,
                actor=_actor(),
                action=action,
                region_id=user.region_id,
                detail=user.username,
                source="cli",
            )
    finally:
        app.dispose()


#: changes that end every session of the user at once, with the reason recorded
ENDS_SESSIONS = {
    "user_passwd": "Passwort geändert",
    "user_deactivate": "gesperrt",
    "user_logout_all": "alle Sitzungen beendet",
}


def _logout_all(args: argparse.Namespace) -> int:
    _change(args, "user_logout_all", lambda _user: None)
    print(f"Alle Sitzungen von {args.username} sind beendet.")
    return 0


def _passwd(args: argparse.Namespace) -> int:
    from foerderkette.users import UserError, hash_password  # noqa: PLC0415

    password = _read_password(args)

    def change(user: Any) -> None:
        try:
            user.password_hash = hash_password(password, context=(user.username, user.display_name))
        except UserError as exc:
            raise CliError(str(exc)) from None

    _change(args, "user_passwd", change)
    print(f"Passwort für {args.username} geändert")
    return 0


def _set_active(args: argparse.Namespace) -> int:
    def change(user: Any) -> None:
        user.active = args.active

    _change(args, "user_activate" if args.active else "user_deactivate", change)
    print(f"Benutzer {args.username} {'entsperrt' if args.active else 'gesperrt – bestehende Sitzungen sind beendet'}")
    return 0
