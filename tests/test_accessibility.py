"""The public pages in a real browser: Debian's Chromium, headless, driven by Playwright, on the demo's archive page
and its monthly pages, in English and German, at a phone's width (390 × 844) and a desktop's (1280 × 900).

* WCAG 2.1 AA as axe-core checks it (every rule axe enables by default): no serious or critical violation.
* On the phone nothing scrolls sideways: the page is no wider than the screen, and every cell of every table (so its
  first column and its key figure) lies within the screen, shown rather than hidden (the wide tables reflow).
* Every element that can scroll can be reached with the Tab key and has an accessible name.

Chromium comes from Debian (`make` installs it), not from Playwright's downloads; axe-core is the axe.min.js that
the axe-playwright-python package ships. The pages are files opened from the demo's folder: nothing is fetched.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page, sync_playwright

pytestmark = pytest.mark.xdist_group("demo")

# the archive and a monthly page in each language of the demo profile (English at the top, German in de/), and a
# second month in English
PAGES = ("index.html", "2026-10/v1/public/index.html", "2026-09/v1/public/index.html", "de/index.html",
         "2026-10/v1/public/de/index.html")
PHONE = (390, 844)
VIEWPORTS = {"phone": PHONE, "desktop": (1280, 900)}
FAILING_IMPACTS = ("serious", "critical")


def chromium() -> str:
    path = shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(path).is_file():
        pytest.fail("Debian's Chromium is missing (/usr/bin/chromium): `make test` installs it (apt-get install "
                    "chromium)")
    return path


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium())
        yield browser
        browser.close()


def open_page(browser: Browser, demo: Path, page: str, viewport: tuple[int, int]) -> Page:
    """The page laid out at `viewport`, its web fonts loaded (so that what is measured is what a reader sees), every
    <details> opened (so that what a reader may unfold is checked too)."""
    width, height = viewport
    context = browser.new_context(viewport={"width": width, "height": height})
    tab = context.new_page()
    target = demo / "reports" / page
    assert target.is_file(), target
    tab.goto(target.as_uri(), wait_until="load")
    tab.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
    tab.evaluate("document.fonts.ready.then(() => true)")
    return tab


@pytest.fixture(scope="module", params=[(p, v) for p in PAGES for v in VIEWPORTS], ids=lambda pv: f"{pv[0]}@{pv[1]}")
def opened(request, browser, demo):
    page, viewport = request.param
    tab = open_page(browser, demo, page, VIEWPORTS[viewport])
    yield page, viewport, tab
    tab.context.close()


def test_axe_finds_no_serious_or_critical_violation(opened):
    page, viewport, tab = opened
    results = Axe().run(tab, options={"resultTypes": ["violations"]}).response
    failing = [v for v in results["violations"] if v["impact"] in FAILING_IMPACTS]
    report = "\n".join(
        f"{v['id']} ({v['impact']}): {v['help']}; {len(v['nodes'])} node(s): "
        + "; ".join(" ".join(n["target"]) for n in v["nodes"][:8])
        for v in failing
    )
    assert results["testEngine"]["name"] == "axe-core"
    assert not failing, f"axe-core {results['testEngine']['version']} on {page} at {viewport}:\n{report}"


# Every element whose content can scroll (overflow auto or scroll, the root aside), with what the tests need of it:
# is it focusable by Tab (a tabindex of 0 or more) and its accessible name as ARIA computes it for a region (an
# aria-labelledby's texts, else aria-label).
SCROLLERS = """() => [...document.querySelectorAll('body *')].filter(e => {
    const s = getComputedStyle(e);
    return [s.overflowX, s.overflowY].some(o => o === 'auto' || o === 'scroll');
  }).map((e, i) => {
    e.dataset.testScroller = i;
    const labelledBy = (e.getAttribute('aria-labelledby') || '').split(/\\s+/).filter(Boolean)
      .map(id => document.getElementById(id)).filter(Boolean).map(l => l.textContent.trim()).join(' ');
    return {index: String(i), html: e.outerHTML.slice(0, 120), tabIndex: e.tabIndex,
            hasTabindex: e.hasAttribute('tabindex'), role: e.getAttribute('role'),
            name: labelledBy || (e.getAttribute('aria-label') || '').trim()};
  })"""


def test_every_scrollable_element_is_reached_by_the_keyboard_and_named(opened):
    page, viewport, tab = opened
    scrollers = tab.evaluate(SCROLLERS)
    unreachable = [s["html"] for s in scrollers if not (s["hasTabindex"] and s["tabIndex"] >= 0)]
    unnamed = [s["html"] for s in scrollers if s["role"] != "region" or not s["name"]]
    assert not unreachable, f"{page} at {viewport}: scrollable but not focusable: {unreachable}"
    assert not unnamed, f"{page} at {viewport}: scrollable without role=region and a name: {unnamed}"
    # and the Tab key does reach each of them, in the page's order
    tab.evaluate("document.activeElement && document.activeElement.blur()")
    focusable = tab.evaluate("document.querySelectorAll('a[href], area[href], button, input, select, textarea, "
                             "summary, iframe, [tabindex], [contenteditable]').length")
    reached = set()
    for _ in range(focusable + 2):
        tab.keyboard.press("Tab")
        reached.add(tab.evaluate("document.activeElement.dataset.testScroller || null"))
    missed = [s["html"] for s in scrollers if s["index"] not in reached]
    assert not missed, f"{page} at {viewport}: the Tab key never focused {missed}"


@pytest.fixture(scope="module", params=PAGES)
def on_a_phone(request, browser, demo):
    tab = open_page(browser, demo, request.param, PHONE)
    yield request.param, tab
    tab.context.close()


def test_nothing_is_wider_than_a_phone(on_a_phone):
    page, tab = on_a_phone
    width = tab.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE[0], f"{page} is {width} px wide on a {PHONE[0]} px screen"
    too_wide = tab.evaluate("""() => [...document.querySelectorAll('body *')]
      .filter(e => e.scrollWidth > e.clientWidth && ['auto', 'scroll'].includes(getComputedStyle(e).overflowX))
      .map(e => e.outerHTML.slice(0, 120))""")
    assert not too_wide, f"{page}: these scroll sideways on a phone: {too_wide}"


# Each data cell of each table: its table's caption, its column's header (by position in its row, the header row's
# cells spanning as they say), its text, its box and whether it is shown.
CELLS = """() => [...document.querySelectorAll('table')].flatMap((table, t) => {
    const caption = (table.caption ? table.caption.textContent : `table ${t + 1}`).trim().replace(/\\s+/g, ' ');
    const headers = [];
    const head = table.tHead && table.tHead.rows[0];
    if (head) for (const th of head.cells) for (let k = 0; k < th.colSpan; k++) headers.push(th.textContent.trim());
    return [...table.tBodies].flatMap(body => [...body.rows].flatMap(row => {
      let column = 0;
      return [...row.cells].map(cell => {
        const box = cell.getBoundingClientRect(), style = getComputedStyle(cell);
        const found = {caption, column, header: headers[column] || '', last: headers.length - 1,
                       tag: cell.tagName.toLowerCase(), label: cell.dataset.label ?? null,
                       spans: cell.colSpan > 1, text: cell.textContent.trim(), left: box.left, right: box.right,
                       width: box.width, height: box.height, shown: style.visibility === 'visible',
                       reflowed: table.classList.contains('reflow')};
        column += cell.colSpan;
        return found;
      });
    }));
  })"""


def test_every_table_cell_is_on_a_phone_screen(on_a_phone):
    """The key figure of every table visible without scrolling sideways: every cell that shows something (so the
    first column's and the key figure's, whichever column that is) is shown, not hidden (a wide table reflows), and
    lies within the screen's width."""
    page, tab = on_a_phone
    cells = [c for c in tab.evaluate(CELLS) if c["text"]]
    assert cells
    hidden = [c for c in cells if not (c["shown"] and c["width"] > 0 and c["height"] > 0)]
    outside = [c for c in cells if c["left"] < 0 or c["right"] > PHONE[0]]
    assert not hidden, f"{page}: cells hidden on a phone: {[(c['caption'], c['header'], c['text']) for c in hidden]}"
    assert not outside, f"{page}: cells beyond the phone's {PHONE[0]} px: " + "; ".join(
        f"{c['caption']} / {c['header'] or 'column ' + str(c['column'] + 1)}: {c['text']!r} at {c['left']:.0f} to "
        f"{c['right']:.0f} px" for c in outside[:10])
    # not vacuous: cells of each table's first column and of its last were among those checked
    for caption in {c["caption"] for c in cells if not c["spans"]}:  # a table of one "nothing to show" row aside
        columns = {c["column"] for c in cells if c["caption"] == caption and not c["spans"]}
        last = max(c["last"] for c in cells if c["caption"] == caption)
        assert 0 in columns and last in columns, f"{page}: {caption}: columns checked {sorted(columns)} of {last + 1}"


def test_a_reflowed_cell_is_labelled_by_its_column_header(on_a_phone):
    """On a phone a wide table's data cell shows its column's name (its data-label), in the header's words; the row
    header heads the card."""
    page, tab = on_a_phone
    cells = [c for c in tab.evaluate(CELLS) if c["reflowed"] and c["tag"] == "td" and not c["spans"]]
    mislabelled = [(c["caption"], c["header"], c["label"]) for c in cells if c["label"] != c["header"]]
    assert not mislabelled, f"{page}: data-label is not the column header: {mislabelled}"
