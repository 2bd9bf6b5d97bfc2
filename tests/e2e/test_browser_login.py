"""Browser: a participant signs in on the real server and finds their agency's proposal."""

from __future__ import annotations

import pytest

from tests.conftest import screenshot
from tests.servers import RunningServer
from workspace.services.demo import DEMO_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.server]


def sign_in(page, server: RunningServer, username: str, password: str = DEMO_PASSWORD) -> None:
    page.goto(f"{server.url}/masuk")
    page.get_by_label("Nama pengguna").fill(username)
    page.get_by_label("Kata sandi").fill(password)
    page.get_by_role("button", name="Masuk", exact=True).click()


def test_participant_signs_in_and_sees_their_agency_proposal(browser, browser_server: RunningServer) -> None:
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="id-ID")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)

    sign_in(page, browser_server, "peserta.sambas")
    page.wait_for_url(f"{browser_server.url}/rakor/*")
    assert "Kolaboratif dan Sinergi" in page.content()
    screenshot(page, "01-event-home-participant")

    page.locator("#my-proposal a").click()
    page.wait_for_url(f"{browser_server.url}/usulan/*")
    heading = page.locator("h1").inner_text()
    assert heading == "Badan Kesatuan Bangsa dan Politik Kabupaten Sambas"
    rows = page.locator("tr.item.level-subkegiatan")
    assert rows.count() >= 4
    total = page.locator("[id$='-total']").inner_text()
    assert total.startswith("Rp ") and total.count(".") >= 2
    screenshot(page, "02-proposal-participant")
    assert errors == [], errors
    context.close()


def test_wrong_password_in_the_browser_shows_the_generic_message(browser, browser_server: RunningServer) -> None:
    context = browser.new_context()
    page = context.new_page()
    sign_in(page, browser_server, "peserta.sambas", "salah")
    assert page.locator(".alert-error").inner_text() == "Nama pengguna atau kata sandi salah."
    assert page.url.endswith("/masuk")
    context.close()
