"""Browser: two people of one agency co-edit a proposal live (Playwright, Debian Chromium)."""

from __future__ import annotations

import re

import pytest

from tests.conftest import screenshot
from tests.e2e.test_browser_login import sign_in
from tests.servers import RunningServer

pytestmark = [pytest.mark.browser, pytest.mark.server]

LIVE_BOUND_MS = 2000  # a functional bound ("within a moment"), not a benchmark


def open_proposal(browser, server: RunningServer, username: str, via_list: bool = False):
    """Sign in and open the Kesbangpol Kab. Sambas proposal (from one's home page, or the list)."""
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    sign_in(page, server, username)
    page.wait_for_url(f"{server.url}/rakor/*")
    if via_list:
        page.goto(page.url + "/usulan")
        page.get_by_role("link", name="Kesbangpol Kab. Sambas").click()
    else:
        page.locator("#my-proposal a").click()
    page.wait_for_url(re.compile(r".*/usulan/\d+$"))
    page.locator("#connection-status[data-state=online]").wait_for(timeout=10_000)
    page.errors = errors  # type: ignore[attr-defined]
    return context, page


def first_sub_item(page) -> str:
    return page.locator("tr.level-subkegiatan").first.get_attribute("data-item-id")


def open_editor(page, item_id: str, field: str):
    cell = page.locator(f"#item-{item_id}-{field}")
    cell.click()
    editor = cell.locator("form.field-editor")
    editor.wait_for(timeout=5000)
    return cell, editor


def test_two_people_co_edit_live(browser, browser_server: RunningServer) -> None:
    from playwright.sync_api import expect

    context_a, page_a = open_proposal(browser, browser_server, "peserta.sambas")
    context_b, page_b = open_proposal(browser, browser_server, "kesbangpol.sambas")
    item = first_sub_item(page_a)

    # Presence: each sees the other.
    expect(page_a.locator(".presence-chip")).to_have_count(2, timeout=LIVE_BOUND_MS)
    expect(page_b.locator(".presence-chip")).to_have_count(2, timeout=LIVE_BOUND_MS)

    # A edits a target; B sees it without reloading, with who changed it.
    _cell, editor = open_editor(page_a, item, "target")
    editor.locator("input[name=value]").fill("77")
    editor.get_by_role("button", name="Simpan").click()
    expect(page_b.locator(f"#item-{item}-target")).to_have_text("77", timeout=LIVE_BOUND_MS)
    expect(page_b.locator(f"#item-{item} .changed-by")).to_contain_text("Diubah oleh", timeout=LIVE_BOUND_MS)
    expect(
        page_b.locator(f"#proposal-{page_b.evaluate('document.body.dataset.proposalId')}-history-list li").first
    ).to_contain_text("77")
    screenshot(page_b, "03-coedit-change-arrives")

    # B's focus on a field shows on A's page, and goes away when B leaves the field.
    _cell_b, editor_b = open_editor(page_b, item, "location")
    badge = page_a.locator(f"#item-{item}-location .focus-badge")
    expect(badge).to_contain_text("sedang mengedit", timeout=LIVE_BOUND_MS)
    screenshot(page_a, "04-coedit-focus-badge")
    editor_b.get_by_role("button", name="Batal").click()
    expect(badge).to_have_count(0, timeout=LIVE_BOUND_MS)

    # Both edit the same field: the second gets the conflict view and resolves it.
    _cell_a, editor_a = open_editor(page_a, item, "budget")
    cell_b, editor_b = open_editor(page_b, item, "budget")
    editor_a.locator("input[name=value]").fill("5.000.000")
    editor_a.get_by_role("button", name="Simpan").click()
    # (B's "sedang mengedit" badge stays on A's cell while B types: compare the stored value.)
    expect(page_a.locator(f"#item-{item}-budget")).to_have_attribute("data-value", "5000000", timeout=LIVE_BOUND_MS)
    expect(page_a.locator(f"#item-{item}-budget")).to_contain_text("Rp 5.000.000")
    # B is still typing: the input is kept, marked as changed by A.
    expect(cell_b.locator(".stale-note")).to_contain_text("5.000.000", timeout=LIVE_BOUND_MS)
    editor_b.locator("input[name=value]").fill("6.000.000")
    editor_b.get_by_role("button", name="Simpan").click()
    conflict = cell_b.locator(".conflict")
    expect(conflict).to_be_visible(timeout=LIVE_BOUND_MS)
    expect(conflict.locator(".conflict-mine")).to_have_text("Rp 6.000.000")
    expect(conflict.locator(".conflict-theirs")).to_have_text("Rp 5.000.000")
    screenshot(page_b, "05-coedit-conflict")
    conflict.get_by_role("button", name="Simpan milik saya").click()
    expect(page_b.locator(f"#item-{item}-budget")).to_have_text("Rp 6.000.000", timeout=LIVE_BOUND_MS)
    expect(page_a.locator(f"#item-{item}-budget")).to_have_text("Rp 6.000.000", timeout=LIVE_BOUND_MS)
    expect(page_a.locator(".focus-badge")).to_have_count(0, timeout=LIVE_BOUND_MS)

    # Totals follow live on the other screen.
    total_b = page_b.locator("[id$='-total']").inner_text()
    expect(page_a.locator("[id$='-total']")).to_have_text(total_b)

    assert page_a.errors == [] and page_b.errors == []  # type: ignore[attr-defined]
    context_a.close()
    context_b.close()


