"""Issue 18, item 7 (first two parts): the Renja evaluation form. The XLSX per agency and for the
event has exactly the columns of `evaluation_columns`, the hand-computed figures (positif, negatif,
nilai akhir, a zero target, a target in words, a quarter not reported, a quarter after the one
reported to, the budget-weighted roll-up), formulas whose cached values are what LibreOffice
computes when it recalculates, and a page set-up that prints one page wide; the agency's PDF has
the title, the agency, the table, the notes and a signature line, and its pages render. Who may
download follows `proposal-exporter` and `exporter`; a bad `?tw=` is refused (422).

The LibreOffice parts need `soffice` (Debian's libreoffice-calc; .ci/run installs it): skipped
without it, except in CI."""

from __future__ import annotations

import io
import math
import re
import shutil
import subprocess
import zipfile
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from tests.conftest import PROJECT_ROOT, skip_or_fail
from tests.factories import World, make_agency, make_proposal
from workspace.exports.evaluation_columns import COLUMNS, SHEET_TITLE
from workspace.extensions import db
from workspace.models import DocumentSettings, ItemLevel, Proposal, ProposalItem, Realisation
from workspace.views.monev_outputs import default_quarter

MILLION = 1_000_000
HEADERS = [header for _key, header in COLUMNS]
COLUMN = {key: index for index, (key, _header) in enumerate(COLUMNS)}


def _item(
    proposal: Proposal, parent: ProposalItem | None, level: ItemLevel, code: str, **values: object
) -> ProposalItem:
    item = ProposalItem(proposal=proposal, parent=parent, level=level, code=code, name=f"Butir {code}", **values)
    db.session.add(item)
    return item


def _report(item: ProposalItem, quarter: int, physical: str = "", budget: int | None = None, **notes: str) -> None:
    db.session.add(Realisation(item=item, quarter=quarter, physical=physical, budget=budget,
                               reported_at=datetime(2024, 3 * quarter + 1, 3, 2, 0), **notes))  # fmt: skip


def build_case(world: World) -> Proposal:
    """One program (a persentase outcome, 70 then 75) with two kegiatan. Reported to triwulan II:

    =====  ===========  ========  ==========  ======================  =====================
    sub    rumus        target    pagu        TW I (K, Rp)            TW II (K, Rp)
    =====  ===========  ========  ==========  ======================  =====================
    S1     positif      4         100 jt      1, 20 jt                2, 30 jt
    S2     negatif      10        200 jt      3, 40 jt                5, –
    S3     nilai akhir  75,5      50 jt       60, –                   – (TW III: 80)
    S4     positif      0         100 jt      2, 10 jt                –
    S5     positif      Tersedia  150 jt      –                       1, 15 jt
    =====  ===========  ========  ==========  ======================  =====================

    S.d. TW II: S1 3 → 75 %, S2 8 → 10 ÷ 8 = 125 %, S3 60 (the last reported; III comes after)
    → 79,47 %, S4 and S5 none (a zero target, words). Kegiatan 1 = (75 × 100 + 125 × 200 +
    79,47 × 50) ÷ 350 = 104,21 %; kegiatan 2 has none; the program and the agency = 104,21 %.
    """
    agency = make_agency(region="Kabupaten Ketapang", event=world.event)
    proposal = Proposal(event=world.event, agency=agency, plan_year=world.event.plan_year)
    db.session.add(proposal)
    program = _item(proposal, None, ItemLevel.PROGRAM, "8.01.02", indicator="Persentase konflik tertangani",
                    target="80", unit="%", formula="persentase")  # fmt: skip
    first = _item(proposal, program, ItemLevel.KEGIATAN, "8.01.02.2.01", position=1, indicator="Dokumen", target="2")
    second = _item(proposal, program, ItemLevel.KEGIATAN, "8.01.02.2.02", position=2)
    subs = []
    for position, (parent, formula, target, budget) in enumerate(
        [(first, "positif", "4", 100), (first, "negatif", "10", 200), (first, "nilai_akhir", "75,5", 50),
         (second, "positif", "0", 100), (second, "positif", "Tersedia", 150)], start=1,
    ):  # fmt: skip
        subs.append(_item(proposal, parent, ItemLevel.SUBKEGIATAN, f"{parent.code}.{position:04d}", position=position,
                          indicator=f"Indikator {position}", unit="Laporan", target=target, formula=formula,
                          budget=budget * MILLION))  # fmt: skip
    db.session.flush()
    _report(program, 1, "70")
    _report(program, 2, "75")
    _report(subs[0], 1, "1", 20 * MILLION)
    _report(subs[0], 2, "2", 30 * MILLION, problem="Narasumber mundur", solution="Jadwal ulang")
    _report(subs[1], 1, "3", 40 * MILLION)
    _report(subs[1], 2, "5")
    _report(subs[2], 1, "60")
    _report(subs[2], 3, "80")
    _report(subs[3], 1, "2", 10 * MILLION)
    _report(subs[4], 2, "1", 15 * MILLION)
    db.session.commit()
    return proposal


