"""Browser, keyboard only: the whole edit flow of a proposal without a mouse.

A participant of Kesbangpol Kab. Sambas only presses keys: Tab into the table (the skip link
first), arrows to a cell, Enter to open it, type, Enter to save; a conflict with a co-editor is
resolved from the keys; a comment is written and sent; a suggestion is accepted. The focus is
never lost to the page on a re-render, and axe-core finds nothing serious in each state (editor
open, conflict shown, comment form open). The co-editor, with the mouse, makes the conflict and
the suggestion; the participant hears of their edit through the one polite live region.
"""

from __future__ import annotations

import pytest

from tests.e2e.accessibility import LAPTOP, assert_accessible, signed_in
from tests.e2e.test_browser_coediting import LIVE_BOUND_MS, first_sub_item, open_editor
from tests.e2e.test_browser_outbox import hold_saves
from tests.servers import RunningServer

pytestmark = [pytest.mark.browser, pytest.mark.server]


def open_sambas(browser, server: RunningServer, username: str):
    context, page, errors = signed_in(browser, server, username)
    page.locator("#my-proposal a").click()
    page.wait_for_url(f"{server.url}/usulan/*")
    page.locator("#connection-status[data-state=online]").wait_for(timeout=10_000)
    return context, page, errors


def focused(page) -> dict:
    return page.evaluate(
        """() => { const e = document.activeElement;
                   return {tag: e.tagName, id: e.id || '', name: e.getAttribute('name') || '',
                           text: (e.textContent || '').trim().slice(0, 40), cls: e.className || ''}; }"""
    )


def press_until(page, key: str, condition, what: str, limit: int = 80) -> None:
    for _ in range(limit):
        if condition(focused(page)):
            return
        page.keyboard.press(key)
    raise AssertionError(f"{limit} × {key} did not reach {what}; the focus is on {focused(page)}")


def go_to_cell(page, cell_id: str) -> None:
    """Arrows from the current cell: down to the row, then right to the field."""
    rows = "[...document.querySelectorAll('table.tree tbody tr')]"
    target_row = page.evaluate(f"() => {rows}.indexOf(document.getElementById('{cell_id}').closest('tr'))")
    for _ in range(60):
        now = focused(page)
        if now["id"] == cell_id:
            return
        row = page.evaluate(f"() => {rows}.indexOf(document.activeElement.closest('tr'))")
        if row < target_row:
            page.keyboard.press("ArrowDown")
        else:
            before = now["id"]
            page.keyboard.press("ArrowRight")
            if focused(page)["id"] == before:
                page.keyboard.press("Home")
                page.keyboard.press("ArrowDown")
    raise AssertionError(f"the arrows did not reach {cell_id}; the focus is on {focused(page)}")


