"""Comments, suggestions, mentions, notifications and the review phase: every action, every
permission, the XSS corpus, limits."""

from __future__ import annotations

import html.parser
from collections.abc import Callable

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import csrf_token_of, htmx_post, login
from tests.factories import World, make_user
from workspace.extensions import db, socketio
from workspace.models import (
    AuditEntry,
    Comment,
    EventPhase,
    ItemLevel,
    Notification,
    ProposalItem,
    ReviewVerdict,
    Revision,
    Role,
    SuggestionStatus,
)


def first_sub(world: World) -> ProposalItem:
    return sorted((i for i in world.proposal.items if i.level is ItemLevel.SUBKEGIATAN), key=lambda i: i.position)[0]


def post(client: FlaskClient, world: World, body: str = "Mohon dicek lagi.", **extra: object):
    return htmx_post(client, f"/usulan/{world.proposal.id}/komentar", {"body": body, **extra})


def comments() -> list[Comment]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(Comment).order_by(Comment.id)))


def stored_state() -> tuple:
    db.session.expire_all()
    rows = db.session.execute(
        sa.select(
            Comment.id,
            Comment.body,
            Comment.deleted_at,
            Comment.hidden_at,
            Comment.resolved_at,
            Comment.suggestion_status,
        )
    ).all()
    items = db.session.execute(sa.select(ProposalItem.id, ProposalItem.target, ProposalItem.budget)).all()
    notes = db.session.scalar(sa.select(sa.func.count(Notification.id)))
    verdicts = db.session.scalar(sa.select(sa.func.count(ReviewVerdict.id)))
    return tuple(map(tuple, rows)), tuple(map(tuple, items)), notes, verdicts


@pytest.fixture
def clients(world: World, login_as: Callable) -> dict[str, FlaskClient]:
    return {
        key: login_as(world.user(key))
        for key in ("organiser", "facilitator", "participant", "other_participant", "reviewer", "observer")
    }


@pytest.mark.parametrize("actor", ["organiser", "facilitator", "participant", "other_participant", "reviewer"])
def test_everyone_taking_part_comments(world: World, clients: dict, actor: str) -> None:
    item = first_sub(world)
    response = post(clients[actor], world, "Indikator perlu diperjelas.", item=item.id, field="indicator")
    assert response.status_code == 200
    comment = comments()[0]
    assert (comment.item_id, comment.field, comment.author_id) == (item.id, "indicator", world.user(actor).id)
    page = clients[actor].get(f"/usulan/{world.proposal.id}").get_data(as_text=True)
    assert "Indikator perlu diperjelas." in page and 'class="field-count"' in page


@pytest.mark.parametrize("actor", ["observer", "outsider"])
def test_observers_and_outsiders_cannot_comment(world: World, login_as: Callable, actor: str) -> None:
    before = stored_state()
    response = post(login_as(world.user(actor)), world)
    assert response.status_code in (403, 404)
    assert stored_state() == before


def test_bad_comments_are_refused_with_a_message(world: World, clients: dict) -> None:
    before = stored_state()
    for body, message in [
        ("", "Tulis komentar terlebih dahulu."),
        ("   \n ", "Tulis komentar"),
        ("x" * 2001, "paling banyak 2000 karakter"),
    ]:
        response = post(clients["participant"], world, body)
        assert response.status_code == 422 and message in response.get_data(as_text=True)
    response = post(clients["participant"], world, "Tentang isian", field="target")
    assert response.status_code == 422  # a field needs an item
    response = post(clients["participant"], world, "x", item=999999)
    assert response.status_code == 404
    response = post(clients["participant"], world, "x", item="abc")
    assert response.status_code == 400
    assert stored_state() == before


