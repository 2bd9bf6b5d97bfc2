"""Issue 17, items 2–4: the berita acara has a lifecycle (draft → final, numbered by the organiser's
pattern, its PDF bytes stored and served unchanged → a correction with a new number naming the
one it replaces), the official layout (kop, nomor, "Pada hari ini …", WIB, closing, place and
date, signatures with NIP and "Mengetahui", "Halaman x dari y"), and the daftar hadir as a print
view, a PDF and an XLSX. Every refused input says why and changes nothing."""

from __future__ import annotations

import hashlib
import io
import re
import shutil
import subprocess
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from openpyxl import load_workbook
from PIL import Image
from pypdf import PdfReader

from tests.conftest import PROJECT_ROOT, csrf_token_of, htmx_post
from tests.factories import World, make_session
from workspace.extensions import db
from workspace.models import AuditEntry, DocumentSettings, MinutesDocument, ProposalItem, Session

SETTINGS = {
    "institution": "Pemerintah Provinsi Kalimantan Barat\nBadan Kesatuan Bangsa dan Politik",
    "address": "Jalan Ahmad Yani No. 1, Pontianak 78124",
    "contact": "Telp. (0561) 736541 · kesbangpol@kalbarprov.go.id",
    "number_pattern": "{nomor}/BA-RAKOR/KESBANGPOL/{tahun}",
    "next_number": "5",
    "signing_place": "Pontianak",
    "organiser_title": "Ketua Panitia",
    "organiser_name": "Rina Organiser, S.Sos.",
    "organiser_nip": "19800101 200501 2 001",
    "head_title": "Kepala Badan Kesatuan Bangsa dan Politik Provinsi Kalimantan Barat",
    "head_name": "Drs. H. Manto, M.M.",
    "head_rank": "Pembina Utama Muda",
    "head_nip": "19690512 199003 1 004",
}


def _post(client: FlaskClient, path: str, data: dict, **kwargs) -> object:
    return client.post(path, data={**data, "csrf_token": csrf_token_of(client, "/")}, **kwargs)


def _logo_png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (300, 360), (200, 30, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


def _set_up(world: World, login_as: Callable, **changes: str) -> FlaskClient:
    organiser = login_as(world.organiser)
    data = {**SETTINGS, **changes, "logo": (io.BytesIO(_logo_png()), "logo.png")}
    response = _post(organiser, f"/rakor/{world.event.id}/admin/dokumen", data, content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)
    return organiser


def _meeting(world: World, login_as: Callable) -> Session:
    """A plenary held on the event's first day, 09.00–15.30 WIB, where the proposal is agreed."""
    from datetime import datetime

    session = make_session(world.event, "Pleno Sinkronisasi")
    session.proposals.append(world.proposal)
    session.opened_at = datetime(2023, 3, 14, 2, 0)  # 09.00 WIB
    session.closed_at = datetime(2023, 3, 14, 8, 30)  # 15.30 WIB
    db.session.commit()
    world.facilitator.nip = "197501012000031002"
    world.facilitator.position = "Analis Kebijakan Ahli Muda"
    db.session.commit()
    for person in (world.participant, world.facilitator):
        response = htmx_post(login_as(person), f"/sesi/{session.id}/hadir")
        assert response.status_code in (200, 204), response.get_data(as_text=True)
    response = htmx_post(
        login_as(world.facilitator),
        f"/sesi/{session.id}/kesepakatan",
        {"proposal": world.proposal.id, "decision": "agreed", "note": ""},
    )
    assert response.status_code == 204, response.get_data(as_text=True)
    return session


def _pdf_text(data: bytes) -> str:
    return re.sub(r"\s+", " ", " ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages))


def _finalise(client: FlaskClient, world: World, session: Session, day: str = "2023-03-14") -> object:
    return _post(client, f"/rakor/{world.event.id}/berita-acara/final?sesi={session.id}", {"document_date": day})


def _documents() -> list[MinutesDocument]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(MinutesDocument).order_by(MinutesDocument.id)))


