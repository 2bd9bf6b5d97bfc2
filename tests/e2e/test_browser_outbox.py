"""Browser: the outbox at the edges the chaos test found (DESIGN.md §11). A save whose row a
broadcast redraws while it is on its way, a server that answers 503, several offline edits of one
field that conflict, a conflict left open while its author edits elsewhere, and a panel that
never covers the table."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from tests.conftest import screenshot
from tests.e2e.test_browser_coediting import first_sub_item, open_editor, open_proposal
from tests.e2e.test_browser_wifi import LIVE_BOUND_MS, REPLAY_BOUND_MS, history_count, save
from tests.servers import RunningServer

pytestmark = [pytest.mark.browser, pytest.mark.server]

SAVES_OF = "**/usulan/butir/*/ubah/{field}"


@dataclass
class TwoPeople:
    """Two participants of Kesbangpol Kab. Sambas on their proposal, each in their own browser."""

    context_a: Any
    page_a: Any
    page_b: Any
    item: str  # the first sub kegiatan


@pytest.fixture
def two(browser, browser_server: RunningServer) -> Iterator[TwoPeople]:
    context_a, page_a = open_proposal(browser, browser_server, "peserta.sambas")
    context_b, page_b = open_proposal(browser, browser_server, "kesbangpol.sambas")
    yield TwoPeople(context_a, page_a, page_b, first_sub_item(page_a))
    context_a.close()
    context_b.close()


def hold_saves(page, field: str) -> list:
    """Saves of `field` wait here until the test lets them go (or fails them); opening its editor
    (a GET of the same address) goes through."""
    held: list = []

    def handle(route) -> None:
        if route.request.method == "POST":
            held.append(route)
        else:
            route.continue_()

    page.route(SAVES_OF.format(field=field), handle)
    return held


def answer_first_save(page, field: str, status: int) -> None:
    """The first save of `field` is answered `status` by something in front of the app."""
    answered: list = []

    def handle(route) -> None:
        if route.request.method == "POST" and not answered:
            answered.append(route)
            route.fulfill(status=status, body="Service Unavailable")
        else:
            route.continue_()

    page.route(SAVES_OF.format(field=field), handle)


def wait_for(page, condition, what: str, timeout_ms: int = LIVE_BOUND_MS) -> None:
    waited = 0
    while not condition():
        assert waited < timeout_ms, f"still waiting for {what}"
        page.wait_for_timeout(50)
        waited += 50


def test_a_save_whose_row_is_redrawn_and_whose_link_then_fails_waits_in_the_outbox(two: TwoPeople) -> None:
    from playwright.sync_api import expect

    page_a, page_b, item = two.page_a, two.page_b, two.item
    held = hold_saves(page_a, "target")
    save(page_a, item, "target", "57")
    wait_for(page_a, lambda: len(held) == 1, "A's save to leave")
    # B's save of another field of the row redraws A's row while A's save is on its way.
    save(page_b, item, "location", "Kecamatan Jawai")
    expect(page_a.locator(f"#item-{item}-location")).to_contain_text("Kecamatan Jawai", timeout=LIVE_BOUND_MS)
    held[0].abort("internetdisconnected")  # and then the link fails under it
    cell = page_a.locator(f"#item-{item}-target")
    expect(page_a.locator("#outbox .outbox-count")).to_have_text("1 perubahan belum terkirim", timeout=LIVE_BOUND_MS)
    expect(cell).to_have_class(re.compile(r"\bpending\b"))
    expect(cell).to_contain_text("57")
    page_a.unroute(SAVES_OF.format(field="target"))
    # The page still looks connected: the outbox tries again by itself within seconds.
    expect(page_b.locator(f"#item-{item}-target")).to_have_text("57", timeout=REPLAY_BOUND_MS)
    expect(page_a.locator("#outbox")).to_be_hidden(timeout=REPLAY_BOUND_MS)
    expect(cell).to_have_text("57")
    assert history_count(page_b, "57") == 1
    assert page_a.errors == [] and page_b.errors == []  # type: ignore[attr-defined]


def test_a_conflict_answered_to_a_redrawn_row_is_shown_in_the_live_cell(two: TwoPeople) -> None:
    from playwright.sync_api import expect

    page_a, page_b, item = two.page_a, two.page_b, two.item
    held = hold_saves(page_a, "target")
    save(page_a, item, "target", "57")
    wait_for(page_a, lambda: len(held) == 1, "A's save to leave")
    save(page_b, item, "target", "66")  # B saves the same field first: A's row is redrawn with 66
    expect(page_a.locator(f"#item-{item}-target")).to_have_text("66", timeout=LIVE_BOUND_MS)
    held[0].continue_()  # A's save arrives after B's: a conflict, answered to a form no longer shown
    conflict = page_a.locator(f"#item-{item}-target .conflict")
    expect(conflict).to_be_visible(timeout=LIVE_BOUND_MS)
    expect(conflict.locator(".conflict-mine")).to_have_text("57")
    expect(conflict.locator(".conflict-theirs")).to_have_text("66")
    page_a.unroute(SAVES_OF.format(field="target"))
    conflict.get_by_role("button", name="Simpan milik saya").click()
    expect(page_b.locator(f"#item-{item}-target")).to_have_text("57", timeout=LIVE_BOUND_MS)
    assert page_a.errors == [] and page_b.errors == []  # type: ignore[attr-defined]


def test_a_save_answered_503_waits_in_the_outbox_and_is_sent_once(two: TwoPeople) -> None:
    from playwright.sync_api import expect

    page_a, page_b, item = two.page_a, two.page_b, two.item
    answer_first_save(page_a, "target", 503)  # a proxy in front while the app restarts
    save(page_a, item, "target", "58")
    expect(page_a.locator("#outbox .outbox-count")).to_have_text("1 perubahan belum terkirim", timeout=LIVE_BOUND_MS)
    expect(page_a.locator(f"#item-{item}-target")).to_have_class(re.compile(r"\bpending\b"))
    expect(page_b.locator(f"#item-{item}-target")).to_have_text("58", timeout=REPLAY_BOUND_MS)
    expect(page_a.locator("#outbox")).to_be_hidden(timeout=REPLAY_BOUND_MS)
    page_b.wait_for_timeout(500)
    assert history_count(page_b, "58") == 1
    assert page_a.errors == []  # type: ignore[attr-defined]


def test_offline_edits_of_one_field_that_conflict_show_one_conflict_with_the_latest_value(two: TwoPeople) -> None:
    from playwright.sync_api import expect

    page_a, page_b, item = two.page_a, two.page_b, two.item
    two.context_a.set_offline(True)
    save(page_a, item, "target", "71")
    expect(page_a.locator("#outbox .outbox-count")).to_have_text("1 perubahan belum terkirim", timeout=LIVE_BOUND_MS)
    save(page_a, item, "target", "72")  # a change of the change still waiting
    expect(page_a.locator("#outbox .outbox-count")).to_have_text("2 perubahan belum terkirim", timeout=LIVE_BOUND_MS)
    save(page_b, item, "target", "80")
    expect(page_b.locator(f"#item-{item}-target")).to_have_text("80", timeout=LIVE_BOUND_MS)
    two.context_a.set_offline(False)
    conflict = page_a.locator(f"#item-{item}-target .conflict")
    expect(conflict).to_be_visible(timeout=REPLAY_BOUND_MS)
    expect(conflict.locator(".conflict-mine")).to_have_text("72")
    expect(conflict.locator(".conflict-theirs")).to_have_text("80")
    expect(conflict.locator(".conflict-earlier")).to_contain_text("71")
    expect(conflict.locator("input[name=value]")).to_have_value("72")
    expect(page_a.locator(f"#item-{item}-target .stale-note")).to_have_count(0)  # the conflict says it all
    expect(page_a.locator("#outbox .outbox-rejected li")).to_have_count(0)
    expect(page_a.locator("#outbox .outbox-pending")).to_be_hidden()
    screenshot(page_a, "12-outbox-folded-conflict")
    conflict.get_by_role("button", name="Simpan milik saya").click()
    expect(page_b.locator(f"#item-{item}-target")).to_have_text("72", timeout=LIVE_BOUND_MS)
    assert history_count(page_b, "71") == 0
    assert page_a.errors == []  # type: ignore[attr-defined]


def test_a_conflict_stays_while_its_author_edits_other_cells_of_the_row(two: TwoPeople) -> None:
    from playwright.sync_api import expect

    page_a, page_b, item = two.page_a, two.page_b, two.item
    _cell, editor = open_editor(page_a, item, "target")
    save(page_b, item, "target", "81")
    expect(page_a.locator(f"#item-{item}-target .stale-note")).to_be_visible(timeout=LIVE_BOUND_MS)
    editor.locator("input[name=value]").fill("82")
    editor.locator("input[name=value]").press("Enter")
    conflict = page_a.locator(f"#item-{item}-target .conflict")
    expect(conflict).to_be_visible(timeout=LIVE_BOUND_MS)
    # A edits another cell of the same row before choosing: the row is redrawn, the conflict stays.
    save(page_a, item, "location", "Kecamatan Sajad")
    expect(page_b.locator(f"#item-{item}-location")).to_contain_text("Kecamatan Sajad", timeout=LIVE_BOUND_MS)
    expect(page_a.locator(f"#item-{item}-location")).to_contain_text("Kecamatan Sajad")
    expect(conflict).to_be_visible()
    expect(conflict.locator(".conflict-mine")).to_have_text("82")
    conflict.get_by_role("button", name="Pakai nilai mereka").click()
    expect(page_a.locator(f"#item-{item}-target")).to_have_text("81", timeout=LIVE_BOUND_MS)
    assert page_a.errors == []  # type: ignore[attr-defined]


def test_many_refused_changes_stay_listed_without_covering_the_table(two: TwoPeople) -> None:
    from playwright.sync_api import expect

    page_a, page_b = two.page_a, two.page_b
    page_b.on("dialog", lambda dialog: dialog.accept())
    rows = page_a.locator("tr.level-subkegiatan")
    item = rows.nth(rows.count() - 1).get_attribute("data-item-id")
    two.context_a.set_offline(True)
    for field, value in (("target", "5"), ("location", "Kecamatan Selakau"), ("indicator", "Jumlah kegiatan")):
        save(page_a, item, field, value)
    expect(page_a.locator("#outbox .outbox-count")).to_have_text("3 perubahan belum terkirim", timeout=LIVE_BOUND_MS)
    page_b.locator(f"#item-{item} button[title=Hapus]").click()  # B deletes the sub kegiatan meanwhile
    expect(page_b.locator(f"#item-{item}")).to_have_count(0, timeout=LIVE_BOUND_MS)
    two.context_a.set_offline(False)
    refused = page_a.locator("#outbox .outbox-rejected li")
    expect(refused).to_have_count(3, timeout=REPLAY_BOUND_MS)
    expect(page_a.locator("#outbox .outbox-refused-count")).to_have_text("3 perubahan tidak tersimpan")
    expect(refused.first).to_contain_text("Tidak tersimpan")
    panel_height = page_a.locator("#outbox").bounding_box()["height"]
    assert panel_height <= 0.35 * 768 + 1, panel_height
    # What is focused is kept below the panel, not under it (WCAG 2.4.11).
    padding = page_a.evaluate("parseFloat(getComputedStyle(document.documentElement).scrollPaddingTop)")
    assert padding >= panel_height
    screenshot(page_a, "13-outbox-refused")
    page_a.get_by_role("button", name="Tutup semua").click()
    expect(page_a.locator("#outbox")).to_be_hidden()
    assert page_a.evaluate("document.documentElement.style.scrollPaddingTop") == ""
    assert page_a.errors == []  # type: ignore[attr-defined]


def test_a_refusal_for_a_cell_reopened_meanwhile_is_listed_not_thrown(two: TwoPeople) -> None:
    """A's save is on its way when A clicks the cell again (a new editor replaces the sent form)
    and B saves the same field first: A's save is refused as a conflict. The cell is being typed
    in, so the refusal is listed in the panel with A's value; nothing breaks on the page."""
    from playwright.sync_api import expect

    page_a, page_b, item = two.page_a, two.page_b, two.item
    held = hold_saves(page_a, "target")
    save(page_a, item, "target", "57")
    wait_for(page_a, lambda: len(held) == 1, "A's save to leave")
    _cell, editor = open_editor(page_a, item, "target")  # A opens the cell again meanwhile
    save(page_b, item, "target", "66")
    expect(page_b.locator(f"#item-{item}-target")).to_have_attribute("data-value", "66", timeout=LIVE_BOUND_MS)
    held[0].continue_()
    refused = page_a.locator("#outbox .outbox-rejected li")
    expect(refused).to_have_count(1, timeout=LIVE_BOUND_MS)
    expect(refused).to_contain_text("(57)")
    expect(editor).to_be_visible()  # what A is typing now is left alone
    assert page_a.errors == [] and page_b.errors == []  # type: ignore[attr-defined]