def test_a_page_that_was_offline_catches_up(browser, browser_server: RunningServer) -> None:
    from playwright.sync_api import expect

    context_a, page_a = open_proposal(browser, browser_server, "peserta.sambas")
    context_b, page_b = open_proposal(browser, browser_server, "kesbangpol.sambas")
    item = first_sub_item(page_a)
    page_b.evaluate("window.sinergiSocket.disconnect()")
    expect(page_b.locator("#connection-status")).to_have_attribute("data-state", "offline")
    for value in ("11", "12", "13"):
        _cell, editor = open_editor(page_a, item, "target")
        editor.locator("input[name=value]").fill(value)
        editor.get_by_role("button", name="Simpan").click()
        expect(page_a.locator(f"#item-{item}-target")).to_have_text(value, timeout=LIVE_BOUND_MS)
    expect(page_b.locator(f"#item-{item}-target")).not_to_have_text("13")
    page_b.evaluate("window.sinergiSocket.connect()")
    expect(page_b.locator(f"#item-{item}-target")).to_have_text("13", timeout=5000)
    expect(page_b.locator("#connection-status")).to_have_attribute("data-state", "online", timeout=5000)
    # Same as a fresh load of the page.
    fresh = context_b.new_page()
    fresh.goto(page_b.url)
    assert fresh.locator(".tree-card").inner_html() == page_b.locator(".tree-card").inner_html()
    context_a.close()
    context_b.close()


def test_reader_has_no_edit_controls(browser, browser_server: RunningServer) -> None:
    from playwright.sync_api import expect

    context = browser.new_context(viewport={"width": 1440, "height": 900})
    page = context.new_page()
    sign_in(page, browser_server, "peninjau")
    page.wait_for_url(f"{browser_server.url}/rakor/*")
    page.goto(f"{browser_server.url}/rakor/1/usulan")
    page.locator("#proposal-list a").first.click()
    page.locator("#connection-status[data-state=online]").wait_for(timeout=10_000)
    expect(page.locator(".read-only-notice")).to_be_visible()
    expect(page.locator(".row-actions").first).to_be_hidden()
    editor_requests: list[str] = []
    page.on("request", lambda request: editor_requests.append(request.url) if "/ubah/" in request.url else None)
    page.locator("td.editable").first.click()
    # The click is handled synchronously: a reader's click sends no editor request at all.
    page.evaluate("() => new Promise(resolve => setTimeout(resolve, 300))")
    assert editor_requests == []
    expect(page.locator("form.field-editor")).to_have_count(0)
    context.close()


