"""What the browser tests check on every page they look at: no sideways overflow, and axe-core.

axe-core is vendored from npm, pinned (tests/e2e/vendor/README.md), and injected into the page
under test. Its WCAG 2.0/2.1/2.2 A and AA rules run; a serious or critical violation fails.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

from tests.servers import PROJECT_ROOT

AXE_VERSION = "4.14.1"
AXE_SCRIPT = Path(__file__).parent / "vendor" / f"axe-core-{AXE_VERSION}" / "axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]
FAILING_IMPACTS = ("serious", "critical")
LAPTOP = {"width": 1366, "height": 768}
SMALL_LAPTOP = {"width": 1280, "height": 720}
HALL_PROJECTOR = {"width": 1920, "height": 1080}
PAGES_OUTPUT = PROJECT_ROOT / "test-output" / "pages"

_AXE_RUN = """async (tags) => {
  const result = await axe.run(document, {runOnly: {type: "tag", values: tags}, resultTypes: ["violations"]});
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 5).map(n => ({
      target: n.target.join(" "), summary: (n.failureSummary || "").slice(0, 300),
    })),
    count: v.nodes.length,
  }));
}"""


@functools.cache
def _axe_source() -> str:
    return AXE_SCRIPT.read_text(encoding="utf-8")


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """Every WCAG A/AA violation axe-core finds in the page as it is now (any impact)."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        # Evaluated by the test's driver, not as a <script> of the page: the app's CSP (script-src
        # 'self') stays as it is and is tested as it is.
        page.evaluate(_axe_source())
    return page.evaluate(_AXE_RUN, WCAG_TAGS)


def serious(violations: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [violation for violation in violations if violation["impact"] in FAILING_IMPACTS]


def describe(violations: list[dict[str, Any]]) -> str:
    return "\n".join(
        f"  {v['impact']} {v['id']} ({v['count']}): {v['help']}\n"
        + "\n".join(f"      {node['target']}: {node['summary']}" for node in v["nodes"])
        for v in violations
    )


def assert_accessible(page: Any, where: str) -> list[dict[str, Any]]:
    """No serious or critical violation; returns all the violations found (for the summary)."""
    found = axe_violations(page)
    failing = serious(found)
    assert not failing, f"axe-core on {where}:\n{describe(failing)}"
    return found


def sideways_overflow(page: Any) -> int:
    """How many pixels the page is wider than its window (0 when it fits)."""
    return int(page.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth"))


def fits(page: Any, viewports: tuple[dict[str, int], ...] = (LAPTOP, SMALL_LAPTOP)) -> dict[str, int]:
    """The page's sideways overflow at each window size (the page is resized, not reloaded)."""
    overflow = {}
    for viewport in viewports:
        page.set_viewport_size(viewport)
        page.wait_for_timeout(50)
        overflow[f"{viewport['width']}x{viewport['height']}"] = sideways_overflow(page)
    page.set_viewport_size(viewports[0])
    return overflow


def signed_in(
    browser: Any, server: Any, username: str, viewport: dict[str, int] = LAPTOP
) -> tuple[Any, Any, list[str]]:
    """A new Indonesian browser context signed in as `username` at the event home; its page and the
    script errors it will collect."""
    from tests.e2e.test_browser_login import sign_in

    context = browser.new_context(viewport=viewport, locale="id-ID")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    sign_in(page, server, username)
    page.wait_for_url(f"{server.url}/rakor/*")
    return context, page, errors


def write_summary(name: str, summary: dict[str, Any]) -> Path:
    PAGES_OUTPUT.mkdir(parents=True, exist_ok=True)
    path = PAGES_OUTPUT / f"{name}.json"
    path.write_text(json.dumps(summary, indent=1, ensure_ascii=False), encoding="utf-8")
    return path