def test_finalising_numbers_dates_and_stores_the_document_served_unchanged_ever_after(
    world: World, login_as: Callable
) -> None:
    _set_up(world, login_as)
    session = _meeting(world, login_as)
    facilitator = login_as(world.facilitator)
    response = _finalise(facilitator, world, session)
    assert response.status_code == 302
    (document,) = _documents()
    assert document.number == "005/BA-RAKOR/KESBANGPOL/2023" and document.sequence == 5
    assert document.document_date == date(2023, 3, 14) and document.session_id == session.id
    assert db.session.get(DocumentSettings, world.event.id).next_number == 6
    assert db.session.scalar(sa.select(AuditEntry.action).where(AuditEntry.action == "minutes.finalise"))

    reader = login_as(world.observer)  # anyone of the event reads it
    served = reader.get(f"/rakor/{world.event.id}/berita-acara/{document.id}.pdf")
    assert served.status_code == 200 and served.data == document.pdf
    assert served.headers["ETag"].strip('"') == hashlib.sha256(served.data).hexdigest() == document.pdf_sha256
    text = _pdf_text(served.data)
    assert "Nomor: 005/BA-RAKOR/KESBANGPOL/2023" in text and "DRAF" not in text

    # The proposal changes after the document was finalised: the draft follows, the final does not.
    item = next(i for i in world.proposal.items if i.level.value == "subkegiatan")
    htmx_post(
        login_as(world.participant),
        f"/usulan/butir/{item.id}/ubah/budget",
        {"value": "999000000", "base": str(item.budget)},
    )
    assert db.session.get(ProposalItem, item.id).budget == 999_000_000
    again = reader.get(f"/rakor/{world.event.id}/berita-acara/{document.id}.pdf")
    assert again.data == served.data
    page = reader.get(f"/rakor/{world.event.id}/berita-acara/{document.id}").get_data(as_text=True)
    assert "005/BA-RAKOR/KESBANGPOL/2023" in page and "SHA-256 " + document.pdf_sha256 in page
    draft = _pdf_text(reader.get(f"/rakor/{world.event.id}/berita-acara.pdf?sesi={session.id}").data)
    assert "DRAF" in draft and "Rp 999.000.000" not in text


def test_a_final_document_is_corrected_by_a_new_number_that_names_the_one_it_replaces(
    world: World, login_as: Callable
) -> None:
    _set_up(world, login_as)
    session = _meeting(world, login_as)
    organiser = login_as(world.organiser)
    assert _finalise(organiser, world, session).status_code == 302
    (first,) = _documents()

    twice = _finalise(organiser, world, session)
    assert twice.status_code == 422
    assert "sudah final (nomor 005/BA-RAKOR/KESBANGPOL/2023): buat koreksi" in twice.get_data(as_text=True)
    assert len(_documents()) == 1

    path = f"/rakor/{world.event.id}/berita-acara/{first.id}/koreksi"
    no_reason = _post(organiser, path, {"correction_reason": "  ", "document_date": "2023-03-15"})
    assert no_reason.status_code == 422
    assert "Yang dikoreksi: Sebutkan apa yang dikoreksi" in no_reason.get_data(as_text=True)
    assert len(_documents()) == 1

    corrected = _post(
        organiser, path, {"correction_reason": "Salah ketik nama fasilitator", "document_date": "2023-03-15"}
    )
    assert corrected.status_code == 302
    first, second = _documents()
    assert second.number == "006/BA-RAKOR/KESBANGPOL/2023" and second.replaces_id == first.id
    assert first.replaced_at is not None and second.in_force and not first.in_force
    text = _pdf_text(second.pdf)
    assert "menggantikan berita acara nomor 005/BA-RAKOR/KESBANGPOL/2023 tanggal 14 Maret 2023" in text
    assert "Salah ketik nama fasilitator" in text
    old_page = organiser.get(f"/rakor/{world.event.id}/berita-acara/{first.id}").get_data(as_text=True)
    assert "Diganti oleh 006/BA-RAKOR/KESBANGPOL/2023" in old_page
    assert organiser.get(f"/rakor/{world.event.id}/berita-acara/{first.id}.pdf").data == first.pdf

    again = _post(organiser, path, {"correction_reason": "Lagi", "document_date": "2023-03-15"})
    assert again.status_code == 422 and "sudah diganti" in again.get_data(as_text=True)
    assert len(_documents()) == 2


@pytest.mark.parametrize(
    ("day", "message"),
    [
        ("2023-03-13", "tidak dapat bertanggal sebelum rakor dimulai"),
        ("2999-01-01", "tidak dapat bertanggal di masa depan"),
        ("14-03-2023", "Tanggal dokumen: Isi tanggal dengan format"),
        ("", "Tanggal dokumen:"),
    ],
)
def test_a_bad_document_date_is_refused_and_nothing_is_numbered(
    world: World, login_as: Callable, day: str, message: str
) -> None:
    session = _meeting(world, login_as)
    response = _finalise(login_as(world.facilitator), world, session, day)
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert _documents() == [] and db.session.get(DocumentSettings, world.event.id) is None


