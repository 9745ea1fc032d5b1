"""End to end in a real headless Chromium: log in, pipeline, record a course start, timeline, agenda.

Screenshots of every page go to test-artifacts/screenshots/ so a person can look at them.
Needs the Debian packages chromium (and chromium-driver); `.ci/run` installs them. Without a browser the
test is skipped, unless FOERDERKETTE_REQUIRE_PROGRAMS=1 (set by CI) makes that a failure.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import ROOT, require_program
from tests.smtp import free_port
from tests.web.conftest import PASSWORD, World, screenshots_dir

pytestmark = pytest.mark.browser

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _chromium() -> str:
    return require_program("chromium", "chromium-browser", "google-chrome", install="chromium chromium-driver")


@pytest.fixture(scope="module")
def server(world: World, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`foerderkette serve` as a user starts it, on the test database."""
    port = free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith("FOERDERKETTE_")}
    env.update(
        FOERDERKETTE_DATABASE_URL=world.settings.database_url,
        FOERDERKETTE_SECRET_KEY=world.settings.secret_key,
        FOERDERKETTE_COOKIE_SECURE="false",
        FOERDERKETTE_OVERRIDES_DIR=str(world.settings.overrides_dir),
        FOERDERKETTE_SCHEDULER="false",
        PYTHONPATH=str(ROOT),
    )
    log = tmp_path_factory.mktemp("serve") / "serve.log"
    process = subprocess.Popen(
        [sys.executable, "-m", "foerderkette", "serve", "--port", str(port)],
        env=env,
        cwd=ROOT,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            httpx.get(f"{base}/health", timeout=1)
            break
        except httpx.HTTPError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"serve did not start:\n{log.read_text()}") from None
            time.sleep(0.2)
    yield base
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=30)


def test_coordinator_works_through_the_ui(server: str) -> None:
    from playwright.sync_api import expect, sync_playwright

    executable = _chromium()
    shots: Path = screenshots_dir()
    errors: list[str] = []
    with sync_playwright() as playwright, tempfile.TemporaryDirectory(prefix="chromium-") as profile:
        context = playwright.chromium.launch_persistent_context(
            profile,
            executable_path=executable,
            headless=True,
            args=CHROMIUM_FLAGS,
            viewport={"width": 1366, "height": 900},
            locale="de-DE",
        )
        try:
            page = context.new_page()
            page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
            page.on("pageerror", lambda error: errors.append(str(error)))

            page.goto(f"{server}/pipeline")
            expect(page).to_have_url(f"{server}/login?weiter=/pipeline")
            page.screenshot(path=shots / "01-anmelden.png")
            page.get_by_label("Benutzername").fill("koord")
            page.get_by_label("Passwort").fill(PASSWORD)
            page.get_by_role("button", name="Anmelden").click()

            expect(page.get_by_role("heading", level=1)).to_have_text("Pipeline – Landkreis Bamberg")
            page.screenshot(path=shots / "02-pipeline.png", full_page=True)
            page.locator('.board a[href="/pipeline?stufe=registered"]').click()
            expect(page).to_have_url(f"{server}/pipeline?stufe=registered")
            page.get_by_label("Suche").fill("T-KT-1")
            page.get_by_role("button", name="Filtern").click()
            page.get_by_role("link", name="T-KT-1").click()

            expect(page.get_by_role("heading", level=1)).to_contain_text("T-KT-1")
            expect(page.locator(".lead")).to_contain_text("Angemeldet")
            page.screenshot(path=shots / "03-teilnehmende.png", full_page=True)
            page.locator("summary", has_text="Kurs begonnen").click()
            form = page.locator("details.event[open] form")
            form.locator("select[name=f_course_id]").select_option(index=1)
            form.get_by_label("Notiz").fill("Start im Abendkurs")
            form.get_by_role("button", name="„Kurs begonnen“ erfassen").click()

            expect(page.get_by_role("status")).to_contain_text("„Kurs begonnen“ wurde erfasst.")
            expect(page.locator(".lead")).to_contain_text("Im Kurs")
            first_row = page.locator("#timeline-title + table tbody tr").first
            expect(first_row).to_contain_text("Kurs begonnen")
            expect(first_row).to_contain_text("Angemeldet → Im Kurs")
            expect(first_row).to_contain_text("koord")
            expect(first_row).to_contain_text("Start im Abendkurs")
            page.screenshot(path=shots / "04-teilnehmende-nach-kursbeginn.png", full_page=True)

            page.get_by_role("navigation", name="Hauptnavigation").get_by_role("link", name="Jour fixe").click()
            expect(page.get_by_role("heading", name="Terminreihen")).to_be_visible()
            page.screenshot(path=shots / "05-jourfixe.png", full_page=True)
            with context.expect_page() as opened:
                page.get_by_role("link", name="Tagesordnung mit heutigem Datenstand öffnen").click()
            agenda = opened.value
            agenda.wait_for_load_state()
            expect(agenda.get_by_role("heading", level=1)).to_contain_text("Tagesordnung")
            agenda.screenshot(path=shots / "06-tagesordnung.png", full_page=True)
            agenda.close()

            for number, (name, path) in enumerate(
                [("kurse", "/kurse"), ("postausgang", "/postausgang"), ("prozess", "/prozess")], start=7
            ):
                page.goto(f"{server}{path}")
                expect(page.locator("main h1")).to_be_visible()
                page.screenshot(path=shots / f"{number:02d}-{name}.png", full_page=True)

            page.get_by_role("button", name="Abmelden").click()
            expect(page).to_have_url(f"{server}/login")
        finally:
            context.close()
    assert not errors, f"browser console errors (CSP, missing assets, scripts): {errors}"
    assert len(list(shots.glob("*.png"))) >= 9
