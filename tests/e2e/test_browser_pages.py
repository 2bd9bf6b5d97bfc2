"""Every page, for every role, on a 1366 × 768 laptop: it fits (no sideways scroll at 1366 × 768
or 1280 × 720), axe-core finds no serious or critical WCAG 2.2 A/AA violation, and a screenshot
is kept in test-output/pages/<role>/ for review.

The pages are found as a person finds them: from the start page, every link of the app that leads
to a page (not a download, not a fragment) is followed, once per kind of address. Each role must
reach at least the pages listed for it below, so a crawl that finds less fails instead of passing
on fewer pages.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest

from tests.e2e.accessibility import (
    HALL_PROJECTOR,
    LAPTOP,
    PAGES_OUTPUT,
    SMALL_LAPTOP,
    assert_accessible,
    fits,
    signed_in,
    write_summary,
)
from tests.e2e.test_browser_login import sign_in
from tests.servers import RunningServer

pytestmark = [pytest.mark.browser, pytest.mark.server]

# Not pages: files, the sign-out, the service worker, the health check.
NOT_A_PAGE = re.compile(
    r"\.(pdf|xlsx|csv|png|jpg|svg|js|css)(\?|$)|/bukti/\d+(/gambar-kecil)?$|/keluar$|/static/|/sw\.js$|/healthz$"
)
SHARED = {
    "/",
    "/notifikasi",
    "/rakor/N",
    "/rakor/N/usulan",
    "/rakor/N/matriks",
    "/rakor/N/matriks/sel",
    "/rakor/N/keluaran",
    "/rakor/N/amanat-presiden",
    "/rakor/N/berita-acara",
    "/rakor/N/daftar-hadir",
    "/rakor/N/tindak-lanjut",
    "/rakor/N/monev",
    "/sesi/N",
    "/sesi/N/proyektor",
    "/usulan/N",
    "/usulan/N/realisasi",
    "/usulan/butir/N/realisasi/N/bukti",
}
ADMIN = {
    "/rakor/N/admin",
    "/rakor/N/admin/perangkat-daerah",
    "/rakor/N/admin/orang",
    "/rakor/N/admin/orang/N",
    "/rakor/N/admin/orang/impor",
    "/rakor/N/admin/sesi",
    "/rakor/N/admin/dokumen",
    "/rakor/N/admin/monev",
    "/rakor/N/admin/nomenklatur",
    "/rakor/N/admin/jejak",
    "/rakor/N/tinjauan",
}
ROLES = {
    "participant": (
        "peserta.sambas",
        SHARED | {"/rakor/N/usulan-saya", "/usulan/N/impor", "/usulan/N/realisasi/impor"},
    ),
    "facilitator": ("fasilitator", SHARED | ADMIN),
    "organiser": ("sekretariat", SHARED | ADMIN),
    "reviewer": ("peninjau", SHARED | {"/rakor/N/tinjauan"}),
    "observer": ("proyektor", SHARED),
}


def shape_of(url: str) -> str:
    """One visit per kind of address; but each rakor's home, since each leads to its own pages
    (last year's rakor, in its monitoring phase, to the realisation and Monev pages)."""
    path = urlsplit(url).path
    return path if re.fullmatch(r"/rakor/\d+", path) else re.sub(r"\d+", "N", path)


def key_of(url: str, own: set[str]) -> str:
    """A page of one's own proposal by its address, any other by its kind of address."""
    path = urlsplit(url).path
    return f"own:{path}" if any(path == mine or path.startswith(f"{mine}/") for mine in own) else shape_of(url)


def links_on(page, base: str, selector: str = "a[href]") -> list[str]:
    hrefs = page.eval_on_selector_all(
        selector, "links => links.map(a => new URL(a.getAttribute('href'), location.href).href.split('#')[0])"
    )
    return [href for href in hrefs if href.startswith(base) and not NOT_A_PAGE.search(href)]


def look_at(page, url: str, role: str, shape: str) -> dict:
    """Open one page as its user sees it; check it; keep its screenshot."""
    response = page.goto(url, wait_until="load")
    assert response is not None and response.status == 200, f"{role}: {url} answered {response and response.status}"
    return check(page, url, role, shape)


def check(page, url: str, role: str, shape: str) -> dict:
    page.wait_for_timeout(150)
    overflow = fits(page)
    assert all(pixels <= 0 for pixels in overflow.values()), f"{role}: {url} is wider than the window: {overflow}"
    violations = assert_accessible(page, f"{url} as {role}")
    folder = PAGES_OUTPUT / role
    folder.mkdir(parents=True, exist_ok=True)
    name = re.sub(r"[^\w.-]+", "_", shape).strip("_") or "start"
    page.screenshot(path=str(folder / f"{name}.png"))
    return {"url": url, "overflow": overflow, "violations": [(v["id"], v["impact"], v["count"]) for v in violations]}


@pytest.mark.parametrize("role", sorted(ROLES))
def test_every_page_fits_and_passes_axe(browser, browser_server: RunningServer, role: str) -> None:
    username, expected = ROLES[role]
    base = browser_server.url
    context, page, errors = signed_in(browser, browser_server, username)

    seen: dict[str, dict] = {}
    own: set[str] = set()  # one's own proposals: each of their pages is looked at (edit and import controls)
    queue = [page.url, f"{base}/"]
    while queue:
        url = queue.pop(0)
        key = key_of(url, own)
        if key in seen:
            continue
        response = page.goto(url, wait_until="load")
        assert response is not None and response.status == 200, f"{role}: {url} answered {response and response.status}"
        if not page.locator("main#main").count():  # an htmx fragment with a page of its own to link to
            seen[key] = {"url": url, "fragment": True}
            continue
        seen[key] = check(page, url, role, key)
        mine = links_on(page, base, "#my-proposal a[href]")
        own.update(urlsplit(link).path for link in mine)
        links = mine + links_on(page, base)
        queue[:0] = [link for link in links if key_of(link, own) not in seen and key_of(link, own).startswith("own:")]
        queue.extend(link for link in links if key_of(link, own) not in seen)

    pages = {re.sub(r"\d+", "N", key.removeprefix("own:")) for key, found in seen.items() if not found.get("fragment")}
    assert expected <= pages, f"{role} did not reach: {sorted(expected - pages)}"
    assert errors == [], errors
    write_summary(
        role,
        {
            "pages": len(pages),
            "serious_or_critical": 0,
            "minor_or_moderate": sum(len(found.get("violations", [])) for found in seen.values()),
            "seen": seen,
        },
    )
    context.close()


def test_signed_out_pages_and_an_error_page(browser, browser_server: RunningServer) -> None:
    context = browser.new_context(viewport=LAPTOP, locale="id-ID")
    page = context.new_page()
    for shape, path in (("/masuk", "/masuk"), ("/gabung", "/gabung")):
        look_at(page, f"{browser_server.url}{path}", "signed-out", shape)
    sign_in(page, browser_server, "peserta.sambas")
    page.wait_for_url(f"{browser_server.url}/rakor/*")
    response = page.goto(f"{browser_server.url}/usulan/999999")
    assert response is not None and response.status == 404
    assert fits(page) == {"1366x768": 0, "1280x720": 0}
    assert_accessible(page, "the 404 page")
    context.close()


def test_the_projector_reads_from_the_back_of_the_hall_and_fits_a_small_laptop(
    browser, browser_server: RunningServer
) -> None:
    """1920 × 1080 on the hall's projector: large type (a 24 px body at least); the same view
    still fits a 1280 × 720 laptop screen with no sideways scroll."""
    context, page, _errors = signed_in(browser, browser_server, "proyektor", HALL_PROJECTOR)
    session = page.locator("main a[href^='/sesi/']").first.get_attribute("href")
    page.goto(f"{browser_server.url}{session}/proyektor", wait_until="load")
    page.wait_for_timeout(200)
    body_px = page.evaluate("() => parseFloat(getComputedStyle(document.body).fontSize)")
    smallest = page.evaluate(
        """() => Math.min(...[...document.querySelectorAll('main *')].filter(e => e.offsetParent && e.childNodes.length
              && [...e.childNodes].some(n => n.nodeType === 3 && n.textContent.trim()))
              .map(e => parseFloat(getComputedStyle(e).fontSize)))"""
    )
    assert body_px >= 24, body_px
    assert smallest >= 16, f"the smallest text on the projector is {smallest} px"
    assert fits(page, (HALL_PROJECTOR, SMALL_LAPTOP)) == {"1920x1080": 0, "1280x720": 0}
    assert_accessible(page, "the projector view")
    PAGES_OUTPUT.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(PAGES_OUTPUT / "projector-1920x1080.png"))
    page.set_viewport_size(SMALL_LAPTOP)
    page.screenshot(path=str(PAGES_OUTPUT / "projector-1280x720.png"))
    context.close()
