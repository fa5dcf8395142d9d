"""The playground end to end, in a real headless browser (Debian's chromium driven by Playwright).

The server runs in this process on an ephemeral port on 127.0.0.1; the browser is the
system's chromium (no browser download). Skipped where Playwright or chromium is missing,
except under CI=true, where that is a failure (``make test`` installs both).
Screenshots go to a temporary folder, or to $PLAYGROUND_SCREENSHOTS if set.
"""
import io
import json
import os
import re
import threading
import time
from pathlib import Path

import pytest
from browser import browser_fixture
from conftest import need
from playground_server import serving

from tinygrad_edu import Value, trace
from tinygrad_edu.nn import MLP
from tinygrad_edu.playground import create_server
from tinygrad_edu.playground.backprop import tiny_network
from tinygrad_edu.trace import format_value, number_nodes

TIMEOUT_MS = 15_000          # any single wait for the page
LEARN_TIMEOUT_MS = 40_000    # XOR to > 95 % validation accuracy


@pytest.fixture(scope="module")
def server():
    with serving() as srv:
        yield srv


browser = browser_fixture()


@pytest.fixture
def context(browser):
    ctx = browser.new_context(viewport={"width": 1400, "height": 950}, accept_downloads=True)
    ctx.set_default_timeout(TIMEOUT_MS)
    yield ctx
    ctx.close()


@pytest.fixture
def shots(tmp_path):
    folder = Path(os.environ.get("PLAYGROUND_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _open(context, server):
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    page.goto(f"http://127.0.0.1:{server.server_address[1]}/")
    _wait(page, "document.getElementById('status').textContent === 'ready'")
    return page, errors


def _wait(page, condition, timeout_ms=TIMEOUT_MS, what=None):
    """Poll a JavaScript condition until it holds (the page's CSP forbids Playwright's
    wait_for_function, which evaluates strings; this evaluates a function instead)."""
    deadline = time.monotonic() + timeout_ms / 1000
    while not page.evaluate(f"() => Boolean({condition})"):
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout_ms / 1000:g} s waiting for "
                        f"{what or condition}; status {page.inner_text('#status')!r}, "
                        f"epoch {page.inner_text('#epoch')}")
        time.sleep(0.05)


def _wait_text(page, selector, words):
    """Wait until the element's text contains ``words`` (the page updates after a response)."""
    _wait(page, f"document.querySelector({json.dumps(selector)}).textContent"
                f".includes({json.dumps(words)})", what=f"{words!r} in {selector}")


def _session_of(page, server):
    """The server-side session of a tab (its id is in the model download link)."""
    sid = page.get_attribute("#export-model", "href").split("/")[3]
    return server.store.peek(sid)


def _choose(page, selector, value):
    """Pick a menu entry and wait until the server has accepted it (a new run)."""
    with page.expect_response(lambda r: r.url.endswith("/settings") and r.status == 200):
        page.select_option(selector, value)


def _colour_census(png_bytes, red=False):
    """(distinct colours, share of orange-ish (or red-ish) pixels, share of blue-ish pixels)
    of a PNG."""
    from PIL import Image

    image = Image.open(io.BytesIO(png_bytes)).convert("RGB")
    pixels = list(image.get_flattened_data()) if hasattr(image, "get_flattened_data") \
        else list(image.getdata())
    if red:
        orange = sum(1 for r, g, b in pixels if r > g + 40 and r > b + 40)
    else:
        orange = sum(1 for r, g, b in pixels if r > g + 25 and g > b + 15)
    blue = sum(1 for r, g, b in pixels if b > r + 40 and b > g + 10)
    return len(set(pixels)), orange / len(pixels), blue / len(pixels), image.size


# ---------------------------------------------------------------- training view
def test_xor_is_learned_and_shown_on_the_page(context, server, shots):
    page, errors = _open(context, server)
    _choose(page, "#dataset", "xor")
    assert page.input_value("#dataset") == "xor"
    page.click("#play")
    _wait(page, "Number(document.getElementById('val-acc').dataset.value || 0) > 0.95",
          LEARN_TIMEOUT_MS, "validation accuracy > 95 %")
    shown = page.inner_text("#val-acc")
    assert float(re.match(r"([\d.]+) %", shown).group(1)) > 95.0
    page.click("#play")  # pause
    _wait(page, "document.getElementById('status').textContent === 'paused'")
    assert page.inner_text("#play") == "Play"
    assert int(page.inner_text("#epoch")) >= 1
    # the page's numbers are the server's numbers
    # the page shows the server's numbers (once its next poll has seen the last snapshot)
    session = _session_of(page, server)
    deadline = time.monotonic() + TIMEOUT_MS / 1000
    while True:
        metrics = session.state()["metrics"]
        shown = (float(page.get_attribute("#val-acc", "data-value")),
                 float(page.get_attribute("#val-loss", "data-value")))
        if shown == (metrics["val_acc"], metrics["val_loss"]):
            break
        assert time.monotonic() < deadline, (shown, metrics)
        time.sleep(0.1)

    page.screenshot(path=str(shots / "playground-train.png"), full_page=True)
    colours, orange, blue, size = _colour_census(page.locator("#boundary").screenshot())
    assert colours > 50, "the boundary picture is (nearly) blank"
    assert orange > 0.15 and blue > 0.15, (orange, blue)  # both classes' regions are drawn
    assert page.locator("#network line").count() == 2 * 6 + 6 * 6 + 6 * 1
    assert not errors


