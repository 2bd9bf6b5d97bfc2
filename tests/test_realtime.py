"""Socket.IO in-process: refused connects and joins, broadcast content and revision of every kind
of edit, presence and focus, and the DB session given back after every event."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import htmx_post, login
from tests.factories import World
from workspace.extensions import db, socketio
from workspace.models import ItemLevel, ProposalItem


def sub_item_ids(app: Flask, proposal_id: int) -> list[int]:
    with app.app_context():
        return list(
            db.session.scalars(
                sa.select(ProposalItem.id)
                .where(ProposalItem.proposal_id == proposal_id, ProposalItem.level == ItemLevel.SUBKEGIATAN)
                .order_by(ProposalItem.position)
            )
        )


def events_named(client, name: str) -> list[dict]:
    return [event["args"][0] for event in client.get_received() if event["name"] == name]


def join(client, proposal_id: int) -> dict:
    return client.emit("proposal:join", {"proposal_id": proposal_id}, callback=True)


def test_anonymous_socket_is_refused(connect: Callable) -> None:
    client, _http = connect(None)
    assert not client.is_connected()


def test_logged_in_socket_connects(connect: Callable, loose_world: World) -> None:
    client, _http = connect(loose_world.participant)
    assert client.is_connected()


@pytest.mark.parametrize(
    "payload",
    [
        None,
        {},
        {"proposal_id": "1"},
        {"proposal_id": -1},
        {"proposal_id": True},
        {"proposal_id": 10**30},
        [1, 2],
        "proposal",
    ],
)
def test_join_with_a_malformed_payload_is_refused(connect: Callable, loose_world: World, payload: object) -> None:
    client, _http = connect(loose_world.participant)
    assert client.emit("proposal:join", payload, callback=True) == {"ok": False, "error": "invalid"}


def test_join_without_the_right_to_view_is_refused(connect: Callable, loose_world: World) -> None:
    client, _http = connect(loose_world.outsider)
    assert join(client, loose_world.proposal.id) == {"ok": False, "error": "forbidden"}
    assert join(client, 999_999) == {"ok": False, "error": "forbidden"}


def test_join_answers_with_revision_rights_and_presence(connect: Callable, loose_world: World) -> None:
    editor, _ = connect(loose_world.participant)
    reader, _ = connect(loose_world.observer)
    answer = join(editor, loose_world.proposal.id)
    assert answer["ok"] and answer["revision"] == 0 and answer["can_edit"] is True
    answer = join(reader, loose_world.proposal.id)
    assert answer["can_edit"] is False
    assert {v["user_id"] for v in answer["viewers"]} == {loose_world.participant.id, loose_world.observer.id}
    presence = events_named(editor, "proposal:presence")[-1]
    assert {v["name"] for v in presence["viewers"]} == {"Budi Peserta", "Layar Proyektor"}


def test_field_edit_is_broadcast_once_with_fragments_and_revision(
    loose_app: Flask, connect: Callable, loose_world: World
) -> None:
    editor, http = connect(loose_world.participant)
    watcher, _ = connect(loose_world.reviewer)
    outsider, _ = connect(loose_world.other_participant)
    join(editor, loose_world.proposal.id)
    join(watcher, loose_world.proposal.id)
    join(outsider, loose_world.other_proposal.id)
    for client in (editor, watcher, outsider):
        client.get_received()
    item_id = sub_item_ids(loose_app, loose_world.proposal.id)[0]
    response = htmx_post(http, f"/usulan/butir/{item_id}/ubah/budget", {"value": "2.000.000.000", "base": "100000000"})
    assert response.status_code == 200
    for client in (editor, watcher):
        changes = events_named(client, "proposal:changed")
        assert len(changes) == 1
        change = changes[0]
        assert change["revision"] == 1 and change["proposal_id"] == loose_world.proposal.id
        assert change["change"]["user_name"] == "Budi Peserta" and change["change"]["field"] == "budget"
        fragments = change["fragments"]
        assert "Rp 2.000.000.000" in fragments[f"item-{item_id}"]
        # The kegiatan and program rows carry new subtotals, the footer the new total.
        assert sum("Rp 2.250.000.000" in html for html in fragments.values()) == 3
        assert f"proposal-{loose_world.proposal.id}-totals" in fragments
        assert "Revisi 1" in fragments[f"proposal-{loose_world.proposal.id}-revision"]
        assert "Rp 100.000.000" in change["history"][0] and "Rp 2.000.000.000" in change["history"][0]
    assert events_named(outsider, "proposal:changed") == []


def test_every_kind_of_change_is_broadcast_with_consecutive_revisions(
    loose_app: Flask, connect: Callable, loose_world: World
) -> None:
    editor, http = connect(loose_world.participant)
    watcher, _ = connect(loose_world.observer)
    join(editor, loose_world.proposal.id)
    join(watcher, loose_world.proposal.id)
    watcher.get_received()
    first, second = sub_item_ids(loose_app, loose_world.proposal.id)
    pid = loose_world.proposal.id
    steps = [
        (f"/usulan/butir/{first}/ubah/target", {"value": "7", "base": "4"}),
        (f"/usulan/butir/{second}/pindah", {"direction": "up"}),
        (f"/usulan/{pid}/butir", {"parent": "", "name": "Program Lokal Perbatasan"}),
        (f"/usulan/butir/{first}/hapus", {}),
    ]
    for path, data in steps:
        assert htmx_post(http, path, data).status_code == 200
    with loose_app.app_context():
        from workspace.models import Revision

        target_revision = db.session.scalar(sa.select(Revision.id).where(Revision.field == "target"))
    assert htmx_post(http, f"/usulan/riwayat/{target_revision}/pulihkan").status_code == 410  # item deleted
    changes = events_named(watcher, "proposal:changed")
    assert [c["revision"] for c in changes] == [1, 2, 3, 4]
    assert [c["change"]["structure"] for c in changes] == [False, True, True, True]
    # A structural change sends the tree's order and the rows whose content changed, not the tree.
    moved, added, deleted = changes[1:]
    assert all(f"proposal-{pid}-tree" not in c["fragments"] for c in changes)
    assert len(moved["order"]) == 1 and rows_of(moved)[2:] == [second, first]  # program, kegiatan, then its two
    new_id = added["change"]["item_ids"][0]
    assert "Program Lokal Perbatasan" in added["fragments"][f"item-{new_id}"]
    assert added["order"][-1] == [new_id, [new_id]]  # a new program: a group of its own, last
    assert first not in rows_of(deleted) and second in rows_of(deleted)
    assert rows_of(deleted) == rows_of_tree(http, pid)
    assert f"item-{first}" not in deleted["fragments"]
    # The rows above the deleted one (the program, the kegiatan) carry their new subtotals, the
    # footer the new total.
    for above in rows_of(deleted)[:2]:
        assert "Rp 250.000.000" in deleted["fragments"][f"item-{above}"]
    assert "Rp 250.000.000" in deleted["fragments"][f"proposal-{pid}-totals"]
    assert "menghapus" in changes[3]["history"][0]


def rows_of(change: dict) -> list[int]:
    return [item_id for _program, ids in change["order"] for item_id in ids]


def rows_of_tree(http: FlaskClient, proposal_id: int) -> list[int]:
    """The rows of the tree the page fetches, in the order it shows them."""
    tree = http.get(f"/usulan/{proposal_id}/pohon", headers={"HX-Request": "true"}).get_data(as_text=True)
    return [int(i) for i in re.findall(r'<tr class="item [^"]*" id="item-(\d+)"', tree)]


def test_restore_is_broadcast(loose_app: Flask, connect: Callable, loose_world: World) -> None:
    editor, http = connect(loose_world.participant)
    join(editor, loose_world.proposal.id)
    item_id = sub_item_ids(loose_app, loose_world.proposal.id)[0]
    htmx_post(http, f"/usulan/butir/{item_id}/ubah/location", {"value": "Paloh", "base": "Kabupaten Sambas"})
    with loose_app.app_context():
        from workspace.models import Revision

        revision_id = db.session.scalar(sa.select(Revision.id))
    editor.get_received()
    assert htmx_post(http, f"/usulan/riwayat/{revision_id}/pulihkan").status_code == 200
    change = events_named(editor, "proposal:changed")[0]
    assert change["revision"] == 2 and "Kabupaten Sambas" in change["fragments"][f"item-{item_id}"]
    assert "mengembalikan" in change["history"][0]


def test_refused_edits_broadcast_nothing(loose_app: Flask, connect: Callable, loose_world: World) -> None:
    watcher, _ = connect(loose_world.participant)
    join(watcher, loose_world.proposal.id)
    watcher.get_received()
    _other, http = connect(loose_world.other_participant)
    item_id = sub_item_ids(loose_app, loose_world.proposal.id)[0]
    assert htmx_post(http, f"/usulan/butir/{item_id}/ubah/target", {"value": "9", "base": "4"}).status_code == 403
    assert events_named(watcher, "proposal:changed") == []


def test_focus_shows_who_is_editing_which_field_and_clears(
    loose_app: Flask, connect: Callable, loose_world: World
) -> None:
    editor, _ = connect(loose_world.participant)
    watcher, _ = connect(loose_world.observer)
    pid = loose_world.proposal.id
    join(editor, pid)
    join(watcher, pid)
    item_id = sub_item_ids(loose_app, pid)[0]
    watcher.get_received()
    assert editor.emit(
        "proposal:focus", {"proposal_id": pid, "item_id": item_id, "field": "target"}, callback=True
    ) == {"ok": True}
    focus = events_named(watcher, "proposal:focus")[-1]["focus"]
    assert focus == [
        {"user_id": loose_world.participant.id, "name": "Budi Peserta", "item_id": item_id, "field": "target"}
    ]
    editor.emit("proposal:blur", {"proposal_id": pid}, callback=True)
    assert events_named(watcher, "proposal:focus")[-1]["focus"] == []
    editor.emit("proposal:focus", {"proposal_id": pid, "item_id": item_id, "field": "budget"}, callback=True)
    editor.disconnect()  # closing the laptop clears presence and focus
    received = watcher.get_received()
    assert [e for e in received if e["name"] == "proposal:focus"][-1]["args"][0]["focus"] == []
    viewers = [e for e in received if e["name"] == "proposal:presence"][-1]["args"][0]["viewers"]
    assert [v["user_id"] for v in viewers] == [loose_world.observer.id]


@pytest.mark.parametrize(
    ("actor", "payload", "error"),
    [
        ("observer", {"item_id": "item", "field": "target"}, "forbidden"),
        ("participant", {"item_id": "item", "field": "password_hash"}, "invalid"),
        ("participant", {"item_id": "other_item", "field": "target"}, "forbidden"),
        ("participant", {"item_id": "missing", "field": "target"}, "forbidden"),
    ],
)
def test_focus_is_refused_for_readers_and_bad_payloads(
    loose_app: Flask, connect: Callable, loose_world: World, actor: str, payload: dict, error: str
) -> None:
    client, _ = connect(loose_world.user(actor))
    pid = loose_world.proposal.id
    join(client, pid)
    ids = {
        "item": sub_item_ids(loose_app, pid)[0],
        "other_item": sub_item_ids(loose_app, loose_world.other_proposal.id)[0],
        "missing": 999_999,
    }
    message = {"proposal_id": pid, **payload, "item_id": ids[payload["item_id"]]}
    assert client.emit("proposal:focus", message, callback=True) == {"ok": False, "error": error}


def test_focus_without_joining_is_refused(loose_app: Flask, connect: Callable, loose_world: World) -> None:
    client, _ = connect(loose_world.participant)
    item_id = sub_item_ids(loose_app, loose_world.proposal.id)[0]
    answer = client.emit(
        "proposal:focus", {"proposal_id": loose_world.proposal.id, "item_id": item_id, "field": "target"}, callback=True
    )
    assert answer == {"ok": False, "error": "not-joined"}


def test_db_session_is_released_after_every_socket_event(
    loose_app: Flask, connect: Callable, loose_world: World
) -> None:
    client, _ = connect(loose_world.participant)
    with loose_app.app_context():
        pool = db.engine.pool
    for event, payload in [
        ("proposal:join", {"proposal_id": loose_world.proposal.id}),
        ("proposal:focus", {"proposal_id": loose_world.proposal.id, "item_id": 1, "field": "target"}),
        ("proposal:blur", {"proposal_id": loose_world.proposal.id}),
        ("proposal:leave", {"proposal_id": loose_world.proposal.id}),
    ]:
        client.emit(event, payload, callback=True)
        assert pool.checkedout() == 0, event


def test_every_socket_handler_releases_the_session_itself(loose_app: Flask) -> None:
    """Not only through Flask's teardown: each handler gives its connection back in a `finally`."""
    from workspace.realtime.handlers import releases_db_session

    handlers = socketio.server.handlers["/"]
    assert {"connect", "disconnect", "proposal:join", "proposal:focus"} <= set(handlers)
    for name, handler in handlers.items():
        assert getattr(handler.__wrapped__, "releases_db_session", False), name

    with loose_app.app_context():

        @releases_db_session
        def touches_the_database() -> None:
            db.session.execute(sa.text("SELECT 1"))
            assert db.engine.pool.checkedout() == 1

        touches_the_database()
        assert db.engine.pool.checkedout() == 0


