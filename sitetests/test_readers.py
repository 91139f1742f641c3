"""The site as its readers see it, on a laptop (1280 px) and on a phone (390 px).

Each test names what a reader would meet if it failed: a page wider than the screen, a verdict off
to the side, a Python repr or TeX source on the page, a figure whose text is too small to read,
a menu that does not open, a missing 404 page.
"""

from __future__ import annotations

import re
import urllib.request
from pathlib import Path

import pytest
from test_site import WAIT_FOR_MATHJAX_JS, chapter_pages, site_pages

#: (name, CSS width, device pixel ratio, mobile)
VIEWPORTS = {"laptop": (1280, 900, 1, False), "phone": (390, 844, 3, True)}
#: the smallest text a figure may show, in CSS pixels, at the viewport's width
MIN_FIGURE_TEXT_PX = 9.0

REPR = re.compile(r"<[\w.]+(?: object)? at 0x[0-9a-fA-F]+>")
RAW_MARKUP = re.compile(r"`[^`\n]{1,80}`")
RAW_TEX = re.compile(r"\\(?:text|times|frac|approx|mathrm|left|right)\b|\$[^$\s][^$]{0,80}\$")


@pytest.fixture(params=list(VIEWPORTS), scope="module")
def viewport(request, browser):
    width, height, ratio, mobile = VIEWPORTS[request.param]
    browser.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": ratio, "mobile": mobile},
    )
    browser.execute_cdp_cmd("Emulation.setTouchEmulationEnabled", {"enabled": mobile})
    yield request.param
    browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def _open(browser, url):
    browser.get(url)
    browser.execute_async_script(WAIT_FOR_MATHJAX_JS)


WIDTH_JS = """
const vw = document.documentElement.clientWidth;
const wide = [];
for (const el of document.querySelectorAll('.bd-article *')) {
  const r = el.getBoundingClientRect();
  if (r.width === 0 || r.right <= vw + 1) continue;
  // a formula's last glyph may overhang its line box by a pixel or two (italic correction of a
  // subscript); the page itself does not widen for it (checked by scrollWidth above): not a wide element
  if (el.closest('mjx-container:not([display="true"])') && r.right <= vw + 4) continue;
  // inside a box that scrolls sideways: the reader sees a scroller, the page does not widen
  let p = el.parentElement, scrolls = false;
  while (p && p !== document.body) {
    const s = getComputedStyle(p);
    if ((s.overflowX === 'auto' || s.overflowX === 'scroll') && p.getBoundingClientRect().right <= vw + 1) { scrolls = true; break; }
    if (s.display === 'none') { scrolls = true; break; }
    p = p.parentElement;
  }
  if (!scrolls) wide.push(el.tagName.toLowerCase() + '.' + el.className + ' right=' + Math.round(r.right));
}
return {page: document.documentElement.scrollWidth, viewport: vw, wide: wide.slice(0, 5)};
"""


def test_no_page_is_wider_than_the_screen(site_dir, site_url, browser, viewport):
    failures = []
    for page in site_pages(site_dir) + ["404.html"]:
        _open(browser, f"{site_url}/{page}")
        r = browser.execute_script(WIDTH_JS)
        if r["page"] > r["viewport"] + 1 or r["wide"]:
            failures.append(f"{viewport} {page}: page {r['page']} px in a {r['viewport']} px screen; {r['wide']}")
    assert not failures, "\n".join(failures)


TEXT_JS = "return document.querySelector('main, .bd-main, body').innerText;"


def test_no_python_repr_or_raw_tex_on_any_page(site_dir, site_url, browser):
    failures = []
    for page in site_pages(site_dir):
        _open(browser, f"{site_url}/{page}")
        text = browser.execute_script(TEXT_JS)
        for pattern, what in ((REPR, "a Python repr"), (RAW_TEX, "TeX source"), (RAW_MARKUP, "Markdown backticks")):
            if m := pattern.search(text):
                failures.append(f"{page}: {what}: {text[max(0, m.start() - 40) : m.end() + 40]!r}")
        if page.startswith("notebooks/") and "NBVAL" in browser.page_source:
            failures.append(f"{page}: an nbval marker in the page (code included)")
    assert not failures, "\n".join(failures)


CODE_JS = """
return Array.from(document.querySelectorAll('.cell_input'))
  .filter(el => !el.closest('details:not([open])') && el.offsetParent !== null && el.getBoundingClientRect().height > 0)
  .map(el => el.innerText.slice(0, 60));
"""