def test_reply_edit_and_delete_own_comment(world: World, clients: dict) -> None:
    post(clients["reviewer"], world, "Apakah lokasinya sudah tepat?")
    thread = comments()[0]
    assert htmx_post(clients["participant"], f"/komentar/{thread.id}/balas", {"body": "Sudah, Pak."}).status_code == 200
    reply = comments()[1]
    assert reply.parent_id == thread.id
    # Only the author edits or deletes.
    before = stored_state()
    assert htmx_post(clients["participant"], f"/komentar/{thread.id}/ubah", {"body": "Ubahan"}).status_code == 403
    assert htmx_post(clients["participant"], f"/komentar/{thread.id}/hapus").status_code == 403
    assert htmx_post(clients["organiser"], f"/komentar/{thread.id}/hapus").status_code == 403
    assert stored_state() == before
    assert htmx_post(clients["reviewer"], f"/komentar/{thread.id}/ubah", {"body": "Lokasi tepat?"}).status_code == 200
    assert comments()[0].body == "Lokasi tepat?" and comments()[0].edited_at is not None
    assert htmx_post(clients["reviewer"], f"/komentar/{thread.id}/hapus").status_code == 200
    page = clients["observer"].get(f"/usulan/{world.proposal.id}").get_data(as_text=True)
    assert "komentar dihapus" in page and "Sudah, Pak." in page and "Lokasi tepat?" not in page
    assert htmx_post(clients["reviewer"], f"/komentar/{thread.id}/ubah", {"body": "lagi"}).status_code == 403


def test_organiser_hides_an_abusive_comment_and_it_stays_in_the_database(world: World, clients: dict) -> None:
    post(clients["other_participant"], world, "Kata-kata kasar")
    comment = comments()[0]
    before = stored_state()
    assert htmx_post(clients["facilitator"], f"/komentar/{comment.id}/sembunyikan").status_code == 403
    assert stored_state() == before
    assert htmx_post(clients["organiser"], f"/komentar/{comment.id}/sembunyikan").status_code == 200
    stored = comments()[0]
    assert stored.hidden_at is not None and stored.body == "Kata-kata kasar"
    page = clients["participant"].get(f"/usulan/{world.proposal.id}").get_data(as_text=True)
    assert "disembunyikan oleh penyelenggara" in page and "Kata-kata kasar" not in page
    assert db.session.scalar(sa.select(AuditEntry.action)) == "comment.hide"


def test_only_editors_resolve_and_reopen(world: World, clients: dict) -> None:
    post(clients["reviewer"], world, "Perlu dibahas")
    thread = comments()[0]
    before = stored_state()
    for actor in ("reviewer", "other_participant", "observer", "facilitator"):
        assert htmx_post(clients[actor], f"/komentar/{thread.id}/selesai", {"resolved": "1"}).status_code == 403
    assert stored_state() == before
    assert htmx_post(clients["participant"], f"/komentar/{thread.id}/selesai", {"resolved": "1"}).status_code == 200
    assert comments()[0].resolved_at is not None
    page = clients["reviewer"].get(f"/usulan/{world.proposal.id}/diskusi").get_data(as_text=True)
    assert "thread resolved" in page and "<details >" in page.replace("<details open>", "")
    assert htmx_post(clients["participant"], f"/komentar/{thread.id}/selesai", {"resolved": "0"}).status_code == 200
    assert comments()[0].resolved_at is None


def suggest(client: FlaskClient, world: World, item: ProposalItem, field: str, value: str, body: str = "Saran"):
    return post(client, world, body, item=item.id, field=field, kind="suggestion", suggestion=value)


