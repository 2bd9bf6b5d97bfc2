"""Browser: every fragment a viewer receives is in the language they chose (issue 19, item 3).

An Indonesian browser and an English one on the same pages: what one changes reaches the other
live with the other's labels, and still in the other's language after a catch-up (the English
context offline meanwhile). Then the reverse direction, and a session room (spotlight, catch-up
through `session:join`, the breakout notice sent to the person's own room)."""

from __future__ import annotations

import re

import pytest

from tests.e2e.test_browser_coediting import first_sub_item, open_editor
from tests.e2e.test_browser_login import sign_in
from tests.servers import RunningServer

pytestmark = [pytest.mark.browser, pytest.mark.server]

LIVE_BOUND_MS = 3000  # functional bounds ("within a moment"), not benchmarks
CATCH_UP_BOUND_MS = 10_000


def signed_in(browser, server: RunningServer, username: str, locale: str, language: str | None = None):
    """A browser context whose Accept-Language is `locale`; signed in, and switched to `language`
    with the app's switch in the page header (the app's choice, not the browser's, decides)."""
    context = browser.new_context(viewport={"width": 1440, "height": 900}, locale=locale)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.errors = errors  # type: ignore[attr-defined]
    sign_in(page, server, username)
    page.wait_for_url(f"{server.url}/rakor/*")
    if language:
        switch_language(page, language)
    return context, page


def switch_language(page, language: str) -> None:
    page.locator(f"form[action$='/bahasa'] button[value={language}]").click()
    page.locator(f"html[lang={language}]").wait_for(state="attached")


def open_own_proposal(page) -> str:
    page.locator("#my-proposal a").click()
    page.wait_for_url(re.compile(r".*/usulan/\d+$"))
    page.locator("#connection-status[data-state=online]").wait_for(timeout=10_000)
    return page.evaluate("document.body.dataset.proposalId")


def save(page, item: str, field: str, value: str) -> None:
    _cell, editor = open_editor(page, item, field)
    editor.locator("input[name=value]").fill(value)
    editor.locator("input[name=value]").press("Enter")


def add_sub_item(page, name: str, button_title: str, add_label: str) -> None:
    page.locator("tr.level-kegiatan").first.locator(f"button[title='{button_title}']").click()
    form = page.locator("form.add-item")
    form.locator("#add-name").fill(name)
    form.get_by_role("button", name=add_label, exact=True).click()
    page.locator("tr.item", has_text=name).wait_for(timeout=LIVE_BOUND_MS)


def row_html(page, item: str) -> str:
    """The row as the server rendered it (without what the page adds: the "changed by" note, tab stops)."""
    return page.evaluate(
        """(id) => { const row = document.getElementById(id).cloneNode(true);
                     row.querySelectorAll('.changed-by, .focus-badge').forEach((e) => e.remove());
                     row.querySelectorAll('[tabindex]').forEach((e) => e.removeAttribute('tabindex'));
                     return row.innerHTML; }""",
        f"item-{item}",
    )


