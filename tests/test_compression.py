"""Light pages: responses compressed by the app itself (workspace/compression.py), on the real
server as `make run` starts it, on a proposal of 300 items built once for the module."""

from __future__ import annotations

import gzip
import re
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import brotli
import pytest
import requests
import sqlalchemy as sa
from flask import Flask, Response

from tests.conftest import app_config, csrf_token_of, login
from tests.servers import RunningServer, start_server
from workspace.compression import SEGMENT_BYTES, choose_encoding, compression_of
from workspace.services.demo import DEMO_PASSWORD

# Compression does not touch the database engine: SQLite only (tests/conftest.py).
pytestmark = pytest.mark.one_engine

WIRE_LIMIT = 150_000  # issue 19: the 300-item proposal page, compressed, at most this many bytes
BROWSER = "gzip, deflate, br, zstd"  # what Chromium sends
CSRF = re.compile(rb'(name="csrf-token" content="|name="csrf_token" value=")[^"]+')


# ---- the 300-item proposal, once for the module ---------------------------------------------------


def _grow(proposal: object, items: int) -> None:
    """Local sub kegiatan under the proposal's kegiatan until it has `items` items (as bench/support.py)."""
    from workspace.extensions import db
    from workspace.models import ItemLevel, ProposalItem

    kegiatan = [item for item in proposal.items if item.level is ItemLevel.KEGIATAN]  # type: ignore[attr-defined]
    for serial in range(1, items - len(proposal.items) + 1):  # type: ignore[attr-defined]
        parent = kegiatan[serial % len(kegiatan)]
        db.session.add(
            ProposalItem(
                proposal_id=proposal.id,  # type: ignore[attr-defined]
                parent_id=parent.id,
                level=ItemLevel.SUBKEGIATAN,
                position=100 + serial,
                code=f"{parent.code}.{9000 + serial:04d}",
                name=f"Sub kegiatan lokal {serial} untuk pengukuran",
                outside_catalog=True,
                indicator="Jumlah kegiatan terlaksana",
                target=str(serial % 12 + 1),
                unit="kegiatan",
                location="Kalimantan Barat",
                budget=(serial * 7_919) % 500 * 1_000_000 + serial,
                funding_source="APBD",
                forward_target=str(serial % 12 + 1),
                forward_budget=(serial * 7_919) % 500 * 1_000_000,
            )
        )
    db.session.commit()


@pytest.fixture(scope="module")
def big_database(databases, demo_template: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    """A copy of the demo rakor whose province proposal has 300 items."""
    from workspace import create_app
    from workspace.extensions import db
    from workspace.models import Agency, AgencyKind, Proposal

    folder = tmp_path_factory.mktemp("compression")
    url = databases.clone(demo_template, folder)
    app = create_app(app_config(folder, url))
    with app.app_context():
        proposal = db.session.scalars(
            sa.select(Proposal)
            .join(Agency, Agency.id == Proposal.agency_id)
            .where(Agency.kind == AgencyKind.KESBANGPOL)
            .order_by(Agency.region_code)
        ).first()
        _grow(proposal, 300)
        info = {"url": url, "proposal_id": proposal.id, "event_id": proposal.event_id, "databases": databases}
        db.session.remove()
        db.engine.dispose()
    yield info
    databases.drop(url)


@pytest.fixture(scope="module")
def server(big_database: dict, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """The real app on it, as `make run` serves it (eventlet)."""
    instance = tmp_path_factory.mktemp("compression-instance")
    running = start_server(instance, big_database["url"], {"SINERGI_ASYNC": "eventlet"})
    yield running
    running.stop()


@pytest.fixture(scope="module")
def http(server: RunningServer) -> requests.Session:
    session = requests.Session()
    page = session.get(f"{server.url}/masuk", timeout=10).text
    token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    signed = session.post(
        f"{server.url}/masuk",
        data={"username": "fasilitator", "password": DEMO_PASSWORD, "csrf_token": token},
        allow_redirects=False,
        timeout=10,
    )
    assert signed.status_code == 302
    return session


def fetch(http: requests.Session, url: str, accept: str | None, **headers: str) -> tuple[requests.Response, bytes]:
    """The response and its body exactly as it came over the wire (not decoded)."""
    response = http.get(url, headers={"Accept-Encoding": accept, **headers}, stream=True, timeout=30)  # type: ignore[dict-item]
    return response, response.raw.read(decode_content=False)


def decoded(body: bytes, encoding: str | None) -> bytes:
    if encoding == "br":
        return brotli.decompress(body)
    if encoding == "gzip":
        # One gzip member, complete, with nothing after it (a browser's zlib stops at the first).
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        data = inflater.decompress(body)
        assert inflater.eof and not inflater.unused_data
        return data
    assert encoding is None
    return body


def masked(page: bytes) -> bytes:
    """The page without its CSRF tokens (signed with the time, so two answers may differ there)."""
    return CSRF.sub(rb"\1", page)


# ---- choosing the coding ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        ("", None),
        ("identity", None),
        (BROWSER, "br"),
        ("gzip, br", "br"),
        ("gzip", "gzip"),
        ("x-gzip", "gzip"),
        ("br;q=0.5, gzip", "gzip"),
        ("BR;Q=1, gzip;q=0.9", "br"),
        ("br;q=0, gzip;q=0", None),
        ("*", "br"),
        ("*;q=0.5, br;q=0", "gzip"),
        ("deflate, zstd", None),
        ("br;q=oops, gzip", "gzip"),
    ],
)
def test_the_coding_follows_accept_encoding(accept: str, expected: str | None) -> None:
    assert choose_encoding(accept) == expected


