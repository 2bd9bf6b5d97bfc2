"""Browser: the matrix follows a live edit, its cells open their items, the berita acara prints on
A4, and a participant imports a spreadsheet through the preview (Playwright, Debian Chromium)."""

from __future__ import annotations

import re

import pytest

from tests.conftest import screenshot
from tests.e2e.test_browser_coediting import first_sub_item, open_editor, open_proposal
from tests.e2e.test_browser_login import sign_in
from tests.servers import RunningServer

pytestmark = [pytest.mark.browser, pytest.mark.server]

# The matrix re-fetches itself 1.5 s after the last change it hears of: a functional bound.
MATRIX_BOUND_MS = 6000
SAMBAS = "61.01"


def open_matrix(browser, server: RunningServer, username: str):
    context = browser.new_context(viewport={"width": 1600, "height": 1000})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    sign_in(page, server, username)
    page.wait_for_url(f"{server.url}/rakor/*")
    page.get_by_role("link", name="Matriks", exact=True).click()
    page.wait_for_url(re.compile(r".*/matriks$"))
    page.errors = errors  # type: ignore[attr-defined]
    return context, page


def rupiah_digits(text: str) -> int:
    return int(re.sub(r"[^0-9]", "", text))


def test_the_matrix_updates_live_and_opens_a_cell(browser, browser_server: RunningServer) -> None:
    from playwright.sync_api import expect

    matrix_context, matrix = open_matrix(browser, browser_server, "fasilitator")
    total_cell = matrix.locator(f'#matrix tfoot td[data-region="{SAMBAS}"]')
    before = rupiah_digits(total_cell.inner_text())
    assert before > 0
    expect(matrix.locator("#matrix td.cell.gap").first).to_be_visible()
    screenshot(matrix, "20-matrix")

    editor_context, editor_page = open_proposal(browser, browser_server, "peserta.sambas")
    item = first_sub_item(editor_page)
    old_budget = int(editor_page.locator(f"#item-{item}-budget").get_attribute("data-value") or "0")
    _cell, editor = open_editor(editor_page, item, "budget")
    editor.locator("input[name=value]").fill(str(old_budget + 1_234))
    editor.get_by_role("button", name="Simpan").click()
    expect(editor_page.locator(f"#item-{item}-budget")).to_have_attribute(
        "data-value", str(old_budget + 1_234), timeout=3000
    )

    expected = f"{before + 1_234:,}".replace(",", ".")
    expect(total_cell).to_have_text(expected, timeout=MATRIX_BOUND_MS)
    expect(matrix.locator("#matrix-live-note")).to_be_visible()

    # A filled cell of Sambas opens its items beside the matrix, with the new budget.
    matrix.locator(f'#matrix tr.level-program td.cell.filled[data-region="{SAMBAS}"] a').first.click()
    detail = matrix.locator("#matrix-cell-detail .cell-items")
    expect(detail).to_be_visible(timeout=3000)
    expect(detail).to_contain_text("Kesbangpol Kab. Sambas")
    screenshot(matrix, "21-matrix-cell-items")

    # Filters re-render the matrix in place and keep it live.
    matrix.get_by_label("Amanat Presiden").select_option("3")
    expect(matrix).to_have_url(re.compile(r".*arah=3"))
    expect(matrix.locator("#matrix tbody tr").first).to_be_visible()
    assert matrix.errors == [] and editor_page.errors == []  # type: ignore[attr-defined]
    matrix_context.close()
    editor_context.close()


def test_the_matrix_prints_landscape_with_all_fifteen_regions(browser, browser_server: RunningServer) -> None:
    """Printed from the matrix page: A4 landscape, the province and the 14 kabupaten/kota across one
    page (short names, budgets in millions), the legend, "Halaman x dari y"; the XLSX link carries
    the filters in use."""
    import subprocess

    from playwright.sync_api import expect

    from tests.conftest import PROJECT_ROOT

    context, page = open_matrix(browser, browser_server, "fasilitator")
    page.set_viewport_size({"width": 1366, "height": 768})
    expect(page.locator("#matrix .matrix-actions a", has_text="XLSX")).to_be_visible()
    regions = page.locator("#matrix thead th.region").all_inner_texts()
    assert len(regions) == 15
    page.emulate_media(media="print")
    # The printable width of A4 landscape within the 8 mm margins: 281 mm at 96 px an inch.
    page.set_viewport_size({"width": 1062, "height": 750})
    expect(page.locator(".filters")).to_be_hidden()
    # Nothing is wider than the page: neither the table nor any cell's content spilling out of it.
    widths = page.evaluate(
        "() => { const t = document.querySelector('#matrix table');"
        " const spilling = [...t.querySelectorAll('th, td')].filter(c => c.scrollWidth > c.clientWidth + 1)"
        "   .map(c => c.textContent.trim().slice(0, 30));"
        " return [t.getBoundingClientRect().width, document.documentElement.scrollWidth, spilling]; }"
    )
    assert widths[0] <= 1062 and widths[1] <= 1062 and widths[2] == [], f"wider than the page: {widths}"
    pdf = page.pdf(prefer_css_page_size=True)
    import io

    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(pdf))
    first = reader.pages[0]
    assert first.mediabox.width > first.mediabox.height  # landscape
    text = re.sub(r"\s+", " ", first.extract_text())
    for name in ("Sambas", "Kapuas Hulu", "Kayong Utara", "Kota Singkawang", "Kalimantan Barat"):
        assert name in text, name
    assert "juta rupiah" in text and f"Halaman 1 dari {len(reader.pages)}" in text
    out = PROJECT_ROOT / "test-output"
    out.mkdir(exist_ok=True)
    (out / "matriks-cetak.pdf").write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", "70", "-png", str(out / "matriks-cetak.pdf"), str(out / "matriks-cetak")],
                   check=False, timeout=60)  # fmt: skip
    assert page.errors == []  # type: ignore[attr-defined]
    context.close()