def test_an_english_viewer_sees_an_indonesian_writer_in_english(browser, browser_server: RunningServer) -> None:
    from playwright.sync_api import expect

    id_context, writer = signed_in(browser, browser_server, "peserta.sambas", "id-ID")
    en_context, viewer = signed_in(browser, browser_server, "kesbangpol.sambas", "en-US", "en")
    proposal = open_own_proposal(writer)
    assert open_own_proposal(viewer) == proposal
    item = first_sub_item(writer)
    expect(viewer.locator(f"#proposal-{proposal}-presence")).to_contain_text("Viewing now:")
    expect(writer.locator(f"#proposal-{proposal}-presence")).to_contain_text("Sedang melihat:")

    # A field: the row, its subtotals and the totals, the revision and the history line, in English.
    save(writer, item, "budget", "7.500.000")
    expect(writer.locator(f"#item-{item}-budget")).to_have_text("Rp 7.500.000", timeout=LIVE_BOUND_MS)
    expect(viewer.locator(f"#item-{item}-budget")).to_have_text("Rp 7.500.000", timeout=LIVE_BOUND_MS)
    row = viewer.locator(f"#item-{item}")
    expect(row.locator(".level-tag")).to_have_text("Sub-activity")
    expect(row.locator(".comment-button")).to_have_attribute("title", "Comment on this item")
    expect(row.locator("button[value=up]")).to_have_attribute("title", "Move up")
    expect(viewer.locator(f"#proposal-{proposal}-totals th")).to_have_text("Total proposal")
    expect(viewer.locator(f"#proposal-{proposal}-revision")).to_have_text(re.compile(r"^Revision \d+$"))
    expect(viewer.locator(f"#proposal-{proposal}-history-list li").first).to_contain_text("changed")
    expect(writer.locator(f"#proposal-{proposal}-revision")).to_have_text(re.compile(r"^Revisi \d+$"))
    expect(writer.locator(f"#proposal-{proposal}-history-list li").first).to_contain_text("mengubah")

    # A new row (the tree is sent whole) and a comment.
    add_sub_item(writer, "Pelatihan kader bahasa", "Tambah sub kegiatan", "Tambah")
    new_row = viewer.locator("tr.item", has_text="Pelatihan kader bahasa")
    expect(new_row.locator(".badge-outside")).to_have_text("outside the nomenclature", timeout=LIVE_BOUND_MS)
    expect(new_row.locator("button.danger")).to_have_attribute("title", "Delete")
    expect(viewer.locator("tr.level-kegiatan").first.locator("button.icon-button").first).to_have_attribute(
        "title", "Add sub-activity"
    )
    writer.get_by_role("button", name="Komentar baru").click()
    writer.locator("form.comment-form textarea[name=body]").fill("Mohon dicek bersama")
    writer.locator("form.comment-form").get_by_role("button", name="Kirim").click()
    thread = viewer.locator(".thread", has_text="Mohon dicek bersama")
    expect(thread.locator(".anchor")).to_contain_text("Whole proposal", timeout=LIVE_BOUND_MS)
    expect(thread.locator("form.reply-form button")).to_have_text("Reply")

    # Offline meanwhile: a change of the same field waits in the English outbox; the Indonesian
    # side changes it and adds a row; back online, the catch-up and the conflict are English.
    en_context.set_offline(True)
    expect(viewer.locator("#outbox .outbox-offline")).to_be_visible(timeout=LIVE_BOUND_MS)
    save(viewer, item, "target", "41")
    expect(viewer.locator("#outbox .outbox-count")).to_have_text("1 change not sent yet", timeout=LIVE_BOUND_MS)
    save(writer, item, "target", "42")
    expect(writer.locator(f"#item-{item}-target")).to_have_text("42", timeout=LIVE_BOUND_MS)
    add_sub_item(writer, "Sosialisasi selama luring", "Tambah sub kegiatan", "Tambah")
    en_context.set_offline(False)
    caught_up = viewer.locator("tr.item", has_text="Sosialisasi selama luring")
    expect(caught_up.locator(".level-tag")).to_have_text("Sub-activity", timeout=CATCH_UP_BOUND_MS)
    expect(caught_up.locator("button[value=down]")).to_have_attribute("title", "Move down")
    conflict = viewer.locator(f"#item-{item}-target .conflict")
    expect(conflict.locator(".conflict-title")).to_have_text(
        "Someone else changed this field while you were editing.", timeout=CATCH_UP_BOUND_MS
    )
    expect(conflict.get_by_role("button", name="Save mine")).to_be_visible()
    expect(viewer.locator(f"#proposal-{proposal}-history-list li").first).to_contain_text("added")
    expect(viewer.locator(f"#proposal-{proposal}-totals th")).to_have_text("Total proposal")
    conflict.get_by_role("button", name="Take theirs").click()
    expect(viewer.locator(f"#item-{item}-target")).to_have_text("42", timeout=LIVE_BOUND_MS)

    # The reverse direction: the English side writes, the Indonesian one reads in Indonesian.
    save(viewer, item, "location", "Kecamatan Tebas")
    expect(writer.locator(f"#item-{item}-location")).to_contain_text("Kecamatan Tebas", timeout=LIVE_BOUND_MS)
    expect(writer.locator(f"#item-{item} .level-tag")).to_have_text("Sub Kegiatan")
    expect(writer.locator(f"#item-{item} .comment-button")).to_have_attribute("title", "Komentari butir ini")
    expect(writer.locator(f"#proposal-{proposal}-revision")).to_have_text(re.compile(r"^Revisi \d+$"))
    expect(writer.locator(f"#proposal-{proposal}-history-list li").first).to_contain_text("mengubah")
    expect(viewer.locator(f"#proposal-{proposal}-history-list li").first).to_contain_text("changed")

    # The English browser switches to Indonesian in another tab: the open page's socket follows at
    # once, so what it receives matches what it fetches from now on.
    other_tab = en_context.new_page()
    other_tab.goto(viewer.url)
    switch_language(other_tab, "id")
    other_tab.close()
    save(writer, item, "unit", "Naskah")
    expect(viewer.locator(f"#item-{item}-unit")).to_have_text("Naskah", timeout=LIVE_BOUND_MS)
    expect(viewer.locator(f"#item-{item} .comment-button")).to_have_attribute("title", "Komentari butir ini")
    expect(viewer.locator(f"#proposal-{proposal}-revision")).to_have_text(re.compile(r"^Revisi \d+$"))

    # A fresh load shows what the live page shows, in each language.
    for context, page in ((en_context, viewer), (id_context, writer)):
        fresh = context.new_page()
        fresh.goto(page.url)
        assert row_html(fresh, item) == row_html(page, item)
        fresh.close()
    assert writer.errors == [] and viewer.errors == []  # type: ignore[attr-defined]
    id_context.close()
    en_context.close()