def test_exports_and_refused_settings_on_the_page(context, server, shots, tmp_path):
    page, errors = _open(context, server)
    _choose(page, "#dataset", "circles")
    page.click("#step")
    _wait(page, "document.getElementById('epoch').textContent === '1'")
    _wait(page, "document.getElementById('status').textContent === 'paused'")
    # the boundary as a PNG, drawn by the server with tinygrad_edu.plots
    need("matplotlib")
    with page.expect_download() as download:
        page.click("#export-png")
    assert download.value.suggested_filename == "tinygrad-edu-circles-boundary-epoch1.png"
    png = Path(download.value.path()).read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    (shots / "playground-boundary-download.png").write_bytes(png)
    colours, red, blue, size = _colour_census(png, red=True)
    assert size == (600, 500) and colours > 50
    assert red > 0.01 and blue > 0.01, (red, blue)  # both classes' points are drawn
    # the trained model as JSON, which MLP.load reads back
    with page.expect_download() as download:
        page.click("#export-model")
    assert download.value.suggested_filename == "tinygrad-edu-circles-epoch1.json"
    path = tmp_path / "model.json"
    path.write_bytes(Path(download.value.path()).read_bytes())
    document = json.loads(path.read_text())
    assert document["playground"]["settings"]["dataset"] == "circles"
    MLP(2, [6, 6, 1], activation="tanh").load(path)

    # a refused setting: a message on the page, the field marked, the run unchanged
    for value, words in (("-1", "learning rate must be > 0"), ("", "needs a real number")):
        with page.expect_response(lambda r: r.url.endswith("/settings") and r.status == 400):
            page.fill("#lr", value)
            page.press("#lr", "Tab")
        _wait_text(page, "#message-text", words)
        assert page.is_visible("#message")
        assert page.get_attribute("#lr", "aria-invalid") == "true"
        assert words in page.inner_text("#settings-error")
        assert page.inner_text("#epoch") == "1"
    with page.expect_response(lambda r: r.url.endswith("/settings") and r.status == 200):
        page.fill("#lr", "0.03")  # a valid rate again: accepted, message gone
        page.press("#lr", "Tab")
    _wait(page, "document.getElementById('message').hidden", what="the message to go")
    assert page.get_attribute("#lr", "aria-invalid") is None
    with page.expect_response(lambda r: r.url.endswith("/settings") and r.status == 400):
        page.fill("#widths input >> nth=0", "0")
        page.press("#widths input >> nth=0", "Tab")
    _wait_text(page, "#message-text", "hidden layer 1 width must be a whole number from 1 to 16")
    assert page.get_attribute("#widths input >> nth=0", "aria-invalid") == "true"
    page.screenshot(path=str(shots / "playground-refused-setting.png"), full_page=True)
    with page.expect_response(lambda r: r.url.endswith("/settings") and r.status == 200):
        page.fill("#widths input >> nth=0", "4")
        page.press("#widths input >> nth=0", "Tab")
    _wait(page, "document.getElementById('message').hidden", what="the message to go")
    assert page.get_attribute("#widths input >> nth=0", "aria-invalid") is None
    _wait(page, "document.getElementById('epoch').textContent === '0'", what="a new run")
    assert not errors


def test_two_tabs_keep_their_own_runs(context, server):
    before = len(server.store)
    a, errors_a = _open(context, server)
    b, errors_b = _open(context, server)
    assert len(server.store) == before + 2
    _choose(a, "#dataset", "xor")
    _choose(b, "#dataset", "spirals")
    a.click("#play")
    _wait(a, "Number(document.getElementById('epoch').textContent) >= 3")
    assert b.inner_text("#epoch") == "0" and b.inner_text("#status") == "ready"
    assert a.input_value("#dataset") == "xor" and b.input_value("#dataset") == "spirals"
    session_a, session_b = _session_of(a, server), _session_of(b, server)
    assert session_a is not session_b
    assert session_a.settings.dataset == "xor" and session_b.settings.dataset == "spirals"
    assert session_b.state()["epoch"] == 0
    a.click("#play")
    # closing a tab closes its session on the server
    b.close()
    deadline = time.monotonic() + 5
    while len(server.store) != before + 1:
        assert time.monotonic() < deadline, "closing the tab did not close its session"
        time.sleep(0.05)
    assert not errors_a and not errors_b


