"""The write → publish → render seam (DESIGN.md §10): every change type has its publish row; a
committed change is published once, a rolled-back one never; one render per fragment, whose bytes
the HTTP reply sends; each viewer gets live fragments in their own language; an edit costs a
bounded number of SQL statements."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
import sqlalchemy as sa
from flask import Flask

from tests.conftest import csrf_token_of, htmx_post
from tests.factories import World
from tests.test_realtime import events_named, join, sub_item_ids
from workspace.core import uow
from workspace.core.changes import Change, ItemChanged, all_change_types
from workspace.extensions import db
from workspace.fragments import registry
from workspace.models import ProposalItem
from workspace.realtime import publish


def stored(app: Flask, item_id: int, field: str) -> str:
    """The field's value as its editor starts from (the compare-and-set base)."""
    from workspace.core.item_fields import FIELDS

    with app.app_context():
        return FIELDS[field].to_text(db.session.get(ProposalItem, item_id))




def test_every_change_type_has_a_publish_row() -> None:
    assert publish.missing_rows() == []
    assert set(all_change_types()) == set(publish.PUBLISH)


def test_a_change_type_without_a_publish_row_is_reported() -> None:
    @dataclass(frozen=True)
    class Unpublished(Change):
        pass

    try:
        assert publish.missing_rows() == ["Unpublished"]
    finally:
        del Unpublished
        import gc

        gc.collect()
    assert publish.missing_rows() == []


def test_a_committed_change_is_published_once(
    loose_app: Flask, connect: Callable, loose_world: World, received: list[list[Change]]
) -> None:
    _editor, http = connect(loose_world.participant)
    item_id = sub_item_ids(loose_app, loose_world.proposal.id)[0]
    response = htmx_post(
        http, f"/usulan/butir/{item_id}/ubah/target", {"value": "9", "base": stored(loose_app, item_id, "target")}
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    assert len(received) == 1
    (change,) = received[0]
    assert isinstance(change, ItemChanged)
    assert (change.item_id, change.field, change.revision) == (item_id, "target", 1)


def test_a_rolled_back_change_is_never_published(
    loose_app: Flask, loose_world: World, received: list[list[Change]]
) -> None:
    with loose_app.app_context():
        item = db.session.get(ProposalItem, sub_item_ids(loose_app, loose_world.proposal.id)[0])
        before = item.target
        with pytest.raises(RuntimeError), uow.write_transaction() as unit:
            item.target = "77"
            unit.record(
                ItemChanged(
                    proposal_id=item.proposal_id, event_id=1, revision=99, actor_id=1, item_id=item.id, field="target"
                )
            )
            raise RuntimeError("the write fails before its commit")
        assert db.session.get(ProposalItem, item.id).target == before
    assert received == []


def test_recording_outside_a_unit_of_work_is_refused() -> None:
    with pytest.raises(RuntimeError):
        uow.record(ItemChanged(proposal_id=1, event_id=1, revision=1, actor_id=1))


def test_the_reply_is_the_published_fragment_rendered_once(
    loose_app: Flask, connect: Callable, loose_world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    editor, http = connect(loose_world.participant)
    watcher, _ = connect(loose_world.reviewer)
    join(editor, loose_world.proposal.id)
    join(watcher, loose_world.proposal.id)
    watcher.get_received()
    item_id = sub_item_ids(loose_app, loose_world.proposal.id)[0]
    rendered: list[str] = []
    original = registry.render

    def counting(fragment_id: str, memo: registry.Memo | None = None) -> object:
        rendered.append(fragment_id)
        return original(fragment_id, memo)

    monkeypatch.setattr(publish, "render", counting)
    response = htmx_post(
        http,
        f"/usulan/butir/{item_id}/ubah/indicator",
        {"value": "Jumlah Forum", "base": stored(loose_app, item_id, "indicator")},
    )
    assert response.status_code == 200
    assert rendered.count(f"item-{item_id}") == 1  # one render for the writer, the room and the reply
    (message,) = events_named(watcher, "proposal:changed")
    assert message["fragments"][f"item-{item_id}"] == response.get_data(as_text=True)
    assert response.headers["X-Sinergi-Revision"] == str(message["revision"])


def test_each_viewer_gets_live_fragments_in_their_language(
    loose_app: Flask, connect: Callable, loose_world: World
) -> None:
    editor, http = connect(loose_world.participant)  # Indonesian, the default
    english_http = loose_app.test_client()
    from tests.conftest import login

    login(english_http, loose_world.reviewer.username)
    english_http.post("/bahasa", data={"language": "en", "csrf_token": csrf_token_of(english_http, "/")})
    from workspace.extensions import socketio

    english = socketio.test_client(loose_app, flask_test_client=english_http)
    try:
        join(editor, loose_world.proposal.id)
        join(english, loose_world.proposal.id)
        english.get_received()
        editor.get_received()
        item_id = sub_item_ids(loose_app, loose_world.proposal.id)[0]
        assert (
            htmx_post(
                http,
                f"/usulan/butir/{item_id}/ubah/target",
                {"value": "8", "base": stored(loose_app, item_id, "target")},
            ).status_code
            == 200
        )
        (seen_in_english,) = events_named(english, "proposal:changed")
        (seen_in_indonesian,) = events_named(editor, "proposal:changed")
        label = f"proposal-{loose_world.proposal.id}-revision"
        assert "Revision 1" in seen_in_english["fragments"][label]
        assert "Revisi 1" in seen_in_indonesian["fragments"][label]
    finally:
        english.disconnect()


def test_a_field_edit_costs_few_sql_statements(loose_app: Flask, connect: Callable, loose_world: World) -> None:
    editor, http = connect(loose_world.participant)
    join(editor, loose_world.proposal.id)
    item_id = sub_item_ids(loose_app, loose_world.proposal.id)[0]
    base = stored(loose_app, item_id, "target")
    token = csrf_token_of(http, "/")
    statements: list[str] = []

    def count(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        statements.append(statement)

    with loose_app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        response = htmx_post(http, f"/usulan/butir/{item_id}/ubah/target", {"value": "12", "base": base}, token)
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
    assert response.status_code == 200
    print(f"\n{len(statements)} statements:\n" + "\n".join(s.split("\n")[0][:120] for s in statements))
    assert len(statements) <= 12
