"""Browser: the secretariat prints name-tag cards, and a participant signs in with the card's code
(as its QR code opens it) and sets a password (Playwright, Debian Chromium)."""

from __future__ import annotations

import re

import pytest

from tests.conftest import screenshot
from tests.e2e.test_browser_login import sign_in
from tests.servers import RunningServer

pytestmark = [pytest.mark.browser, pytest.mark.server]


def test_cards_are_printed_and_a_code_signs_in_and_sets_a_password(browser, browser_server: RunningServer) -> None:
    from playwright.sync_api import expect

    secretariat = browser.new_context(viewport={"width": 1280, "height": 1000}).new_page()
    errors: list[str] = []
    secretariat.on("pageerror", lambda error: errors.append(str(error)))
    sign_in(secretariat, browser_server, "sekretariat")
    secretariat.wait_for_url(f"{browser_server.url}/rakor/*")
    secretariat.get_by_role("link", name="Admin rakor").click()
    secretariat.get_by_role("link", name="Orang dan peran").click()
    rows = secretariat.locator("table.people-table tbody tr")
    expect(rows.first).to_be_visible()
    for username in ("peserta.sambas", "kesbangpol.sambas", "peninjau"):
        rows.filter(has=secretariat.locator("td.code", has_text=re.compile(rf"^{re.escape(username)}$"))).locator(
            "input[type=checkbox]"
        ).check()
    screenshot(secretariat, "30-admin-people")
    secretariat.get_by_role("button", name="Kartu nama (tampilan cetak)").click()
    cards = secretariat.locator("article.name-card")
    expect(cards).to_have_count(3)
    expect(cards.locator("img.card-qr").first).to_be_visible()
    screenshot(secretariat, "31-name-tag-cards")
    card = cards.filter(has_text="peserta.sambas")
    code = card.locator(".card-code").inner_text().strip()
    assert re.fullmatch(r"[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}", code)

    # On another laptop: the QR code opens the join page with the code; the person signs in.
    laptop = browser.new_context(viewport={"width": 1366, "height": 768}).new_page()
    laptop.goto(f"{browser_server.url}/gabung?kode={code}")
    expect(laptop.get_by_label("Kode bergabung")).to_have_value(code)
    laptop.get_by_role("button", name="Masuk").click()
    laptop.wait_for_url(re.compile(r".*/kata-sandi$"))
    expect(laptop.locator(".username")).to_have_text("peserta.sambas")
    laptop.get_by_label("Kata sandi baru").fill("kata-sandi-sambas")
    laptop.get_by_label("Ulangi kata sandi yang sama").fill("kata-sandi-sambas")
    screenshot(laptop, "32-set-own-password")
    laptop.get_by_role("button", name="Simpan kata sandi saya").click()
    laptop.wait_for_url(re.compile(r".*/rakor/\d+$"))
    expect(laptop.locator(".flash")).to_contain_text("Kata sandi Anda tersimpan")

    # The code worked once; the new password works on any laptop.
    again = browser.new_context().new_page()
    again.goto(f"{browser_server.url}/masuk")
    again.get_by_label("Kode bergabung dari kartu nama Anda").fill(code)
    again.get_by_role("button", name="Masuk dengan kode").click()
    expect(again.locator(".alert-error")).to_contain_text("sudah dipakai")
    sign_in(again, browser_server, "peserta.sambas", "kata-sandi-sambas")
    again.wait_for_url(re.compile(r".*/rakor/\d+$"))
    assert errors == []