def test_a_save_on_its_way_when_the_browser_dies_is_sent_when_its_author_comes_back(browser, two: TwoPeople) -> None:
    """The battery dies while "Menyimpan…" on a slow link: no page is left to notice. The save was
    kept in the browser's storage while on its way, so the next page of the same browser sends it
    again (same key: applied once, whether or not the first one arrived)."""
    from playwright.sync_api import expect

    page_a, page_b, item = two.page_a, two.page_b, two.item
    held = hold_saves(page_a, "target")
    save(page_a, item, "target", "59")
    wait_for(page_a, lambda: len(held) == 1, "A's save to leave")
    disk = two.context_a.storage_state()  # what the browser's disk holds at the moment it dies
    proposal_url = page_a.url
    two.context_a.close()
    context_again = browser.new_context(viewport={"width": 1366, "height": 768}, storage_state=disk)
    page_again = context_again.new_page()
    page_again.goto(proposal_url)
    expect(page_b.locator(f"#item-{item}-target")).to_have_attribute("data-value", "59", timeout=REPLAY_BOUND_MS)
    expect(page_again.locator(f"#item-{item}-target")).to_have_attribute("data-value", "59", timeout=REPLAY_BOUND_MS)
    expect(page_again.locator("#outbox")).to_be_hidden(timeout=REPLAY_BOUND_MS)
    page_b.wait_for_timeout(500)
    assert history_count(page_b, "59") == 1
    on_the_way = page_again.evaluate("localStorage.getItem('sinergi-inflight:' + document.body.dataset.userId)")
    assert on_the_way in (None, "{}")  # nothing left on its way
    context_again.close()