def test_a_missed_broadcast_is_fetched_while_connected(browser, browser_server: RunningServer) -> None:
    """A broadcast lost while the socket stays up: the next one shows a revision gap, and the page
    fetches what it missed."""
    from playwright.sync_api import expect

    context_a, page_a = open_proposal(browser, browser_server, "peserta.sambas")
    context_b, page_b = open_proposal(browser, browser_server, "kesbangpol.sambas")
    item = first_sub_item(page_a)
    proposal_id = page_b.evaluate("document.body.dataset.proposalId")
    page_b.evaluate(f"window.sinergiSocket.emit('proposal:leave', {{proposal_id: {proposal_id}}})")
    _cell, editor = open_editor(page_a, item, "unit")
    editor.locator("input[name=value]").fill("Dokumen Kajian")
    editor.get_by_role("button", name="Simpan").click()
    expect(page_a.locator(f"#item-{item}-unit")).to_have_text("Dokumen Kajian", timeout=LIVE_BOUND_MS)
    page_b.evaluate(f"window.sinergiSocket.emit('proposal:join', {{proposal_id: {proposal_id}}})")
    expect(page_b.locator(f"#item-{item}-unit")).not_to_have_text("Dokumen Kajian")
    _cell, editor = open_editor(page_a, item, "location")
    editor.locator("input[name=value]").fill("Kecamatan Paloh")
    editor.get_by_role("button", name="Simpan").click()
    expect(page_b.locator(f"#item-{item}-location")).to_have_text("Kecamatan Paloh", timeout=LIVE_BOUND_MS)
    expect(page_b.locator(f"#item-{item}-unit")).to_have_text("Dokumen Kajian", timeout=LIVE_BOUND_MS)
    history = page_b.locator(f"#proposal-{proposal_id}-history-list li.revision")
    expect(history).to_have_count(2)
    context_a.close()
    context_b.close()


def test_a_phase_change_switches_open_pages_live(browser, browser_server: RunningServer) -> None:
    """The organiser closes the event: the participant's open proposal page drops its edit and
    comment controls at once, without a reload (the server refuses anyway)."""
    from playwright.sync_api import expect

    context, page = open_proposal(browser, browser_server, "peserta.sambas")
    item = first_sub_item(page)
    comment_button = page.locator(f"#item-{item} .comment-button")
    expect(comment_button).to_be_visible()
    assert page.evaluate("document.body.dataset.canEdit") == "true"
    organiser_context = browser.new_context(viewport={"width": 1366, "height": 768})
    organiser = organiser_context.new_page()
    sign_in(organiser, browser_server, "sekretariat")
    organiser.wait_for_url(f"{browser_server.url}/rakor/*")
    event_id = page.evaluate("document.body.dataset.pageEventId")
    token = organiser.locator("meta[name=csrf-token]").get_attribute("content")
    answer = organiser.request.post(
        f"{browser_server.url}/rakor/{event_id}/fase", form={"phase": "closed", "csrf_token": token}, max_redirects=0
    )
    assert answer.status in (302, 303), answer.status
    expect(comment_button).to_be_hidden(timeout=LIVE_BOUND_MS)
    page.wait_for_function("() => document.body.dataset.canEdit === 'false'", timeout=LIVE_BOUND_MS)
    expect(page.locator(".notice").last).to_contain_text("Tahap rakor berubah", timeout=LIVE_BOUND_MS)
    page.locator(f"#item-{item}-target").click()
    expect(page.locator(f"#item-{item}-target form.field-editor")).to_have_count(0)
    screenshot(page, "06-phase-closed-live")
    assert page.errors == []  # type: ignore[attr-defined]
    organiser_context.close()
    context.close()