def test_only_organisers_and_facilitators_finalise_and_other_events_see_nothing(
    world: World, login_as: Callable
) -> None:
    session = _meeting(world, login_as)
    for person in (world.participant, world.reviewer, world.observer):
        assert _finalise(login_as(person), world, session).status_code == 403
    assert _documents() == []
    assert _finalise(login_as(world.facilitator), world, session).status_code == 302
    (document,) = _documents()
    outsider = login_as(world.outsider)
    assert outsider.get(f"/rakor/{world.event.id}/berita-acara/{document.id}.pdf").status_code == 403
    assert login_as(world.organiser).get(f"/rakor/{world.event.id}/berita-acara/999999.pdf").status_code == 404


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("number_pattern", "BA/RAKOR/{tahun}", "Pola nomor: Pola nomor harus memuat {nomor}"),
        ("number_pattern", "{nomor}/{tahunan}", "Bagian pola nomor tidak dikenal: {tahunan}"),
        ("number_pattern", "{nomor}/BA}", "kurung kurawal"),
        ("next_number", "0", "Nomor urut berikutnya: Nomor urut berikutnya adalah bilangan bulat"),
        ("next_number", "١٢", "bilangan bulat"),
        ("next_number", "12345678", "bilangan bulat"),
        ("organiser_nip", "1980", "NIP: NIP terdiri atas 18 angka"),
        ("head_nip", "19690512 199003 1 00X", "NIP terdiri atas 18 angka"),
        ("institution", "a\nb\nc\nd\ne\nf", "Paling banyak 5 baris"),
        ("address", "x" * 301, "Alamat: Paling banyak 300 karakter"),
    ],
)
def test_bad_document_settings_are_refused_beside_their_field_and_nothing_is_saved(
    world: World, login_as: Callable, field: str, value: str, message: str
) -> None:
    organiser = login_as(world.organiser)
    response = _post(organiser, f"/rakor/{world.event.id}/admin/dokumen", {**SETTINGS, field: value})
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert db.session.get(DocumentSettings, world.event.id) is None


def _gif() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (10, 10)).save(buffer, format="GIF")
    return buffer.getvalue()


def _pixel_bomb() -> bytes:
    """A PNG that claims 20,000 × 20,000 pixels in a few hundred bytes."""
    buffer = io.BytesIO()
    Image.new("1", (20_000, 20_000)).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>",
            "harus berupa gambar PNG atau JPEG",
        ),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "harus berupa gambar PNG atau JPEG"),
        ("gif", "harus berupa gambar PNG atau JPEG"),
        ("bomb", "terlalu banyak pikselnya"),
        (b"\xff\xd8\xff" + b"0" * (1024 * 1024 + 10), "lebih besar dari 1 MB"),
    ],
    ids=["svg-with-script", "truncated-png", "gif", "pixel-bomb", "too-large"],
)
def test_a_hostile_logo_is_refused_and_the_stored_one_stays(
    world: World, login_as: Callable, content: bytes | str, message: str
) -> None:
    organiser = _set_up(world, login_as)
    stored = db.session.get(DocumentSettings, world.event.id).logo_png
    upload = {"gif": _gif, "bomb": _pixel_bomb}[content]() if isinstance(content, str) else content
    data = {**SETTINGS, "head_name": "Berubah", "logo": (io.BytesIO(upload), "logo.png")}
    response = _post(organiser, f"/rakor/{world.event.id}/admin/dokumen", data, content_type="multipart/form-data")
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    db.session.expire_all()
    settings = db.session.get(DocumentSettings, world.event.id)
    assert settings.logo_png == stored and settings.head_name == SETTINGS["head_name"]


def test_an_uploaded_logo_is_re_encoded_small_and_without_metadata(world: World, login_as: Callable) -> None:
    _set_up(world, login_as)
    logo = db.session.get(DocumentSettings, world.event.id).logo_png
    image = Image.open(io.BytesIO(logo))
    assert image.format == "PNG" and max(image.size) <= 480 and "exif" not in image.info


