"""Every route and every socket event against the permission matrix, for each role, an anonymous
client and a person of another event; CSRF on every state-changing route; the history is
append-only whatever anyone posts.

The routes and events are read from the app itself (its URL map, Flask-SocketIO's handlers), so a
new one is covered the day it is added, and one without a declared access rule fails here.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass

import pytest
import sqlalchemy as sa
from flask import Flask
from PIL import Image

from tests.conftest import csrf_token_of, login
from tests.factories import build_world, make_agency, make_session, make_user
from workspace.core.access import ACCESS_RULES
from workspace.extensions import db, socketio
from workspace.models import AgencyKind, AgendaItem, Comment, EventPhase, Evidence, ItemLevel, Revision, Role

ACTORS = (
    "anonymous",
    "organiser",
    "facilitator",
    "participant",
    "other_participant",
    "bappeda",
    "reviewer",
    "observer",
    "outsider",
)
MEMBERS = {"organiser", "facilitator", "participant", "other_participant", "bappeda", "reviewer", "observer"}
# Who each rule lets through, in the world below (the participant belongs to the proposal's agency
# and wrote the comment; "bappeda" is a participant of the Bappeda of the same region, who co-edits
# it by the event's default; the event is in its review phase, so proposals are still editable).
ALLOWED: dict[str, set[str]] = {
    "public": set(ACTORS),
    "signed-in": set(ACTORS) - {"anonymous"},
    "event": MEMBERS,
    "commenter": MEMBERS - {"observer"},
    "comment-author": {"participant"},
    "proposal-editor": {"participant", "bappeda"},
    "organiser": {"organiser"},
    "facilitator": {"facilitator"},
    "session-planner": {"facilitator", "organiser"},
    "document-keeper": {"facilitator", "organiser"},
    "follow-up-reporter": {"facilitator", "organiser", "participant", "bappeda"},
    "realisation-reporter": {"participant", "bappeda"},
    "realisation-verifier": {"reviewer"},
    "reviewer": {"reviewer"},
    "review-desk": {"reviewer", "organiser"},
    "exporter": {"organiser", "facilitator", "reviewer"},
    "proposal-exporter": {"organiser", "facilitator", "reviewer", "participant", "bappeda"},
    "platform-admin": set(),  # nobody in this world is one (tests/test_deployment.py has one)
}
# Last, in this order: these change what the routes after them would find.
DESTRUCTIVE = (
    "sessions.remove_agenda_item",
    "admin.person_status",
    "admin.agency_status",
    "editing.delete",
    "comments.delete",
    "comments.hide",
    "auth.logout",
)
EXEMPT = {"static"}


@dataclass(frozen=True)
class Ids:
    usernames: dict[str, str]
    values: dict[str, object]


def build_access_world() -> Ids:
    from workspace.services import agreements, comments, documents, editing, follow_ups

    world = build_world()
    world.event.phase = EventPhase.REVIEW
    db.session.commit()
    session = make_session(world.event, "Pleno Akses")
    agenda_item = AgendaItem(session_id=session.id, title="Pembukaan", duration_minutes=30)
    db.session.add(agenda_item)
    db.session.commit()
    item = next(i for i in world.proposal.items if i.level is ItemLevel.SUBKEGIATAN)
    editing.update_field(world.participant, item.id, "location", "Sajingan", item.location)
    comments.post_comment(world.participant, world.proposal.id, "Mohon dicek targetnya.")
    revision = db.session.scalar(sa.select(Revision).where(Revision.proposal_id == world.proposal.id))
    comment = db.session.scalar(sa.select(Comment).order_by(Comment.id.desc()))
    final = documents.finalise_minutes(world.organiser, world.event.id, session.id, {"document_date": "2023-03-14"})
    agreements.record_agreement(world.facilitator, session.id, world.proposal.id, "agreed", "")
    follow_up = follow_ups.add_follow_up(
        world.facilitator,
        world.event.id,
        {"proposal": str(world.proposal.id), "what": "Revisi indikator", "who": "Kesbangpol", "due_on": "2024-06-30"},
    )
    evidence = _evidence_file(item.id, world.participant.id)
    values = {
        "evidence_id": evidence.id,
        "event_id": world.event.id,
        "proposal_id": world.proposal.id,
        "item_id": item.id,
        "field": "target",
        "comment_id": comment.id,
        "session_id": session.id,
        "revision_id": revision.id,
        "kind": "csv",
        "file_type": "pdf",
        "agency_id": world.other_agency.id,
        "user_id": world.other_participant.id,
        "agenda_item_id": agenda_item.id,
        "document_id": final.id,
        "follow_up_id": follow_up.id,
        "quarter": 1,
    }
    bappeda = make_agency(region=world.agency.region_name, kind=AgencyKind.BAPPEDA, event=world.event)
    bappeda.region_code = world.agency.region_code
    people = {actor: world.user(actor) for actor in ACTORS if actor not in ("anonymous", "bappeda")}
    people["bappeda"] = make_user(world.event, (Role.PARTICIPANT,), bappeda, name="Perencana Bappeda")
    usernames = {actor: user.username for actor, user in people.items()}
    return Ids(usernames=usernames, values=values)


def _evidence_file(item_id: int, user_id: int) -> Evidence:
    """A PNG backing the item's first quarter, with its thumbnail (the event is not in Monev: the
    service would refuse it)."""
    png = io.BytesIO()
    Image.new("RGB", (4, 4), (10, 20, 30)).save(png, format="PNG")
    content = png.getvalue()
    evidence = Evidence(
        item_id=item_id, quarter=1, filename="foto.png", content_type="image/png", size=len(content),
        sha256=hashlib.sha256(content).hexdigest(), content=content, thumbnail=content, uploaded_by_id=user_id,
    )  # fmt: skip
    db.session.add(evidence)
    db.session.commit()
    return evidence


@pytest.fixture
def access_world(loose_app: Flask) -> Ids:
    with loose_app.test_request_context():
        ids = build_access_world()
        db.session.remove()
        return ids


def routes(app: Flask) -> list[tuple[str, str, str]]:
    """(endpoint, method, rule) of every route, the destructive ones last."""
    found = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint in EXEMPT:
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            found.append((rule.endpoint, method, rule.rule))
    order = {endpoint: position for position, endpoint in enumerate(DESTRUCTIVE, start=1)}
    return sorted(found, key=lambda r: (order.get(r[0], 0), r[0], r[1]))


def url_of(app: Flask, endpoint: str, values: dict[str, object]) -> str:
    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)
    with app.test_request_context():
        from flask import url_for

        return url_for(endpoint, **{name: values[name] for name in rule.arguments})


def is_refusal(response, actor: str) -> bool:
    if response.status_code in (401, 403):
        return True
    if response.status_code == 302:
        location = response.headers.get("Location", "")
        return "/masuk" in location and "next=" in location
    return actor == "outsider" and response.status_code == 404


def test_every_route_and_socket_event_declares_who_may_use_it(loose_app: Flask) -> None:
    undeclared = [
        endpoint
        for endpoint, view in loose_app.view_functions.items()
        if endpoint not in EXEMPT and getattr(view, "access_rule", None) not in ACCESS_RULES
    ]
    assert undeclared == [], f"routes without @access(...): {undeclared}"
    events = [(message, getattr(handler, "access_rule", None)) for message, handler, _ns in socketio.handlers]
    assert [message for message, rule in events if rule not in ACCESS_RULES] == []
    assert set(ALLOWED) == set(ACCESS_RULES)


@pytest.mark.parametrize("actor", ACTORS)
def test_every_route_against_the_permission_matrix(loose_app: Flask, access_world: Ids, actor: str) -> None:
    client = loose_app.test_client()
    if actor != "anonymous":
        login(client, access_world.usernames[actor])
    token = csrf_token_of(client, "/masuk" if actor == "anonymous" else "/")
    with loose_app.app_context():
        history_before = _history()
    wrong = []
    for endpoint, method, _rule in routes(loose_app):
        rule = loose_app.view_functions[endpoint].access_rule
        url = url_of(loose_app, endpoint, access_world.values)
        if method == "GET":
            response = client.get(url)
        else:
            # As the pages send it: htmx, with the token in a header.
            response = client.post(url, data={}, headers={"X-CSRFToken": token, "HX-Request": "true"})
        refused = is_refusal(response, actor)
        allowed = actor in ALLOWED[rule]
        if response.status_code >= 500 or refused == allowed or (allowed and response.status_code == 404):
            wrong.append(
                f"{method} {url} ({endpoint}, {rule}): {response.status_code} {response.headers.get('Location', '')}"
            )
    assert wrong == [], f"{actor}:\n" + "\n".join(wrong)
    with loose_app.app_context():
        history_after = _history()
    # The history is append-only: nothing anyone posted changed or removed a recorded change.
    assert history_after[: len(history_before)] == history_before


def _history() -> list[tuple]:
    db.session.expire_all()
    rows = db.session.execute(
        sa.select(
            Revision.id,
            Revision.proposal_id,
            Revision.proposal_revision,
            Revision.item_id,
            Revision.action,
            Revision.field,
            Revision.old_value,
            Revision.new_value,
            Revision.user_id,
            Revision.created_at,
        ).order_by(Revision.id)
    ).all()
    db.session.remove()
    return [tuple(row) for row in rows]


SOCKET_PAYLOADS = {
    "proposal:join": lambda v: {"proposal_id": v["proposal_id"]},
    "proposal:leave": lambda v: {"proposal_id": v["proposal_id"]},
    "proposal:focus": lambda v: {"proposal_id": v["proposal_id"], "item_id": v["item_id"], "field": "target"},
    "proposal:blur": lambda v: {"proposal_id": v["proposal_id"]},
    "session:join": lambda v: {"session_id": v["session_id"]},
    "event:join": lambda v: {"event_id": v["event_id"]},
}


@pytest.mark.parametrize("actor", ACTORS)
def test_every_socket_event_against_the_permission_matrix(loose_app: Flask, access_world: Ids, actor: str) -> None:
    http = loose_app.test_client()
    if actor != "anonymous":
        login(http, access_world.usernames[actor])
    client = socketio.test_client(loose_app, flask_test_client=http)
    if actor == "anonymous":
        assert not client.is_connected()  # refused at connect: no event of it is ever handled
        return
    handled = {message for message, _handler, _ns in socketio.handlers} - {"connect", "disconnect"}
    assert handled == set(SOCKET_PAYLOADS), "a new socket event needs a payload here"
    wrong = []
    # Join first: leaving, focusing and blurring are about a room one is in.
    for message in ("proposal:join", "proposal:focus", "proposal:blur", "proposal:leave", "session:join", "event:join"):
        handler = next(h for m, h, _ns in socketio.handlers if m == message)
        answer = client.emit(message, SOCKET_PAYLOADS[message](access_world.values), callback=True)
        allowed = actor in ALLOWED[handler.access_rule]
        ok = isinstance(answer, dict) and answer.get("ok") is True
        if ok != allowed:
            wrong.append(f"{message} ({handler.access_rule}): {answer}")
    client.disconnect()
    assert wrong == [], f"{actor}:\n" + "\n".join(wrong)


def test_every_state_changing_route_refuses_a_request_without_a_csrf_token(loose_app: Flask, access_world: Ids) -> None:
    client = loose_app.test_client()
    login(client, access_world.usernames["organiser"])
    htmx = loose_app.test_client()
    login(htmx, access_world.usernames["participant"])
    with loose_app.app_context():
        before = _everything()
    checked = 0
    posts = [r for r in routes(loose_app) if r[1] == "POST"]
    for endpoint, method, _rule in routes(loose_app):
        if method != "POST":
            continue
        url = url_of(loose_app, endpoint, access_world.values)
        for who in (client, htmx):
            plain = who.post(url, data={"body": "x", "value": "1", "phase": "closed", "status": "closed"})
            forged = who.post(
                url, data={"csrf_token": "forged"}, headers={"HX-Request": "true", "X-CSRFToken": "forged"}
            )
            assert plain.status_code == 400 and forged.status_code == 400, f"{endpoint}: {plain.status_code}"
            assert "CSRF" in plain.get_data(as_text=True) or "token" in plain.get_data(as_text=True).lower()
            checked += 1
    assert checked == 2 * len(posts) and len(posts) > 30
    with loose_app.app_context():
        assert _everything() == before


def test_pages_carry_the_csrf_token_for_htmx(loose_app: Flask, access_world: Ids) -> None:
    """htmx sends the token from the page's meta tag (static/js/app.js adds it to every request)."""
    client = loose_app.test_client()
    login(client, access_world.usernames["participant"])
    page = client.get(f"/usulan/{access_world.values['proposal_id']}").get_data(as_text=True)
    assert '<meta name="csrf-token" content="' in page
    with open("static/js/app.js", encoding="utf-8") as script:
        source = script.read()
    assert 'event.detail.headers["X-CSRFToken"]' in source