def test_a_body_with_a_large_part_prefers_gzip_on_a_tie_only() -> None:
    spliced = ("gzip", "br")
    assert choose_encoding(BROWSER, spliced) == "gzip"
    assert choose_encoding("br", spliced) == "br"
    assert choose_encoding("gzip;q=0.5, br", spliced) == "br"


# ---- the real server --------------------------------------------------------------------------------


@pytest.mark.server
def test_proposal_page_of_300_items_is_small_on_the_wire(server: RunningServer, http, big_database: dict) -> None:
    url = f"{server.url}/usulan/{big_database['proposal_id']}"
    plain, plain_body = fetch(http, url, None)
    assert plain.status_code == 200 and "Content-Encoding" not in plain.headers
    assert plain_body.count(b'<tr class="item ') == 300
    assert len(plain_body) > 800_000  # what is being compressed: about 930 KB
    sizes = {}
    for accept, expected in (("br", "br"), ("gzip", "gzip"), (BROWSER, "gzip")):
        answer, body = fetch(http, url, accept)
        assert answer.status_code == 200
        assert answer.headers["Content-Encoding"] == expected, accept
        assert "Accept-Encoding" in answer.headers["Vary"]
        assert int(answer.headers["Content-Length"]) == len(body)
        assert len(body) <= WIRE_LIMIT, (accept, len(body))
        assert masked(decoded(body, expected)) == masked(plain_body), accept
        sizes[accept] = len(body)
    # The cached tree's gzip segment: the next answer is spliced from it and still decodes whole.
    _again, body = fetch(http, url, "gzip")
    assert masked(decoded(body, "gzip")) == masked(plain_body)
    assert abs(len(body) - sizes["gzip"]) < 200  # only the CSRF tokens differ


@pytest.mark.server
def test_a_client_sending_no_accept_encoding_gets_identity(server: RunningServer, http, big_database: dict) -> None:
    for path in (f"/usulan/{big_database['proposal_id']}", "/static/js/app.js", f"/rakor/{big_database['event_id']}"):
        answer, body = fetch(http, f"{server.url}{path}", None)
        assert answer.status_code == 200
        assert "Content-Encoding" not in answer.headers, path
        assert "Accept-Encoding" in answer.headers["Vary"], path
        assert int(answer.headers["Content-Length"]) == len(body)


@pytest.mark.server
@pytest.mark.parametrize("encoding", ["br", "gzip"])
def test_static_files_are_compressed_with_their_own_etag_and_304(server: RunningServer, encoding: str) -> None:
    anonymous = requests.Session()
    url = f"{server.url}/static/js/app.js"
    plain, plain_body = fetch(anonymous, url, None)
    answer, body = fetch(anonymous, url, encoding)
    assert answer.status_code == 200 and answer.headers["Content-Encoding"] == encoding
    assert decoded(body, encoding) == plain_body == (Path(__file__).parent.parent / "static/js/app.js").read_bytes()
    assert len(body) < len(plain_body) / 3
    assert "Accept-Ranges" not in answer.headers
    etag = answer.headers["ETag"]
    assert etag == plain.headers["ETag"][:-1] + f'-{encoding}"'  # its own strong validator
    revalidated, empty = fetch(anonymous, url, encoding, **{"If-None-Match": etag})
    assert revalidated.status_code == 304 and empty == b""
    assert revalidated.headers["ETag"] == etag
    assert "Accept-Encoding" in revalidated.headers["Vary"]
    # The identity copy's validator still answers 304; the encoded one does not match identity.
    assert fetch(anonymous, url, encoding, **{"If-None-Match": plain.headers["ETag"]})[0].status_code == 304
    other, other_body = fetch(anonymous, url, None, **{"If-None-Match": etag})
    assert other.status_code == 200 and other_body == plain_body


