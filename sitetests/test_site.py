"""Every built page, as a reader's browser shows it: no Python traceback, no broken image."""

from pathlib import Path

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
    pages = sorted(
        p.relative_to(site_dir).as_posix()
        for p in site_dir.rglob("*.html")
        if not p.relative_to(site_dir).parts[0].startswith("_")
    )
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
        "return Array.from(document.querySelectorAll('.lcreport-claim a.reference.internal')).map(a => a.getAttribute('href'));"
    )
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


def chapter_pages(site_dir: Path) -> list[str]:
    return [p for p in site_pages(site_dir) if p.startswith("notebooks/")]


def test_every_page_shows_its_date_and_the_code_version(site_dir, site_url, browser):
    """The footer of every page: "Last updated on YYYY-MM-DD" and "lcreport <version> · commit …"."""
    import re

    from lcreport import __version__

    failures = []
    for page in site_pages(site_dir):
        browser.get(f"{site_url}/{page}")
        footer = " ".join(e.text for e in browser.find_elements("css selector", "footer, .bd-footer-content"))
        if not re.search(r"Last updated on \d{4}-\d{2}-\d{2}", footer):
            failures.append(f"{page}: no last-updated date in the footer")
        if not re.search(rf"lcreport {re.escape(__version__)} · commit \S+ · source [0-9a-f]{{16}}", footer):
            failures.append(f"{page}: no code version in the footer")
    assert not failures, "\n".join(failures)


def _fetch(url: str) -> bytes:
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(url) as response:
            assert response.status == 200, url
            return response.read()
    except urllib.error.HTTPError as e:
        raise AssertionError(f"{url}: HTTP {e.code}") from None


def _check_download(url: str) -> None:
    """A results file as a reader downloads it: the JSON with figures and provenance, the CSV with its columns."""
    import json
    from urllib.parse import urlparse

    from lcreport.results import TRIAL_COLUMNS

    body = _fetch(url)
    path = urlparse(url).path
    if path.endswith(".json"):
        data = json.loads(body)
        assert {"figures", "provenance"} <= set(data), f"{url}: not a results file"
    elif path.endswith(".trials.csv"):
        header = body.decode("utf-8").splitlines()[0].split(",")
        assert tuple(header[: len(TRIAL_COLUMNS)]) == TRIAL_COLUMNS, f"{url}: columns {header}"
    else:
        raise AssertionError(f"{url}: not a results file")


LINKS_JS = "return Array.from(document.querySelectorAll(arguments[0])).map(a => a.href);"


def test_results_download_links_work(site_dir, site_url, browser):
    """The reproduce page lists every chapter's results files; each chapter links its own; all download."""
    chapters = chapter_pages(site_dir)
    browser.get(f"{site_url}/book/reproduce.html")
    rows = browser.find_elements("css selector", "table.lcreport-downloads tbody tr")
    assert len(rows) == len(chapters), f"{len(rows)} rows in the downloads table, {len(chapters)} chapters"
    listed = browser.execute_script(LINKS_JS, "table.lcreport-downloads a.lcreport-download")
    assert len([u for u in listed if u.endswith(".json")]) == len(chapters), listed
    for url in listed:
        _check_download(url)
    for page in chapters:
        browser.get(f"{site_url}/{page}")
        own = browser.execute_script(LINKS_JS, ".lcreport-chapter-downloads a.lcreport-download")
        assert any(u.endswith(".json") for u in own), f"{page}: no link to its results JSON"
        assert set(own) <= set(listed), f"{page}: links {set(own) - set(listed)} that the table lacks"
        for url in own:
            _check_download(url)


FIGURES_JS = """
return Array.from(document.querySelectorAll('.cell_output img, .output img'))
  .map(img => ({src: img.currentSrc || img.src, natural: img.naturalWidth, shown: img.getBoundingClientRect().width}));
"""


def test_figures_are_svg(site_dir, site_url, browser):
    """Every figure of a chapter is a vector image (matplotlib's SVG), or a raster at least twice as
    wide as it is shown (sharp on a high-density screen)."""
    failures, seen = [], 0
    for page in chapter_pages(site_dir):
        browser.get(f"{site_url}/{page}")
        for img in browser.execute_script(FIGURES_JS):
            seen += 1
            if img["src"].split("?")[0].endswith(".svg"):
                continue
            if not img["natural"] >= 2 * img["shown"]:
                failures.append(
                    f"{page}: {img['src'].rsplit('/', 1)[-1]} is a raster "
                    f"{img['natural']} px wide shown at {img['shown']:.0f} px"
                )
    assert seen, "no figure on any chapter page"
    assert not failures, "\n".join(failures)