def test_focus_with_a_malformed_field_is_refused(connect: Callable, loose_world: World) -> None:
    client, _ = connect(loose_world.participant)
    join(client, loose_world.proposal.id)
    for field in (["target"], {"a": 1}, 7, None):
        answer = client.emit(
            "proposal:focus", {"proposal_id": loose_world.proposal.id, "item_id": 1, "field": field}, callback=True
        )
        assert answer == {"ok": False, "error": "invalid"}


def test_a_failed_broadcast_does_not_fail_a_saved_edit(
    loose_app: Flask, connect: Callable, loose_world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    from workspace.realtime import publish

    def broken(*_args, **_kwargs):
        raise ConnectionError("message queue down")

    monkeypatch.setattr(publish.socketio, "emit", broken)
    _client, http = connect(loose_world.participant)
    item_id = sub_item_ids(loose_app, loose_world.proposal.id)[0]
    response = htmx_post(http, f"/usulan/butir/{item_id}/ubah/target", {"value": "9", "base": "4"})
    assert response.status_code == 200 and response.headers["X-Sinergi-Revision"] == "1"
    with loose_app.app_context():
        assert db.session.get(ProposalItem, item_id).target == "9"


def test_tree_fragment_is_the_page_tree(loose_app: Flask, loose_world: World) -> None:
    http: FlaskClient = loose_app.test_client()
    login(http, loose_world.participant.username)
    fragment = http.get(f"/usulan/{loose_world.proposal.id}/pohon").get_data(as_text=True)
    page = http.get(f"/usulan/{loose_world.proposal.id}").get_data(as_text=True)
    assert fragment.strip() in page


def test_a_structural_change_of_several_rows_sends_the_whole_tree(
    loose_app: Flask, loose_world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    from workspace.core.changes import TreeChanged
    from workspace.fragments import structure
    from workspace.realtime.publish import plan

    first, second = sub_item_ids(loose_app, loose_world.proposal.id)
    pid = loose_world.proposal.id
    stamp = {
        "proposal_id": pid,
        "event_id": loose_world.event.id,
        "revision": 5,
        "actor_id": loose_world.participant.id,
    }
    with loose_app.app_context():
        one = plan([TreeChanged(**stamp, revision_ids=(1,), item_ids=(first,))])[0][0]
        # An import's many changes (its revision jumped: the pages fetch the tree anyway).
        several = plan([TreeChanged(**stamp, revision_ids=(1, 2), item_ids=(first, second))])[0][0]
        monkeypatch.setattr(structure, "MAX_ROWS", 2)  # the item, its kegiatan and its program: 3
        too_many = plan([TreeChanged(**stamp, revision_ids=(1,), item_ids=(first,))])[0][0]
    rows = [f"item-{i}" for _program, ids in one.data["order"] for i in ids]
    assert one.fragment_ids[-1] == f"proposal-{pid}-revision"
    assert set(one.fragment_ids[:-1]) == {*rows[:2], f"item-{first}", f"proposal-{pid}-totals"}
    for message in (several, too_many):
        assert f"proposal-{pid}-tree" in message.fragment_ids and "order" not in message.data
        assert not any(i.startswith("item-") for i in message.fragment_ids)