def test_the_whole_edit_flow_works_with_the_keyboard_alone(browser, browser_server: RunningServer) -> None:
    from playwright.sync_api import expect

    context_a, page_a, errors_a = open_sambas(browser, browser_server, "peserta.sambas")
    context_b, page_b, errors_b = open_sambas(browser, browser_server, "kesbangpol.sambas")
    item = first_sub_item(page_a)
    target = f"item-{item}-target"

    # Tab: the skip link comes first; the table is one tab stop further on.
    page_a.keyboard.press("Tab")
    assert focused(page_a)["cls"] == "skip-link"
    press_until(page_a, "Tab", lambda f: f["tag"] == "TD", "a cell of the table")
    go_to_cell(page_a, target)

    # Open, type, save: the focus comes back to the cell, which shows the new value.
    page_a.keyboard.press("Enter")
    page_a.locator(f"#{target} form.field-editor input[name=value]").wait_for()
    assert focused(page_a)["name"] == "value"
    assert_accessible(page_a, "the proposal page with an editor open")
    page_a.keyboard.press("Control+A")
    page_a.keyboard.type("77")
    page_a.keyboard.press("Enter")
    expect(page_a.locator(f"#{target}")).to_have_text("77", timeout=LIVE_BOUND_MS)
    expect(page_b.locator(f"#{target}")).to_have_text("77", timeout=LIVE_BOUND_MS)
    page_a.wait_for_function(f"() => document.activeElement.id === '{target}'", timeout=LIVE_BOUND_MS)

    # A conflict: B saves meanwhile; A's save shows both values; A keeps theirs with the keys.
    page_a.keyboard.press("Enter")
    page_a.locator(f"#{target} form.field-editor input[name=value]").wait_for()
    _cell, editor_b = open_editor(page_b, item, "target")
    editor_b.locator("input[name=value]").fill("78")
    editor_b.locator("input[name=value]").press("Enter")
    expect(page_a.locator(f"#{target} .stale-note")).to_be_visible(timeout=LIVE_BOUND_MS)
    expect(page_a.locator("#live-announcer")).to_contain_text("mengubah", timeout=4000)
    page_a.keyboard.press("Control+A")
    page_a.keyboard.type("79")
    page_a.keyboard.press("Enter")
    conflict = page_a.locator(f"#{target} .conflict")
    expect(conflict).to_be_visible(timeout=LIVE_BOUND_MS)
    page_a.wait_for_function(f"() => document.activeElement.id === 'merge-{item}-target'", timeout=LIVE_BOUND_MS)
    assert_accessible(page_a, "the proposal page with a conflict")
    page_a.keyboard.press("Tab")
    assert focused(page_a)["text"] == "Simpan milik saya"
    page_a.keyboard.press("Enter")
    expect(page_b.locator(f"#{target}")).to_have_text("79", timeout=LIVE_BOUND_MS)
    page_a.wait_for_function(f"() => document.activeElement.id === '{target}'", timeout=LIVE_BOUND_MS)

    # A comment: Shift+Tab back to the row's Komentar button, Enter, type, Tab to Kirim, Enter.
    def on_comment_button(now: dict) -> bool:
        return now["tag"] == "BUTTON" and now["text"].startswith("Komentar")

    press_until(page_a, "Shift+Tab", on_comment_button, "the row's comment button", 10)
    page_a.keyboard.press("Enter")
    page_a.locator("form.comment-form").wait_for()
    page_a.wait_for_function("() => document.activeElement.id === 'comment-body'", timeout=LIVE_BOUND_MS)
    assert_accessible(page_a, "the proposal page with the comment form open")
    page_a.keyboard.type("Target sudah disesuaikan dengan Renstra.")
    press_until(page_a, "Tab", lambda f: f["text"] == "Kirim", "the Kirim button", 5)
    page_a.keyboard.press("Enter")
    expect(page_b.locator(".thread", has_text="Target sudah disesuaikan")).to_be_visible(timeout=LIVE_BOUND_MS)
    back_on_the_button = "() => document.activeElement.textContent.trim().startsWith('Komentar')"
    page_a.wait_for_function(back_on_the_button, timeout=LIVE_BOUND_MS)

    # A suggestion from B; A accepts it with the keys: the cell takes the suggested value.
    page_b.get_by_role("button", name="Komentar baru").click()
    form_b = page_b.locator("form.comment-form")
    form_b.locator("#comment-item").select_option(item)
    form_b.locator("#comment-field").select_option("target")
    form_b.get_by_label("Sarankan nilai baru").check()
    form_b.locator("#comment-suggestion").fill("80")
    form_b.locator("#comment-body").fill("Sesuai pagu.")
    form_b.get_by_role("button", name="Kirim").click()
    accept = page_a.locator(".thread .suggestion-actions button", has_text="Terima")
    expect(accept).to_be_visible(timeout=LIVE_BOUND_MS)
    press_until(page_a, "Tab", lambda f: f["text"] == "Terima", "the Terima button", 120)
    page_a.keyboard.press("Enter")
    expect(page_a.locator(f"#{target}")).to_have_text("80", timeout=LIVE_BOUND_MS)
    expect(page_b.locator(f"#{target}")).to_have_text("80", timeout=LIVE_BOUND_MS)
    assert page_a.evaluate("() => document.activeElement !== document.body"), "the focus fell to the page"

    assert errors_a == [] and errors_b == [], errors_a + errors_b
    context_a.close()
    context_b.close()


def column_widths(page) -> list[float]:
    return page.evaluate(
        "() => [...document.querySelectorAll('table.tree thead th')].map(th => th.getBoundingClientRect().width)"
    )


def test_a_cell_shows_it_is_saving_and_a_refusal_stays_inside_the_layout(
    browser, browser_server: RunningServer
) -> None:
    """While its save is on the way a cell says so; a refused value shows its message in place (in
    Indonesian), over the table: no column changes width, nothing goes off screen, the outbox
    panel does not list it a second time, and the stored value stays."""
    from playwright.sync_api import expect

    context, page, errors = open_sambas(browser, browser_server, "peserta.sambas")
    item = first_sub_item(page)
    cell = page.locator(f"#item-{item}-budget")
    stored = cell.get_attribute("data-value")
    before = column_widths(page)

    held = hold_saves(page, "target")
    _cell, editor = open_editor(page, item, "target")
    editor.locator("input[name=value]").fill("12")
    editor.locator("input[name=value]").press("Enter")
    badge = page.locator(f"#item-{item}-target .saving-badge")
    expect(badge).to_have_text("Menyimpan…")
    assert len(held) == 1
    held[0].continue_()
    expect(page.locator(f"#item-{item}-target")).to_have_text("12", timeout=LIVE_BOUND_MS)
    expect(badge).to_have_count(0)

    _cell, editor = open_editor(page, item, "budget")
    editor.locator("input[name=value]").fill("seribu rupiah")
    editor.locator("input[name=value]").press("Enter")
    message = cell.locator(".field-error")
    expect(message).to_contain_text("Isi jumlah rupiah", timeout=LIVE_BOUND_MS)
    assert page.evaluate("() => document.activeElement.getAttribute('aria-invalid')") == "true"
    after = column_widths(page)
    assert all(abs(a - b) <= 1 for a, b in zip(before, after, strict=True)), (before, after)
    box = message.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= LAPTOP["width"]
    assert page.evaluate("() => document.documentElement.scrollWidth <= document.documentElement.clientWidth")
    expect(page.locator("#outbox")).to_be_hidden()
    assert_accessible(page, "a refused value in its cell")
    page.keyboard.press("Escape")
    expect(cell).to_have_attribute("data-value", stored or "", timeout=LIVE_BOUND_MS)
    assert errors == [], errors
    context.close()
