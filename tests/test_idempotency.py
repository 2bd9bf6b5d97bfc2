"""Idempotent writes: a write sent again with its `Idempotency-Key` changes nothing and gets the
original answer — twice in a row, after a lost answer, on another process, concurrently; a key of
someone else is refused; a refused write keeps no key; expired keys are purged."""

from __future__ import annotations

import socket
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlencode

import pytest
import requests
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import csrf_token_of
from tests.databases import query
from tests.factories import World, make_session
from tests.live_clients import LiveClient, cell_values, wait_until
from tests.servers import RunningServer, start_server
from workspace.core import idempotency, uow
from workspace.core.idempotency import KEPT_HEADERS
from workspace.extensions import db
from workspace.models import (
    Agreement,
    Attendance,
    Comment,
    IdempotencyKey,
    ItemLevel,
    Proposal,
    ProposalItem,
    Revision,
)
from workspace.models.base import utcnow
from workspace.services.demo import DEMO_PASSWORD


def new_key() -> str:
    return str(uuid.uuid4())


def keyed_post(client: FlaskClient, path: str, data: dict | None, key: str | None, token: str | None = None):
    """A POST as the browser's htmx sends it, with its idempotency key."""
    headers = {"HX-Request": "true", "X-CSRFToken": token or csrf_token_of(client, "/")}
    if key is not None:
        headers["Idempotency-Key"] = key
    return client.post(path, data=data or {}, headers=headers)


def answer(response) -> tuple:
    """What a replay must give back: status, body and the headers htmx reads."""
    headers = {name: response.headers.get(name) for name in KEPT_HEADERS if name != "Content-Type"}
    return response.status_code, response.get_data(as_text=True), headers


def state() -> dict:
    """Everything the writes below touch, to prove a refused or replayed request changed nothing."""
    db.session.expire_all()

    def rows(*columns: object) -> tuple:
        return tuple(map(tuple, db.session.execute(sa.select(*columns).order_by(columns[0])).all()))

    return {
        "proposals": rows(Proposal.id, Proposal.revision, Proposal.status),
        "items": rows(ProposalItem.id, ProposalItem.parent_id, ProposalItem.position, ProposalItem.target),
        "revisions": rows(Revision.id),
        "comments": rows(Comment.id, Comment.body, Comment.suggestion_status),
        "agreements": rows(Agreement.id, Agreement.decision, Agreement.superseded_at),
        "attendance": rows(Attendance.id, Attendance.checked_in),
    }


def stored_keys() -> list[IdempotencyKey]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(IdempotencyKey).order_by(IdempotencyKey.id)))


def subs(world: World) -> list[ProposalItem]:
    return sorted((i for i in world.proposal.items if i.level is ItemLevel.SUBKEGIATAN), key=lambda i: i.position)


@dataclass
class Write:
    """One browser write: who sends it where, what one change of it looks like, and someone else."""

    client: FlaskClient
    path: str
    data: dict
    other: FlaskClient
    counted: str  # the part of state() one change of this write grows (or changes)
    bad_data: dict | None = None  # the same write failing validation, if it can


def _field_edit(world: World, login_as: Callable) -> Write:
    item = subs(world)[0]
    return Write(
        login_as(world.participant),
        f"/usulan/butir/{item.id}/ubah/budget",
        {"value": "120.000.000", "base": "100000000"},
        login_as(world.other_participant),
        "revisions",
        {"value": "seratus juta", "base": "100000000"},
    )


def _add_item(world: World, login_as: Callable) -> Write:
    kegiatan = next(i for i in world.proposal.items if i.level is ItemLevel.KEGIATAN)
    return Write(
        login_as(world.participant),
        f"/usulan/{world.proposal.id}/butir",
        {"parent": kegiatan.id, "name": "Sosialisasi Wawasan Kebangsaan di Perbatasan Aruk"},
        login_as(world.other_participant),
        "items",
        {"parent": subs(world)[0].id, "name": "Di bawah sub kegiatan"},
    )


def _delete_item(world: World, login_as: Callable) -> Write:
    item = subs(world)[1]
    return Write(
        login_as(world.participant), f"/usulan/butir/{item.id}/hapus", {}, login_as(world.other_participant), "items"
    )