def _pdf_text(data: bytes) -> str:
    import io

    from pypdf import PdfReader

    return re.sub(r"\s+", " ", " ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages))


def test_berita_acara_is_finalised_and_its_print_view_matches_the_pdf(browser, browser_server: RunningServer) -> None:
    """The secretariat opens the draft, finalises it (numbered by the demo's pattern), and gets the
    stored PDF; Chromium printing the final print view gives the same document: the kop, the
    number, the opening, the signatures, and "Halaman x dari y" in the page margin."""
    from playwright.sync_api import expect

    context = browser.new_context(viewport={"width": 1366, "height": 768}, accept_downloads=True)
    page = context.new_page()
    sign_in(page, browser_server, "sekretariat")
    page.wait_for_url(f"{browser_server.url}/rakor/*")
    page.get_by_role("link", name="Keluaran").click()
    page.get_by_role("link", name="Buka").first.click()
    minutes = page.locator("#minutes")
    expect(minutes.locator("h1")).to_have_text("BERITA ACARA KESEPAKATAN")
    expect(minutes.locator(".draft-mark")).to_contain_text("DRAF")
    expect(minutes.locator(".kop")).to_contain_text("BADAN KESATUAN BANGSA DAN POLITIK")
    expect(minutes).to_contain_text("Mengetahui,")
    assert page.evaluate("document.documentElement.scrollWidth") <= 1366
    screenshot(page, "22-berita-acara-draft")

    page.get_by_role("button", name="Finalkan berita acara").click()
    page.wait_for_url(re.compile(r".*/berita-acara/[0-9]+$"))
    expect(page.locator(".flash")).to_contain_text("Berita acara sudah final: nomor 005/BA-RAKOR/KESBANGPOL/")
    expect(page.locator("#minutes .draft-mark")).to_have_count(0)
    number = page.locator("#minutes .minutes-number").inner_text().split(": ", 1)[1]
    screenshot(page, "22-berita-acara-final")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Unduh PDF").click()
    with open(download_info.value.path(), "rb") as handle:
        stored_bytes = handle.read()
    stored = _pdf_text(stored_bytes)
    from tests.test_documents import _page_images

    _page_images(stored_bytes, "berita-acara-demo-final")  # the demo's 15 proposals, for review

    page.emulate_media(media="print")
    expect(page.locator(".minutes-toolbar")).to_be_hidden()
    expect(page.locator(".topbar")).to_be_hidden()
    printed = _pdf_text(page.pdf(format="A4", prefer_css_page_size=True))
    for text in (
        "BADAN KESATUAN BANGSA DAN POLITIK",
        f"Nomor: {number}",
        "bertempat di Hotel Aston Pontianak",
        "Demikian berita acara ini dibuat",
        "Mengetahui,",
        "NIP.",
        "Halaman 1 dari",
    ):
        assert text in printed, text
        assert text in stored, text
    assert "Penyelenggara," in printed and "Penyelenggara," in stored
    context.close()


def test_a_participant_imports_a_spreadsheet_through_the_preview(
    browser, browser_server: RunningServer, tmp_path
) -> None:
    import io

    import requests
    from openpyxl import load_workbook
    from playwright.sync_api import expect

    context, page = open_proposal(browser, browser_server, "peserta.sambas")
    proposal_id = page.evaluate("document.body.dataset.proposalId")
    # The participant's own export, with one budget changed, as they would bring it back.
    cookies = {c["name"]: c["value"] for c in context.cookies()}
    exported = requests.get(f"{browser_server.url}/usulan/{proposal_id}/ekspor.xlsx", cookies=cookies, timeout=10)
    workbook = load_workbook(io.BytesIO(exported.content))
    sheet = workbook.active
    row = next(r for r in range(6, sheet.max_row + 1) if sheet.cell(row=r, column=3).value == "Sub Kegiatan")
    code = sheet.cell(row=row, column=1).value
    sheet.cell(row=row, column=8).value = 321_000_123
    path = tmp_path / "renja-sambas.xlsx"
    workbook.save(path)

    posts: list[dict] = []
    page.on("request", lambda request: posts.append(request.headers) if request.method == "POST" else None)
    page.get_by_role("link", name="Impor", exact=True).click()
    page.get_by_label("Berkas (XLSX atau CSV)").set_input_files(str(path))
    page.get_by_role("button", name="Pratinjau").click()
    preview = page.locator("#import-preview")
    expect(preview).to_contain_text("1 butir diubah")
    expect(preview).to_contain_text("Rp 321.000.123")
    screenshot(page, "23-import-preview")
    page.get_by_role("button", name="Terapkan impor").click()
    page.wait_for_url(re.compile(rf".*/usulan/{proposal_id}$"))
    # Both htmx POSTs (the multipart preview and the apply) carried the CSRF token in a header.
    htmx_posts = [headers for headers in posts if headers.get("hx-request") == "true"]
    assert len(htmx_posts) >= 2 and all(headers.get("x-csrftoken") for headers in htmx_posts)
    expect(page.locator(".flash")).to_contain_text("Impor diterapkan")
    changed_cell = page.locator("td[id$='-budget'][data-value='321000123']")
    expect(changed_cell).to_have_count(1)
    expect(changed_cell.locator("xpath=..")).to_contain_text(code)
    expect(page.locator(f"#proposal-{proposal_id}-history-list")).to_contain_text("mengimpor")
    context.close()
