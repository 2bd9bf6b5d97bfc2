"""Outputs: the synchronisation matrix and the national-directions view on a small fixture whose
figures are computed by hand, the berita acara (HTML and PDF), and who may see and export what."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import load_workbook
from pypdf import PdfReader

from tests.factories import make_agency, make_catalog_entry, make_direction, make_event, make_user
from workspace.exports.matrix import Alignment, MatrixFilters, build_matrix, items_in_cell
from workspace.extensions import db
from workspace.models import (
    AgencyLevel,
    CatalogLevel,
    Event,
    ItemLevel,
    Proposal,
    ProposalItem,
    ProposalStatus,
    Role,
    User,
)
from workspace.services import agreements, facilitation

MILLION = 1_000_000


@dataclass
class SyncWorld:
    event: Event
    province: Proposal
    sambas: Proposal
    singkawang: Proposal
    organiser: User
    facilitator: User
    participant: User
    other_participant: User
    reviewer: User
    observer: User
    outsider: User


def _item(
    proposal: Proposal, parent: ProposalItem | None, level: ItemLevel, code: str, name: str, **values
) -> ProposalItem:
    item = ProposalItem(
        proposal=proposal,
        parent=parent,
        level=level,
        code=code,
        name=name,
        position=values.pop("position", 0),
        outside_catalog=values.pop("outside_catalog", False),
        **values,
    )
    db.session.add(item)
    return item


def _sub(
    proposal: Proposal, parent: ProposalItem, code: str, budget: int, target: str, unit: str, position: int, **values
) -> ProposalItem:
    return _item(
        proposal,
        parent,
        ItemLevel.SUBKEGIATAN,
        code,
        f"Sub kegiatan {code}",
        indicator="Jumlah keluaran",
        target=target,
        unit=unit,
        budget=budget,
        position=position,
        location=proposal.agency.region_name,
        funding_source="APBD",
        **values,
    )


def build_sync_world() -> SyncWorld:
    """Province, Kab. Sambas and Kota Singkawang propose; Kab. Mempawah takes part without a proposal.

    | row            | Prov. Kalbar           | Kab. Sambas           | Kota Singkawang        |
    | 8.01.02        | 2 subs, 150 jt         | 2 subs, 50 jt         | gap                    |
    | 8.01.02.x.01   | 2 subs, 150 jt, 3 dok. | 2 subs, 50 jt, 6 lap. | gap                    |
    | 8.01.03        | gap                    | 1 sub, 10 jt          | 2 subs, 12 jt          |
    | 8.01.03.x.01   | gap                    | 1 sub, 10 jt          | 1 sub, 5 jt            |
    | local kegiatan | gap                    | gap                   | 1 sub, 7 jt            |
    """
    for code, level, scope in (
        ("8.01.02", CatalogLevel.PROGRAM, "both"),
        ("8.01.02.1.01", CatalogLevel.KEGIATAN, "provinsi"),
        ("8.01.02.2.01", CatalogLevel.KEGIATAN, "kabkota"),
        ("8.01.03", CatalogLevel.PROGRAM, "both"),
        ("8.01.03.2.01", CatalogLevel.KEGIATAN, "kabkota"),
        ("8.01.04", CatalogLevel.PROGRAM, "both"),
    ):
        make_catalog_entry(code, level, name=f"Nomenklatur {code}", applies_to=scope)
    directions = {n: make_direction(n) for n in (1, 3)}
    event = make_event()
    province_agency = make_agency(AgencyLevel.PROVINSI, "Provinsi Kalimantan Barat", event=event)
    sambas_agency = make_agency(AgencyLevel.KABUPATEN, "Kabupaten Sambas", event=event)
    singkawang_agency = make_agency(AgencyLevel.KOTA, "Kota Singkawang", event=event)
    make_agency(AgencyLevel.KABUPATEN, "Kabupaten Mempawah", event=event)
    province, sambas, singkawang = (
        Proposal(event=event, agency=agency, plan_year=event.plan_year)
        for agency in (province_agency, sambas_agency, singkawang_agency)
    )
    db.session.add_all([province, sambas, singkawang])

    program = _item(province, None, ItemLevel.PROGRAM, "8.01.02", "Nomenklatur 8.01.02")
    kegiatan = _item(province, program, ItemLevel.KEGIATAN, "8.01.02.1.01", "Nomenklatur 8.01.02.1.01")
    _sub(province, kegiatan, "8.01.02.1.01.0001", 100 * MILLION, "2", "Dokumen", 0)
    _sub(province, kegiatan, "8.01.02.1.01.0002", 50 * MILLION, "1", "dokumen", 1)

    program = _item(sambas, None, ItemLevel.PROGRAM, "8.01.02", "Nomenklatur 8.01.02")
    kegiatan = _item(sambas, program, ItemLevel.KEGIATAN, "8.01.02.2.01", "Nomenklatur 8.01.02.2.01")
    tagged = _sub(sambas, kegiatan, "8.01.02.2.01.0001", 30 * MILLION, "4", "Laporan", 0)
    tagged.directions = [directions[3]]
    _sub(sambas, kegiatan, "8.01.02.2.01.0002", 20 * MILLION, "2", "Laporan", 1)
    program = _item(sambas, None, ItemLevel.PROGRAM, "8.01.03", "Nomenklatur 8.01.03", position=1)
    kegiatan = _item(sambas, program, ItemLevel.KEGIATAN, "8.01.03.2.01", "Nomenklatur 8.01.03.2.01")
    _sub(sambas, kegiatan, "8.01.03.2.01.0001", 10 * MILLION, "75,5", "persen", 0)

    program = _item(singkawang, None, ItemLevel.PROGRAM, "8.01.03", "Nomenklatur 8.01.03")
    kegiatan = _item(singkawang, program, ItemLevel.KEGIATAN, "8.01.03.2.01", "Nomenklatur 8.01.03.2.01")
    _sub(singkawang, kegiatan, "8.01.03.2.01.0001", 5 * MILLION, "1", "kegiatan", 0)
    local = _item(
        singkawang,
        program,
        ItemLevel.KEGIATAN,
        "",
        "Kegiatan Lokal Wawasan Kebangsaan",
        outside_catalog=True,
        position=1,
    )
    _sub(singkawang, local, "", 7 * MILLION, "3", "kegiatan", 0, outside_catalog=True)
    db.session.commit()

    other_event = make_event()
    return SyncWorld(
        event=event,
        province=province,
        sambas=sambas,
        singkawang=singkawang,
        organiser=make_user(event, (Role.ORGANISER,), province_agency, name="Rina Organiser"),
        facilitator=make_user(event, (Role.FACILITATOR,), province_agency, name="Hendra Fasilitator, S.Sos."),
        participant=make_user(event, (Role.PARTICIPANT,), sambas_agency, name="Budi Peserta Sambas"),
        other_participant=make_user(event, (Role.PARTICIPANT,), singkawang_agency, name="Sari Peserta Singkawang"),
        reviewer=make_user(event, (Role.REVIEWER,), province_agency, name="Dewi Peninjau"),
        observer=make_user(event, (Role.OBSERVER,), province_agency, name="Layar Proyektor"),
        outsider=make_user(other_event, (Role.ORGANISER,), province_agency, name="Orang Luar"),
    )


@pytest.fixture
def sync(app: Flask) -> SyncWorld:
    return build_sync_world()


def region(world: SyncWorld, proposal: Proposal) -> str:
    return proposal.agency.region_code


# ---- Matrix --------------------------------------------------------------------------------


def test_matrix_cells_totals_and_alignment_match_the_hand_computed_table(sync: SyncWorld) -> None:
    matrix = build_matrix(sync.event)
    prov, sambas, singkawang = (region(sync, p) for p in (sync.province, sync.sambas, sync.singkawang))
    assert [r.short_name for r in matrix.regions] == [
        "Prov. Kalimantan Barat",
        "Kab. Sambas",
        "Kota Singkawang",
        "Kab. Mempawah",
    ]
    assert matrix.regions[0].is_province
    assert [r.has_proposal for r in matrix.regions] == [True, True, True, False]
    rows = {row.key: row for row in matrix.rows}
    local_key = "8.01.03/~kegiatan lokal wawasan kebangsaan"
    assert list(rows) == ["8.01.02", "8.01.02.x.01", "8.01.03", "8.01.03.x.01", local_key, "8.01.04"]

    def cell(key: str, code: str) -> tuple:
        c = rows[key].cells[code]
        return (c.present, c.subkegiatan_count, c.budget, c.targets)

    assert cell("8.01.02", prov) == (True, 2, 150 * MILLION, [])
    assert cell("8.01.02.x.01", prov) == (True, 2, 150 * MILLION, ["3 dokumen"])
    assert cell("8.01.02", sambas) == (True, 2, 50 * MILLION, [])
    assert cell("8.01.02.x.01", sambas) == (True, 2, 50 * MILLION, ["6 laporan"])
    assert cell("8.01.02", singkawang) == (False, 0, 0, [])
    assert cell("8.01.03", sambas) == (True, 1, 10 * MILLION, [])
    assert cell("8.01.03.x.01", sambas) == (True, 1, 10 * MILLION, ["75,5 persen"])
    assert cell("8.01.03", singkawang) == (True, 2, 12 * MILLION, [])
    assert cell("8.01.03.x.01", singkawang) == (True, 1, 5 * MILLION, ["1 kegiatan"])
    assert cell(local_key, singkawang) == (True, 1, 7 * MILLION, ["3 kegiatan"])
    assert not rows[local_key].in_catalog and rows["8.01.02"].in_catalog
    mempawah = next(r.code for r in matrix.regions if "Mempawah" in r.name)
    assert all(row.cells[mempawah].is_gap for row in matrix.rows)

    assert matrix.local_regions_with_proposal == 2
    assert rows["8.01.02"].alignment is Alignment.PARTIAL and rows["8.01.02"].supporting_regions == 1
    assert rows["8.01.03"].alignment is Alignment.LOCAL_ONLY
    assert rows["8.01.04"].alignment is Alignment.UNUSED
    assert matrix.column_budget(prov) == 150 * MILLION
    assert matrix.column_budget(sambas) == 60 * MILLION
    assert matrix.column_budget(singkawang) == 12 * MILLION
    assert matrix.column_budget(mempawah) == 0
    assert matrix.total_budget == 222 * MILLION
    assert all(isinstance(row.total_budget, int) for row in matrix.rows)
    # 6 rows × 4 regions, minus the 9 filled cells above.
    assert matrix.gap_count == 24 - 9


def test_matrix_is_aligned_when_the_province_and_every_proposing_region_are_there(sync: SyncWorld) -> None:
    program = _item(sync.singkawang, None, ItemLevel.PROGRAM, "8.01.02", "Nomenklatur 8.01.02", position=2)
    kegiatan = _item(sync.singkawang, program, ItemLevel.KEGIATAN, "8.01.02.2.01", "Nomenklatur 8.01.02.2.01")
    _sub(sync.singkawang, kegiatan, "8.01.02.2.01.0001", 1, "1", "dokumen", 0)
    db.session.commit()
    rows = {row.key: row for row in build_matrix(sync.event).rows}
    assert rows["8.01.02"].alignment is Alignment.ALIGNED
    assert rows["8.01.02"].cells[region(sync, sync.singkawang)].budget == 1


def test_matrix_filters_by_program_direction_and_status(sync: SyncWorld) -> None:
    by_program = build_matrix(sync.event, MatrixFilters(program_code="8.01.03"))
    assert {row.program_key for row in by_program.rows} == {"8.01.03"}
    assert by_program.total_budget == 22 * MILLION

    by_direction = build_matrix(sync.event, MatrixFilters(direction_number=3))
    filled = [
        (row.key, code, cell.budget) for row in by_direction.rows for code, cell in row.cells.items() if cell.present
    ]
    sambas = region(sync, sync.sambas)
    assert filled == [("8.01.02", sambas, 30 * MILLION), ("8.01.02.x.01", sambas, 30 * MILLION)]

    sync.singkawang.status = ProposalStatus.AGREED
    db.session.commit()
    agreed = build_matrix(sync.event, MatrixFilters(status=ProposalStatus.AGREED))
    assert agreed.total_budget == 12 * MILLION
    assert agreed.local_regions_with_proposal == 1
    rows = {row.key: row for row in agreed.rows}
    assert rows["8.01.03"].cells[sambas].is_gap


def test_matrix_filters_from_the_query_string_are_lenient() -> None:
    assert MatrixFilters.from_args({"program": "8.01.02", "arah": "3", "status": "agreed"}) == MatrixFilters(
        "8.01.02", 3, ProposalStatus.AGREED
    )
    assert MatrixFilters.from_args({"arah": "tiga", "status": "bogus"}) == MatrixFilters()
    assert MatrixFilters.from_args({"arah": "٣"}) == MatrixFilters()


def test_matrix_page_shows_cells_gaps_and_totals(sync: SyncWorld, login_as: Callable[..., FlaskClient]) -> None:
    client = login_as(sync.participant)
    page = client.get(f"/rakor/{sync.event.id}/matriks").get_data(as_text=True)
    assert "Matriks sinkronisasi" in page
    sambas = region(sync, sync.sambas)
    assert re.search(rf'data-region="{re.escape(sambas)}" data-budget="50000000" data-count="2"', page)
    assert page.count('class="cell gap"') == 15
    assert "222.000.000" in page  # the grand total, to the rupiah
    assert "di luar nomenklatur" in page
    fragment = client.get(f"/rakor/{sync.event.id}/matriks?program=8.01.03", headers={"HX-Request": "true"})
    text = fragment.get_data(as_text=True)
    assert text.lstrip().startswith('<section id="matrix"') and "<html" not in text
    assert "22.000.000" in text and "8.01.02.x.01" not in text


def test_clicking_a_cell_lists_its_items(sync: SyncWorld, login_as: Callable[..., FlaskClient]) -> None:
    singkawang = region(sync, sync.singkawang)
    items = items_in_cell(sync.event, "8.01.03", singkawang, MatrixFilters())
    assert sorted(entry.item.budget for entry in items) == [5 * MILLION, 7 * MILLION]
    client = login_as(sync.reviewer)
    response = client.get(
        f"/rakor/{sync.event.id}/matriks/sel?baris=8.01.03&wilayah={singkawang}", headers={"HX-Request": "true"}
    )
    text = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Sub kegiatan 8.01.03.2.01.0001" in text and "Rp 12.000.000" in text
    assert f"/usulan/{sync.singkawang.id}#item-" in text
    gap = client.get(f"/rakor/{sync.event.id}/matriks/sel?baris=8.01.02&wilayah={singkawang}")
    assert "Tidak ada usulan di sini" in gap.get_data(as_text=True)
    assert client.get(f"/rakor/{sync.event.id}/matriks/sel?baris=8.01.02&wilayah=99.99").status_code == 404
    assert client.get(f"/rakor/{sync.event.id}/matriks/sel?wilayah={singkawang}").status_code == 400


# ---- National directions -------------------------------------------------------------------


def test_directions_view_lists_tagged_items_per_agency_and_the_agencies_without(
    sync: SyncWorld, login_as: Callable[..., FlaskClient]
) -> None:
    from workspace.exports.directions import directions_overview

    overview = {entry.direction.number: entry for entry in directions_overview(sync.event)}
    assert [tags.proposal.id for tags in overview[3].agencies] == [sync.sambas.id]
    assert overview[3].total_budget == 30 * MILLION
    assert {a.id for a in overview[3].agencies_without} == {sync.province.agency_id, sync.singkawang.agency_id}
    assert overview[1].agencies == [] and len(overview[1].agencies_without) == 3
    page = login_as(sync.observer).get(f"/rakor/{sync.event.id}/amanat-presiden").get_data(as_text=True)
    assert "Sub kegiatan 8.01.02.2.01.0001" in page and "Rp 30.000.000" in page
    assert "Belum ada perangkat daerah yang menandai" in page


# ---- Berita acara --------------------------------------------------------------------------


def _meeting(sync: SyncWorld) -> object:
    plenary = facilitation.create_session(sync.facilitator, sync.event, "Pleno Sinkronisasi", [])
    facilitation.set_status(sync.facilitator, plenary.id, facilitation.SessionStatus.LIVE)
    for person in (sync.participant, sync.other_participant, sync.facilitator):
        facilitation.join(person, plenary.id, explicit=True)
    agreements.record_agreement(sync.facilitator, plenary.id, sync.sambas.id, "agreed", "")
    agreements.record_agreement(
        sync.facilitator, plenary.id, sync.singkawang.id, "agreed_with_notes", "Indikator kegiatan lokal diperjelas"
    )
    return plenary


def test_berita_acara_print_view_and_pdf_carry_attendance_agreements_and_totals(
    sync: SyncWorld, login_as: Callable[..., FlaskClient]
) -> None:
    plenary = _meeting(sync)
    client = login_as(sync.organiser)
    html = client.get(f"/rakor/{sync.event.id}/berita-acara?sesi={plenary.id}").get_data(as_text=True)
    assert "BERITA ACARA KESEPAKATAN" in html
    for text in (
        "Rapat dihadiri oleh 3 orang dari 3 perangkat daerah",
        "Indikator kegiatan lokal diperjelas",
        "Sepakat dengan catatan",
        "Rp 222.000.000",
        "Rp 72.000.000",
        "Perwakilan perangkat daerah",
        "Mengetahui,",
    ):
        assert text in html, text

    response = client.get(f"/rakor/{sync.event.id}/berita-acara.pdf?sesi={plenary.id}")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert "attachment" in response.headers["Content-Disposition"]
    reader = PdfReader(io.BytesIO(response.data))
    text = " ".join(page.extract_text() for page in reader.pages)
    flat = re.sub(r"\s+", " ", text)
    for expected in (
        "BERITA ACARA KESEPAKATAN",
        "DRAF — belum final",
        "Rapat dihadiri oleh 3 orang",
        "Hendra Fasilitator",
        "Indikator kegiatan lokal diperjelas",
        "Rp 222.000.000",
        "Sepakat dengan catatan",
        "Belum dibahas",
        sync.event.title,
    ):
        assert expected in flat, expected
    assert reader.metadata.title.startswith("Berita acara kesepakatan")


def test_berita_acara_of_the_whole_event_and_of_a_session_differ_in_scope(
    sync: SyncWorld, login_as: Callable[..., FlaskClient]
) -> None:
    from workspace.exports.attendance_list import build_attendance_list
    from workspace.exports.minutes import build_minutes

    plenary = _meeting(sync)
    other = facilitation.create_session(sync.facilitator, sync.event, "Pleno Penutupan", [])
    facilitation.set_status(sync.facilitator, other.id, facilitation.SessionStatus.LIVE)
    facilitation.join(sync.reviewer, other.id, explicit=True)
    session = db.session.get(type(plenary), plenary.id)
    session_minutes = build_minutes(sync.event, session)
    event_minutes = build_minutes(sync.event)
    assert [line.name for line in build_attendance_list(sync.event, session, "WIB").lines].count("Dewi Peninjau") == 0
    assert "Dewi Peninjau" in [line.name for line in build_attendance_list(sync.event, None, "WIB").lines]
    assert "3 orang" in session_minutes.attendance_summary and "4 orang" in event_minutes.attendance_summary
    assert len(event_minutes.proposals) == 3
    assert event_minutes.total_budget == 222 * MILLION
    assert event_minutes.agreed_budget == 72 * MILLION  # Sambas 60 jt + Singkawang 12 jt
    client = login_as(sync.participant)
    assert client.get(f"/rakor/{sync.event.id}/berita-acara.pdf").status_code == 200
    assert client.get(f"/rakor/{sync.event.id}/berita-acara?sesi=999999").status_code == 404
    assert client.get(f"/rakor/{sync.event.id}/berita-acara?sesi=abc").status_code == 404


# ---- Exports -------------------------------------------------------------------------------


def test_xlsx_export_has_renja_columns_numbers_as_numbers_and_subtotals(
    sync: SyncWorld, login_as: Callable[..., FlaskClient]
) -> None:
    sync.sambas.items[2].indicator = '=HYPERLINK("http://evil","klik")'
    db.session.commit()
    response = login_as(sync.participant).get(f"/usulan/{sync.sambas.id}/ekspor.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    header = [cell.value for cell in sheet[5]]
    assert header[:12] == [
        "Kode",
        "Program / Kegiatan / Sub Kegiatan",
        "Tingkat",
        "Indikator",
        "Target",
        "Satuan",
        "Lokasi",
        "Pagu Indikatif (Rp)",
        "Sumber Dana",
        "Target n+1",
        "Pagu n+1 (Rp)",
        "Amanat Presiden",
    ]
    rows = list(sheet.iter_rows(min_row=6))
    by_code = {row[0].value: row for row in rows if row[0].value}
    sub = by_code["8.01.02.2.01.0001"]
    assert sub[7].value == 30 * MILLION and sub[7].data_type == "n"
    assert sub[4].value == 4 and sub[4].data_type == "n"
    assert sub[11].value == "3"
    assert by_code["8.01.03.2.01.0001"][4].value == "75,5"
    assert any(row[3].value == '=HYPERLINK("http://evil","klik")' and row[3].data_type == "s" for row in rows)
    assert by_code["8.01.02.2.01"][1].alignment.indent == 2

    def formula_sum(formula: str) -> int:
        match = re.fullmatch(r"=SUBTOTAL\(9,H(\d+):H(\d+)\)", formula)
        assert match, formula
        first, last = int(match.group(1)), int(match.group(2))
        return sum(
            sheet.cell(row=r, column=8).value
            for r in range(first, last + 1)
            if sheet.cell(row=r, column=3).value == "Sub Kegiatan"
        )

    assert formula_sum(by_code["8.01.02"][7].value) == 50 * MILLION
    assert formula_sum(by_code["8.01.03.2.01"][7].value) == 10 * MILLION
    total = next(row for row in rows if row[1].value == "JUMLAH")
    assert formula_sum(total[7].value) == 60 * MILLION


def test_event_export_has_a_summary_and_one_sheet_per_agency(
    sync: SyncWorld, login_as: Callable[..., FlaskClient]
) -> None:
    response = login_as(sync.facilitator).get(f"/rakor/{sync.event.id}/ekspor.xlsx")
    workbook = load_workbook(io.BytesIO(response.data))
    assert workbook.sheetnames[0] == "Ringkasan" and len(workbook.sheetnames) == 4
    summary = workbook["Ringkasan"]
    budgets = {summary.cell(row=r, column=1).value: summary.cell(row=r, column=3).value for r in range(5, 8)}
    assert budgets == {
        sync.province.agency.name: 150 * MILLION,
        sync.sambas.agency.name: 60 * MILLION,
        sync.singkawang.agency.name: 12 * MILLION,
    }
    csv_response = login_as(sync.reviewer).get(f"/rakor/{sync.event.id}/ekspor.csv")
    assert csv_response.headers["Content-Type"] == "text/csv; charset=utf-8"  # one charset, not two
    csv_text = csv_response.data.decode("utf-8-sig")
    lines = csv_text.splitlines()
    assert lines[0].startswith("Perangkat Daerah;Kode;")
    sub_budgets = [int(line.split(";")[8]) for line in lines[1:] if ";Sub Kegiatan;" in line]
    assert sum(sub_budgets) == 222 * MILLION


@pytest.mark.parametrize(
    ("who", "event_export", "own_export", "other_export"),
    [
        ("organiser", 200, 200, 200),
        ("facilitator", 200, 200, 200),
        ("reviewer", 200, 200, 200),
        ("participant", 403, 200, 403),
        ("other_participant", 403, 403, 200),
        ("observer", 403, 403, 403),
        ("outsider", 403, 403, 403),
    ],
)
def test_who_may_export_which_agency(
    sync: SyncWorld,
    login_as: Callable[..., FlaskClient],
    who: str,
    event_export: int,
    own_export: int,
    other_export: int,
) -> None:
    client = login_as(getattr(sync, who))
    for kind in ("xlsx", "csv"):
        assert client.get(f"/rakor/{sync.event.id}/ekspor.{kind}").status_code == event_export
        assert client.get(f"/usulan/{sync.sambas.id}/ekspor.{kind}").status_code == own_export
        assert client.get(f"/usulan/{sync.singkawang.id}/ekspor.{kind}").status_code == other_export


def test_outputs_are_refused_to_anonymous_and_to_people_of_another_event(
    sync: SyncWorld, client: FlaskClient, login_as: Callable[..., FlaskClient]
) -> None:
    paths = [
        f"/rakor/{sync.event.id}/matriks",
        f"/rakor/{sync.event.id}/amanat-presiden",
        f"/rakor/{sync.event.id}/berita-acara",
        f"/rakor/{sync.event.id}/berita-acara.pdf",
        f"/rakor/{sync.event.id}/keluaran",
        f"/rakor/{sync.event.id}/ekspor.xlsx",
        f"/usulan/{sync.sambas.id}/ekspor.csv",
        f"/usulan/{sync.sambas.id}/impor",
    ]
    for path in paths:
        response = client.get(path)
        assert response.status_code == 302 and "/masuk" in response.headers["Location"], path
    outsider = login_as(sync.outsider)
    for path in paths:
        assert outsider.get(path).status_code == 403, path


def test_an_organiser_catalogue_import_makes_the_event_views_refetch_once(loose_app: Flask, loose_world) -> None:
    """The matrix and the directions are built from the nomenclature: an organiser's import tells
    the event's room (once, after the commit); a refused file and an import from the command
    line, which belongs to no event, tell nobody."""
    from tests.conftest import login
    from workspace.extensions import socketio
    from workspace.services import catalog

    world = loose_world
    watcher_http = loose_app.test_client()
    login(watcher_http, world.organiser.username)
    watcher = socketio.test_client(loose_app, flask_test_client=watcher_http)
    assert watcher.emit("event:join", {"event_id": world.event.id}, callback=True)["ok"]
    watcher.get_received()
    header = "kode,tingkat,nama,berlaku_untuk,indikator_contoh,satuan,status_sumber\n"
    good = header + "8,urusan,UNSUR PEMERINTAHAN UMUM,both,,,verified\n"
    with loose_app.test_request_context():
        assert not catalog.import_catalog((header + "8.x,urusan,SALAH,both,,,verified\n").encode(), world.event.id).ok
        assert watcher.get_received() == []
        assert catalog.import_catalog(good.encode(), event_id=world.event.id).created == 1
        signals = [e["args"][0] for e in watcher.get_received() if e["name"] == "event:proposal-changed"]
        assert signals == [{"proposal_id": None, "revision": None}]
        assert catalog.import_catalog(good.replace("UMUM", "UMUM (BARU)").encode()).updated == 1
        assert watcher.get_received() == []
    watcher.disconnect()