# ---------------------------------------------------------------- backprop mode
def _highlighted(page):
    return page.evaluate("""() => {
        const row = document.querySelector('#adjoint-table tr.current');
        const name = (sel) => [...document.querySelectorAll(sel)].map(e => e.dataset.name);
        return {
          row: row && [row.querySelector('.target').textContent,
                       row.querySelector('.expr').textContent,
                       row.querySelector('.value').textContent],
          target: name('#bp-graph .node.hl-target'),
          upstream: name('#bp-graph .node.hl-upstream'),
          edges: document.querySelectorAll('#bp-graph .edge.hl-edge').length,
          explain: document.getElementById('bp-explain').textContent,
          shownValues: [...document.querySelectorAll('#adjoint-table tr .value')]
                         .map(td => td.textContent),
        };
    }""")


def _step_through(page, y):
    t = trace(y)
    names = number_nodes(y)
    _wait(page, f"document.querySelectorAll('#adjoint-table tr').length === {len(t.adjoint)}"
                f" && document.getElementById('bp-position').textContent.includes('press Step')",
          what=f"the {len(t.adjoint)} rows of the adjoint trace")
    for i, row in enumerate(t.adjoint):
        page.click("#bp-step")
        h = _highlighted(page)
        assert h["row"] == [row.target, row.expr, format_value(row.value)], i
        assert h["target"] == [names[row.node]], i
        if row.upstream is None:
            assert h["upstream"] == [] and h["edges"] == 0, i
        else:
            assert h["upstream"] == [names[row.upstream]], i
            assert h["edges"] == 1, i
            assert "upstream" in h["explain"] and "local" in h["explain"], i
        # rows after this one are not revealed yet
        assert h["shownValues"][i + 1:] == ["…"] * (len(t.adjoint) - i - 1)
    assert page.inner_text("#bp-position") == f"row {len(t.adjoint)} of {len(t.adjoint)}"


def test_backprop_mode_steps_through_the_slide_trace(context, server, shots):
    page, errors = _open(context, server)
    page.click("#tab-backprop")
    page.wait_for_selector("#adjoint-table tr")
    assert page.inner_text("#bp-title") == "y = ln(x1) + x1·x2 − sin(x2)"
    x1, x2 = Value(2.0, "x1"), Value(5.0, "x2")
    y = x1.log() + x1 * x2 - x2.sin()
    t = trace(y)
    forward = page.evaluate("[...document.querySelectorAll('#forward-table tr')]"
                            ".map(tr => [...tr.children].map(td => td.textContent))")
    assert forward == [[r.name, "=", r.expr, "=", format_value(r.value)] for r in t.forward]
    for _ in range(6):  # to v̄0 = v̄3 × cos v0: the picture of "upstream × local"
        page.click("#bp-step")
    page.screenshot(path=str(shots / "playground-backprop.png"), full_page=True)
    page.click("#bp-restart")
    assert _highlighted(page)["target"] == []
    _step_through(page, y)
    # Back undoes one row
    page.click("#bp-back")
    assert _highlighted(page)["row"][0] == t.adjoint[-2].target
    assert not errors


def test_backprop_mode_tiny_network_and_typed_expression(context, server, shots):
    page, errors = _open(context, server)
    page.click("#tab-backprop")
    page.wait_for_selector("#adjoint-table tr")
    with page.expect_response(lambda r: r.url.endswith("/api/backprop") and r.status == 200):
        page.select_option("#bp-source", "network")
    loss = tiny_network([0.5, -1.0], 1, "tanh", 2, 0)
    _step_through(page, loss)
    page.screenshot(path=str(shots / "playground-backprop-network.png"), full_page=True)

    with page.expect_response(lambda r: r.url.endswith("/api/backprop") and r.status == 200):
        page.select_option("#bp-source", "expression")
    page.fill("#bp-text", "x*x + sin(x)")
    page.fill("#bp-values", "x = 1.5")
    with page.expect_response(lambda r: r.url.endswith("/api/backprop") and r.status == 200):
        page.click("#bp-load")
    x = Value(1.5, "x")
    _step_through(page, x * x + x.sin())
    # a bad expression: a message, nothing crashes
    page.fill("#bp-text", "x^2")
    with page.expect_response(lambda r: r.url.endswith("/api/backprop") and r.status == 400):
        page.click("#bp-load")
    _wait_text(page, "#message-text", "use ** for powers")
    assert not errors


def test_a_restarted_server_gives_the_page_a_new_run_with_its_settings(context):
    first = create_server(port=0)
    port = first.server_address[1]
    thread = threading.Thread(target=first.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    page, errors = _open(context, first)
    _choose(page, "#dataset", "xor")
    first.shutdown()
    first.server_close()
    thread.join(5)
    _wait(page, "document.getElementById('connection').textContent === 'server not reachable'",
          what="the page to notice the server is gone")
    second = create_server(port=port)
    thread = threading.Thread(target=second.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    try:
        _wait_text(page, "#message-text", "server was restarted")
        _wait(page, "document.getElementById('connection').textContent.startsWith('connected')")
        assert page.input_value("#dataset") == "xor"
        session = _session_of(page, second)
        assert session is not None and session.settings.dataset == "xor"
        page.click("#play")
        _wait(page, "Number(document.getElementById('epoch').textContent) >= 2")
        page.click("#play")
    finally:
        second.shutdown()
        second.server_close()
        thread.join(5)
    assert not errors
