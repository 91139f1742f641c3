"""Every built page, as a reader's browser shows it: no Python traceback, no broken image."""
from pathlib import Path

import pytest
from selenium.webdriver.support.ui import WebDriverWait

SKIP = {"genindex.html", "search.html"}

BROKEN_IMAGES_JS = """
return Array.from(document.images)
  .filter(img => !(img.complete && img.naturalWidth > 0))
  .map(img => img.getAttribute('src'));
"""


WAIT_FOR_MATHJAX_JS = """
const done = arguments[arguments.length - 1];
if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
  MathJax.startup.promise.then(() => done(true), () => done(false));
} else { done(null); }
"""


def site_pages(site_dir: Path) -> list[str]:
    pages = sorted(p.relative_to(site_dir).as_posix() for p in site_dir.rglob("*.html")
                   if not p.relative_to(site_dir).parts[0].startswith("_"))
    return [p for p in pages if p not in SKIP]


def test_site_has_every_chapter(site_dir):
    pages = site_pages(site_dir)
    assert "book/intro.html" in pages
    assert any(p.startswith("notebooks/") for p in pages), pages


def test_every_page_renders_cleanly(site_dir, site_url, browser):
    failures = []
    for page in site_pages(site_dir):
        browser.get(f"{site_url}/{page}")
        browser.execute_async_script(WAIT_FOR_MATHJAX_JS)
        text = browser.find_element("tag name", "body").text
        if "Traceback (most recent call last)" in text or browser.find_elements("css selector", ".output.traceback"):
            failures.append(f"{page}: shows a Python traceback")
        broken = browser.execute_script(BROKEN_IMAGES_JS)
        if broken:
            failures.append(f"{page}: broken image(s) {broken}")
        if "{glue" in text:
            failures.append(f"{page}: an unrendered glue reference")
        if "\\(" in text or "$$" in text:
            failures.append(f"{page}: math left as TeX source (MathJax did not run)")
    assert not failures, "\n".join(failures)


def test_math_is_typeset_offline(site_url, browser):
    browser.get(f"{site_url}/notebooks/01_complexity.html")
    WebDriverWait(browser, 30).until(lambda b: b.find_elements("css selector", "mjx-container"))
    assert "/_static/mathjax/" in browser.page_source  # served with the site, not from a CDN


def test_front_page_screenshot(site_dir, site_url, browser):
    browser.get(f"{site_url}/index.html")
    assert "context length" in browser.title.lower() or "context length" in browser.page_source.lower()
    out = site_dir.parent / "screenshots"
    out.mkdir(exist_ok=True)
    assert browser.save_screenshot(str(out / "front_page.png"))
    browser.get(f"{site_url}/notebooks/01_complexity.html")
    browser.save_screenshot(str(out / "complexity.png"))


def test_ledger_rows_link_to_their_evidence(site_url, browser):
    """Every row of the critique ledger is a working cross-reference into a chapter, not raw MyST."""
    from lcreport.claims import CLAIMS

    browser.get(f"{site_url}/notebooks/06_critique.html")
    text = browser.find_element("tag name", "body").text
    assert "{ref}" not in text, "the ledger's links were not parsed as MyST"
    links = browser.execute_script(
        "return Array.from(document.querySelectorAll('table a.reference.internal')).map(a => a.getAttribute('href'));")
    assert len(links) >= len(CLAIMS), links
    targets = {href.split("#")[0] for href in links}
    assert {"01_complexity.html", "05_longrope2.html"} <= targets, targets
    import urllib.error
    import urllib.request

    for page in targets - {""}:
        try:  # a missing page is an HTTP 404 from the test server, whatever its title says
            with urllib.request.urlopen(f"{site_url}/notebooks/{page}") as response:
                assert response.status == 200, page
        except urllib.error.HTTPError as e:
            raise AssertionError(f"ledger link to {page} is broken: HTTP {e.code}") from None