def _download(client, path: str, media_type: str) -> bytes:
    response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    assert response.mimetype == media_type
    return response.data


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _rows(sheet) -> dict[str, dict[str, object]]:
    """Each item row (and JUMLAH) by its code, as {column key: value}."""
    rows = {}
    for row in sheet.iter_rows(min_row=7, values_only=True):
        key = row[COLUMN["code"]] or row[COLUMN["name"]]
        if key:
            rows[key] = {name: row[index] for name, index in COLUMN.items()}
    return rows


def test_the_agency_form_has_the_columns_and_the_hand_computed_figures(world: World, login_as: Callable) -> None:
    proposal = build_case(world)
    content = _download(login_as(world.organiser), f"/usulan/{proposal.id}/evaluasi.xlsx?tw=2", XLSX)
    workbook = load_workbook(io.BytesIO(content), data_only=True)  # what a viewer that does not recalculate shows
    assert workbook.sheetnames == [SHEET_TITLE]
    sheet = workbook[SHEET_TITLE]
    assert [cell.value for cell in sheet[6]] == HEADERS
    assert sheet["A4"].value == "Triwulan: II"
    assert proposal.agency.name in sheet["A2"].value
    rows = _rows(sheet)
    s1, s2, s3, s4, s5 = (rows[f"8.01.02.2.0{k}.000{n}"] for k, n in ((1, 1), (1, 2), (1, 3), (2, 4), (2, 5)))
    assert (s1["total_physical"], s1["achievement"], s1["total_budget"], s1["absorption"]) == (3, 75, 50 * MILLION, 50)
    assert (s2["formula"], s2["total_physical"], s2["achievement"], s2["absorption"]) == ("Negatif", 8, 125, 20)
    assert s3["formula"] == "Nilai Akhir" and s3["target"] == 75.5 and s3["total_physical"] == 60
    assert s3["q3_physical"] == 80  # written (the import reads every quarter), not counted to TW II
    assert math.isclose(s3["achievement"], 6000 / 75.5) and s3["total_budget"] is None and s3["absorption"] is None
    assert s4["target"] == 0 and s4["total_physical"] == 2 and s4["achievement"] is None and s4["absorption"] == 10
    assert s5["target"] == "Tersedia" and s5["achievement"] is None and s5["absorption"] == 10
    kegiatan = (75 * 100 + 125 * 200 + 6000 / 75.5 * 50) / 350
    first, second, program = rows["8.01.02.2.01"], rows["8.01.02.2.02"], rows["8.01.02"]
    assert math.isclose(first["achievement"], kegiatan) and second["achievement"] is None
    assert (first["budget"], first["q1_budget"], first["q2_budget"], first["total_budget"]) == (
        350 * MILLION, 60 * MILLION, 30 * MILLION, 90 * MILLION,
    )  # fmt: skip
    assert (second["q1_budget"], second["q2_budget"], second["q3_budget"]) == (10 * MILLION, 15 * MILLION, None)
    assert program["goal"] == "Persentase konflik tertangani" and first["goal"] is None  # Sasaran: the outcome
    assert (program["total_physical"], program["budget"], program["total_budget"]) == (75, 600 * MILLION, 115 * MILLION)
    assert math.isclose(program["achievement"], kegiatan) and math.isclose(program["absorption"], 115 / 6)
    total = rows["JUMLAH"]
    assert (total["budget"], total["total_budget"]) == (600 * MILLION, 115 * MILLION)
    assert math.isclose(total["achievement"], kegiatan)
    assert s1["problem"] == "Narasumber mundur" and s1["solution"] == "Jadwal ulang"  # the quarter's notes
    assert {row["unit_in_charge"] for row in rows.values() if row["code"]} == {proposal.agency.name}
    ids = {row["item_id"] for row in rows.values() if row["code"]}
    assert ids == {item.id for item in proposal.items}

    formulas = _rows(load_workbook(io.BytesIO(content))[SHEET_TITLE])
    assert formulas["8.01.02.2.01.0003"]["total_physical"].startswith("=IF(ISNUMBER(L")  # last value, TW II first
    negatif = formulas["8.01.02.2.01.0002"]["achievement"]
    assert re.fullmatch(r'=IF\((R\d+)="","",IF\(\1=0,100,H\d+/\1\*100\)\)', negatif), negatif
    assert isinstance(formulas["8.01.02"]["achievement"], float)  # a parent's roll-up is a number
    assert formulas["8.01.02.2.02.0004"]["achievement"] is None  # no formula to divide by zero
    assert str(formulas["8.01.02.2.01"]["q1_budget"]).startswith("=IF(COUNT(K")


