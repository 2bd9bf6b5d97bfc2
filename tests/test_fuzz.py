"""Property-based: random and hostile values posted to every form and sent to every socket event.

For every state-changing route (read from the URL map) and every socket event, Hypothesis
generates forms and payloads from a corpus of hostile values (Indonesian and other Unicode names,
very long strings, numbers with separators, negative and huge budgets, NUL bytes, malformed ids,
markup) mixed with random text. The answer is never a server error; a refused or invalid request
(4xx) carries a message and leaves every table exactly as it was.
"""

from __future__ import annotations

import inspect
import re

import pytest
import sqlalchemy as sa
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import csrf_token_of, login
from tests.test_access import ALLOWED, Ids, build_access_world, routes, url_of
from workspace.extensions import db, socketio

EXAMPLES_PER_ROUTE = 25
EXAMPLES_PER_SOCKET_EVENT = 40

HOSTILE = [
    "", " ", "\x00", "abc\x00def", "\r\n", "\t", "0", "00", "-1", "-5000000", "1.250.000.000", "1,250,000",
    "Rp 1.250.000,-", "1.250.000,50", "1e9", "NaN", "Infinity", "0x1F", "9" * 30, "99999999999999999999999",
    "１２３", "١٢٣", "²", "𝟙𝟚𝟛", " 7 ", "3, 9", "1,2,3,4,5,6,7,8", "up", "down", "sideways",
    "agreed", "agreed_with_notes", "not_agreed", "live", "closed", "review", "preparation", "comment",
    "suggestion", "target", "budget", "directions", "name", "Wahyu Ādi Nugroho, S.Sos., M.Si.",
    "Ñoño Daeng Çakra", "Dayak Kanayatn: Adil Ka' Talino", "徐志明", "محمد", "Ελληνικά", "😀" * 20,
    "<script>alert(1)</script>", "\"><img src=x onerror=alert(1)>", "javascript:alert(1)",
    "'; DROP TABLE proposal; --", "=HYPERLINK(\"http://x\")", "%s%n%x", "../../etc/passwd", "a" * 501,
    "ö" * 2001, "x" * 20_000,
]
FIELDS = sorted(
    {
        "agency", "agenda_minutes", "agenda_title", "base", "body", "breakout", "catalog_entry", "code", "content",
        "decision", "delete_missing", "direction", "field", "filename", "hidden", "item", "kind", "label",
        "language", "locked", "minutes", "name", "next", "note", "parent", "people", "phase", "proposal",
        "proposals", "reason", "resolved", "revision", "status", "stop", "suggestion", "text", "title", "user",
        "value", "verdict", "username", "password",
    }
)
# Numbers a page never sends (issue 16's penetration test): other scripts' digits, 23 to 5,000
# digits, signs and spaces. Each must be a 4xx with a message (404 in a path), never a 500.
HOSTILE_NUMBERS = [
    "²", "٣", "５", "𝟙", "१२", "１２３", "9" * 23, "1" + "0" * 24, "9" * 4301, "9" * 5000,
    "-1", "+1", " 1", "1 ", "1 2", "0",
]
HOSTILE += HOSTILE_NUMBERS
# Ids of objects of the world, and ids of nothing.
ID_VALUES = ["1", "2", "3", "4", "5", "999999", "0", "-1", "1.5", "1e3", "０", "9" * 40, *HOSTILE_NUMBERS]

# Values that fit the world, so that some examples get past validation and are accepted.
PLAUSIBLE = ["4", "Sajingan", "Laporan", "target", "location", "budget", "Jumlah Laporan", "APBD", "30", "1"]
values = st.one_of(
    st.sampled_from(HOSTILE), st.sampled_from(ID_VALUES), st.sampled_from(PLAUSIBLE), st.text(max_size=80)
)
# Fields a view reads that its source does not name as request.form.get("…").
EXTRA_FIELDS = {
    "auth.login": ["username", "password", "remember"],
    "outputs.import_preview": ["content", "filename"],
    "outputs.import_apply": ["content", "filename"],
}


def fields_read_by(app: Flask, endpoint: str) -> list[str]:
    """The form fields a route reads, from its own source: new routes are fuzzed with their fields."""
    source = inspect.getsource(inspect.unwrap(app.view_functions[endpoint]))
    named = re.findall(r'form\.(?:get|getlist)\("(\w+)"', source)
    return sorted(set(named) | set(EXTRA_FIELDS.get(endpoint, [])))


def forms_for(fields: list[str]) -> st.SearchStrategy[dict]:
    value = st.one_of(values, st.lists(values, min_size=1, max_size=4))
    own = st.fixed_dictionaries({}, optional={name: value for name in fields})
    extra = st.dictionaries(st.sampled_from(FIELDS), value, max_size=3)
    return st.tuples(own, extra).map(lambda pair: {**pair[1], **pair[0]})


def everything() -> dict[str, list]:
    db.session.expire_all()
    snapshot = {}
    for table in db.metadata.sorted_tables:
        if table.name == "login_session":
            continue
        snapshot[table.name] = sorted((tuple(map(str, row)) for row in db.session.execute(sa.select(table))), key=str)
    db.session.remove()
    return snapshot