def _move(world: World, login_as: Callable) -> Write:
    item = subs(world)[1]
    return Write(
        login_as(world.participant),
        f"/usulan/butir/{item.id}/pindah",
        {"direction": "up"},
        login_as(world.other_participant),
        "items",
    )


def _comment(world: World, login_as: Callable) -> Write:
    return Write(
        login_as(world.reviewer),
        f"/usulan/{world.proposal.id}/komentar",
        {"body": "Lokasinya sudah tepat?"},
        login_as(world.participant),
        "comments",
        {"body": "   "},
    )


def _thread(world: World, login_as: Callable, **extra: str) -> int:
    reviewer = login_as(world.reviewer)
    response = keyed_post(reviewer, f"/usulan/{world.proposal.id}/komentar", {"body": "Mohon dicek.", **extra}, None)
    assert response.status_code == 200, response.get_data(as_text=True)
    return db.session.scalar(sa.select(sa.func.max(Comment.id)))


def _reply(world: World, login_as: Callable) -> Write:
    thread = _thread(world, login_as)
    return Write(
        login_as(world.participant),
        f"/komentar/{thread}/balas",
        {"body": "Sudah, Pak."},
        login_as(world.reviewer),
        "comments",
        {"body": ""},
    )


def _accept(world: World, login_as: Callable) -> Write:
    item = subs(world)[0]
    suggestion = _thread(world, login_as, item=str(item.id), field="target", kind="suggestion", suggestion="10")
    return Write(
        login_as(world.participant),
        f"/komentar/{suggestion}/terima",
        {},
        login_as(world.other_participant),
        "revisions",
    )


def _agreement(world: World, login_as: Callable) -> Write:
    session = make_session(world.event)
    return Write(
        login_as(world.facilitator),
        f"/sesi/{session.id}/kesepakatan",
        {"proposal": world.proposal.id, "decision": "agreed_with_notes", "note": "Target naik"},
        login_as(world.organiser),
        "agreements",
        {"proposal": world.proposal.id, "decision": "agreed_with_notes", "note": ""},
    )


def _check_in(world: World, login_as: Callable) -> Write:
    session = make_session(world.event)
    participant = login_as(world.participant)
    assert participant.get(f"/sesi/{session.id}").status_code == 200  # opening the room records attendance
    return Write(participant, f"/sesi/{session.id}/hadir", {}, login_as(world.other_participant), "attendance")


WRITES: dict[str, Callable[[World, Callable], Write]] = {
    "field edit": _field_edit,
    "add item": _add_item,
    "delete item": _delete_item,
    "move": _move,
    "comment": _comment,
    "reply": _reply,
    "suggestion accept": _accept,
    "agreement": _agreement,
    "check-in": _check_in,
}
VALIDATED = [name for name in WRITES if name not in ("delete item", "move", "suggestion accept", "check-in")]


@pytest.fixture(params=list(WRITES))
def write(request: pytest.FixtureRequest, world: World, login_as: Callable) -> Write:
    return WRITES[request.param](world, login_as)


def test_the_same_write_twice_changes_once_and_answers_the_same(write: Write) -> None:
    key, before = new_key(), state()
    first = keyed_post(write.client, write.path, write.data, key)
    assert first.status_code < 400, first.get_data(as_text=True)
    assert "X-Sinergi-Replayed" not in first.headers
    once = state()
    assert once[write.counted] != before[write.counted]
    second = keyed_post(write.client, write.path, write.data, key)
    assert answer(second) == answer(first)
    assert second.headers["X-Sinergi-Replayed"] == "1"
    assert state() == once
    (stored,) = stored_keys()
    assert (stored.key, stored.completed, stored.status) == (key, True, first.status_code)
    assert abs(stored.expires_at - stored.created_at - timedelta(days=14)) < timedelta(seconds=5)


def test_a_lost_answer_is_given_again(write: Write) -> None:
    key = new_key()
    keyed_post(write.client, write.path, write.data, key).close()  # sent, committed, never read
    once = state()
    again = keyed_post(write.client, write.path, write.data, key)
    assert again.status_code < 400 and again.headers["X-Sinergi-Replayed"] == "1"
    (stored,) = stored_keys()
    assert again.get_data(as_text=True) == stored.body and again.status_code == stored.status
    assert state() == once