def test_the_quarter_picks_the_totals_and_the_notes(world: World, login_as: Callable) -> None:
    proposal = build_case(world)
    client = login_as(world.organiser)
    rows = _rows(load_workbook(io.BytesIO(_download(client, f"/usulan/{proposal.id}/evaluasi.xlsx?tw=III", XLSX)),
                               data_only=True)[SHEET_TITLE])  # fmt: skip
    s3 = rows["8.01.02.2.01.0003"]
    assert s3["total_physical"] == 80 and math.isclose(s3["achievement"], 8000 / 75.5)
    assert rows["8.01.02.2.01.0001"]["problem"] is None  # TW II's note is not TW III's
    first = _rows(load_workbook(io.BytesIO(_download(client, f"/usulan/{proposal.id}/evaluasi.xlsx?tw=1", XLSX)),
                                data_only=True)[SHEET_TITLE])  # fmt: skip
    assert first["8.01.02.2.01.0001"]["total_physical"] == 1 and first["8.01.02.2.01.0001"]["achievement"] == 25
    for bad in ("5", "0", "V", "dua", "2x"):
        refused = client.get(f"/usulan/{proposal.id}/evaluasi.xlsx?tw={bad}")
        assert refused.status_code == 422 and "1, 2, 3" in refused.get_data(as_text=True), bad


def test_the_default_quarter_is_the_latest_that_has_ended(world: World) -> None:
    event = world.event  # plan year 2024, the default quarters
    assert [default_quarter(event, date(*day)) for day in ((2023, 6, 1), (2024, 3, 31), (2024, 4, 1))] == [1, 1, 1]
    assert [default_quarter(event, date(*day)) for day in ((2024, 7, 5), (2024, 12, 1), (2025, 2, 1))] == [2, 3, 4]


def test_the_event_workbook_has_a_summary_and_a_sheet_per_agency(world: World, login_as: Callable) -> None:
    proposal = build_case(world)
    content = _download(login_as(world.reviewer), f"/rakor/{world.event.id}/evaluasi.xlsx?tw=2", XLSX)
    workbook = load_workbook(io.BytesIO(content), data_only=True)
    assert workbook.sheetnames[0] == "Ringkasan" and len(workbook.sheetnames) == 4  # three proposals
    summary = workbook["Ringkasan"]
    assert summary["A3"].value == "Triwulan: II"
    lines = {row[1]: row for row in summary.iter_rows(min_row=6, values_only=True) if row[1]}
    case = lines[proposal.agency.name]
    assert case[2:5] == (5, 600 * MILLION, 115 * MILLION) and math.isclose(case[5], 115 / 6)
    assert math.isclose(case[6], (75 * 100 + 125 * 200 + 6000 / 75.5 * 50) / 350) and case[7] == "Sangat Baik"
    assert case[8] == "Diisi"  # TW II first reported on 3 July, before its deadline (10 July)
    untouched = lines[world.proposal.agency.name]
    assert untouched[2:5] == (2, 350 * MILLION, None) and untouched[6] is None
    assert untouched[8] == "Belum diisi, lewat tenggat"
    total = lines["JUMLAH"]
    assert total[2:5] == (9, 1300 * MILLION, 115 * MILLION)
    for sheet in workbook.worksheets[1:]:
        assert [cell.value for cell in sheet[6]] == HEADERS