def actor_for(rule: str) -> str:
    for actor in ("participant", "facilitator", "organiser", "reviewer", "other_participant"):
        if actor in ALLOWED[rule]:
            return actor
    return "participant"


def post_routes(app: Flask) -> list[str]:
    return [endpoint for endpoint, method, _rule in routes(app) if method == "POST" and endpoint != "auth.logout"]


def _collection_app() -> Flask:
    from workspace import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "TESTING": True})


def _all_post_endpoints() -> list[str]:
    return post_routes(_collection_app())


STATUSES: dict[str, list[int]] = {}


@pytest.fixture
def fuzz_world(loose_app: Flask) -> Ids:
    with loose_app.test_request_context():
        ids = build_access_world()
        db.session.remove()
        return ids


@pytest.mark.parametrize("databases", ["sqlite"], indirect=True)
@pytest.mark.parametrize("endpoint", _all_post_endpoints())
def test_hostile_forms_never_break_a_route_nor_change_data_when_refused(
    loose_app: Flask, fuzz_world: Ids, endpoint: str
) -> None:
    loose_app.config["COMMENT_RATE_LIMIT"] = "100000 per minute"  # else refused after ten examples
    rule = loose_app.view_functions[endpoint].access_rule
    actor = actor_for(rule)
    client = loose_app.test_client()
    if endpoint != "auth.login":
        login(client, fuzz_world.usernames[actor])
    token = csrf_token_of(client, "/masuk" if endpoint == "auth.login" else "/")
    url = url_of(loose_app, endpoint, fuzz_world.values)

    @settings(
        max_examples=EXAMPLES_PER_ROUTE,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        database=None,
    )
    @given(form=forms_for(fields_read_by(loose_app, endpoint)), htmx=st.booleans())
    def post(form: dict, htmx: bool) -> None:
        with loose_app.app_context():
            before = everything()
        headers = {"X-CSRFToken": token}
        if htmx:
            headers["HX-Request"] = "true"
        response = client.post(url, data=form, headers=headers)
        STATUSES.setdefault(endpoint, []).append(response.status_code)
        assert response.status_code < 500, f"{endpoint} {form!r}: {response.status_code}"
        if response.status_code >= 400:
            if response.status_code in (400, 403, 404, 409, 410, 422, 429):
                assert response.get_data(as_text=True).strip(), f"{endpoint}: a refusal without a message"
            with loose_app.app_context():
                assert everything() == before, f"{endpoint} {form!r} answered {response.status_code} but wrote"

    post()
    # Every route was reached past its permission check by some example (or refused them all for a
    # reason of its own, such as a proposal changed since a preview): the fuzz tested the route.
    assert STATUSES[endpoint], endpoint


SOCKET_KEYS = ["proposal_id", "item_id", "field", "session_id", "event_id"]
socket_values = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.none(),
    st.sampled_from(HOSTILE),
    st.text(max_size=50),
    st.lists(st.integers(), max_size=3),
)
payloads = st.one_of(
    st.none(),
    socket_values,
    st.dictionaries(st.sampled_from(SOCKET_KEYS), socket_values, max_size=5),
)


@pytest.mark.parametrize("databases", ["sqlite"], indirect=True)
@pytest.mark.parametrize("message", ["proposal:join", "proposal:leave", "proposal:focus", "proposal:blur",
                                     "session:join", "event:join"])
def test_hostile_socket_payloads_get_an_answer_and_change_nothing(
    loose_app: Flask, fuzz_world: Ids, message: str
) -> None:
    loose_app.config.update(SOCKET_EVENT_RATE=10_000, SOCKET_EVENT_BURST=10_000)
    http = loose_app.test_client()
    login(http, fuzz_world.usernames["participant"])
    client = socketio.test_client(loose_app, flask_test_client=http)
    with loose_app.app_context():
        before = everything()

    @settings(
        max_examples=EXAMPLES_PER_SOCKET_EVENT,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture],
        database=None,
    )
    @given(payload=payloads)
    def send(payload: object) -> None:
        answer = client.emit(message, payload, callback=True)
        assert isinstance(answer, dict) and isinstance(answer.get("ok"), bool), (message, payload, answer)
        assert client.is_connected()

    send()
    with loose_app.app_context():
        assert everything() == before
    client.disconnect()


# ---- Numbers in paths, queries and forms (issue 16, item 6) -----------------------------------