@pytest.mark.server
def test_documents_and_spreadsheets_are_never_compressed(server: RunningServer, http, big_database: dict) -> None:
    event_id = big_database["event_id"]
    files = ((f"/rakor/{event_id}/daftar-hadir.pdf", b"%PDF"), (f"/rakor/{event_id}/daftar-hadir.xlsx", b"PK"))
    for path, magic in files:
        answer, body = fetch(http, f"{server.url}{path}", BROWSER)
        assert answer.status_code == 200, path
        assert "Content-Encoding" not in answer.headers, path
        assert "Accept-Encoding" not in answer.headers.get("Vary", ""), path
        assert body.startswith(magic) and int(answer.headers["Content-Length"]) == len(body)


@pytest.mark.server
def test_engineio_long_polling_is_left_to_engineio(server: RunningServer, http) -> None:
    """Socket.IO's polling is answered in front of Flask: our hook never sees it, and the opening
    packet comes through in a coding the client asked for."""
    answer, body = fetch(http, f"{server.url}/socket.io/?EIO=4&transport=polling", BROWSER)
    assert answer.status_code == 200
    encoding = answer.headers.get("Content-Encoding")
    assert encoding in (None, "gzip", "deflate")
    data = zlib.decompress(body, 16 + zlib.MAX_WBITS) if encoding == "gzip" else body
    data = zlib.decompress(body) if encoding == "deflate" else data
    assert data.startswith(b'0{"sid":')


@pytest.mark.browser
@pytest.mark.server
def test_chromium_decodes_the_spliced_page_and_the_brotli_tree(browser, server: RunningServer, big_database) -> None:
    from tests.e2e.test_browser_login import sign_in

    context = browser.new_context(viewport={"width": 1366, "height": 768})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        sign_in(page, server, "fasilitator")
        page.wait_for_url(f"{server.url}/rakor/*")
        answer = page.goto(f"{server.url}/usulan/{big_database['proposal_id']}")
        assert answer is not None and answer.header_value("content-encoding") == "gzip"
        assert page.locator("tr.item").count() == 300
        fetched = page.evaluate(
            """async (url) => {
                const answer = await fetch(url, {headers: {"HX-Request": "true"}});
                const html = await answer.text();
                const rows = (html.match(/<tr class="item /g) || []).length;
                return [answer.status, answer.headers.get("content-encoding"), rows];
            }""",
            f"{server.url}/usulan/{big_database['proposal_id']}/pohon",
        )
        assert fetched == [200, "br", 300]  # one part: brotli, from the part cache once seen twice
        assert errors == []
    finally:
        context.close()


# ---- in the process: caches, order of the hooks, what is left alone ---------------------------------


@contextmanager
def app_on_a_copy(tmp_path: Path, big_database: dict, **config: object) -> Iterator[Flask]:
    from workspace import create_app
    from workspace.extensions import db

    databases = big_database["databases"]
    url = databases.clone(big_database["url"], tmp_path)
    app = create_app({**app_config(tmp_path, url), **config})
    try:
        yield app
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        databases.drop(url)


@pytest.fixture
def big_app(tmp_path: Path, big_database: dict) -> Iterator[Flask]:
    with app_on_a_copy(tmp_path, big_database) as app:
        yield app


def test_a_repeat_request_does_not_compress_the_tree_again(big_app: Flask, big_database: dict) -> None:
    client = big_app.test_client()
    login(client, "fasilitator", DEMO_PASSWORD)
    parts = compression_of(big_app).parts
    page = f"/usulan/{big_database['proposal_id']}"
    plain = client.get(page).data
    for _ in range(2):  # the tree's segment is kept from its second sight on
        client.get(page, headers={"Accept-Encoding": "gzip"})
    misses, hits = parts.misses, parts.hits
    for _ in range(3):
        answer = client.get(page, headers={"Accept-Encoding": "gzip"})
        assert masked(decoded(answer.data, "gzip")) == masked(plain)
    assert parts.misses == misses and parts.hits == hits + 3
    # The tree fetch (one part, rendered anew each time) is found by its content: br from the cache.
    tree = f"{page}/pohon"
    plain_tree = client.get(tree).data
    assert len(plain_tree) >= SEGMENT_BYTES
    for _ in range(2):
        client.get(tree, headers={"Accept-Encoding": "br"})
    misses = parts.misses
    answer = client.get(tree, headers={"Accept-Encoding": BROWSER})
    assert answer.headers["Content-Encoding"] == "br" and brotli.decompress(answer.data) == plain_tree
    assert parts.misses == misses