def test_every_formula_has_a_cached_value(world: World) -> None:
    build_case(world)
    content = _event_xlsx(world)
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        xml = "".join(archive.read(n).decode() for n in archive.namelist() if n.startswith("xl/worksheets/sheet"))
    cells = re.findall(r'<c r="[A-Z]+[0-9]+"([^>]*)><f>[^<]*</f><v>([^<]*)</v></c>', xml)
    assert len(cells) == xml.count("<f>") > 100
    assert all(value or 't="str"' in attributes for attributes, value in cells), "a formula without its value"
    workbook = load_workbook(io.BytesIO(content), data_only=True)
    sheet = next(
        sheet for sheet in workbook.worksheets if sheet["A2"].value == f"Perangkat Daerah: {world.agency.name}"
    )
    zero = _rows(sheet)["8.01.02.2.01.0001"]
    assert (zero["formula"], zero["total_physical"], zero["achievement"], zero["absorption"]) == ("Negatif", 0, 100, 0)


def _event_xlsx(world: World) -> bytes:
    """The event's workbook to TW II, with a negatif sub kegiatan of the world's proposal realised at
    0 (100 %: nothing of what should stay low happened)."""
    from workspace.exports.renja_evaluation import event_evaluation_xlsx
    from workspace.queries.monitoring import bands_of, quarters_of
    from workspace.queries.realisation import progress_of_proposals

    zero = next(item for item in world.proposal.items if item.level is ItemLevel.SUBKEGIATAN)
    zero.formula = "negatif"
    _report(zero, 1, "0", 0)
    db.session.commit()
    proposals = list(world.event.proposals)
    figures = progress_of_proposals(proposals, quarters_of(world.event), bands_of(world.event), date(2024, 7, 20))
    return event_evaluation_xlsx(world.event, [figures[p.id] for p in proposals], 2)


def test_the_sheet_is_set_up_to_print(world: World, login_as: Callable) -> None:
    sheet = load_workbook(
        io.BytesIO(_download(login_as(world.participant), f"/usulan/{world.proposal.id}/evaluasi.xlsx", XLSX))
    )[SHEET_TITLE]
    setup = sheet.page_setup
    assert (setup.orientation, setup.paperSize, setup.fitToWidth, setup.fitToHeight) == ("landscape", 9, 1, 0)
    assert sheet.sheet_properties.pageSetUpPr.fitToPage and sheet.print_title_rows == "$6:$6"
    assert sheet.freeze_panes == "E7" and "Halaman &P dari &N" in sheet.oddFooter.center.text
    assert sheet.column_dimensions["Y"].hidden and sheet["Y6"].value == "ID"  # the import's key, out of print
    assert sheet["A4"].value == "Triwulan: IV"  # the default: the plan year 2024 is over
    name = sheet.cell(row=8, column=COLUMN["name"] + 1)
    assert name.alignment.wrap_text and name.alignment.indent == 1
    assert sheet.print_area == "'Evaluasi Renja'!$A$1:$X$11"  # the table without the ID column
    assert all(sheet.row_dimensions[row].height >= 12.5 for row in range(7, 12))


def _soffice() -> str:
    found = shutil.which("soffice") or shutil.which("libreoffice")
    if not found:
        skip_or_fail("the LibreOffice evaluation test needs `soffice` (apt-get install libreoffice-calc)")
    return str(found)


# A LibreOffice profile that recalculates every formula of an XLSX it opens (by default it keeps the
# cached values of a file it takes for Excel's: the comparison would prove nothing).
RECALCULATE = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema"
 xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode" oor:op="fuse">