def test_a_suggestion_is_accepted_through_the_edit_path(world: World, clients: dict) -> None:
    item = first_sub(world)
    assert suggest(clients["reviewer"], world, item, "budget", "120.000.000").status_code == 200
    suggestion = comments()[0]
    assert (suggestion.suggested_from, suggestion.suggested_value) == ("100000000", "120000000")
    page = clients["participant"].get(f"/usulan/{world.proposal.id}").get_data(as_text=True)
    assert "Rp 100.000.000</del> → <ins>Rp 120.000.000" in page
    assert htmx_post(clients["reviewer"], f"/komentar/{suggestion.id}/terima").status_code == 403
    assert htmx_post(clients["participant"], f"/komentar/{suggestion.id}/terima").status_code == 200
    db.session.expire_all()
    assert db.session.get(ProposalItem, item.id).budget == 120_000_000
    assert comments()[0].suggestion_status is SuggestionStatus.ACCEPTED
    revision = db.session.scalar(sa.select(Revision).where(Revision.field == "budget"))
    assert revision.suggestion_id == suggestion.id and revision.user_id == world.participant.id
    history = clients["observer"].get(f"/usulan/{world.proposal.id}/riwayat").get_data(as_text=True)
    assert f"menerima saran {world.reviewer.display_name}" in history
    assert htmx_post(clients["participant"], f"/komentar/{suggestion.id}/terima").status_code == 422


def test_accepting_a_suggestion_after_the_field_changed_gives_the_conflict_view(world: World, clients: dict) -> None:
    item = first_sub(world)
    suggest(clients["reviewer"], world, item, "target", "10")
    suggestion = comments()[0]
    htmx_post(clients["participant"], f"/usulan/butir/{item.id}/ubah/target", {"value": "6", "base": "4"})
    before = stored_state()
    response = htmx_post(clients["participant"], f"/komentar/{suggestion.id}/terima")
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "sudah berubah sejak saran dibuat" in page and ">10<" in page and ">6<" in page
    assert stored_state() == before
    # Apply anyway, over the current value: an ordinary change again.
    assert htmx_post(clients["participant"], f"/komentar/{suggestion.id}/terima", {"base": "6"}).status_code == 200
    db.session.expire_all()
    assert db.session.get(ProposalItem, item.id).target == "10"


def test_rejecting_a_suggestion_needs_a_reason(world: World, clients: dict) -> None:
    item = first_sub(world)
    suggest(clients["reviewer"], world, item, "target", "10")
    suggestion = comments()[0]
    before = stored_state()
    response = htmx_post(clients["participant"], f"/komentar/{suggestion.id}/tolak", {"reason": "  "})
    assert response.status_code == 422 and "alasan" in response.get_data(as_text=True)
    assert stored_state() == before
    assert (
        htmx_post(
            clients["participant"], f"/komentar/{suggestion.id}/tolak", {"reason": "Target sudah sesuai RPJMD"}
        ).status_code
        == 200
    )
    stored = comments()[0]
    assert (
        stored.suggestion_status is SuggestionStatus.REJECTED and stored.rejection_reason == "Target sudah sesuai RPJMD"
    )
    assert (
        db.session.scalar(sa.select(Notification.kind).where(Notification.user_id == world.reviewer.id)) == "suggestion"
    )


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("budget", "-5", "bilangan bulat"),
        ("target", "empat", "bilangan bulat"),
        ("target", "4", "sama dengan nilai"),
        ("name", "Nama", "Pilih isian"),
    ],
)
def test_bad_suggestions_are_refused(world: World, clients: dict, field: str, value: str, message: str) -> None:
    before = stored_state()
    response = suggest(clients["reviewer"], world, first_sub(world), field, value)
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert stored_state() == before


def test_mentions_and_replies_notify(world: World, clients: dict) -> None:
    body = f"@{world.participant.username} dan @{world.other_participant.username}, mohon dicek. @tidak.ada"
    post(clients["reviewer"], world, body)
    thread = comments()[0]
    notes = db.session.scalars(sa.select(Notification).order_by(Notification.user_id)).all()
    assert {n.user_id for n in notes} == {world.participant.id, world.other_participant.id}
    assert all(n.kind == "mention" and "menyebut Anda" in n.message for n in notes)
    htmx_post(clients["participant"], f"/komentar/{thread.id}/balas", {"body": "Baik."})
    note = db.session.scalar(sa.select(Notification).where(Notification.user_id == world.reviewer.id))
    assert note.kind == "reply" and "membalas komentar Anda" in note.message
    page = clients["reviewer"].get("/notifikasi").get_data(as_text=True)
    assert "membalas komentar Anda" in page and 'data-count="1"' in page
    clients["reviewer"].post(
        "/notifikasi/dibaca", data={"csrf_token": csrf_token_of(clients["reviewer"], "/notifikasi")}
    )
    assert 'data-count="0"' in clients["reviewer"].get("/notifikasi").get_data(as_text=True)


