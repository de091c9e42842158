"""What every real-browser test needs: Debian's Chromium, the app on a loopback server, and
a page that records console errors and refuses every request leaving loopback."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def need_browser():
    """Skip (or fail, with FOSSILGIS_REQUIRE_BROWSER=1) when Chromium or playwright is missing."""
    missing = []
    if not Path(CHROMIUM).exists():
        missing.append(f"{CHROMIUM} (apt-get install chromium)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing.append("the playwright Python package (pip install playwright)")
    if missing:
        reason = "browser test needs " + " and ".join(missing)
        if os.environ.get("FOSSILGIS_REQUIRE_BROWSER") == "1":
            pytest.fail(reason + " and FOSSILGIS_REQUIRE_BROWSER=1 is set")
        pytest.skip(reason)


@contextlib.contextmanager
def live_app(data_dir, **config):
    """``(base URL, store)`` of the app on waitress (threads) on a free loopback port."""
    need_browser()
    from live_server import serve_on_loopback

    from webmap import create_app

    app = create_app({"DATA_DIR": str(data_dir), **config})
    with serve_on_loopback(app, threads=4) as url:
        yield url, app.extensions["fossilgis_store"]


@contextlib.contextmanager
def loopback_page(server: str, *, dialogs: bool = False, **context_options):
    """``(context, page)``: a fresh Chromium context (``context_options``: locale, viewport,
    is_mobile …) whose page lists console errors in ``page.problems`` and the requests it
    refused (anything not on ``server``) in ``page.outside``; ``dialogs``: dismiss alerts
    and record them as problems."""
    from playwright.sync_api import sync_playwright

    context_options.setdefault("locale", "en-GB")
    context_options.setdefault("viewport", {"width": 1280, "height": 900})
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        context = browser.new_context(**context_options)
        page = context.new_page()
        page.problems = []
        page.outside = []
        page.on("console", lambda m: m.type == "error" and page.problems.append(m.text))
        page.on("pageerror", lambda e: page.problems.append(str(e)))
        if dialogs:
            page.on("dialog", lambda d: (page.problems.append("dialog: " + d.message), d.dismiss()))

        def only_loopback(route):
            if route.request.url.startswith(server):
                route.continue_()
            else:
                page.outside.append(route.request.url)
                route.abort()

        page.route("**/*", only_loopback)
        try:
            yield context, page
        finally:
            context.close()
            browser.close()
