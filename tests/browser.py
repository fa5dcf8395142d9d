"""One headless Chromium for the browser tests (the playground page and the documentation site).

The flags keep Chromium off the network it cannot reach here (background updates, sync) and
let it run as root in a container; a test module asks for it with ``browser = browser_fixture()``.
"""
import pytest
from conftest import need

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--disable-dev-shm-usage"]


def browser_fixture():
    """A module-scoped fixture: Playwright driving the machine's Chromium, closed afterwards."""

    @pytest.fixture(scope="module")
    def browser():
        need("playwright")
        chromium = need("program:chromium")
        from playwright.sync_api import sync_playwright

        with sync_playwright() as p:
            b = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS, timeout=30_000)
            yield b
            b.close()

    return browser