def test_a_session_room_reaches_each_viewer_in_their_language(browser, browser_server: RunningServer) -> None:
    from playwright.sync_api import expect

    facilitator_context, console = signed_in(browser, browser_server, "fasilitator", "id-ID")
    en_context, room = signed_in(browser, browser_server, "peserta.sambas", "en-US", "en")
    room.get_by_role("link", name="Join").first.click()
    room.wait_for_url(re.compile(r".*/sesi/\d+$"))
    session_id = room.evaluate("document.body.dataset.sessionId")
    console.goto(f"{browser_server.url}/sesi/{session_id}")
    proposals = room.locator(f"#session-{session_id}-proposals a")
    first_id, second_id = (proposals.nth(n).get_attribute("href").split("/")[-1] for n in (0, 1))
    spot_form = console.locator("form.console-form").filter(has=console.locator("#spotlight-proposal"))

    # Live: the spotlight arrives with English labels.
    spot_form.locator("select[name=proposal]").select_option(first_id)
    spot_form.get_by_role("button", name="Sorotan").click()
    spotlight = room.locator(f"#session-{session_id}-spotlight")
    expect(spotlight).to_have_attribute("data-proposal-id", first_id, timeout=LIVE_BOUND_MS)
    expect(spotlight.locator("h2")).to_have_text("Spotlight")
    expect(spotlight.locator(".spotlight-total")).to_contain_text("Total proposal:")
    expect(console.locator(f"#session-{session_id}-spotlight h2")).to_have_text("Sorotan")

    # Offline meanwhile: the answer of `session:join` brings the room back, in English.
    en_context.set_offline(True)
    room.wait_for_function("() => !window.sinergiSocket.connected", timeout=CATCH_UP_BOUND_MS)
    spot_form.locator("select[name=proposal]").select_option(second_id)
    spot_form.get_by_role("button", name="Sorotan").click()
    expect(console.locator(f"#session-{session_id}-spotlight")).to_have_attribute(
        "data-proposal-id", second_id, timeout=LIVE_BOUND_MS
    )
    en_context.set_offline(False)
    expect(spotlight).to_have_attribute("data-proposal-id", second_id, timeout=CATCH_UP_BOUND_MS)
    expect(spotlight.locator(".spotlight-total")).to_contain_text("Total proposal:")
    expect(room.locator(f"#session-{session_id}-attendance h2")).to_contain_text("Present")

    # The notice of a breakout the Indonesian facilitator starts reaches the English participant in
    # English (shown for a moment before the page moves: noted as it appears).
    notices: list[str] = []
    room.expose_binding("noteNotice", lambda _source, text: notices.append(text))
    room.evaluate(
        """() => new MutationObserver(() => document.querySelectorAll('#live-notices .notice')
              .forEach((notice) => window.noteNotice(notice.textContent)))
            .observe(document.getElementById('live-notices'), {childList: true, subtree: true})"""
    )
    user_id = room.evaluate("document.body.dataset.userId")
    token = console.evaluate("document.querySelector('meta[name=csrf-token]').content")
    headers = {"X-CSRFToken": token, "HX-Request": "true"}
    made = console.request.post(
        f"{browser_server.url}/sesi/{session_id}/kelompok",
        headers=headers,
        form={"title": "Kelompok Bahasa", "people": user_id, "proposals": first_id},
    )
    assert made.status == 204
    assert console.request.post(f"{browser_server.url}/sesi/{session_id}/kelompok/mulai", headers=headers).status == 204
    room.wait_for_url(re.compile(r".*/sesi/\d+\?pindah=1$"), timeout=LIVE_BOUND_MS)
    assert "You are now in the breakout Kelompok Bahasa." in notices
    assert console.errors == [] and room.errors == []  # type: ignore[attr-defined]
    facilitator_context.close()
    en_context.close()