def test_chapters_open_with_findings_and_hide_their_code(site_dir, site_url, browser):
    """The first section of every chapter is its findings, with glued numbers; no code is shown
    until the reader asks for it, and parameter cells are not on the page at all."""
    failures = []
    for page in chapter_pages(site_dir):
        _open(browser, f"{site_url}/{page}")
        headings = [
            h.text.strip().rstrip("#").strip() for h in browser.find_elements("css selector", "article.bd-article h2")
        ]
        if not headings or headings[0] != "Findings":
            failures.append(f"{page}: the first section is {headings[:1]}, not Findings")
        findings = browser.find_elements("css selector", "section#findings")
        if not findings or not re.search(r"\d", findings[0].text):
            failures.append(f"{page}: no findings with numbers")
        shown = browser.execute_script(CODE_JS)
        if shown:
            failures.append(f"{page}: code shown without a click: {shown[:2]}")
        if "injected-parameters" in browser.page_source or "profile: str" in browser.page_source:
            failures.append(f"{page}: a parameter cell is on the page")
    assert not failures, "\n".join(failures)


VERDICTS_JS = """
const vw = document.documentElement.clientWidth;
return Array.from(document.querySelectorAll('.lcreport-claim')).map(card => {
  const badge = card.querySelector('.lcreport-verdict');
  const r = badge ? badge.getBoundingClientRect() : null;
  return {id: card.id, text: badge ? badge.innerText : null,
          inside: !!r && r.width > 0 && r.left >= 0 && r.right <= vw + 1};
});
"""


@pytest.mark.parametrize("page", ["notebooks/06_critique.html", "book/ledger_zh.html"])
def test_every_ledger_verdict_is_in_view(site_url, browser, viewport, page):
    """One card per claim, in English and in Chinese; its verdict sits inside the screen's width, on a
    laptop and on a phone, and its evidence link works."""
    from lcreport.claims import CLAIMS

    _open(browser, f"{site_url}/{page}")
    cards = browser.execute_script(VERDICTS_JS)
    assert len(cards) == len(CLAIMS), f"{page}: {len(cards)} claim cards for {len(CLAIMS)} claims"
    hidden = [c for c in cards if not (c["inside"] and c["text"])]
    assert not hidden, f"{viewport} {page}: verdicts out of view: {hidden[:5]}"
    links = browser.execute_script(
        "return Array.from(document.querySelectorAll('.lcreport-claim a.reference.internal')).map(a => a.href);"
    )
    assert len(links) >= len(CLAIMS), f"{page}: {len(links)} evidence links"


def _svg_min_text_px(svg: str, shown_width: float) -> float:
    """The smallest text of a matplotlib SVG, in CSS pixels when the image is ``shown_width`` px wide."""
    view = re.search(r'viewBox="[\d.]+ [\d.]+ ([\d.]+) [\d.]+"', svg)
    assert view, "an SVG without a viewBox"
    sizes = [float(s) for s in re.findall(r"font(?:-size)?:\s*(?:[a-z]+\s+)*([\d.]+)px", svg)]
    assert sizes, "an SVG whose text is drawn as paths (svg.fonttype must be 'none')"
    return min(sizes) * shown_width / float(view.group(1))


FIGURES_JS = """
return Array.from(document.querySelectorAll('.cell_output img'))
  .map(img => ({src: img.currentSrc || img.src, shown: img.getBoundingClientRect().width}));
"""


def test_figure_text_is_readable(site_dir, site_url, browser, viewport):
    failures, seen = [], 0
    for page in chapter_pages(site_dir):
        _open(browser, f"{site_url}/{page}")
        for img in browser.execute_script(FIGURES_JS):
            if not img["src"].endswith(".svg") or img["shown"] == 0:
                continue
            seen += 1
            with urllib.request.urlopen(img["src"]) as response:
                px = _svg_min_text_px(response.read().decode("utf-8"), img["shown"])
            if px < MIN_FIGURE_TEXT_PX:
                failures.append(f"{viewport} {page}: {img['src'].rsplit('/', 1)[-1]}: text {px:.1f} px")
    assert seen, "no SVG figure found"
    assert not failures, "\n".join(failures)


