"""axe-core (tests/support/axe/) run in the browser tests, the page's Content-Security-Policy
left on.

axe is evaluated through the DevTools protocol (`page.evaluate` of its source is the
protocol's `Runtime.evaluate`), which the page's CSP does not govern; a `<script>` tag would
need `bypass_csp` and so test a page that no visitor ever gets. `axe_violations(page)` runs
the WCAG 2.2 AA rules once; `check_accessibility(page)` runs them at 1280 px and 390 px
and fails with a readable list.

`AccessibilityWatch` (installed on every `page` of tests/support/browser.py) checks each
page a test visits: before an action that may leave it (a click, a key press, `goto`), at
every screenshot and at the end of the test. A page is identified by its path, title and
state (errors shown, menus open), and checked once per test session (per xdist worker).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

AXE_SCRIPT = Path(__file__).resolve().parent / "axe" / "axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
WIDTHS = (1280, 390)

_RUN_AXE = """async (tags) => {
  const results = await axe.run(document, {
    runOnly: {type: 'tag', values: tags},
    resultTypes: ['violations'],
  });
  return results.violations.map((v) => ({
    rule: v.id,
    help: v.help,
    nodes: v.nodes.map((n) => ({target: n.target.join(' '), summary: n.failureSummary})),
  }));
}"""

# What makes two visits the same page: the app (title), the path, and what the person sees
# change without a new path (errors shown, a menu open).
_PAGE_STATE = """() => [
  location.pathname,
  document.title,
  document.querySelectorAll('[aria-invalid="true"], [role="alert"]').length,
  document.querySelectorAll('details[open], [aria-expanded="true"]').length,
].join(' | ')"""


@cache
def _axe_source() -> str:
    return AXE_SCRIPT.read_text(encoding="utf-8")


def axe_violations(page: Any) -> list[dict]:
    """The WCAG 2.2 AA violations axe finds in the page as it is now (current viewport)."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        # A string, not a function: Playwright sends it as the expression of the DevTools
        # protocol's Runtime.evaluate, outside the page's CSP (which stays enforced).
        page.evaluate(_axe_source())
    return page.evaluate(_RUN_AXE, WCAG_TAGS)


def describe(violations: list[dict], where: str) -> str:
    """One line per rule and element: what is wrong and where."""
    lines = [f"axe (WCAG 2.2 AA) on {where}:"]
    for violation in violations:
        lines.append(f"- {violation['rule']}: {violation['help']}")
        for node in violation["nodes"]:
            summary = " ".join((node["summary"] or "").split())
            lines.append(f"    {node['target']}: {summary}")
    return "\n".join(lines)


def check_accessibility(page: Any, widths: tuple[int, ...] = WIDTHS) -> None:
    """Fail when axe finds a violation at any of `widths`; the viewport is put back after."""
    viewport = page.viewport_size or {"width": 1280, "height": 900}
    found: list[str] = []
    try:
        for width in widths:
            page.set_viewport_size({"width": width, "height": viewport["height"]})
            violations = axe_violations(page)
            if violations:
                found.append(describe(violations, f"{page.url} at {width} px"))
    finally:
        page.set_viewport_size(viewport)
    if found:
        raise AssertionError("\n".join(found))


class AccessibilityWatch:
    """Checks each distinct page of one Playwright page once per session (see the module)."""

    checked: set[str] = set()  # shared by every test of the session (one xdist worker)

    def __init__(self, page: Any) -> None:
        self.page = page
        self.pending = False
        self.enabled = os.environ.get("COMPTE_TEST_AXE", "1") != "0"
        page.on("load", self._loaded)

    def _loaded(self, *_: Any) -> None:
        self.pending = True

    def check(self) -> None:
        """Check the page as it is now, unless this page in this state was checked."""
        self.pending = False
        if not self.enabled or self.page.is_closed():
            return
        if not self.page.url.startswith(("http://", "https://")):
            return  # about:blank, a mail shown with set_content: not a page of ours
        if urlsplit(self.page.url).path.startswith("/_test/"):
            return  # a route a test added to stand for a service: not a page of ours
        self.page.wait_for_load_state()
        key = self.page.evaluate(_PAGE_STATE)
        if key in self.checked:
            return
        self.checked.add(key)
        check_accessibility(self.page)

    def before_leaving(self) -> None:
        """Before an action that may navigate: check the page if it is new."""
        if self.pending:
            self.check()


def watch_actions(page: Any, watch: AccessibilityWatch, patch: Callable) -> None:
    """Make the actions that may leave a page check it first. `patch(cls, name, wrapper)` is
    pytest's monkeypatch.setattr, so the wrappers go away with the test."""
    from playwright.sync_api import Keyboard, Locator, Page

    def wrap(cls: type, name: str, owner: Callable[[Any], Any]) -> None:
        original = getattr(cls, name)

        def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
            if owner(self) is page:
                watch.before_leaving()
            return original(self, *args, **kwargs)

        patch(cls, name, wrapper)

    for name in ("click", "press", "dblclick"):
        wrap(Locator, name, lambda locator: locator.page)
    wrap(Keyboard, "press", lambda keyboard: page if keyboard is page.keyboard else None)
    wrap(Page, "goto", lambda target: target)