def test_small_bodies_streams_and_the_switch(big_app: Flask) -> None:
    @big_app.route("/test-stream")
    def stream() -> Response:
        return Response((b"x" * 4096 for _ in range(4)), mimetype="text/plain")

    client = big_app.test_client()
    health = client.get("/healthz", headers={"Accept-Encoding": BROWSER})
    assert len(health.data) < 1024 and "Content-Encoding" not in health.headers
    streamed = client.get("/test-stream", headers={"Accept-Encoding": BROWSER})
    assert "Content-Encoding" not in streamed.headers and streamed.data == b"x" * 16384
    login_page = client.get("/masuk", headers={"Accept-Encoding": "gzip"})
    assert login_page.headers["Content-Encoding"] == "gzip"
    assert b"csrf-token" in gzip.decompress(login_page.data)


def test_compression_switched_off_sends_everything_as_it_is(tmp_path: Path, big_database: dict) -> None:
    with app_on_a_copy(tmp_path, big_database, SINERGI_COMPRESS=False) as app:  # SINERGI_COMPRESS=0
        client = app.test_client()
        for path in ("/masuk", "/static/js/app.js"):
            off = client.get(path, headers={"Accept-Encoding": BROWSER})
            assert off.status_code == 200
            assert "Content-Encoding" not in off.headers and "Accept-Encoding" not in off.headers.get("Vary", "")


def test_a_replayed_write_is_stored_plain_and_sent_compressed(big_app: Flask, big_database: dict) -> None:
    """The idempotency store runs before compression: it keeps the body as rendered."""
    from workspace.extensions import db
    from workspace.models import IdempotencyKey, ItemLevel, ProposalItem

    client = big_app.test_client()
    login(client, "peserta.provinsi", DEMO_PASSWORD)
    with big_app.app_context():
        item = db.session.scalars(
            sa.select(ProposalItem)
            .where(ProposalItem.proposal_id == big_database["proposal_id"], ProposalItem.level == ItemLevel.SUBKEGIATAN)
            .order_by(ProposalItem.id)
        ).first()
        item_id, before = item.id, item.target
    headers = {
        "HX-Request": "true",
        "X-CSRFToken": csrf_token_of(client, "/"),
        "Idempotency-Key": "0b7c5a4e-8c6f-4d1e-9a55-2f7d9c1b3e01",
        "Accept-Encoding": "gzip",
    }
    data = {"value": "77", "base": before}
    first = client.post(f"/usulan/butir/{item_id}/ubah/target", data=data, headers=headers)
    again = client.post(f"/usulan/butir/{item_id}/ubah/target", data=data, headers=headers)
    assert first.status_code == again.status_code == 200
    assert again.headers.get("X-Sinergi-Replayed") == "1"
    assert first.headers["Content-Encoding"] == again.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(first.data) == gzip.decompress(again.data)
    with big_app.app_context():
        stored = db.session.scalar(sa.select(IdempotencyKey).where(IdempotencyKey.key == headers["Idempotency-Key"]))
        assert stored.body == gzip.decompress(first.data).decode("utf-8")


def test_server_timing_tells_what_compressing_cost(tmp_path: Path, big_database: dict) -> None:
    """The benches read it (SINERGI_SERVER_TIMING=1): compression is inside app's time, and named."""
    with app_on_a_copy(tmp_path, big_database, SINERGI_SERVER_TIMING=True) as app:
        client = app.test_client()
        timing = client.get("/masuk", headers={"Accept-Encoding": "br"}).headers["Server-Timing"]
        match = re.fullmatch(r"app;dur=(\d+\.\d\d), compress;dur=(\d+\.\d\d)", timing)
        assert match and float(match.group(2)) <= float(match.group(1))
        assert re.fullmatch(r"app;dur=\d+\.\d\d", client.get("/masuk").headers["Server-Timing"])  # not compressed
