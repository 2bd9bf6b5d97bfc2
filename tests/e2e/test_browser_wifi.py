"""Browser: nothing typed is lost on hotel Wi-Fi (DESIGN.md §11). Chromium's offline mode, a
server that stops and comes back, three people on one proposal."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.conftest import screenshot
from tests.e2e.test_browser_coediting import first_sub_item, open_editor, open_proposal
from tests.servers import RunningServer, start_server

pytestmark = [pytest.mark.browser, pytest.mark.server]

LIVE_BOUND_MS = 3000  # functional bounds ("within a moment"), not benchmarks
REPLAY_BOUND_MS = 10_000


def save(page, item: str, field: str, value: str) -> None:
    _cell, editor = open_editor(page, item, field)
    editor.locator("input[name=value]").fill(value)
    editor.locator("input[name=value]").press("Enter")


def history_count(page, value: str) -> int:
    """History lines that set a field to `value` ("4 → 31"; not a line whose time is 01.31)."""
    return page.locator("[id$='-history-list'] li", has_text=re.compile(rf"→ {re.escape(value)}(?!\d)")).count()


def test_an_edit_saved_offline_waits_visibly_and_is_stored_once(browser, browser_server: RunningServer) -> None:
    from playwright.sync_api import expect

    context_a, page_a = open_proposal(browser, browser_server, "peserta.sambas")
    context_b, page_b = open_proposal(browser, browser_server, "kesbangpol.sambas")
    item = first_sub_item(page_a)
    context_a.set_offline(True)
    expect(page_a.locator("#outbox .outbox-offline")).to_be_visible(timeout=LIVE_BOUND_MS)
    # A cell clicked while offline opens an editor made on this device: nothing gets stuck.
    save(page_a, item, "target", "31")
    cell = page_a.locator(f"#item-{item}-target")
    expect(cell).to_have_class(re.compile(r"\bpending\b"), timeout=LIVE_BOUND_MS)
    expect(cell).to_contain_text("31")
    expect(page_a.locator("#outbox .outbox-count")).to_have_text("1 perubahan belum terkirim")
    screenshot(page_a, "10-wifi-pending-edit")
    # Someone else changes another field of the row meanwhile (A hears of it only once back).
    save(page_b, item, "location", "Kecamatan Paloh")
    expect(page_b.locator(f"#item-{item}-location")).to_contain_text("Kecamatan Paloh", timeout=LIVE_BOUND_MS)
    expect(cell).to_contain_text("31")
    expect(page_b.locator(f"#item-{item}-target")).not_to_have_text("31")
    # Back online: the catch-up brings B's change, the outbox sends A's once, the page equals a fresh load.
    context_a.set_offline(False)
    expect(page_b.locator(f"#item-{item}-target")).to_have_text("31", timeout=REPLAY_BOUND_MS)
    expect(page_a.locator(f"#item-{item}-location")).to_contain_text("Kecamatan Paloh", timeout=REPLAY_BOUND_MS)
    expect(page_a.locator("#outbox")).to_be_hidden(timeout=REPLAY_BOUND_MS)
    expect(cell).not_to_have_class(re.compile(r"\bpending\b"))
    expect(cell).to_have_text("31")
    fresh = context_b.new_page()
    fresh.goto(page_a.url)
    expect(fresh.locator(f"#item-{item}-target")).to_have_text("31")
    assert history_count(fresh, "31") == 1
    assert page_a.errors == [] and page_b.errors == []  # type: ignore[attr-defined]
    context_a.close()
    context_b.close()


def test_a_pending_edit_can_be_discarded(browser, browser_server: RunningServer) -> None:
    from playwright.sync_api import expect

    context, page = open_proposal(browser, browser_server, "peserta.sambas")
    item = first_sub_item(page)
    before = page.locator(f"#item-{item}-target").inner_text()
    context.set_offline(True)
    save(page, item, "target", "99")
    expect(page.locator("#outbox .outbox-count")).to_have_text("1 perubahan belum terkirim", timeout=LIVE_BOUND_MS)
    page.locator("#outbox .outbox-count").click()
    page.get_by_role("button", name="Buang").click()
    expect(page.locator("#outbox .outbox-pending")).to_be_hidden()
    context.set_offline(False)
    expect(page.locator(f"#item-{item}-target")).to_have_text(before, timeout=REPLAY_BOUND_MS)
    page.wait_for_timeout(1500)
    fresh = context.new_page()
    fresh.goto(page.url)
    expect(fresh.locator(f"#item-{item}-target")).to_have_text(before)
    context.close()


def test_a_replayed_edit_that_collides_shows_the_conflict(browser, browser_server: RunningServer) -> None:
    from playwright.sync_api import expect

    context_a, page_a = open_proposal(browser, browser_server, "peserta.sambas")
    context_b, page_b = open_proposal(browser, browser_server, "kesbangpol.sambas")
    item = first_sub_item(page_a)
    context_a.set_offline(True)
    save(page_a, item, "budget", "7.000.000")
    expect(page_a.locator("#outbox .outbox-count")).to_be_visible(timeout=LIVE_BOUND_MS)
    save(page_b, item, "budget", "8.000.000")
    expect(page_b.locator(f"#item-{item}-budget")).to_contain_text("Rp 8.000.000", timeout=LIVE_BOUND_MS)
    context_a.set_offline(False)
    conflict = page_a.locator(f"#item-{item}-budget .conflict")
    expect(conflict).to_be_visible(timeout=REPLAY_BOUND_MS)
    expect(conflict.locator(".conflict-mine")).to_have_text("Rp 7.000.000")
    expect(conflict.locator(".conflict-theirs")).to_have_text("Rp 8.000.000")
    screenshot(page_a, "11-wifi-replay-conflict")
    conflict.get_by_role("button", name="Simpan milik saya").click()
    expect(page_b.locator(f"#item-{item}-budget")).to_contain_text("Rp 7.000.000", timeout=LIVE_BOUND_MS)
    context_a.close()
    context_b.close()


def test_typing_keeps_its_focus_and_caret_when_the_row_is_redrawn(browser, browser_server: RunningServer) -> None:
    from playwright.sync_api import expect

    context_a, page_a = open_proposal(browser, browser_server, "peserta.sambas")
    context_b, page_b = open_proposal(browser, browser_server, "kesbangpol.sambas")
    item = first_sub_item(page_a)
    _cell, editor = open_editor(page_b, item, "location")
    typing = editor.locator("input[name=value]")
    typing.fill("Kecamatan Teba")
    typing.press("ArrowLeft")  # the caret one before the end
    save(page_a, item, "target", "44")
    expect(page_b.locator(f"#item-{item}-target")).to_have_text("44", timeout=LIVE_BOUND_MS)
    assert page_b.evaluate("document.activeElement && document.activeElement.name") == "value"
    page_b.keyboard.type("s")
    page_b.keyboard.press("End")
    page_b.keyboard.type(" Utara")
    page_b.keyboard.press("Enter")
    expect(page_a.locator(f"#item-{item}-location")).to_have_text("Kecamatan Tebsa Utara", timeout=LIVE_BOUND_MS)
    context_a.close()
    context_b.close()


def test_a_reload_while_the_server_is_away_shows_the_last_copy(browser, browser_server: RunningServer) -> None:
    from playwright.sync_api import expect

    context, page = open_proposal(browser, browser_server, "peserta.sambas")
    page.wait_for_function("() => navigator.serviceWorker && navigator.serviceWorker.controller", timeout=10_000)
    page.reload()  # the service worker now holds this page
    page.locator("#connection-status[data-state=online]").wait_for(timeout=10_000)
    item = first_sub_item(page)
    port = int(browser_server.url.rsplit(":", 1)[1])
    instance, database = Path(browser_server.env["SINERGI_INSTANCE_PATH"]), browser_server.env["DATABASE_URL"]
    browser_server.stop()
    page.reload()
    expect(page.locator("#outbox .outbox-snapshot")).to_be_visible(timeout=REPLAY_BOUND_MS)
    save(page, item, "target", "57")
    expect(page.locator("#outbox .outbox-count")).to_have_text("1 perubahan belum terkirim", timeout=LIVE_BOUND_MS)
    page.reload()  # the pending change survives a reload too
    expect(page.locator(f"#item-{item}-target")).to_contain_text("57", timeout=REPLAY_BOUND_MS)
    screenshot(page, "12-wifi-offline-snapshot")
    restarted = start_server(instance, database, {"SINERGI_ASYNC": "eventlet"}, port=port)
    try:
        expect(page.locator("#outbox .outbox-pending")).to_be_hidden(timeout=20_000)
        fresh = context.new_page()
        fresh.goto(page.url)
        expect(fresh.locator(f"#item-{item}-target")).to_have_text("57")
    finally:
        restarted.stop()
        context.close()


# Every layout shift of the page, as the Layout Instability API reports it (none before any input).
LAYOUT_SHIFTS = """new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    (window.__layoutShifts = window.__layoutShifts || []).push({value: entry.value,
      moved: entry.sources.map((source) => source.node ? (source.node.id || source.node.className) : "?")});
  }
}).observe({type: "layout-shift", buffered: true});"""


def test_a_page_still_connecting_is_not_offline_and_nothing_moves(browser, browser_server: RunningServer) -> None:
    """While the socket connects, the page says "Menghubungkan…", not "Connection lost", and
    nothing moves when it connects: the notice shown for that moment at every load pushed the page
    down and back under the reader's pointer (a click there could land on nothing). A socket that
    takes longer than a few seconds is said to be lost."""
    from playwright.sync_api import expect

    from tests.e2e.test_browser_login import sign_in

    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="id-ID")
    context.add_init_script(LAYOUT_SHIFTS)
    page = context.new_page()
    held: list = []
    page.route_web_socket(re.compile(r".*/socket\.io/.*"), lambda socket: held.append(socket))  # held until released
    sign_in(page, browser_server, "peserta.sambas")
    page.wait_for_url(f"{browser_server.url}/rakor/*")
    page.locator("#my-proposal a").click()
    page.wait_for_url(re.compile(r".*/usulan/\d+$"))
    status = page.locator("#connection-status")
    expect(status).to_have_attribute("data-state", "connecting")
    page.wait_for_timeout(1000)
    expect(status).to_have_attribute("data-state", "connecting")
    expect(page.locator("#outbox")).to_be_hidden()
    assert held, "the page opened its socket"
    for socket in held:
        socket.connect_to_server()
    expect(status).to_have_attribute("data-state", "online", timeout=LIVE_BOUND_MS)
    page.wait_for_timeout(500)
    assert page.evaluate("() => window.__layoutShifts || []") == []

    # A socket that does not connect within the grace time: the page says so.
    held.clear()
    page.reload()
    expect(page.locator("#outbox .outbox-offline")).to_be_visible(timeout=LIVE_BOUND_MS + 3000)
    for socket in held:
        socket.connect_to_server()
    expect(page.locator("#outbox")).to_be_hidden(timeout=REPLAY_BOUND_MS)
    context.close()