def test_mention_completion_lists_people_of_the_event_only(world: World, clients: dict) -> None:
    people = clients["reviewer"].get(f"/rakor/{world.event.id}/orang?q=peserta").get_json()
    assert {p["username"] for p in people} == {world.participant.username, world.other_participant.username}
    assert clients["reviewer"].get(f"/rakor/{world.event.id}/orang?q=Orang Luar").get_json() == []


def test_posting_is_rate_limited_per_user(world: World, clients: dict) -> None:
    statuses = [post(clients["participant"], world, f"Komentar {n}").status_code for n in range(11)]
    assert statuses[:10] == [200] * 10 and statuses[10] == 429
    assert "Terlalu banyak percobaan" in post(clients["participant"], world, "lagi").get_data(as_text=True)
    assert post(clients["reviewer"], world, "Peninjau masih bisa").status_code == 200
    assert len(comments()) == 11


XSS_PAYLOADS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<img src=x onerror=alert(1)>",
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    "<body onload=alert(1)>",
    "<iframe src=javascript:alert(1)>",
    '<a href="javascript:alert(1)">klik</a>',
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "<a href='jav&#x09;ascript:alert(1)'>x</a>",
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "&#60;script&#62;alert(1)&#60;/script&#62;",
    '"><script>alert(1)</script>',
    "'><img src=x onerror=alert(1)>",
    '<div style="background:url(javascript:alert(1))">',
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "<details open ontoggle=alert(1)>",
    "<input autofocus onfocus=alert(1)>",
    "<video><source onerror=alert(1)>",
    '<object data="data:text/html,<script>alert(1)</script>">',
    "<embed src=data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==>",
    "<form action=javascript:alert(1)><button>x</button></form>",
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    '<base href="javascript:alert(1)//">',
    "<link rel=stylesheet href=javascript:alert(1)>",
    'https://example.org/"onmouseover="alert(1)',
    "https://example.org/<script>alert(1)</script>",
    "http://x.example/?a=<img src=x onerror=alert(1)>",
    "{{ 7*7 }} {% raw %}x{% endraw %}",
    "<template><script>alert(1)</script></template>",
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
    "<!--<img src=x onerror=alert(1)>-->",
    'hx-get="/keluar" hx-trigger=load <div hx-post="/keluar" hx-trigger="load">',
]


