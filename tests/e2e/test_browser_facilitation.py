"""Browser: the facilitator spotlights and locks; a participant's screen follows without reload."""

from __future__ import annotations

import re

import pytest

from tests.conftest import screenshot
from tests.e2e.test_browser_coediting import LIVE_BOUND_MS, first_sub_item, open_proposal
from tests.e2e.test_browser_login import sign_in
from tests.servers import RunningServer

pytestmark = [pytest.mark.browser, pytest.mark.server]


def open_session(browser, server: RunningServer, username: str, viewport=(1440, 900)):
    context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]})
    page = context.new_page()
    sign_in(page, server, username)
    page.wait_for_url(f"{server.url}/rakor/*")
    page.get_by_role("link", name="Gabung").first.click()
    page.wait_for_url(re.compile(r".*/sesi/\d+$"))
    return context, page


def test_spotlight_and_lock_reach_the_participant(browser, browser_server: RunningServer) -> None:
    from playwright.sync_api import expect

    facilitator_context, console = open_session(browser, browser_server, "fasilitator")
    participant_context, room = open_session(browser, browser_server, "peserta.sambas")
    editor_context, proposal_page = open_proposal(browser, browser_server, "peserta.sambas")
    sambas_id = proposal_page.evaluate("document.body.dataset.proposalId")
    item = first_sub_item(proposal_page)
    expect(proposal_page.locator(f"#item-{item}-target")).to_be_visible()

    # Spotlight: the participant's session room shows the proposal.
    spot_form = console.locator("form.console-form").filter(has=console.locator("#spotlight-proposal"))
    spot_form.locator("select[name=proposal]").select_option(sambas_id)
    spot_form.get_by_role("button", name="Sorotan").click()
    spotlight = room.locator("section.spotlight")
    expect(spotlight).to_contain_text("Badan Kesatuan Bangsa dan Politik Kabupaten Sambas", timeout=LIVE_BOUND_MS)
    expect(spotlight).to_have_attribute("data-proposal-id", sambas_id)

    # Timer and announcement, on every screen.
    timer_form = console.locator("form.console-form").filter(has=console.locator("#timer-minutes"))
    timer_form.locator("input[name=minutes]").fill("15")
    timer_form.locator("input[name=label]").fill("Sinkronisasi Sambas")
    timer_form.get_by_role("button", name="Mulai").click()
    expect(room.locator(".timer-clock")).to_have_text(re.compile(r"1[45]:\d\d"), timeout=LIVE_BOUND_MS)
    console.locator("#announcement-text").fill("Rehat kopi pukul 10.00")
    console.get_by_role("button", name="Umumkan").click()
    expect(room.locator(".announcement")).to_have_text("Rehat kopi pukul 10.00", timeout=LIVE_BOUND_MS)
    screenshot(room, "08-participant-session-room")
    screenshot(console, "09-facilitator-console")

    # Lock: the open proposal page disables editing without a reload.
    body = proposal_page.locator("body")
    expect(body).to_have_attribute("data-can-edit", "true")
    lock_form = console.locator("form.console-form").filter(has=console.locator("#lock-proposal"))
    lock_form.locator("select[name=proposal]").select_option(sambas_id)
    lock_form.get_by_role("button", name="Terapkan").click()
    expect(body).to_have_attribute("data-can-edit", "false", timeout=LIVE_BOUND_MS)
    expect(proposal_page.locator(f"#proposal-{sambas_id}-status")).to_contain_text("Terkunci")
    expect(proposal_page.locator(".row-actions").first).to_be_hidden()
    proposal_page.locator(f"#item-{item}-target").click()
    expect(proposal_page.locator("form.field-editor")).to_have_count(0)
    # A forged edit from that page is refused by the server.
    status = proposal_page.evaluate(
        """async ([item]) => {
            const token = document.querySelector('meta[name=csrf-token]').content;
            const response = await fetch(`/usulan/butir/${item}/ubah/target`, {method: 'POST',
              headers: {'X-CSRFToken': token, 'HX-Request': 'true',
                        'Content-Type': 'application/x-www-form-urlencoded'},
              body: 'value=99&base=4'});
            return response.status;
        }""",
        [item],
    )
    assert status == 403
    screenshot(proposal_page, "10-proposal-locked")

    projector_context = browser.new_context(viewport={"width": 1920, "height": 1080})
    projector = projector_context.new_page()
    sign_in(projector, browser_server, "proyektor")
    projector.wait_for_url(f"{browser_server.url}/rakor/*")
    session_id = room.evaluate("document.body.dataset.sessionId")
    projector.goto(f"{browser_server.url}/sesi/{session_id}/proyektor")
    expect(projector.locator("section.spotlight")).to_contain_text("Kabupaten Sambas")
    expect(projector.locator(".timer-clock")).to_have_text(re.compile(r"1[45]:\d\d"))
    screenshot(projector, "11-projector-view")
    for context in (facilitator_context, participant_context, editor_context, projector_context):
        context.close()


