"""A real browser over the built site: ``pytest sitetests --site _build/html``."""

import functools
import http.server
import shutil
import socketserver
import tempfile
import threading
from pathlib import Path

import pytest


def pytest_addoption(parser):
    parser.addoption("--site", default="_build/html", help="folder of the built HTML site")


@pytest.fixture(scope="session")
def site_dir(request) -> Path:
    path = Path(request.config.getoption("--site")).resolve()
    if not (path / "index.html").exists():
        pytest.fail(f"no built site at {path}: run `make site` (python -m lcreport build) first")
    return path


@pytest.fixture(scope="session")
def site_url(site_dir):
    """Serve the site on a free loopback port for the duration of the tests."""
    handler = functools.partial(_QuietHandler, directory=str(site_dir))
    # threads: Chromium keeps idle (pre)connections open, which would block a one-request-at-a-time
    # server, and the tests fetch the downloads with urllib while the browser is connected
    with _ThreadingServer(("127.0.0.1", 0), handler) as server:
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        yield f"http://127.0.0.1:{server.server_address[1]}"
        server.shutdown()


class _ThreadingServer(socketserver.ThreadingTCPServer):
    daemon_threads = True


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    """Serves the site as GitHub Pages does: a missing path gets the site's own 404.html (status 404)."""

    def log_message(self, *args):
        pass

    def send_error(self, code, message=None, explain=None):
        page = Path(self.directory) / "404.html"
        if code != 404 or not page.exists():
            return super().send_error(code, message, explain)
        body = page.read_bytes()
        self.send_response(404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)


@pytest.fixture(scope="session")
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver_path = shutil.which("chromedriver")
    if not chromium or not driver_path:
        pytest.fail("headless Chromium is needed: apt-get install chromium chromium-driver (make browser-deps)")
    profile = tempfile.mkdtemp(prefix="lcreport-chromium-")
    opts = webdriver.ChromeOptions()
    opts.binary_location = chromium
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-quic",
        f"--user-data-dir={profile}",
        "--window-size=1280,900",
    ):
        opts.add_argument(flag)
    driver = webdriver.Chrome(service=Service(driver_path), options=opts)
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)
