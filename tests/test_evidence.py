"""Issue 18, item 3: the evidence files (bukti dukung) of an item's quarter — PDF, JPG and PNG
judged by their content, with a thumbnail; every hostile upload refused with its reason and
nothing stored; who may add and remove them, and when; the download's headers; the history and the
live change; the files are in the database, so in its backup.

Texts are asserted in Indonesian (the default locale); the refusals' and the page's texts are new
msgids, so the tests reading them pass once translations/id has them."""

from __future__ import annotations

import io
import shutil
import sqlite3
import struct
import subprocess
import zlib
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from fpdf import FPDF
from PIL import Image

from tests.conftest import app_config, csrf_token_of, login
from tests.factories import World
from workspace.core.changes import RealisationChanged
from workspace.extensions import db
from workspace.models import EventPhase, Evidence, ItemLevel, ProposalItem, QuarterReview, ReviewStatus, Revision
from workspace.services import evidence_files
from workspace.services.backup import backup_sqlite
from workspace.services.evidence_files import clean_filename


def _sub(world: World) -> ProposalItem:
    return next(i for i in world.proposal.items if i.level is ItemLevel.SUBKEGIATAN)


# ---- Files ------------------------------------------------------------------------------------


def _png(size: tuple[int, int] = (320, 200), color: tuple[int, ...] = (30, 120, 200)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format="PNG")
    return buffer.getvalue()