class BodyAudit(html.parser.HTMLParser):
    """Collects every tag and attribute inside comment bodies."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, list]] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self.tags.append((tag, attrs))


def assert_inert(fragment: str) -> None:
    bodies = fragment.split('<div class="comment-body">')[1:]
    assert bodies, "no comment body rendered"
    for chunk in bodies:
        body = chunk.split("</div>")[0]
        audit = BodyAudit()
        audit.feed(body)
        for tag, attrs in audit.tags:
            assert tag in ("a", "br"), f"tag {tag} in {body!r}"
            for name, value in attrs:
                assert name in ("href", "rel", "target"), f"attribute {name} in {body!r}"
                if name == "href":
                    assert value.startswith(("http://", "https://")), value
                    assert '"' not in value and "<" not in value


def test_xss_corpus_is_inert_in_the_page_and_the_broadcast(loose_app: Flask, loose_world: World) -> None:
    assert len(XSS_PAYLOADS) >= 30
    loose_app.config["COMMENT_RATE_LIMIT"] = "1000 per minute"  # the corpus is one person's burst
    http = loose_app.test_client()
    login(http, loose_world.reviewer.username)
    watcher_http = loose_app.test_client()
    login(watcher_http, loose_world.participant.username)
    watcher = socketio.test_client(loose_app, flask_test_client=watcher_http)
    watcher.emit("proposal:join", {"proposal_id": loose_world.proposal.id}, callback=True)
    watcher.get_received()
    for payload in XSS_PAYLOADS:
        response = htmx_post(http, f"/usulan/{loose_world.proposal.id}/komentar", {"body": payload})
        assert response.status_code == 200, payload
    broadcasts = [e["args"][0] for e in watcher.get_received() if e["name"] == "proposal:changed"]
    assert len(broadcasts) == len(XSS_PAYLOADS)
    for message in broadcasts:
        for fragment in message["threads"]:
            assert_inert(fragment)
    page = watcher_http.get(f"/usulan/{loose_world.proposal.id}").get_data(as_text=True)
    assert_inert(page)
    assert "<script>alert" not in page and "onerror=alert" not in page.replace("onerror=alert(1)&gt;", "")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page  # shown as the text that was typed
    watcher.disconnect()


def test_links_are_clickable_and_line_breaks_kept(world: World, clients: dict) -> None:
    post(clients["reviewer"], world, "Lihat https://kalbarprov.go.id/renja.\nBaris kedua")
    page = clients["participant"].get(f"/usulan/{world.proposal.id}").get_data(as_text=True)
    assert (
        '<a href="https://kalbarprov.go.id/renja" rel="nofollow noopener noreferrer" target="_blank">'
        "https://kalbarprov.go.id/renja</a>.<br>"
    ) in page


def test_comment_broadcast_carries_the_thread_counts_and_revision(loose_app: Flask, loose_world: World) -> None:
    http = loose_app.test_client()
    login(http, loose_world.reviewer.username)
    watcher_http = loose_app.test_client()
    login(watcher_http, loose_world.participant.username)
    watcher = socketio.test_client(loose_app, flask_test_client=watcher_http)
    watcher.emit("proposal:join", {"proposal_id": loose_world.proposal.id}, callback=True)
    watcher.get_received()
    with loose_app.app_context():
        item_id = db.session.scalar(
            sa.select(ProposalItem.id).where(
                ProposalItem.proposal_id == loose_world.proposal.id, ProposalItem.level == ItemLevel.SUBKEGIATAN
            )
        )
    htmx_post(
        http,
        f"/usulan/{loose_world.proposal.id}/komentar",
        {"body": f"@{loose_world.participant.username} cek target", "item": item_id, "field": "target"},
    )
    received = watcher.get_received()
    change = next(e["args"][0] for e in received if e["name"] == "proposal:changed")
    assert change["revision"] == 1 and "cek target" in change["threads"][0]
    assert 'class="field-count"' in change["fragments"][f"item-{item_id}"]
    assert "1 diskusi terbuka" in change["fragments"][f"proposal-{loose_world.proposal.id}-discussion-count"]
    counts = [e["args"][0] for e in received if e["name"] == "notifications:count"]
    assert counts == [{"unread": 1}]  # to the mentioned person's own room
    watcher.disconnect()


def switch_phase(client: FlaskClient, world: World, phase: str) -> int:
    """The phase switch of the event's home page: a plain form."""
    token = csrf_token_of(client, "/")
    return client.post(f"/rakor/{world.event.id}/fase", data={"phase": phase, "csrf_token": token}).status_code


