"""Browser: a comment posted in one window appears in another; a mention lights the badge live."""

from __future__ import annotations

import pytest

from tests.conftest import screenshot
from tests.e2e.test_browser_coediting import LIVE_BOUND_MS, open_proposal
from tests.servers import RunningServer

pytestmark = [pytest.mark.browser, pytest.mark.server]


def test_comment_and_mention_arrive_live(browser, browser_server: RunningServer) -> None:
    from playwright.sync_api import expect

    context_a, reviewer = open_proposal(browser, browser_server, "peninjau", via_list=True)
    context_b, participant = open_proposal(browser, browser_server, "peserta.sambas")
    badge = participant.locator("#unread-badge")
    expect(badge).to_be_hidden()

    reviewer.get_by_role("button", name="Komentar baru").click()
    form = reviewer.locator("form.comment-form")
    form.wait_for()
    textarea = form.locator("textarea[name=body]")
    textarea.press_sequentially("Mohon cek target, @peserta.samb")
    completion = reviewer.locator(".mention-list li", has_text="@peserta.sambas")
    expect(completion).to_have_count(1)
    expect(reviewer.locator(".mention-list li")).to_have_count(1)  # the answer to the last keystroke
    completion.dispatch_event("mousedown")
    expect(textarea).to_have_value("Mohon cek target, @peserta.sambas ")
    textarea.press_sequentially("terima kasih.")
    form.get_by_role("button", name="Kirim").click()

    thread = participant.locator(".thread").first
    expect(thread).to_contain_text("Mohon cek target", timeout=LIVE_BOUND_MS)
    expect(badge).to_have_text("1", timeout=LIVE_BOUND_MS)
    expect(badge).to_be_visible()
    screenshot(participant, "06-comment-and-badge")

    # The participant replies; the reviewer sees it live and is notified of the reply.
    reply = thread.locator("form.reply-form textarea")
    reply.fill("Sudah kami sesuaikan, Bu.")
    thread.locator("form.reply-form").get_by_role("button", name="Balas").click()
    expect(reviewer.locator(".thread").first).to_contain_text("Sudah kami sesuaikan", timeout=LIVE_BOUND_MS)
    expect(reviewer.locator("#unread-badge")).to_have_text("1", timeout=LIVE_BOUND_MS)
    expect(reply).to_have_value("")
    screenshot(reviewer, "07-reply-arrives")
    assert reviewer.errors == [] and participant.errors == []  # type: ignore[attr-defined]
    context_a.close()
    context_b.close()