def test_the_official_layout_in_the_pdf_and_the_print_view(world: World, login_as: Callable) -> None:
    _set_up(world, login_as)
    session = _meeting(world, login_as)
    organiser = login_as(world.organiser)
    assert _finalise(organiser, world, session).status_code == 302
    (document,) = _documents()
    text = _pdf_text(document.pdf)
    pages = len(PdfReader(io.BytesIO(document.pdf)).pages)
    for expected in (
        "PEMERINTAH PROVINSI KALIMANTAN BARAT",
        "BADAN KESATUAN BANGSA DAN POLITIK",
        "Jalan Ahmad Yani No. 1",
        "BERITA ACARA KESEPAKATAN",
        "Nomor: 005/BA-RAKOR/KESBANGPOL/2023",
        "Pada hari ini Selasa tanggal empat belas bulan Maret tahun dua ribu dua puluh tiga (14-03-2023)",
        "pukul 09.00 s.d. 15.30 WIB, bertempat di Hotel Uji, Pontianak",
        "Rapat dihadiri oleh 2 orang dari 2 perangkat daerah",
        "Sub kegiatan",
        "Demikian berita acara ini dibuat dengan sebenarnya",
        "Pontianak, 14 Maret 2023",
        "Fasilitator, Analis Kebijakan Ahli Muda",
        "Hendra Fasilitator",
        "NIP. 19750101 200003 1 002",
        "Penyelenggara, Ketua Panitia",
        "NIP. 19800101 200501 2 001",
        "Mengetahui, Kepala Badan Kesatuan Bangsa dan Politik Provinsi Kalimantan Barat",
        "Drs. H. Manto, M.M. Pembina Utama Muda NIP. 19690512 199003 1 004",
        "Perwakilan perangkat daerah",
        f"Halaman 1 dari {pages}",
    ):
        assert expected in text, expected
    assert "kegiata n" not in text  # the heading never breaks inside a word

    html = organiser.get(f"/rakor/{world.event.id}/berita-acara/{document.id}").get_data(as_text=True)
    assert 'src="data:image/png;base64,' in html and "print-pages-id.css" in html
    assert "Pada hari ini Selasa tanggal empat belas" in html and "Mengetahui," in html
    assert html.count('class="total-row"') == 1 and "<tfoot" not in html
    _page_images(document.pdf, "berita-acara-final")


def _page_images(pdf: bytes, stem: str) -> list[Path]:
    """The PDF's pages as PNG images in test-output/, for a person to look at."""
    if shutil.which("pdftoppm") is None:
        return []
    out = PROJECT_ROOT / "test-output"
    out.mkdir(exist_ok=True)
    source = out / f"{stem}.pdf"
    source.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", "60", "-png", str(source), str(out / stem)], check=True, timeout=60)
    return sorted(out.glob(f"{stem}-*.png"))


def test_the_daftar_hadir_as_print_view_pdf_and_xlsx(world: World, login_as: Callable) -> None:
    _set_up(world, login_as)
    session = _meeting(world, login_as)
    world.participant.position = "Kepala Bidang Ideologi"
    db.session.commit()
    client = login_as(world.reviewer)
    page = client.get(f"/rakor/{world.event.id}/daftar-hadir?sesi={session.id}").get_data(as_text=True)
    for expected in ("DAFTAR HADIR", "Budi Peserta", "Kepala Bidang Ideologi", "Hendra Fasilitator", "Tanda tangan"):
        assert expected in page, expected
    assert "1. ……" in page and "2. ……" in page

    pdf = client.get(f"/rakor/{world.event.id}/daftar-hadir.pdf?sesi={session.id}")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    text = _pdf_text(pdf.data)
    for expected in (
        "DAFTAR HADIR",
        "Sesi : Pleno Sinkronisasi",
        "Nama / jabatan",
        "Perangkat Daerah",
        "Tanda tangan",
        "Budi Peserta Kepala Bidang Ideologi",
        "WIB",
        "1. ....",
        "Halaman 1 dari 1",
    ):
        assert expected in text, expected
    _page_images(pdf.data, "daftar-hadir")

    xlsx = client.get(f"/rakor/{world.event.id}/daftar-hadir.xlsx?sesi={session.id}")
    assert xlsx.status_code == 200
    sheet = load_workbook(io.BytesIO(xlsx.data)).active
    assert [c.value for c in sheet[5]] == [
        "No.",
        "Nama",
        "Jabatan",
        "Perangkat Daerah",
        "Tanggal",
        "Waktu",
        "Tanda tangan",
    ]
    names = [sheet.cell(row=r, column=2).value for r in range(6, sheet.max_row + 1)]
    assert sorted(names) == ["Budi Peserta", "Hendra Fasilitator"]
    assert sheet.freeze_panes == "A6" and sheet.print_title_rows == "$5:$5"
    assert sheet.page_setup.fitToWidth == 1 and sheet.sheet_properties.pageSetUpPr.fitToPage

    # Nobody of another event, and not a session of another event.
    assert login_as(world.outsider).get(f"/rakor/{world.event.id}/daftar-hadir.pdf").status_code == 403
    assert client.get(f"/rakor/{world.event.id}/daftar-hadir?sesi=999999").status_code == 404