def test_review_phase_verdicts_and_changes_since_review(world: World, clients: dict) -> None:
    item = first_sub(world)
    verdict_url = f"/usulan/{world.proposal.id}/putusan"
    before = stored_state()
    assert htmx_post(clients["reviewer"], verdict_url, {"verdict": "approved"}).status_code == 403  # not yet
    assert stored_state() == before
    # Only organisers switch the phase.
    assert [switch_phase(clients[actor], world, "review") for actor in ("reviewer", "organiser")] == [403, 302]
    db.session.expire_all()
    assert world.event.phase is EventPhase.REVIEW

    for actor in ("participant", "organiser", "facilitator", "observer"):
        assert htmx_post(clients[actor], verdict_url, {"verdict": "approved"}).status_code == 403
    response = htmx_post(clients["reviewer"], verdict_url, {"verdict": "needs_revision", "note": " "})
    assert response.status_code == 422 and "harus diperbaiki" in response.get_data(as_text=True)
    assert htmx_post(clients["reviewer"], verdict_url, {"verdict": "maybe"}).status_code == 422
    assert stored_state() == before
    assert (
        htmx_post(
            clients["reviewer"], verdict_url, {"verdict": "needs_revision", "note": "Target belum terukur"}
        ).status_code
        == 200
    )
    note = db.session.scalar(sa.select(Notification).where(Notification.user_id == world.participant.id))
    assert note.kind == "verdict" and "perlu perbaikan" in note.message

    htmx_post(clients["participant"], f"/usulan/butir/{item.id}/ubah/target", {"value": "12", "base": "4"})
    dashboard = clients["reviewer"].get(f"/rakor/{world.event.id}/tinjauan").get_data(as_text=True)
    assert "Perlu perbaikan" in dashboard and "1 perubahan sejak tinjauan" in dashboard
    mine = clients["participant"].get(f"/rakor/{world.event.id}/usulan-saya").get_data(as_text=True)
    assert "Perlu perbaikan" in mine and "Target belum terukur" in mine
    assert clients["participant"].get(f"/rakor/{world.event.id}/tinjauan").status_code == 403


def test_agency_dashboard_lists_open_items(world: World, clients: dict) -> None:
    item = first_sub(world)
    suggest(clients["reviewer"], world, item, "target", "8", "Naikkan targetnya")
    page = clients["participant"].get(f"/rakor/{world.event.id}/usulan-saya").get_data(as_text=True)
    assert "Naikkan targetnya" in page and "Belum ada putusan." in page


def test_reviewer_made_later_is_a_normal_user_too(world: World) -> None:
    reviewer = make_user(world.event, (Role.REVIEWER,), world.agency)
    assert reviewer.roles_in(world.event) == frozenset({Role.REVIEWER})