def test_a_breakout_title_with_markup_stays_text(browser, browser_server: RunningServer) -> None:
    """The "you are now in …" notice carries what the facilitator typed: it must not run."""
    from playwright.sync_api import expect

    facilitator_context, console = open_session(browser, browser_server, "fasilitator")
    participant_context, room = open_session(browser, browser_server, "peserta.sambas")
    session_id = console.evaluate("document.body.dataset.sessionId")
    user_id = room.evaluate("document.body.dataset.userId")
    proposal_id = room.locator("#session-" + session_id + "-proposals a").first.get_attribute("href").split("/")[-1]
    title = "<img src=x onerror=\"window.name='pwned'\">"
    token = console.evaluate("document.querySelector('meta[name=csrf-token]').content")
    headers = {"X-CSRFToken": token, "HX-Request": "true"}
    created = console.request.post(
        f"{browser_server.url}/sesi/{session_id}/kelompok",
        headers=headers,
        form={"title": title, "people": user_id, "proposals": proposal_id},
    )
    assert created.status == 204
    assert console.request.post(f"{browser_server.url}/sesi/{session_id}/kelompok/mulai", headers=headers).status == 204
    notice = room.locator("#live-notices .notice")
    expect(notice).to_contain_text("<img src=x", timeout=LIVE_BOUND_MS)  # shown as the text typed
    room.wait_for_url(re.compile(r".*/sesi/\d+\?pindah=1$"))
    assert room.evaluate("window.name") != "pwned"
    facilitator_context.close()
    participant_context.close()


def test_the_console_runs_a_room_at_1366_and_stays_live(browser, browser_server: RunningServer) -> None:
    """Issue 17, item 7: at 1366 × 768 the console needs no sideways scroll; run mode spotlights
    the proposals one after the other on every screen; a breakout made in another window appears
    without a reload; the breakout form starts empty again; the person picker finds by agency."""
    from playwright.sync_api import expect

    facilitator_context, console = open_session(browser, browser_server, "fasilitator", viewport=(1366, 768))
    participant_context, room = open_session(browser, browser_server, "peserta.sambas")
    panel = console.locator("section.console")
    expect(panel.locator(".console-run h3")).to_contain_text("usulan dalam agenda")
    assert console.evaluate("document.documentElement.scrollWidth") <= 1366

    # Run mode: the first proposal, then the next, spotlighted on the participant's screen.
    panel.get_by_role("button", name="Mulai dari yang pertama").click()
    expect(panel.locator(".console-run h3")).to_have_text(re.compile(r"Usulan 1 dari \d+"), timeout=LIVE_BOUND_MS)
    first = panel.locator(".run-current").get_attribute("data-proposal-id")
    expect(room.locator("section.spotlight")).to_have_attribute("data-proposal-id", first, timeout=LIVE_BOUND_MS)
    panel.get_by_role("button", name="Berikutnya →").click()
    expect(panel.locator(".console-run h3")).to_have_text(re.compile(r"Usulan 2 dari \d+"), timeout=LIVE_BOUND_MS)
    expect(panel.locator(".run-totals")).to_contain_text("sub kegiatan")

    # A breakout made in another window of the facilitator shows up here, live.
    other_context, other = open_session(browser, browser_server, "fasilitator")
    other_panel = other.locator("section.console")
    other_panel.locator(".breakout-new input[name=title]").fill("Kelompok Ideologi")
    other_panel.locator(".breakout-new input[name=proposals]").first.check()
    other_panel.locator(".breakout-new input[type=search]").fill("Sambas")
    other_panel.locator(".breakout-new li:not([hidden]) input[name=people]").first.check()
    other_panel.get_by_role("button", name="Bentuk kelompok").click()
    expect(other_panel.locator(".breakout-new input[name=title]")).to_have_value("", timeout=LIVE_BOUND_MS)
    expect(panel.locator(".breakout-card")).to_contain_text("Kelompok Ideologi", timeout=LIVE_BOUND_MS)
    expect(panel.locator(".breakout-card")).to_contain_text("Sambas")

    # The picker finds people by agency and offers the move.
    panel.locator(".person-picker input[type=search]").fill("singkawang")
    found = panel.locator(".person-picker li:not([hidden])")
    expect(found.first).to_contain_text("Singkawang")
    expect(found.first.get_by_role("button", name="ke Kelompok Ideologi")).to_be_visible()
    assert console.evaluate("document.documentElement.scrollWidth") <= 1366
    screenshot(console, "09-facilitator-console-1366")
    for context in (facilitator_context, participant_context, other_context):
        context.close()