def test_a_key_of_someone_else_is_refused(write: Write) -> None:
    key = new_key()
    keyed_post(write.client, write.path, write.data, key)
    once = state()
    refused = keyed_post(write.other, write.path, write.data, key)
    assert refused.status_code == 422
    assert "sudah dipakai untuk perubahan lain" in refused.get_data(as_text=True)
    assert "X-Sinergi-Replayed" not in refused.headers
    assert state() == once
    # Another path with the same key: refused too.
    elsewhere = keyed_post(write.client, "/notifikasi/dibaca", {}, key)
    assert elsewhere.status_code == 422 and state() == once


@pytest.mark.parametrize("name", VALIDATED)
def test_a_refused_write_keeps_no_key(name: str, world: World, login_as: Callable) -> None:
    write = WRITES[name](world, login_as)
    key, before = new_key(), state()
    refused = keyed_post(write.client, write.path, write.bad_data, key)
    assert refused.status_code == 422, refused.get_data(as_text=True)
    assert state() == before and stored_keys() == []
    accepted = keyed_post(write.client, write.path, write.data, key)
    assert accepted.status_code < 400 and "X-Sinergi-Replayed" not in accepted.headers
    assert state()[write.counted] != before[write.counted]
    assert [k.key for k in stored_keys()] == [key]


def test_a_conflict_keeps_no_key_and_the_same_key_then_applies(world: World, login_as: Callable) -> None:
    item, participant = subs(world)[0], login_as(world.participant)
    key, path = new_key(), f"/usulan/butir/{item.id}/ubah/target"
    conflict = keyed_post(participant, path, {"value": "9", "base": "3"}, key)
    assert conflict.status_code == 409 and stored_keys() == []
    assert keyed_post(participant, path, {"value": "9", "base": "4"}, key).status_code == 200
    assert keyed_post(participant, path, {"value": "9", "base": "4"}, key).headers["X-Sinergi-Replayed"] == "1"


def test_writes_without_a_key_and_reads_with_one_are_as_before(world: World, login_as: Callable) -> None:
    reviewer = login_as(world.reviewer)
    path = f"/usulan/{world.proposal.id}/komentar"
    for _ in range(2):
        assert keyed_post(reviewer, path, {"body": "Dua kali"}, None).status_code == 200
    assert len(state()["comments"]) == 2
    page = reviewer.get(f"/usulan/{world.proposal.id}", headers={"Idempotency-Key": new_key()})
    assert page.status_code == 200 and "X-Sinergi-Replayed" not in page.headers
    assert stored_keys() == []


def test_a_malformed_key_is_refused(world: World, login_as: Callable) -> None:
    reviewer, before = login_as(world.reviewer), state()
    for bad in ("short", "x" * 101, "spaces are not allowed", "kunci/../../etc"):
        response = keyed_post(reviewer, f"/usulan/{world.proposal.id}/komentar", {"body": "Hai"}, bad)
        assert response.status_code == 400, bad
        assert "kuncinya tidak sah" in response.get_data(as_text=True)
    assert state() == before and stored_keys() == []


