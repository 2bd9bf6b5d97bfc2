"""Browser: rows added, moved and deleted by one person reach the other's page as the tree's order
and the changed rows only (fragments/structure.py, `applyOrder` in static/js/app.js): the other
page ends with the rows the server stores, in its order, without fetching the tree, and a cell
being typed in keeps its focus and its text while its row moves."""

from __future__ import annotations

import time

import pytest

from tests.e2e.test_browser_coediting import LIVE_BOUND_MS, open_editor, open_proposal
from tests.servers import RunningServer

pytestmark = [pytest.mark.browser, pytest.mark.server]

SHOWN_ROWS = """() => [...document.querySelectorAll(
  "#proposal-" + document.body.dataset.proposalId + "-tree tbody.program-group > tr.item")].map((row) => row.id)"""
STORED_ROWS = """() => fetch(document.body.dataset.treeUrl, {headers: {"HX-Request": "true"}}).then((r) => r.text())
  .then((html) => { const holder = document.createElement("div"); holder.innerHTML = html;
    return [...holder.querySelectorAll("tbody.program-group > tr.item")].map((row) => row.id); })"""

KEGIATAN_ABOVE = """(id) => { let row = document.getElementById(id);
  while (!row.matches("tr.level-kegiatan")) { row = row.previousElementSibling; } return row.id; }"""

OLD_HISTORY_LINES = """(count) => { const list = document.querySelector("ol.revisions");
  for (let i = 0; i < count; i++) {
    const line = document.createElement("li"); line.textContent = "old " + i; list.append(line); } }"""
SAME_CELLS = "(id) => [...document.getElementById(id).cells].every((cell, i) => cell === window.keptCells[i])"


def wait_for_stored_rows(viewer, writer, before: list[str]) -> list[str]:
    """Once the server stores other rows than `before` (read by the writer's page: its write is
    committed), until the viewer shows those rows, in their order."""
    deadline = time.monotonic() + 10
    stored = writer.evaluate(STORED_ROWS)
    while stored == before and time.monotonic() < deadline:
        time.sleep(0.1)
        stored = writer.evaluate(STORED_ROWS)
    assert stored != before, "the write was not stored"
    viewer.wait_for_function(f"() => ({SHOWN_ROWS})().join() === {stored!r}.join()", timeout=LIVE_BOUND_MS)
    return stored


def test_rows_added_moved_and_deleted_arrive_in_order(browser, browser_server: RunningServer) -> None:
    from playwright.sync_api import expect

    context_a, page_a = open_proposal(browser, browser_server, "peserta.sambas")
    context_b, page_b = open_proposal(browser, browser_server, "kesbangpol.sambas")
    page_a.on("dialog", lambda dialog: dialog.accept())  # "Delete … and everything below it?"
    tree_fetches: list[str] = []
    page_b.on("request", lambda request: tree_fetches.append(request.url) if "/pohon" in request.url else None)
    subs = page_a.locator("tr.level-subkegiatan")
    # A sub kegiatan right below another of the same kegiatan: moving it up swaps the two.
    above, moved = page_a.evaluate(
        """() => { const row = [...document.querySelectorAll("tr.level-subkegiatan")]
          .find((r) => r.previousElementSibling && r.previousElementSibling.matches("tr.level-subkegiatan"));
          return [row.previousElementSibling.dataset.itemId, row.dataset.itemId]; }"""
    )
    kegiatan = page_a.locator("tr.level-kegiatan").first

    # B is typing in the row that A moves up: the row moves, the typing goes on.
    parent = page_b.evaluate(KEGIATAN_ABOVE, f"item-{moved}")
    history = page_b.locator("ol.revisions > li")
    page_b.evaluate(OLD_HISTORY_LINES, 120)  # a long day: more lines than the page shows when loaded
    page_b.evaluate("(id) => { window.keptCells = [...document.getElementById(id).cells]; }", parent)
    _cell, editor_b = open_editor(page_b, moved, "location")
    typing = editor_b.locator("input[name=value]")
    typing.fill("Paloh, Sajingan Besar")
    before = page_b.evaluate(SHOWN_ROWS)
    page_a.locator(f"#item-{moved} button[title='Pindah ke atas']").click()
    stored = wait_for_stored_rows(page_b, page_a, before)
    assert stored.index(f"item-{moved}") == stored.index(f"item-{above}") - 1
    expect(typing).to_be_focused()
    expect(typing).to_have_value("Paloh, Sajingan Besar")
    expect(page_b.locator(f"#item-{moved} .changed-by")).to_contain_text("Diubah oleh", timeout=LIVE_BOUND_MS)
    # The kegiatan above came again unchanged: its cells are the very elements shown before.
    assert page_b.evaluate(SAME_CELLS, parent)

    # A adds a sub kegiatan: it appears on B's page at its place among the rows.
    kegiatan.locator("button[title='Tambah sub kegiatan']").click()
    form = page_a.locator("form.add-item")
    form.locator("#add-name").fill("Sub kegiatan baru dari rapat")
    before = stored
    form.get_by_role("button", name="Tambah", exact=True).click()
    stored = wait_for_stored_rows(page_b, page_a, before)
    added = page_b.locator("tr.item", has_text="Sub kegiatan baru dari rapat")
    expect(added).to_have_count(1)
    expect(added.locator(".changed-by")).to_contain_text("Diubah oleh")
    assert added.get_attribute("id") in stored
    expect(added.locator("button[title='Pindah ke atas']")).to_be_visible()  # htmx and rights applied

    # A deletes a sub kegiatan with a budget: gone from B's page, the subtotals and total follow.
    gone = subs.nth(2).get_attribute("data-item-id")
    before = stored
    page_a.locator(f"#item-{gone} button[title=Hapus]").click()
    stored = wait_for_stored_rows(page_b, page_a, before)
    assert f"item-{gone}" not in stored
    expect(page_b.locator(f"#item-{gone}")).to_have_count(0)
    total_a = page_a.locator("[id$='-total']").inner_text()
    expect(page_b.locator("[id$='-total']")).to_have_text(total_a, timeout=LIVE_BOUND_MS)
    kegiatan_id = kegiatan.get_attribute("id")
    subtotal_a = page_a.locator(f"#{kegiatan_id} td.subtotal").first.inner_text()
    expect(page_b.locator(f"#{kegiatan_id} td.subtotal").first).to_have_text(subtotal_a)

    expect(typing).to_have_value("Paloh, Sajingan Besar")  # still there, still B's
    expect(history).to_have_count(100)  # the newest, as many as a page load shows; the oldest went
    expect(history.first).to_contain_text("menghapus")
    assert tree_fetches == []  # every change came with the broadcast: no catch-up was needed
    assert page_a.errors == [] and page_b.errors == []  # type: ignore[attr-defined]
    context_a.close()
    context_b.close()