# The query-string names the views read (a number in some, text in others: none may break).
QUERY_NAMES = [
    "agency", "parent", "sesi", "item", "arah", "baris", "wilayah", "q", "status", "program", "kind", "field", "kode",
    "pindah", "next",
]
# The form fields that carry an id or a number.
NUMBER_FIELDS = {
    "agency", "agenda_minutes", "breakout", "catalog_entry", "item", "minutes", "parent", "people", "proposal",
    "proposals", "revision", "user",
}
PATH_ARGUMENT = re.compile(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>")


def path_with(rule: str, values: dict[str, object], hostile: str, target: str) -> str:
    """The rule's path with the world's values, and `hostile` (URL-quoted) in place of `target`."""
    from urllib.parse import quote

    def argument(match: re.Match[str]) -> str:
        return quote(hostile, safe="") if match.group(2) == target else str(values[match.group(2)])

    return PATH_ARGUMENT.sub(argument, rule)


def _signed_in(app: Flask, ids: Ids, endpoint: str) -> tuple:
    actor = actor_for(app.view_functions[endpoint].access_rule)
    client = app.test_client()
    login(client, ids.usernames[actor])
    return client, {"X-CSRFToken": csrf_token_of(client, "/"), "HX-Request": "true"}


@pytest.mark.parametrize("databases", ["sqlite"], indirect=True)
def test_hostile_numbers_in_paths_are_404_and_change_nothing(loose_app: Flask, fuzz_world: Ids) -> None:
    with loose_app.app_context():
        before = everything()
    tried = 0
    for endpoint, method, rule in routes(loose_app):
        if endpoint == "auth.logout":
            continue
        client, headers = _signed_in(loose_app, fuzz_world, endpoint)
        for target in re.findall(r"<int:(\w+)>", rule):
            for hostile in HOSTILE_NUMBERS:
                path = path_with(rule, fuzz_world.values, hostile, target)
                response = client.open(path, method=method, headers=headers, data={})
                assert response.status_code == 404, (method, path[:120], response.status_code)
                assert response.get_data(as_text=True).strip(), path[:120]
                tried += 1
    assert tried > 500
    with loose_app.app_context():
        assert everything() == before


def _get_endpoint_groups(groups: int = 8) -> list[tuple[str, ...]]:
    """The GET endpoints in a few groups, each its own test: the workers share them (all in one
    test, the PDF and XLSX pages made it the suite's longest, two minutes on one worker)."""
    endpoints = sorted({endpoint for endpoint, method, _rule in routes(_collection_app()) if method == "GET"})
    return [tuple(endpoints[start::groups]) for start in range(groups)]


@pytest.mark.parametrize("databases", ["sqlite"], indirect=True)
@pytest.mark.parametrize("endpoints", _get_endpoint_groups(), ids=lambda group: f"{group[0]}+{len(group) - 1}")
def test_hostile_numbers_in_queries_never_break_a_page(
    loose_app: Flask, fuzz_world: Ids, endpoints: tuple[str, ...]
) -> None:
    with loose_app.app_context():
        before = everything()
    for endpoint in endpoints:
        client, headers = _signed_in(loose_app, fuzz_world, endpoint)
        url = url_of(loose_app, endpoint, fuzz_world.values)
        # Every hostile number in all the names at once, then each name alone (an earlier name's
        # 400 must not hide a later one's 500).
        queries = [dict.fromkeys(QUERY_NAMES, hostile) for hostile in HOSTILE_NUMBERS]
        queries += [{name: hostile} for name in QUERY_NAMES for hostile in ("٣", "9" * 5000)]
        for query in queries:
            response = client.get(url, query_string=query, headers=headers)
            assert response.status_code < 500, (endpoint, str(query)[:60], response.status_code)
            if response.status_code >= 400:
                assert response.get_data(as_text=True).strip(), (endpoint, str(query)[:60])
    with loose_app.app_context():
        assert everything() == before


def test_the_query_fuzz_covers_every_get_endpoint() -> None:
    groups = _get_endpoint_groups()
    covered = [endpoint for group in groups for endpoint in group]
    every_get = {endpoint for endpoint, method, _rule in routes(_collection_app()) if method == "GET"}
    assert sorted(covered) == sorted(every_get) and len(covered) > 50


def _post_endpoints_reading_numbers() -> list[str]:
    app = _collection_app()
    return [endpoint for endpoint in post_routes(app) if NUMBER_FIELDS & set(fields_read_by(app, endpoint))]


@pytest.mark.parametrize("databases", ["sqlite"], indirect=True)
@pytest.mark.parametrize("endpoint", _post_endpoints_reading_numbers())
def test_hostile_numbers_in_number_fields_are_refused_and_change_nothing(
    loose_app: Flask, fuzz_world: Ids, endpoint: str
) -> None:
    fields = [name for name in fields_read_by(loose_app, endpoint) if name in NUMBER_FIELDS]
    loose_app.config["COMMENT_RATE_LIMIT"] = "100000 per minute"
    client, headers = _signed_in(loose_app, fuzz_world, endpoint)
    url = url_of(loose_app, endpoint, fuzz_world.values)
    for field in fields:
        for hostile in HOSTILE_NUMBERS:
            with loose_app.app_context():
                before = everything()
            response = client.post(url, data={field: hostile}, headers=headers)
            assert response.status_code < 500, (endpoint, field, hostile[:30], response.status_code)
            if response.status_code >= 400:
                assert response.get_data(as_text=True).strip(), (endpoint, field)
                with loose_app.app_context():
                    assert everything() == before, (endpoint, field, hostile[:30])