def test_a_committed_write_whose_answer_was_not_stored_says_so(
    app: Flask, world: World, login_as: Callable, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The process stopped between the commit and storing the answer: the retry changes nothing
    and says that the change was saved (409, X-Sinergi-Replayed: committed)."""
    app.config["SINERGI_IDEMPOTENCY_WAIT"] = 0.2
    write = _comment(world, login_as)

    def lost(_key: str, _response: object) -> None:
        raise RuntimeError("the process stopped")

    monkeypatch.setattr(idempotency, "save_answer", lost)
    key = new_key()
    assert keyed_post(write.client, write.path, write.data, key).status_code == 200
    once = state()
    retry = keyed_post(write.client, write.path, write.data, key)
    assert retry.status_code == 409
    assert retry.headers["X-Sinergi-Replayed"] == "committed"
    assert "sudah tersimpan" in retry.get_data(as_text=True) and "Muat ulang" in retry.get_data(as_text=True)
    assert state() == once
    (stored,) = stored_keys()
    assert not stored.completed


def test_concurrent_duplicates_make_one_change(
    world: World, login_as: Callable, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both requests pass the check before either commits; the second fails at the key's unique
    index, rolls back and answers with the first one's response."""
    path, data, key = f"/usulan/{world.proposal.id}/komentar", {"body": "Sekali saja"}, new_key()
    clients = [login_as(world.reviewer), login_as(world.reviewer)]  # two sign-ins of one person
    tokens = [csrf_token_of(client, "/") for client in clients]
    both_checked = threading.Barrier(2, timeout=10)
    first_reads, counting = {"left": 2}, threading.Lock()
    read_key = idempotency.read_key

    def read_then_wait(wanted: str):  # the first look of each request: both find nothing
        found = read_key(wanted)
        with counting:
            mine = first_reads["left"] > 0
            first_reads["left"] -= 1
        if mine:
            both_checked.wait()
        return found

    monkeypatch.setattr(idempotency, "read_key", read_then_wait)
    taken: list[str] = []
    claim = uow._claim_request_key

    def claim_and_note(session: object):
        try:
            return claim(session)
        except uow.RequestKeyTaken as error:
            taken.append(error.key)
            raise

    monkeypatch.setattr(uow, "_claim_request_key", claim_and_note)
    answers: list = [None, None]

    def send(index: int) -> None:
        answers[index] = keyed_post(clients[index], path, data, key, tokens[index])

    threads = [threading.Thread(target=send, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert all(response is not None for response in answers)
    assert [a.status_code for a in answers] == [200, 200]
    assert answer(answers[0]) == answer(answers[1])
    assert sorted(a.headers.get("X-Sinergi-Replayed", "") for a in answers) == ["", "1"]
    assert [body for _id, body, _status in state()["comments"]] == ["Sekali saja"]
    assert taken == [key]  # the second one's key row failed at the unique index


def test_expired_keys_are_purged_at_most_every_ten_minutes(world: World, login_as: Callable) -> None:
    now = utcnow()

    def old_key(name: str, expires_in: timedelta) -> None:
        db.session.add(
            IdempotencyKey(
                key=name,
                user_id=world.reviewer.id,
                method="POST",
                path="/x",
                expires_at=now + expires_in,
                status=200,
                body="",
                headers={},
                completed=True,
            )
        )
        db.session.commit()

    old_key("expired-yesterday", timedelta(days=-1))
    old_key("expires-tomorrow", timedelta(days=1))
    idempotency.purge_schedule.next_at = 0.0  # this process has not purged yet
    write = _comment(world, login_as)
    first = new_key()
    assert keyed_post(write.client, write.path, write.data, first).status_code == 200
    assert {k.key for k in stored_keys()} == {"expires-tomorrow", first}
    old_key("expired-an-hour-ago", timedelta(hours=-1))
    assert keyed_post(write.client, write.path, {"body": "Lagi"}, new_key()).status_code == 200
    assert "expired-an-hour-ago" in {k.key for k in stored_keys()}  # not ten minutes yet
    idempotency.purge_schedule.next_at = 0.0
    assert keyed_post(write.client, write.path, {"body": "Lagi"}, new_key()).status_code == 200
    assert "expired-an-hour-ago" not in {k.key for k in stored_keys()}


# ---- Two processes sharing PostgreSQL ---------------------------------------------------------


@pytest.fixture
def two_servers(tmp_path: Path, postgres_demo) -> Iterator[dict]:
    """Processes A and B on one PostgreSQL database (as tests/test_multiprocess.py)."""
    postgres, template = postgres_demo
    database_url = postgres.clone(template, tmp_path)
    servers: dict[str, RunningServer] = {}
    for name in ("a", "b"):
        instance = tmp_path / f"instance-{name}"
        instance.mkdir()
        servers[name] = start_server(instance, database_url, {"SINERGI_ASYNC": "eventlet"})
    yield {**servers, "database_url": database_url}
    for server in servers.values():
        server.stop()
    postgres.drop(database_url)


def live_post(client: LiveClient, path: str, data: dict, key: str) -> requests.Response:
    headers = {"HX-Request": "true", "X-CSRFToken": client.csrf, "Idempotency-Key": key}
    return client.http.post(f"{client.base_url}{path}", data=data, headers=headers, timeout=30)


def live_answer(response: requests.Response) -> tuple:
    headers = {name: response.headers.get(name) for name in KEPT_HEADERS if name != "Content-Type"}
    return response.status_code, response.text, headers


def send_and_hang_up(client: LiveClient, path: str, data: dict, key: str) -> None:
    """The answer is lost: the request goes out whole, the connection closes before any reply."""
    body = urlencode(data).encode()
    cookie = "; ".join(f"{c.name}={c.value}" for c in client.http.cookies)
    host, port = client.base_url.removeprefix("http://").split(":")
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nCookie: {cookie}\r\nHX-Request: true\r\n"
        f"X-CSRFToken: {client.csrf}\r\nIdempotency-Key: {key}\r\n"
        f"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    )
    with socket.create_connection((host, int(port)), timeout=10) as raw:
        raw.sendall(head.encode() + body)


def counts(database_url: str, proposal_id: int) -> tuple:
    revisions = query(database_url, "SELECT count(*) FROM revision WHERE proposal_id = :p", {"p": proposal_id})
    comments = query(database_url, "SELECT count(*) FROM comment WHERE proposal_id = :p", {"p": proposal_id})
    revision = query(database_url, "SELECT revision FROM proposal WHERE id = :p", {"p": proposal_id})
    return revisions[0][0], comments[0][0], revision[0][0]


def completed(database_url: str, key: str) -> bool:
    rows = query(database_url, "SELECT completed FROM idempotency_key WHERE key = :k", {"k": key})
    return bool(rows and rows[0][0])


@pytest.mark.server
@pytest.mark.postgres
def test_a_key_committed_on_one_process_is_answered_by_the_other(two_servers: dict) -> None:
    database_url = two_servers["database_url"]
    on_a = LiveClient(two_servers["a"].url, "peserta.sambas", DEMO_PASSWORD)
    on_b = LiveClient(two_servers["b"].url, "peserta.sambas", DEMO_PASSWORD)
    proposal_id = int(on_a.get("/rakor/1").split('href="/usulan/')[1].split('"')[0])
    tree = cell_values(on_a.get(f"/usulan/{proposal_id}/pohon"))
    first_item, second_item = sorted({item for item, _field in tree})[:2]

    # Answered on A, sent again to B: A's answer, nothing changed.
    key, path = new_key(), f"/usulan/butir/{first_item}/ubah/target"
    data = {"value": "321", "base": tree[(first_item, "target")]}
    on_a_answer = live_post(on_a, path, data, key)
    assert on_a_answer.status_code == 200 and on_a_answer.headers["X-Sinergi-Revision"]
    once = counts(database_url, proposal_id)
    on_b_answer = live_post(on_b, path, data, key)
    assert live_answer(on_b_answer) == live_answer(on_a_answer)
    assert on_b_answer.headers["X-Sinergi-Replayed"] == "1"
    assert counts(database_url, proposal_id) == once

    # The answer of A lost on the way back; the browser sends again, to B.
    key, path = new_key(), f"/usulan/butir/{second_item}/ubah/target"
    data = {"value": "654", "base": tree[(second_item, "target")]}
    send_and_hang_up(on_a, path, data, key)
    assert wait_until(lambda: completed(database_url, key), timeout=10)
    lost_once = counts(database_url, proposal_id)
    assert lost_once[0] == once[0] + 1
    replayed = live_post(on_b, path, data, key)
    assert replayed.status_code == 200 and replayed.headers["X-Sinergi-Replayed"] == "1"
    assert "654" in replayed.text and int(replayed.headers["X-Sinergi-Revision"]) == lost_once[2]
    assert counts(database_url, proposal_id) == lost_once

    # A comment sent to A and B at the same time with one key: one comment, one answer.
    reviewers = [LiveClient(two_servers[name].url, "peninjau", DEMO_PASSWORD) for name in ("a", "b")]
    key, path, comment = new_key(), f"/usulan/{proposal_id}/komentar", {"body": "Dari dua proses sekaligus"}
    before = counts(database_url, proposal_id)
    answers: list = [None, None]
    start = threading.Barrier(2)

    def send(index: int) -> None:
        start.wait()
        answers[index] = live_post(reviewers[index], path, comment, key)

    threads = [threading.Thread(target=send, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert [a.status_code for a in answers] == [200, 200]
    assert live_answer(answers[0]) == live_answer(answers[1])
    assert counts(database_url, proposal_id)[1] == before[1] + 1
    again = live_post(reviewers[1], path, comment, key)
    assert again.headers["X-Sinergi-Replayed"] == "1" and counts(database_url, proposal_id)[1] == before[1] + 1