def test_every_comment_action_is_broadcast_with_the_thread(loose_app: Flask, loose_world: World) -> None:
    loose_app.config["COMMENT_RATE_LIMIT"] = "1000 per minute"
    clients = {}
    for key in ("reviewer", "participant", "organiser"):
        clients[key] = loose_app.test_client()
        login(clients[key], loose_world.user(key).username)
    watcher = socketio.test_client(loose_app, flask_test_client=clients["organiser"])
    watcher.emit("proposal:join", {"proposal_id": loose_world.proposal.id}, callback=True)
    with loose_app.app_context():
        item_id = db.session.scalar(
            sa.select(ProposalItem.id).where(
                ProposalItem.proposal_id == loose_world.proposal.id, ProposalItem.level == ItemLevel.SUBKEGIATAN
            )
        )
    pid = loose_world.proposal.id
    htmx_post(clients["reviewer"], f"/usulan/{pid}/komentar", {"body": "Utas"})
    htmx_post(
        clients["reviewer"],
        f"/usulan/{pid}/komentar",
        {"body": "", "item": item_id, "field": "target", "kind": "suggestion", "suggestion": "9"},
    )
    htmx_post(
        clients["reviewer"],
        f"/usulan/{pid}/komentar",
        {"body": "", "item": item_id, "field": "unit", "kind": "suggestion", "suggestion": "Dokumen"},
    )
    with loose_app.app_context():
        thread, accept, reject = db.session.scalars(sa.select(Comment.id).order_by(Comment.id)).all()
    watcher.get_received()
    steps = [
        ("reviewer", f"/komentar/{thread}/ubah", {"body": "Utas (diubah)"}, thread, "Utas (diubah)"),
        ("participant", f"/komentar/{thread}/balas", {"body": "Balasan"}, thread, "Balasan"),
        ("participant", f"/komentar/{thread}/selesai", {"resolved": "1"}, thread, "thread resolved"),
        ("participant", f"/komentar/{accept}/terima", {}, accept, "Saran diterima"),
        ("participant", f"/komentar/{reject}/tolak", {"reason": "Tidak perlu"}, reject, "Ditolak: Tidak perlu"),
        ("organiser", f"/komentar/{thread}/sembunyikan", {}, thread, "disembunyikan oleh penyelenggara"),
        ("reviewer", f"/komentar/{reject}/hapus", {}, reject, "komentar dihapus"),
    ]
    revisions = []
    for actor, path, data, thread_id, text in steps:
        response = htmx_post(clients[actor], path, data)
        assert response.status_code == 200, (path, response.get_data(as_text=True))
        changes = [e["args"][0] for e in watcher.get_received() if e["name"] == "proposal:changed"]
        assert len(changes) == 1, path
        assert text in changes[0]["fragments"][f"thread-{thread_id}"], path
        revisions.append(changes[0]["revision"])
    assert revisions == list(range(revisions[0], revisions[0] + len(revisions)))
    watcher.disconnect()


def test_phase_verdict_and_decided_suggestions_reach_open_pages(loose_app: Flask, loose_world: World) -> None:
    http = {key: loose_app.test_client() for key in ("organiser", "reviewer", "participant")}
    for key, client in http.items():
        login(client, loose_world.user(key).username)
    watcher = socketio.test_client(loose_app, flask_test_client=http["participant"])
    author = socketio.test_client(loose_app, flask_test_client=http["reviewer"])
    pid = loose_world.proposal.id
    # As the proposal page does: its proposal's room, and its event's room (every page of the event).
    watcher.emit("proposal:join", {"proposal_id": pid}, callback=True)
    watcher.emit("event:join", {"event_id": loose_world.event.id}, callback=True)
    watcher.get_received()
    # The phase changes what may be edited: every open page of the event hears of it, once.
    assert switch_phase(http["organiser"], loose_world, "review") == 302
    phases = [e["args"][0] for e in watcher.get_received() if e["name"] == "event:phase"]
    assert phases == [{"event_id": loose_world.event.id, "phase": "review", "accepts_edits": True}]
    assert htmx_post(http["reviewer"], f"/usulan/{pid}/putusan", {"verdict": "approved"}).status_code == 200
    received = watcher.get_received()
    change = next(e["args"][0] for e in received if e["name"] == "proposal:changed")
    assert "Disetujui" in change["fragments"][f"proposal-{pid}-review"]
    assert [e["args"][0] for e in received if e["name"] == "notifications:count"] == [{"unread": 1}]
    # Accepting a suggestion tells its author, live.
    with loose_app.app_context():
        item_id = db.session.scalar(
            sa.select(ProposalItem.id).where(
                ProposalItem.proposal_id == pid, ProposalItem.level == ItemLevel.SUBKEGIATAN
            )
        )
    suggestion = {"body": "", "item": item_id, "field": "target", "kind": "suggestion", "suggestion": "9"}
    htmx_post(http["reviewer"], f"/usulan/{pid}/komentar", suggestion)
    with loose_app.app_context():
        suggestion_id = db.session.scalar(sa.select(Comment.id))
    author.get_received()
    assert htmx_post(http["participant"], f"/komentar/{suggestion_id}/terima").status_code == 200
    assert [e["args"][0] for e in author.get_received() if e["name"] == "notifications:count"] == [{"unread": 1}]
    watcher.disconnect()
    author.disconnect()