<value>0</value></prop></item>
</oor:items>
"""


def _convert(soffice: str, files: list[Path], kind: str, work: Path) -> list[Path]:
    profile = work / "profile"
    (profile / "user").mkdir(parents=True, exist_ok=True)
    (profile / "user" / "registrymodifications.xcu").write_text(RECALCULATE)
    out = work / f"out-{kind}"
    subprocess.run(
        [soffice, f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", kind, "--outdir", str(out),
         *map(str, files)],
        check=True, capture_output=True, timeout=240,
    )  # fmt: skip
    return [out / f"{path.stem}.{kind}" for path in files]


def _same(ours: object, theirs: object) -> bool:
    if ours in (None, "") or theirs in (None, ""):
        return ours in (None, "") and theirs in (None, "")
    if isinstance(ours, int | float) and isinstance(theirs, int | float):
        return math.isclose(ours, theirs, rel_tol=1e-9, abs_tol=1e-9)
    return ours == theirs


@pytest.mark.parametrize("databases", ["sqlite"], indirect=True)  # the file is the same on PostgreSQL
def test_libreoffice_recalculates_every_formula_to_its_cached_value(world: World, tmp_path: Path) -> None:
    soffice = _soffice()
    build_case(world)
    content = _event_xlsx(world)
    ours = tmp_path / "evaluasi.xlsx"
    ours.write_bytes(content)
    # The control: a file whose cached values are wrong comes back right, so LibreOffice did compute.
    control = tmp_path / "kontrol.xlsx"
    control.write_bytes(_with_wrong_caches(content))
    recomputed, repaired = _convert(soffice, [ours, control], "xlsx", tmp_path)
    formulas = load_workbook(ours)
    cached, theirs = load_workbook(ours, data_only=True), load_workbook(recomputed, data_only=True)
    fixed, wrong = load_workbook(repaired, data_only=True), load_workbook(control, data_only=True)
    compared = differences = 0
    for sheet in formulas.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if cell.data_type != "f":
                    continue
                compared += 1
                ours_value = cached[sheet.title][cell.coordinate].value
                theirs_value = theirs[sheet.title][cell.coordinate].value
                assert _same(ours_value, theirs_value), (
                    sheet.title,
                    cell.coordinate,
                    cell.value,
                    ours_value,
                    theirs_value,
                )
                if not _same(wrong[sheet.title][cell.coordinate].value, fixed[sheet.title][cell.coordinate].value):
                    differences += 1
    assert compared > 100 and differences > 100, (compared, differences)


def _with_wrong_caches(content: bytes) -> bytes:
    source, output = zipfile.ZipFile(io.BytesIO(content)), io.BytesIO()
    with zipfile.ZipFile(output, "w") as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename.startswith("xl/worksheets/sheet"):
                data = re.sub(rb'( t="str")?><f>([^<]*)</f><v>[^<]*</v>', rb"><f>\2</f><v>987654</v>", data)
            target.writestr(info, data)
    return output.getvalue()


@pytest.mark.parametrize("databases", ["sqlite"], indirect=True)
def test_libreoffice_prints_the_event_evaluation_one_page_wide(world: World, tmp_path: Path) -> None:
    soffice = _soffice()
    build_case(world)
    source = tmp_path / "evaluasi-rakor.xlsx"
    source.write_bytes(_event_xlsx(world))
    (pdf_path,) = _convert(soffice, [source], "pdf", tmp_path)
    pages = PdfReader(pdf_path).pages
    texts = [re.sub(r"\s+", " ", page.extract_text()) for page in pages]
    assert all(page.mediabox.width > page.mediabox.height for page in pages), "landscape"
    forms = [text for text in texts if "Unit Penanggung Jawab" in text]
    assert len(forms) == 3 and len(pages) == 4  # the Ringkasan, then each agency's form on one page
    for text in forms:  # the first and the last printed column on the same page: one page wide
        assert "No" in text and "Solusi / Tindak Lanjut" in text and "Halaman" in text
        assert "Triwulan: II" in text
    assert "104,2" in " ".join(texts) or "104.2" in " ".join(texts)
    _keep(pdf_path.read_bytes(), "evaluasi-renja-xlsx")


def _keep(pdf: bytes, stem: str) -> list[Path]:
    """The PDF and its pages as PNG images in test-output/, to look at."""
    out = PROJECT_ROOT / "test-output"
    out.mkdir(exist_ok=True)
    (out / f"{stem}.pdf").write_bytes(pdf)
    if shutil.which("pdftoppm"):
        subprocess.run(
            ["pdftoppm", "-r", "60", "-png", str(out / f"{stem}.pdf"), str(out / stem)], check=True, timeout=60
        )
    return sorted(out.glob(f"{stem}-*.png"))


def _pdf_text(content: bytes) -> list[str]:
    return [re.sub(r"\s+", " ", page.extract_text()) for page in PdfReader(io.BytesIO(content)).pages]


def test_the_agency_pdf_is_ready_to_sign(world: World, login_as: Callable) -> None:
    proposal = build_case(world)
    db.session.add(DocumentSettings(event_id=world.event.id, institution="PEMERINTAH PROVINSI KALIMANTAN BARAT\n"
                                    "BADAN PERENCANAAN PEMBANGUNAN DAERAH", address="Jl. Ahmad Yani, Pontianak",
                                    contact="", signing_place="Pontianak", number_pattern="{nomor}", next_number=1,
                                    organiser_title="", organiser_name="", organiser_nip="", head_title="",
                                    head_name="", head_rank="", head_nip=""))  # fmt: skip
    db.session.commit()
    content = _download(login_as(world.organiser), f"/usulan/{proposal.id}/evaluasi.pdf?tw=2", "application/pdf")
    pages = _pdf_text(content)
    whole = " ".join(pages)
    assert "EVALUASI TERHADAP HASIL RENJA PERANGKAT DAERAH" in whole
    assert proposal.agency.name.upper() in whole and "TRIWULAN II TAHUN 2024" in whole
    assert "BADAN PERENCANAAN PEMBANGUNAN DAERAH" in pages[0]  # the kop
    assert "Realisasi TW II" in whole and "Realisasi s.d. TW II" in whole and "Predikat" in whole
    assert "104,2" in whole and "Sangat Baik" in whole and "125,0" in whole and "79,5" in whole
    assert "115.000.000" in whole and "50.000.000" in whole  # the rupiah to date
    assert "Narasumber mundur" in whole and "Jadwal ulang" in whole  # the quarter's notes
    assert f"Kepala {proposal.agency.name}," in whole and "(" + "." * 40 + ")" in whole and "NIP. ....." in whole
    assert re.search(r"Pontianak, \d{1,2} [A-Z][a-z]+ \d{4}", whole)  # place and date
    for number, text in enumerate(pages, start=1):
        assert f"Halaman {number} dari {len(pages)}" in text
    _render(content, "evaluasi-renja-pdf")


def _render(content: bytes, stem: str) -> None:
    """Every page renders (pypdfium2, which the suite has); the pages are kept in test-output/."""
    import pypdfium2

    out = PROJECT_ROOT / "test-output"
    out.mkdir(exist_ok=True)
    (out / f"{stem}.pdf").write_bytes(content)
    document = pypdfium2.PdfDocument(content)
    for index in range(len(document)):
        image = document[index].render(scale=0.8).to_pil()
        assert image.width > image.height and image.getextrema() != ((255, 255),) * 3, "a blank page"
        image.save(out / f"{stem}-{index + 1}.png")


def test_a_long_agency_pdf_repeats_its_headings_and_keeps_the_signature_whole(world: World) -> None:
    from workspace.exports.evaluation_pdf import evaluation_pdf
    from workspace.queries.documents import document_settings
    from workspace.queries.realisation import proposal_progress

    agency = make_agency(region="Kabupaten Kapuas Hulu", event=world.event)
    proposal = make_proposal(world.event, agency, budgets=tuple(MILLION * n for n in range(1, 61)))
    content = evaluation_pdf(proposal_progress(proposal), 4, document_settings(world.event), date(2025, 1, 8))
    pages = _pdf_text(content)
    assert len(pages) >= 2
    assert all("Realisasi s.d. TW IV" in text for text in pages[:-1])  # the headings on every table page
    assert "Tidak ada permasalahan yang dilaporkan untuk triwulan IV" in " ".join(pages)
    signature = next(text for text in pages if "Kepala" in text)
    assert "NIP." in signature and "8 Januari 2025" in signature  # the block on one page, in Indonesian
    _render(content, "evaluasi-renja-pdf-panjang")


def test_who_may_download_the_evaluation(world: World, login_as: Callable) -> None:
    agency_files = [f"/usulan/{world.proposal.id}/evaluasi.xlsx", f"/usulan/{world.proposal.id}/evaluasi.pdf"]
    event_file = f"/rakor/{world.event.id}/evaluasi.xlsx"
    own, other = login_as(world.participant), login_as(world.other_participant)
    for path in agency_files:
        assert own.get(path).status_code == 200, path  # the agency's own participant
        assert other.get(path).status_code == 403, path  # another agency's
        assert login_as(world.observer).get(path).status_code == 403, path
        assert login_as(world.outsider).get(path).status_code in (403, 404), path
    assert own.get(event_file).status_code == 403  # the whole event: the exporters only
    assert login_as(world.facilitator).get(event_file).status_code == 200
    assert login_as(world.organiser).get(f"/rakor/{world.event.id}/evaluasi.xlsx?tw=7").status_code == 422