def _jpeg(size: tuple[int, int] = (400, 200), orientation: int | None = None) -> bytes:
    image = Image.new("RGB", size, (200, 60, 20))
    image.paste((20, 160, 60), (0, 0, size[0] // 2, size[1]))
    exif = Image.Exif()
    if orientation is not None:
        exif[0x0112] = orientation
    exif[0x010F] = "Kamera Dinas"  # Make: metadata the thumbnail must not carry
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", exif=exif.tobytes(), quality=80)
    return buffer.getvalue()


def _pdf(text: str = "Laporan kegiatan triwulan I", password: str | None = None) -> bytes:
    document = FPDF()
    if password:
        document.set_encryption(owner_password="pemilik", user_password=password)
    document.add_page()
    document.set_font("helvetica", size=16)
    document.cell(text=text)
    return bytes(document.output())


def _png_of_size(width: int, height: int) -> bytes:
    """A tiny PNG that claims `width` × `height` pixels (a decompression bomb's header)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    body = zlib.compress(b"\x00" * 100_000, 9)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", body) + chunk(b"IEND", b"")


def _corrupt_png() -> bytes:
    content = bytearray(_png((64, 64)))
    start = content.index(b"IDAT") + 8
    content[start : start + 20] = b"\xde\xad\xbe\xef" * 5
    return bytes(content)


# ---- Requests ---------------------------------------------------------------------------------


def _page_url(item: ProposalItem, quarter: int = 1) -> str:
    return f"/usulan/butir/{item.id}/realisasi/{quarter}/bukti"


def _upload(client, item: ProposalItem, filename: str | None, content: bytes, quarter: int = 1):
    data: dict = {"csrf_token": csrf_token_of(client, "/")}
    if filename is not None:
        data["file"] = (io.BytesIO(content), filename)
    return client.post(_page_url(item, quarter), data=data, content_type="multipart/form-data")


def _remove(client, evidence_id: int):
    return client.post(f"/bukti/{evidence_id}/hapus", data={"csrf_token": csrf_token_of(client, "/")})


def _stored() -> list[tuple]:
    db.session.expire_all()
    return [
        (e.filename, e.content_type, e.quarter) for e in db.session.scalars(sa.select(Evidence).order_by(Evidence.id))
    ]


def _revisions() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Revision)) or 0


def _history(world: World) -> list[tuple]:
    rows = db.session.execute(
        sa.select(Revision.field, Revision.old_value, Revision.new_value)
        .where(Revision.proposal_id == world.proposal.id, Revision.field.like("q%_evidence"))
        .order_by(Revision.id)
    ).all()
    return [tuple(row) for row in rows]


# ---- Uploads ----------------------------------------------------------------------------------


def test_each_allowed_type_is_stored_with_a_small_png_thumbnail(
    monitoring: World, login_as: Callable, received: list
) -> None:
    participant, item = login_as(monitoring.participant), _sub(monitoring)
    revision = monitoring.proposal.revision
    files = {"Foto kegiatan.jpg": _jpeg(), "Denah.png": _png(), "Laporan TW I.pdf": _pdf()}
    for name, content in files.items():
        answer = _upload(participant, item, name, content)
        assert answer.status_code == 303 and answer.headers["Location"].endswith(_page_url(item))
    assert _stored() == [
        ("Foto kegiatan.jpg", "image/jpeg", 1),
        ("Denah.png", "image/png", 1),
        ("Laporan TW I.pdf", "application/pdf", 1),
    ]
    for evidence in db.session.scalars(sa.select(Evidence)):
        assert evidence.content == files[evidence.filename] and evidence.size == len(evidence.content)
        assert evidence.uploaded_by_id == monitoring.participant.id and len(evidence.sha256) == 64
        assert evidence.thumbnail is not None, evidence.filename  # pypdfium2 draws a PDF's first page
        with Image.open(io.BytesIO(evidence.thumbnail)) as thumbnail:
            assert thumbnail.format == "PNG" and max(thumbnail.size) <= 160
            assert not {"exif", "icc_profile", "dpi"} & set(thumbnail.info)
    assert _history(monitoring) == [("q1_evidence", "", name) for name in files]
    db.session.refresh(monitoring.proposal)
    assert monitoring.proposal.revision == revision + 3
    changes = [c for batch in received for c in batch if isinstance(c, RealisationChanged)]
    assert [(c.item_id, c.quarter, c.field) for c in changes] == [(item.id, 1, "evidence")] * 3
    page = participant.get(_page_url(item)).get_data(as_text=True)
    assert page.count('class="evidence-file"') == 3 and "Diunggah oleh Budi Peserta" in page
    assert f'href="/usulan/{monitoring.proposal.id}/realisasi?tw=1"' in page
    row = participant.get(f"/usulan/butir/{item.id}/realisasi/1").get_data(as_text=True)
    assert "3 berkas" in row  # the realisation page's row counts them


def test_the_thumbnail_of_a_photo_is_upright_and_the_type_comes_from_the_content(
    monitoring: World, login_as: Callable
) -> None:
    participant, item = login_as(monitoring.participant), _sub(monitoring)
    # A landscape photo taken with the phone turned (EXIF orientation 6), and named as a PDF.
    assert _upload(participant, item, "laporan.pdf", _jpeg((400, 200), orientation=6)).status_code == 303
    assert _upload(participant, item, "scan", _pdf()).status_code == 303
    assert _stored() == [("laporan.jpg", "image/jpeg", 1), ("scan.pdf", "application/pdf", 1)]
    photo = db.session.scalar(sa.select(Evidence).where(Evidence.content_type == "image/jpeg"))
    with Image.open(io.BytesIO(photo.thumbnail)) as thumbnail:
        assert thumbnail.size == (80, 160)  # turned upright: portrait
        assert "exif" not in thumbnail.info


def test_the_download_is_an_attachment_of_the_sniffed_type_never_run_by_the_browser(
    monitoring: World, login_as: Callable
) -> None:
    participant, item = login_as(monitoring.participant), _sub(monitoring)
    content = _png()
    _upload(participant, item, "Rapat pleno ✓ (1).PNG", content)
    evidence = db.session.scalar(sa.select(Evidence))
    assert evidence.filename == "Rapat pleno ✓ (1).PNG"
    observer = login_as(monitoring.observer)  # every member of the event may look
    download = observer.get(f"/bukti/{evidence.id}")
    assert download.status_code == 200 and download.data == content
    assert download.headers["Content-Type"] == "image/png"
    disposition = download.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=UTF-8''Rapat%20pleno%20%E2%9C%93%20%281%29.PNG" in disposition
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert download.headers["Content-Security-Policy"] == "sandbox"
    assert download.headers["Cache-Control"] == "private"
    thumbnail = observer.get(f"/bukti/{evidence.id}/gambar-kecil")
    assert thumbnail.status_code == 200 and thumbnail.headers["Content-Type"] == "image/png"
    assert thumbnail.data == evidence.thumbnail and thumbnail.headers["X-Content-Type-Options"] == "nosniff"
    page = observer.get(_page_url(item)).get_data(as_text=True)
    assert f'href="/bukti/{evidence.id}"' in page and 'name="file"' not in page and "/hapus" not in page
    assert observer.get(_page_url(item, 5)).status_code == 404


# ---- Hostile uploads ------------------------------------------------------------------------------


def _truncated_jpeg() -> bytes:
    content = _jpeg((800, 600))
    return content[: len(content) // 2]


def _pdf_without_end() -> bytes:
    content = _pdf()
    return content[: len(content) - 200]


HOSTILE = [
    ("empty", "kosong.pdf", lambda: b"", "Berkas kosong."),
    ("no file", None, lambda: b"", "Pilih berkas PDF, JPG, atau PNG."),
    (
        "too large",
        "besar.pdf",
        lambda: b"%PDF-1.4\n" + b"0" * (5 * 1024 * 1024) + b"\n%%EOF\n",
        "Berkas lebih besar dari 5 MB",
    ),
    (
        "svg",
        "logo.svg",
        lambda: b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
        "Hanya berkas PDF, JPG, dan PNG",
    ),
    (
        "html named .png",
        "foto.png",
        lambda: b"<!doctype html><script>alert(1)</script>",
        "Hanya berkas PDF, JPG, dan PNG",
    ),
    ("gif", "animasi.png", lambda: b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", "Hanya berkas PDF, JPG, dan PNG"),
    ("png bomb", "bom.png", lambda: _png_of_size(100_000, 100_000), "terlalu banyak piksel"),
    ("png just over the pixel limit", "besar.png", lambda: _png_of_size(9_000, 9_000), "terlalu banyak piksel"),
    ("truncated jpeg", "potong.jpg", _truncated_jpeg, "Gambar ini rusak atau tidak lengkap"),
    ("corrupt png", "rusak.png", _corrupt_png, "Gambar ini rusak atau tidak lengkap"),
    (
        "pdf polyglot",
        "laporan.pdf",
        lambda: b"<html><script>alert(document.cookie)</script></html>\n" + _pdf(),
        "isi lain sebelum awalnya",
    ),
    ("pdf without its end", "potong.pdf", _pdf_without_end, "PDF ini tidak lengkap"),
    ("damaged pdf", "rusak.pdf", lambda: b"%PDF-1.4\nbukan pdf sungguhan\n%%EOF\n", "PDF ini tidak dapat dibaca"),
    ("password pdf", "rahasia.pdf", lambda: _pdf(password="rahasia"), "dilindungi kata sandi"),
]


@pytest.mark.parametrize(("case", "filename", "make", "message"), HOSTILE, ids=[case[0] for case in HOSTILE])
def test_hostile_uploads_are_refused_with_their_reason_and_nothing_is_stored(
    monitoring: World, login_as: Callable, case: str, filename: str | None, make: Callable, message: str
) -> None:
    participant, item = login_as(monitoring.participant), _sub(monitoring)
    revisions = _revisions()
    answer = _upload(participant, item, filename, make())
    page = answer.get_data(as_text=True)
    assert answer.status_code == 422 and message in page, case
    assert 'role="alert"' in page and 'name="file"' in page  # the form again, to choose another file
    assert _stored() == [] and _revisions() == revisions


def test_a_file_the_checker_cannot_finish_is_refused(
    monitoring: World, login_as: Callable, monkeypatch: pytest.MonkeyPatch
) -> None:
    def too_slow(*_arguments: object, **_options: object) -> None:
        raise subprocess.TimeoutExpired("evidence_worker.py", 7)

    monkeypatch.setattr(evidence_files.subprocess, "run", too_slow)
    answer = _upload(login_as(monitoring.participant), _sub(monitoring), "berat.pdf", _pdf())
    assert answer.status_code == 422 and "tidak dapat diperiksa" in answer.get_data(as_text=True)
    assert _stored() == []


def test_the_size_limit_is_configured(monitoring: World, login_as: Callable, app: Flask) -> None:
    from workspace.config import config_from_environment

    assert config_from_environment(Path(app.instance_path))["SINERGI_EVIDENCE_MAX_BYTES"] == 5 * 1024 * 1024
    content = _pdf()
    app.config["SINERGI_EVIDENCE_MAX_BYTES"] = len(content) - 1
    assert _upload(login_as(monitoring.participant), _sub(monitoring), "a.pdf", content).status_code == 422
    app.config["SINERGI_EVIDENCE_MAX_BYTES"] = len(content)
    assert _upload(login_as(monitoring.participant), _sub(monitoring), "a.pdf", content).status_code == 303


@pytest.mark.parametrize(
    ("raw", "content_type", "kept"),
    [
        ("../../etc/passwd.png", "image/png", "passwd.png"),
        ("C:\\Users\\budi\\Desktop\\foto rapat.JPG", "image/jpeg", "foto rapat.JPG"),
        ("foto\x00\x1b[31m\u202egnp.exe.png", "image/png", "foto[31mgnp.exe.png"),
        ("  lapor\tan \n final .pdf", "application/pdf", "lapor an final.pdf"),
        ("..", "application/pdf", "bukti.pdf"),
        (".htaccess", "image/png", "htaccess.png"),
        ("scan.tiff", "image/png", "scan.tiff.png"),
        ("foto.jpeg", "application/pdf", "foto.pdf"),
        ("a" * 300 + ".pdf", "application/pdf", "a" * 196 + ".pdf"),
    ],
)
def test_a_filename_keeps_its_base_name_without_control_characters(raw: str, content_type: str, kept: str) -> None:
    assert clean_filename(raw, content_type) == kept


def test_a_name_with_folders_and_control_characters_is_cleaned_on_upload(monitoring: World, login_as: Callable) -> None:
    participant, item = login_as(monitoring.participant), _sub(monitoring)
    assert _upload(participant, item, "../../rahasia/\x07foto\u202e.png", _png()).status_code == 303
    assert _stored() == [("foto.png", "image/png", 1)]


# ---- Who, when, how many ------------------------------------------------------------------------


def test_only_the_agency_working_on_it_adds_and_removes_and_only_in_monitoring(
    world: World, login_as: Callable
) -> None:
    item = _sub(world)
    early = _upload(login_as(world.participant), item, "foto.png", _png())
    assert early.status_code == 422 and "tahap Monev" in early.get_data(as_text=True)
    world.event.phase = EventPhase.MONITORING
    db.session.commit()
    for person in (world.other_participant, world.facilitator, world.organiser, world.reviewer, world.observer):
        assert _upload(login_as(person), item, "foto.png", _png()).status_code == 403
    outsider = login_as(world.outsider)
    assert _upload(outsider, item, "foto.png", _png()).status_code in (403, 404)
    assert _stored() == []
    assert _upload(login_as(world.participant), item, "foto.png", _png()).status_code == 303
    evidence_id = db.session.scalar(sa.select(Evidence.id))
    for person in (world.other_participant, world.facilitator, world.reviewer, world.observer):
        assert _remove(login_as(person), evidence_id).status_code == 403
    assert outsider.get(f"/bukti/{evidence_id}").status_code in (403, 404)
    assert outsider.get(_page_url(item)).status_code in (403, 404)
    world.event.phase = EventPhase.CLOSED
    db.session.commit()
    late = _remove(login_as(world.participant), evidence_id)
    assert late.status_code == 422 and "tahap Monev" in late.get_data(as_text=True)
    assert len(_stored()) == 1


def test_a_verified_quarter_is_closed_to_its_evidence_and_a_returned_one_reopens(
    monitoring: World, login_as: Callable
) -> None:
    participant, item = login_as(monitoring.participant), _sub(monitoring)
    assert _upload(participant, item, "foto.png", _png()).status_code == 303
    evidence_id = db.session.scalar(sa.select(Evidence.id))
    review = QuarterReview(
        proposal_id=monitoring.proposal.id, quarter=1, status=ReviewStatus.VERIFIED, reviewer_id=monitoring.reviewer.id
    )
    db.session.add(review)
    db.session.commit()
    revisions = _revisions()
    for answer in (_upload(participant, item, "lagi.png", _png(color=(1, 2, 3))), _remove(participant, evidence_id)):
        assert answer.status_code == 422 and "sudah diverifikasi" in answer.get_data(as_text=True)
    assert _stored() == [("foto.png", "image/png", 1)] and _revisions() == revisions
    page = participant.get(_page_url(item)).get_data(as_text=True)
    assert "sudah diverifikasi" in page and 'name="file"' not in page and "/hapus" not in page
    # Another quarter is open.
    assert _upload(participant, item, "tw2.png", _png(), quarter=2).status_code == 303
    review.status, review.note = ReviewStatus.RETURNED, "Bukti dukung kurang"
    db.session.commit()
    assert _upload(participant, item, "lagi.png", _png(color=(1, 2, 3))).status_code == 303
    assert db.session.scalar(sa.select(sa.func.count()).select_from(QuarterReview)) == 0  # back to be verified


def test_a_file_is_removed_with_its_history_line(monitoring: World, login_as: Callable, received: list) -> None:
    participant, item = login_as(monitoring.participant), _sub(monitoring)
    _upload(participant, item, "foto.png", _png())
    evidence_id = db.session.scalar(sa.select(Evidence.id))
    received.clear()
    answer = _remove(participant, evidence_id)
    assert answer.status_code == 303 and answer.headers["Location"].endswith(_page_url(item))
    assert _stored() == []
    assert _history(monitoring) == [("q1_evidence", "", "foto.png"), ("q1_evidence", "foto.png", "")]
    changes = [c for batch in received for c in batch if isinstance(c, RealisationChanged)]
    assert [(c.item_id, c.quarter, c.field) for c in changes] == [(item.id, 1, "evidence")]
    assert _remove(participant, evidence_id).status_code == 404  # gone already
    assert participant.get(f"/bukti/{evidence_id}").status_code == 404


def test_at_most_ten_files_a_quarter_and_no_file_twice(monitoring: World, login_as: Callable) -> None:
    participant, item = login_as(monitoring.participant), _sub(monitoring)
    first = _png(color=(9, 9, 9))
    assert _upload(participant, item, "pertama.png", first).status_code == 303
    twice = _upload(participant, item, "salinan.png", first)
    assert twice.status_code == 422 and "sudah ada di antara bukti dukung" in twice.get_data(as_text=True)
    for number in range(9):
        db.session.add(
            Evidence(
                item_id=item.id, quarter=1, filename=f"{number}.png", content_type="image/png", size=3,
                sha256=f"{number:064d}", content=b"png", uploaded_by_id=monitoring.participant.id,
            )
        )  # fmt: skip
    db.session.commit()
    revisions = _revisions()
    eleventh = _upload(participant, item, "kesebelas.png", _png(color=(1, 1, 1)))
    assert eleventh.status_code == 422 and "paling banyak 10 bukti dukung" in eleventh.get_data(as_text=True)
    assert len(_stored()) == 10 and _revisions() == revisions
    page = participant.get(_page_url(item)).get_data(as_text=True)
    assert 'name="file"' not in page and "10 dari 10" in page
    assert page.count('class="evidence-icon"') == 9  # no thumbnail: an icon naming the type
    assert _upload(participant, item, "tw2.png", _png(color=(1, 1, 1)), quarter=2).status_code == 303


# ---- Backups ----------------------------------------------------------------------------------


def test_the_files_are_in_the_database_backup_and_come_back_from_it(
    monitoring: World, login_as: Callable, tmp_path: Path
) -> None:
    participant, item = login_as(monitoring.participant), _sub(monitoring)
    content = _pdf("Bukti yang harus selamat")
    assert _upload(participant, item, "selamat.pdf", content).status_code == 303
    evidence = db.session.scalar(sa.select(Evidence))
    url = db.engine.url
    if url.get_backend_name() != "sqlite":
        # PostgreSQL is backed up with pg_dump (docs/deploy.md): the bytes are in its dump.
        if shutil.which("pg_dump") is None:
            pytest.skip("pg_dump is not installed")
        plain = url.set(drivername="postgresql").render_as_string(hide_password=False)
        dump = subprocess.run(
            ["pg_dump", "--data-only", "--table=evidence", plain], capture_output=True, check=True, timeout=60
        ).stdout
        assert content.hex().encode() in dump and evidence.thumbnail.hex().encode() in dump
        return
    target = tmp_path / "backup" / "sinergi.sqlite3"
    backup_sqlite(Path(url.database or ""), target)
    with sqlite3.connect(target) as copy:
        assert copy.execute("SELECT filename, content FROM evidence").fetchall() == [("selamat.pdf", content)]
    from workspace import create_app

    restored = create_app(app_config(tmp_path / "restored", f"sqlite:///{target}"))
    client = restored.test_client()
    login(client, monitoring.participant.username)
    download = client.get(f"/bukti/{evidence.id}")
    assert download.status_code == 200 and download.data == content
    assert client.get(f"/bukti/{evidence.id}/gambar-kecil").data == evidence.thumbnail
    with restored.app_context():
        db.engine.dispose()