def test_tables_are_formatted_for_people(site_dir, site_url, browser):
    """No 0..n index, no True/False, no e-notation, no long unseparated integers, no 6-decimal floats."""
    bad = re.compile(r"^(True|False|None|nan)$|^-?[\d.]+e[+-]\d+$|^-?\d{5,}$|\.\d{6,}$")
    failures = []
    for page in chapter_pages(site_dir):
        _open(browser, f"{site_url}/{page}")
        # the provenance table holds identifiers (a commit's short hash may be all digits), not quantities
        cells = browser.execute_script("""
          return Array.from(document.querySelectorAll('.cell_output table'))
            .filter(t => (t.querySelector('th') || {}).innerText !== 'provenance')
            .flatMap(t => Array.from(t.querySelectorAll('td, th')).map(c => c.innerText.trim()));""")
        failures += [f"{page}: cell {c!r}" for c in cells if bad.search(c)]
        index_cols = browser.execute_script("return document.querySelectorAll('.cell_output tbody th').length;")
        if index_cols:
            failures.append(f"{page}: {index_cols} table index cells")
    assert not failures, "\n".join(failures[:20])


def _tap(browser, selector):
    for button in browser.find_elements("css selector", selector):
        if button.is_displayed():
            button.click()
            return True
    return False


DIALOG_JS = """
const d = document.querySelector(arguments[0]);
return !!d && d.open && d.getBoundingClientRect().width > 0 ? d.innerText.length : 0;
"""


def test_phone_menus_open_on_tap(site_url, browser):
    width, height, ratio, mobile = VIEWPORTS["phone"]
    browser.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": ratio, "mobile": mobile},
    )
    try:
        _open(browser, f"{site_url}/notebooks/04_longrope.html")
        assert _tap(browser, ".primary-toggle"), "no visible menu button on a phone"
        assert browser.execute_script(DIALOG_JS, "#pst-primary-sidebar-modal") > 0, "the menu drawer did not open"
        links = [
            a.text for a in browser.find_elements("css selector", "#pst-primary-sidebar-modal a") if a.is_displayed()
        ]
        assert sum("LongRoPE" in t or "critique" in t.lower() for t in links) >= 2, links
        browser.execute_script("document.querySelector('#pst-primary-sidebar-modal').close()")
        assert _tap(browser, ".secondary-toggle"), "no visible page-contents button on a phone"
        assert browser.execute_script(DIALOG_JS, "#pst-secondary-sidebar-modal") > 0, "the contents drawer did not open"
    finally:
        browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def test_the_404_page_renders(site_dir, site_url, browser):
    """A missing page is answered with the site's 404 page (as GitHub Pages does), styled, with the menu."""
    assert (Path(site_dir) / "404.html").exists(), "no 404.html in the site"
    _open(browser, f"{site_url}/no/such/page.html")
    assert any("Page not found" in h.text for h in browser.find_elements("tag name", "h1"))
    assert browser.execute_script("return document.styleSheets.length") > 2, "the 404 page lost its style sheets"
    links = browser.execute_script(
        "return Array.from(document.querySelectorAll('.bd-sidebar-primary a.reference')).map(a => a.href);"
    )
    assert any(link.endswith("06_critique.html") for link in links), links
    with urllib.request.urlopen(next(link for link in links if link.endswith("06_critique.html"))) as response:
        assert response.status == 200


def test_cited_issues_and_papers_are_links(site_dir, site_url, browser):
    """Every '#12345' reference to an issue or pull request is a link; the glossary exists."""
    failures = []
    for page in site_pages(site_dir):
        _open(browser, f"{site_url}/{page}")
        unlinked = browser.execute_script("""
          const out = [];
          const walk = document.createTreeWalker(document.querySelector('.bd-article') || document.body, NodeFilter.SHOW_TEXT);
          while (walk.nextNode()) {
            const t = walk.currentNode;
            if (/(issue|PR|pull request|#)\\s*#?\\d{4,}/i.test(t.textContent) && /#\\d{4,}/.test(t.textContent) && !t.parentElement.closest('a, pre, code, .cell_input')) out.push(t.textContent.trim().slice(0, 80));
          }
          return out;""")
        failures += [f"{page}: {t}" for t in unlinked]
    assert not failures, "\n".join(failures)
    _open(browser, f"{site_url}/book/glossary.html")
    terms = [dt.text for dt in browser.find_elements("css selector", "dl.glossary dt")]
    assert {"effective window", "pass key", "seed article", "random seed"} <= {t.strip().lower() for t in terms}, terms