def _everything() -> dict[str, list[tuple]]:
    """Every row of every table: what a refused request must leave as it was."""
    db.session.expire_all()
    snapshot = {}
    for table in db.metadata.sorted_tables:
        if table.name == "login_session":
            continue  # signing in for the test adds rows here
        snapshot[table.name] = sorted((tuple(map(str, row)) for row in db.session.execute(sa.select(table))), key=str)
    db.session.remove()
    return snapshot


def test_no_route_edits_or_deletes_a_revision(loose_app: Flask) -> None:
    """Restoring an old value is the only route that names a Revision, and it adds a new one."""
    naming = [
        (rule.endpoint, sorted(rule.methods - {"HEAD", "OPTIONS"}))
        for rule in loose_app.url_map.iter_rules()
        if "revision_id" in rule.arguments
    ]
    assert naming == [("editing.restore", ["POST"])]
    from workspace.models import Revision as RevisionModel

    mapper_events = [
        name
        for name in ("before_update", "before_delete")
        if sa.event.contains(RevisionModel, name, _refuse_revision_change_listener())
    ]
    assert mapper_events == ["before_update", "before_delete"]


def _refuse_revision_change_listener():
    from workspace.models.revision import refuse_changes

    return refuse_changes


def test_the_orm_refuses_to_change_or_delete_a_revision(app: Flask, world) -> None:
    from workspace.services import editing

    item = next(i for i in world.proposal.items if i.level is ItemLevel.SUBKEGIATAN)
    editing.update_field(world.participant, item.id, "location", "Paloh", item.location)
    revision = db.session.scalar(sa.select(Revision).order_by(Revision.id.desc()))
    revision.new_value = "forged"
    with pytest.raises(PermissionError):
        db.session.commit()
    db.session.rollback()
    db.session.delete(db.session.get(Revision, revision.id))
    with pytest.raises(PermissionError):
        db.session.commit()
    db.session.rollback()
    assert db.session.get(Revision, revision.id).new_value == "Paloh"
