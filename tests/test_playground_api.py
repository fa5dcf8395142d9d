"""The playground's HTTP API: every endpoint, every refused setting, sessions kept apart.

A real server runs on an ephemeral port on 127.0.0.1 for the whole module; each test makes
its own sessions (as each browser tab does) and closes them.
"""
import http.client
import json
import math
import os
import random
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request

import pytest
from conftest import need
from hypothesis import given
from hypothesis import strategies as st
from playground_server import serving

from tinygrad_edu import Value, data, losses, optim, trace, train
from tinygrad_edu.nn import MLP, float_layers, forward_floats
from tinygrad_edu.playground import create_server, main
from tinygrad_edu.playground.backprop import tiny_network
from tinygrad_edu.playground.run import Run, picture_png
from tinygrad_edu.playground.session import Conflict, SessionStore
from tinygrad_edu.playground.settings import DEFAULTS, check_settings
from tinygrad_edu.playground.worker import Trainer
from tinygrad_edu.trace import format_value, number_nodes

BAR = "\u0304"  # the combining macron of v̄: "v" + BAR
WAIT = 20.0  # seconds: the longest any test waits for training to get somewhere


# ---------------------------------------------------------------- a server and a client
@pytest.fixture(scope="module")
def server():
    with serving() as srv:
        yield srv


class Client:
    def __init__(self, port):
        self.port = port

    def request(self, method, path, body=None, headers=None, raw=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        hdrs = {"Host": f"127.0.0.1:{self.port}"}
        data = raw
        if body is not None:
            data = json.dumps(body).encode()
            hdrs["Content-Type"] = "application/json"
        hdrs.update(headers or {})
        conn.request(method, path, body=data, headers=hdrs)
        resp = conn.getresponse()
        payload = resp.read()
        conn.close()
        ctype = resp.getheader("Content-Type", "")
        if ctype.startswith("application/json"):
            return resp.status, json.loads(payload), resp
        return resp.status, payload, resp

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, body=None, **kw):
        return self.request("POST", path, body if body is not None else {}, **kw)

    # session helpers
    def new(self, **settings):
        status, state, _ = self.post("/api/sessions", {"settings": settings})
        assert status == 201, state
        return state

    def state(self, sid):
        status, state, _ = self.get(f"/api/sessions/{sid}/state")
        assert status == 200, state
        return state

    def wait(self, sid, predicate, what, timeout=WAIT):
        deadline = time.monotonic() + timeout
        state = self.state(sid)
        while not predicate(state):
            if time.monotonic() > deadline:
                pytest.fail(f"timed out after {timeout} s waiting for {what}; last state: "
                            f"status={state['status']} epoch={state['epoch']} "
                            f"message={state['message']}")
            time.sleep(0.05)
            state = self.state(sid)
        return state

    def close(self, sid):
        return self.request("DELETE", f"/api/sessions/{sid}")


@pytest.fixture
def client(server):
    c = Client(server.server_address[1])
    created = []
    original_new = c.new

    def new(**settings):
        state = original_new(**settings)
        created.append(state["session"])
        return state

    c.new = new
    yield c
    for sid in created:
        c.close(sid)


# ---------------------------------------------------------------- the page and its files
def test_page_and_static_files_are_served_locally(client):
    status, html, resp = client.get("/")
    assert status == 200 and resp.getheader("Content-Type").startswith("text/html")
    page = html.decode()
    assert '<script type="module" src="/static/app.js">' in page
    assert "http://" not in page.replace("http://www.w3.org", "")  # nothing from the internet
    assert "default-src 'self'" in resp.getheader("Content-Security-Policy")
    for name, ctype in (("app.js", "javascript"), ("style.css", "text/css"),
                        ("favicon.svg", "image/svg+xml")):
        status, body, resp = client.get(f"/static/{name}")
        assert status == 200 and ctype in resp.getheader("Content-Type"), name
        assert len(body) > 100
        assert b"https://" not in body and b"//cdn" not in body


@pytest.mark.parametrize("path", ["/static/../server.py", "/static/%2e%2e/server.py",
                                  "/static/nothere.js", "/nothere", "/api/nothere"])
def test_unknown_and_traversal_paths_are_404(client, path):
    status, body, _ = client.get(path)
    assert status == 404
    assert "error" in body


def test_requests_for_another_host_name_are_refused(client):
    status, body, _ = client.get("/api/options", headers={"Host": "evil.example:80"})
    assert status == 403
    assert "127.0.0.1" in body["error"]
    status, _, _ = client.get("/api/options", headers={"Host": f"localhost:{client.port}"})
    assert status == 200


def test_posts_from_other_web_pages_are_refused(client):
    """A cross-site form can neither set a JSON Content-Type nor hide its Origin."""
    sid = client.new()["session"]
    status, body, _ = client.request("POST", f"/api/sessions/{sid}/play", raw=b"",
                                     headers={"Content-Type": "text/plain"})
    assert status == 415
    status, body, _ = client.request("POST", f"/api/sessions/{sid}/play", raw=b"")
    assert status == 415 and "application/json" in body["error"]
    status, body, _ = client.post(f"/api/sessions/{sid}/play",
                                  headers={"Origin": "http://evil.example"})
    assert status == 403 and "other web pages" in body["error"]
    assert client.state(sid)["status"] == "ready"
    status, body, _ = client.post(f"/api/sessions/{sid}/pause",
                                  headers={"Origin": f"http://127.0.0.1:{client.port}"})
    assert status == 200


def test_wrong_method_is_405(client):
    status, body, _ = client.get("/api/sessions")
    assert status == 405 and "POST" in body["error"]
    status, body, _ = client.request("DELETE", "/api/options")
    assert status == 405


def test_options_lists_choices_limits_and_defaults(client):
    status, opts, _ = client.get("/api/options")
    assert status == 200
    assert opts["choices"]["dataset"] == ["moons", "circles", "xor", "spirals", "blobs"]
    assert set(opts["choices"]["optimizer"]) == {"sgd", "momentum", "adam"}
    assert opts["limits"]["width"] == [1, 16]
    assert opts["defaults"] == DEFAULTS
    for field, labels in opts["labels"].items():
        assert list(labels) == opts["choices"][field]


# ---------------------------------------------------------------- sessions
def test_new_session_has_a_run_a_boundary_and_a_network(client):
    state = client.new()
    assert state["status"] == "ready" and state["epoch"] == 0
    assert state["settings"] == DEFAULTS
    b = state["boundary"]
    assert len(b["cls"]) == len(b["conf"]) == b["n"] ** 2
    assert set(b["cls"]) <= {0, 1}
    assert all(0.0 <= c <= 1.0 for c in b["conf"])
    net = state["network"]
    assert net["sizes"] == [2, 6, 6, 1]
    assert [len(layer["w"]) for layer in net["layers"]] == [6, 6, 1]
    assert [len(layer["w"][0]) for layer in net["layers"]] == [2, 6, 6]
    # the epoch-0 losses are measured by the training thread right away
    state = client.wait(state["session"], lambda s: s["metrics"]["val_loss"] is not None,
                        "the epoch-0 metrics")
    assert state["history"]["epoch"] == [0]
    assert 0.0 <= state["metrics"]["val_acc"] <= 1.0
    assert state["metrics"]["train_loss"] > 0.0


def test_session_ids_are_unguessable_and_distinct(client):
    a, b = client.new(), client.new()
    assert a["session"] != b["session"]
    assert len(a["session"]) >= 20


def test_data_endpoint_matches_the_split(client):
    state = client.new(dataset="blobs", classes=4, samples=120, val_fraction=0.25,
                       output="softmax_ce")
    status, pts, _ = client.get(f"/api/sessions/{state['session']}/data")
    assert status == 200
    assert pts["run"] == state["run"] and pts["classes"] == 4
    assert len(pts["val"]) == 30 and len(pts["train"]) == 90
    x0, x1, y0, y1 = pts["bounds"]
    labels = set()
    for x, y, c in pts["train"] + pts["val"]:
        assert x0 < x < x1 and y0 < y < y1
        labels.add(c)
    assert labels == {0, 1, 2, 3}


def test_state_since_version_says_unchanged(client):
    state = client.new()
    sid = state["session"]
    state = client.wait(sid, lambda s: s["metrics"]["val_loss"] is not None, "epoch-0 metrics")
    status, body, _ = client.get(f"/api/sessions/{sid}/state?since={state['version']}")
    assert status == 200 and body == {"version": state["version"], "unchanged": True}
    status, body, _ = client.get(f"/api/sessions/{sid}/state?since={state['version'] - 1}")
    assert body["version"] == state["version"] and "boundary" in body


def test_play_trains_and_pause_stops(client):
    sid = client.new(dataset="xor", samples=100)["session"]
    status, state, _ = client.post(f"/api/sessions/{sid}/play")
    assert status == 200 and state["status"] == "running"
    state = client.wait(sid, lambda s: s["epoch"] >= 5, "5 epochs")
    assert state["status"] == "running"
    assert len(state["history"]["epoch"]) >= 5
    assert state["steps"] >= 5 * math.ceil(70 / 10)
    status, state, _ = client.post(f"/api/sessions/{sid}/pause")
    assert state["status"] == "paused"
    time.sleep(0.3)  # a step in progress finishes and is published
    first = client.state(sid)["epoch"]
    time.sleep(0.5)
    assert client.state(sid)["epoch"] == first


def test_xor_is_learned_to_over_95_percent_validation_accuracy(client):
    sid = client.new(dataset="xor")["session"]
    client.post(f"/api/sessions/{sid}/play")
    state = client.wait(sid, lambda s: (s["metrics"]["val_acc"] or 0) > 0.95, "val acc > 95%")
    client.post(f"/api/sessions/{sid}/pause")
    losses = state["history"]["val_loss"]
    assert losses[-1] < losses[0]
    # the boundary now has both classes
    assert set(state["boundary"]["cls"]) == {0, 1}


def test_step_trains_exactly_one_epoch(client):
    sid = client.new(dataset="circles", samples=60)["session"]
    client.wait(sid, lambda s: s["metrics"]["val_loss"] is not None, "epoch-0 metrics")
    for expected in (1, 2):
        status, state, _ = client.post(f"/api/sessions/{sid}/step")
        assert status == 200 and state["status"] == "stepping"
        state = client.wait(sid, lambda s: s["status"] == "paused", f"epoch {expected}")
        assert state["epoch"] == expected
        assert state["history"]["epoch"] == list(range(expected + 1))
        assert state["steps"] == expected * math.ceil(42 / 10)


def test_reset_starts_again_from_the_same_weights(client):
    state = client.new(dataset="moons")
    sid, first_run = state["session"], state["run"]
    initial = state["network"]
    client.post(f"/api/sessions/{sid}/step")
    trained = client.wait(sid, lambda s: s["status"] == "paused", "one epoch")
    assert trained["network"] != initial
    status, state, _ = client.post(f"/api/sessions/{sid}/reset")
    assert status == 200 and state["status"] == "ready"
    assert state["run"] != first_run and state["epoch"] == 0
    assert state["network"] == initial


def test_two_sessions_with_the_same_settings_train_identically(client):
    a, b = client.new(dataset="spirals"), client.new(dataset="spirals")
    for s in (a, b):
        for _ in range(2):
            client.post(f"/api/sessions/{s['session']}/step")
    done = [client.wait(s["session"], lambda st: st["epoch"] == 2 and st["status"] == "paused",
                        "two epochs") for s in (a, b)]
    assert done[0]["network"] == done[1]["network"]
    assert done[0]["history"] == done[1]["history"]


def test_two_tabs_do_not_disturb_each_other(client):
    a = client.new(dataset="xor", samples=100)
    b = client.new(dataset="moons", samples=80, hidden=[3])
    sa, sb = a["session"], b["session"]
    client.post(f"/api/sessions/{sa}/play")
    client.wait(sa, lambda s: s["epoch"] >= 3, "A trains")
    # B is untouched by A's training
    state_b = client.state(sb)
    assert state_b["status"] == "ready" and state_b["epoch"] == 0
    assert state_b["settings"]["dataset"] == "moons"
    # changing B's settings does not change A's run
    run_a = client.state(sa)["run"]
    status, state_b, _ = client.post(f"/api/sessions/{sb}/settings",
                                     {"settings": {"dataset": "circles", "hidden": [4, 4]}})
    assert status == 200 and state_b["settings"]["dataset"] == "circles"
    state_a = client.state(sa)
    assert state_a["run"] == run_a and state_a["settings"]["dataset"] == "xor"
    assert state_a["status"] == "running"
    assert state_a["network"]["sizes"] == [2, 6, 6, 1]
    # and their data sets are their own
    pa = client.get(f"/api/sessions/{sa}/data")[1]
    pb = client.get(f"/api/sessions/{sb}/data")[1]
    assert len(pa["train"]) + len(pa["val"]) == 100
    assert len(pb["train"]) + len(pb["val"]) == 80
    client.post(f"/api/sessions/{sa}/pause")


def test_concurrent_requests_on_two_sessions(client):
    """Many requests at once, from threads, on two playing sessions: all answered, none mixed."""
    a, b = client.new(dataset="xor", samples=60), client.new(dataset="circles", samples=60)
    for s in (a, b):
        client.post(f"/api/sessions/{s['session']}/play")
    errors = []

    def hammer(sid, dataset):
        for _ in range(15):
            status, state, _ = client.get(f"/api/sessions/{sid}/state")
            if status != 200 or state["session"] != sid or state["settings"]["dataset"] != dataset:
                errors.append((status, sid, state.get("session")))

    threads = [threading.Thread(target=hammer, args=(s["session"], s["settings"]["dataset"]))
               for s in (a, b, a, b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors
    # both really learn: sessions training side by side must not switch off each other's
    # graph recording (the engine's no_grad() is one switch for the whole process)
    for s in (a, b):
        state = client.wait(s["session"], lambda st: st["epoch"] >= 20, "20 epochs")
        client.post(f"/api/sessions/{s['session']}/pause")
        losses = state["history"]["train_loss"]
        assert losses[-1] < 0.9 * losses[0], s["settings"]["dataset"]


def test_settings_change_starts_a_new_paused_run(client):
    state = client.new()
    sid = state["session"]
    client.post(f"/api/sessions/{sid}/play")
    status, new, _ = client.post(f"/api/sessions/{sid}/settings", {"settings": {
        "dataset": "spirals", "classes": 3, "output": "softmax_ce", "hidden": [8, 8, 8],
        "activation": "relu", "optimizer": "momentum", "lr": 0.05, "decay": "exponential",
        "decay_rate": 0.1, "regularization": "l2", "reg_strength": 0.01, "batch_size": 5}})
    assert status == 200, new
    assert new["run"] != state["run"] and new["status"] == "ready" and new["epoch"] == 0
    assert new["network"]["sizes"] == [2, 8, 8, 8, 3]
    assert new["settings"]["dataset"] == "spirals" and new["settings"]["classes"] == 3
    assert new["settings"]["noise"] == DEFAULTS["noise"]  # what was not sent stays
    # exponential decay: η after 2 epochs is 0.05·exp(−0.2)
    client.post(f"/api/sessions/{sid}/step")
    client.post(f"/api/sessions/{sid}/step")
    done = client.wait(sid, lambda s: s["epoch"] == 2 and s["status"] == "paused", "2 epochs")
    assert done["lr"] == pytest.approx(0.05 * math.exp(-0.2))
    assert set(done["boundary"]["cls"]) <= {0, 1, 2}


def test_zero_hidden_layers_is_a_linear_model_that_cannot_learn_xor(client):
    state = client.new(dataset="xor", hidden=[], samples=100)
    assert state["network"]["sizes"] == [2, 1]
    sid = state["session"]
    for _ in range(10):
        client.post(f"/api/sessions/{sid}/step")
    state = client.wait(sid, lambda s: s["epoch"] == 10 and s["status"] == "paused", "10 epochs")
    assert state["metrics"]["val_acc"] <= 0.8  # XOR needs a hidden layer (Xiu)


# ---------------------------------------------------------------- refused settings
INVALID = [
    ({"hidden": [0]}, "hidden", "from 1 to 16"),
    ({"hidden": [4, 0]}, "hidden", "layer 2"),
    ({"hidden": [10**6]}, "hidden", "from 1 to 16"),
    ({"hidden": [4] * 7}, "hidden", "at most 6 hidden layers"),
    ({"hidden": [16, 16, 16, 16, 16]}, "hidden", "at most 64 hidden neurons"),
    ({"hidden": [-3]}, "hidden", "from 1 to 16"),
    ({"hidden": [2.5]}, "hidden", "whole number"),
    ({"hidden": "8,8"}, "hidden", "list of layer widths"),
    ({"hidden": [False]}, "hidden", "from 1 to 16"),  # False is 0 (checks' policy)
    ({"lr": -0.1}, "lr", "learning rate must be > 0"),
    ({"lr": 0}, "lr", "learning rate must be > 0"),
    ({"lr": 11}, "lr", "≤ 10"),
    ({"lr": "fast"}, "lr", "needs a real number"),
    ({"lr": None}, "lr", "needs a real number"),
    ({"noise": -0.5}, "noise", "noise must be ≥ 0"),
    ({"noise": 3}, "noise", "≤ 1"),
    ({"samples": 10**6}, "samples", "from 20 to 1000"),
    ({"samples": 0}, "samples", "from 20 to 1000"),
    ({"samples": 50.5}, "samples", "whole number"),
    ({"classes": 9, "dataset": "blobs", "output": "softmax_ce"}, "classes", "from 2 to 5"),
    ({"val_fraction": 0}, "val_fraction", "validation fraction"),
    ({"val_fraction": 1}, "val_fraction", "≤ 0.9"),
    ({"batch_size": 0}, "batch_size", "from 1 to 1000"),
    ({"batch_size": 200}, "batch_size", "larger than the training set (140 points)"),
    ({"dataset": "mnist"}, "dataset", "moons, circles, xor, spirals, blobs"),
    ({"activation": "swish"}, "activation", "must be one of"),
    ({"output": "softmax"}, "output", "must be one of"),
    ({"optimizer": "rmsprop"}, "optimizer", "sgd, momentum, adam"),
    ({"decay": "step"}, "decay", "must be one of"),
    ({"decay_rate": -1}, "decay_rate", "decay rate κ must be ≥ 0"),
    ({"regularization": "l3"}, "regularization", "none, l1, l2"),
    ({"reg_strength": -0.01}, "reg_strength", "λ must be ≥ 0"),
    ({"reg_strength": 50}, "reg_strength", "≤ 1"),
    ({"seed": -1}, "seed", "from 0 to"),
    ({"seed": "0"}, "seed", "whole number"),
    ({"dataset": "spirals", "classes": 3}, "output", "one output per class"),
    ({"dataset": "blobs", "classes": 4, "output": "mse"}, "output", "one output per class"),
    ({"speed": "max"}, "speed", "unknown setting 'speed'"),
]


@pytest.mark.parametrize("changes, field, words", INVALID,
                         ids=[f"{next(iter(c))}={c[next(iter(c))]!r}"[:40] for c, _, _ in INVALID])
def test_invalid_setting_is_refused_and_changes_nothing(client, changes, field, words):
    state = client.new()
    sid = state["session"]
    status, body, _ = client.post(f"/api/sessions/{sid}/settings", {"settings": changes})
    assert status == 400
    assert body["field"] == field
    assert words in body["error"]
    after = client.state(sid)
    assert after["run"] == state["run"] and after["settings"] == state["settings"]
    # the same settings are refused when a session is created with them
    status, body, _ = client.post("/api/sessions", {"settings": changes})
    assert status == 400 and body["field"] == field


def test_booleans_are_0_and_1_as_everywhere_in_the_library():
    """tinygrad_edu.checks' one policy: True is 1 and False is 0 wherever a number goes."""
    s = check_settings({"hidden": [True, 2], "seed": False, "reg_strength": True,
                        "noise": False})
    assert (s.hidden, s.seed, s.reg_strength, s.noise) == ([1, 2], 0, 1.0, 0.0)


def test_nan_and_infinity_are_refused(client):
    sid = client.new()["session"]
    for raw in (b'{"settings": {"lr": NaN}}', b'{"settings": {"lr": Infinity}}',
                b'{"settings": {"noise": -Infinity}}'):
        status, body, _ = client.request("POST", f"/api/sessions/{sid}/settings", raw=raw,
                                         headers={"Content-Type": "application/json"})
        assert status == 400 and "finite" in body["error"], raw


@pytest.mark.parametrize("raw, ctype, code, words", [
    (b"lr=5", "application/x-www-form-urlencoded", 415, "JSON"),
    (b"{not json", "application/json", 400, "not valid JSON"),
    (b"[1, 2]", "application/json", 400, "JSON object"),
    (b'{"settings": [1]}', "application/json", 400, "JSON object"),
    (b'{"x": "' + b"a" * 70000 + b'"}', "application/json", 413, "too large"),
])
def test_malformed_bodies_are_refused(client, raw, ctype, code, words):
    sid = client.new()["session"]
    status, body, _ = client.request("POST", f"/api/sessions/{sid}/settings", raw=raw,
                                     headers={"Content-Type": ctype})
    assert status == code and words in body["error"]


def _post_raw(client, path, raw):
    return client.request("POST", path, raw=raw, headers={"Content-Type": "application/json"})


@pytest.mark.parametrize("raw, words", [
    (b"[" * 30_000 + b"]" * 30_000, "nested too deeply"),
    (b'{"settings": {"seed": ' + b"9" * 5_000 + b"}}", "too long"),
    (b'{"settings": {"lr": 1' + b"0" * 400 + b"}}", "learning rate: a 401-digit"),
    (b'{"settings": {"noise": 1' + b"0" * 400 + b"}}", "noise: a 401-digit integer is too large"),
    (b'{"settings": {"samples": -1' + b"0" * 400 + b"}}", "a 401-digit integer"),
], ids=["30000-deep", "5000-digit int", "400-digit lr", "400-digit noise", "400-digit samples"])
def test_hostile_bodies_get_a_4xx_with_a_message(client, raw, words):
    """Issue 13 item 7: each of these was a 500 (RecursionError, ValueError, OverflowError)."""
    sid = client.new()["session"]
    for path in ("/api/sessions", f"/api/sessions/{sid}/settings"):
        status, body, _ = _post_raw(client, path, raw)
        assert status == 400 and words in body["error"], (path, body)
    assert client.state(sid)["settings"] == DEFAULTS  # nothing changed


def _dumped(value) -> bytes:
    return json.dumps(value).encode()


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=12)
    | st.floats(allow_nan=False, allow_infinity=False),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                   max_size=4),
    max_leaves=12)
HOSTILE = st.one_of(
    JSON_VALUES.map(_dumped),                                                 # wrong types
    st.integers(17, 6_000).map(lambda n: b"9" * n),                          # huge integers
    st.integers(17, 6_000).map(lambda n: b"-1" + b"0" * n),
    st.integers(300, 400).map(lambda e: b"1e" + str(e).encode()),            # beyond a float
    st.sampled_from([b"NaN", b"Infinity", b"-Infinity", b"1e-400", b"-0"]),  # JSON's extras
    st.integers(1, 32_000).map(lambda d: b"[" * d + b"]" * d),               # deep nesting
    st.integers(1, 10_000).map(lambda d: b'{"a": ' * d + b"0" + b"}" * d),
)
KEYS = (st.sampled_from(sorted(DEFAULTS) + ["settings", "source", "preset", "values", "text",
                                             "x", "target", "hidden", "activation", "seed"])
        | st.text(max_size=10))  # and unknown keys


@st.composite
def hostile_bodies(draw):
    """A request body with one hostile value: the whole body, a top-level key's value, or a
    setting's value."""
    value = draw(HOSTILE)
    shape = draw(st.sampled_from(["whole", "key", "setting"]))
    if shape == "whole":
        return value
    body = b"{" + _dumped(draw(KEYS)) + b": " + value + b"}"
    return body if shape == "key" else b'{"settings": ' + body + b"}"


@given(raw=hostile_bodies(), action=st.sampled_from(
    ["new", "settings", "play", "pause", "step", "reset", "backprop"]))
def test_no_json_body_makes_the_server_fail(server, raw, action):
    """Whatever JSON (or almost-JSON) a POST carries, the answer is < 500, and an error is
    JSON with a message."""
    client = Client(server.server_address[1])
    sid = server.store.peek(_hypothesis_session(server, client)).id
    path = {"new": "/api/sessions", "backprop": "/api/backprop"}.get(
        action, f"/api/sessions/{sid}/{action}")
    status, body, _ = _post_raw(client, path, raw)
    assert status < 500, body
    if status >= 400:
        assert isinstance(body["error"], str) and body["error"]
    elif status == 201:
        client.close(body["session"])
    assert client.get("/api/options")[0] == 200


_hypothesis_sessions = {}


def _hypothesis_session(server, client) -> str:
    """One session for all examples of the property test (per server)."""
    sid = _hypothesis_sessions.get(id(server))
    if sid is None or server.store.peek(sid) is None:
        sid = _hypothesis_sessions[id(server)] = client.new()["session"]
    return sid


# ---------------------------------------------------------------- HTTP framing
def _exchange(port, data: bytes, timeout=10.0) -> bytes:
    """Send raw bytes on one connection; everything the server sends until it closes it."""
    received = []
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(data)
        try:
            while chunk := sock.recv(65536):
                received.append(chunk)
        except TimeoutError:
            pass
    return b"".join(received)


def _request(port, method, path, extra=b"", body=b""):
    return (f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n".encode() + extra
            + b"\r\n" + body)


def test_a_get_whose_body_is_a_request_gets_one_answer(server):
    """Issue 13 item 14: the body of a GET was left in the connection and answered as a
    second request. Now it is refused, and the connection closed, before any of it is read."""
    port = server.server_address[1]
    inner = _request(port, "GET", "/api/options", b"Connection: close\r\n")
    data = _request(port, "GET", "/api/options",
                    f"Content-Length: {len(inner)}\r\n".encode(), inner)
    answer = _exchange(port, data)
    assert answer.count(b"HTTP/1.1 ") == 1
    assert answer.startswith(b"HTTP/1.1 400") and b"a GET request has no body" in answer
    # the same for DELETE, and for a chunked or doubly sized body on a POST
    for method, extra in (("DELETE", f"Content-Length: {len(inner)}\r\n".encode()),
                          ("POST", b"Transfer-Encoding: chunked\r\n"),
                          ("POST", b"Content-Length: 2\r\nContent-Length: 2\r\n")):
        answer = _exchange(port, _request(port, method, "/api/sessions", extra, inner))
        assert answer.count(b"HTTP/1.1 ") == 1 and answer.startswith(b"HTTP/1.1 400"), method
    # and when the request is refused for another reason too (another Host name)
    data = (b"GET /api/options HTTP/1.1\r\nHost: evil.example\r\nContent-Length: "
            + str(len(inner)).encode() + b"\r\n\r\n" + inner)
    assert _exchange(port, data).count(b"HTTP/1.1 ") == 1


def test_keep_alive_still_answers_every_request(server):
    port = server.server_address[1]
    data = (_request(port, "GET", "/api/options", b"Content-Length: 0\r\n")
            + _request(port, "GET", "/api/backprop/examples", b"Connection: close\r\n"))
    answer = _exchange(port, data)
    assert answer.count(b"HTTP/1.1 200") == 2


# ---------------------------------------------------------------- divergence, limits, expiry
def test_divergence_is_reported_and_play_refused_until_reset(client):
    sid = client.new(dataset="moons", optimizer="sgd", lr=10, output="mse",
                     activation="linear", hidden=[16, 16, 16, 16])["session"]
    client.post(f"/api/sessions/{sid}/play")
    state = client.wait(sid, lambda s: s["status"] == "diverged", "divergence")
    assert "lower the learning rate" in state["message"]
    status, body, _ = client.post(f"/api/sessions/{sid}/play")
    assert status == 409 and "Reset" in body["error"]
    status, body, _ = client.post(f"/api/sessions/{sid}/step")
    assert status == 409
    status, body, _ = client.get(f"/api/sessions/{sid}/model")
    assert status in (200, 409)  # the weights may still be finite (the step was refused)
    if status == 409:
        assert "not finite" in body["error"] or "finite" in body["error"]
    status, state, _ = client.post(f"/api/sessions/{sid}/reset")
    assert status == 200 and state["status"] == "ready"
    status, _, _ = client.post(f"/api/sessions/{sid}/play")
    assert status == 200
    client.post(f"/api/sessions/{sid}/pause")


def test_unknown_or_closed_session_is_404(client):
    for method, action in (("GET", "state"), ("GET", "data"), ("GET", "model"),
                           ("POST", "play"), ("POST", "settings")):
        status, body, _ = client.request(method, f"/api/sessions/doesnotexist123/{action}",
                                         body={} if method == "POST" else None)
        assert status == 404 and "reload" in body["error"]
    sid = client.new()["session"]
    status, body, _ = client.close(sid)
    assert status == 200 and body == {"closed": sid}
    assert client.get(f"/api/sessions/{sid}/state")[0] == 404
    assert client.close(sid)[0] == 404
    status, body, _ = client.post(f"/api/sessions/{sid}/nosuchaction")
    assert status == 404


def _own_server(**options):
    srv = create_server(port=0, **options)
    thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    return srv, thread, Client(srv.server_address[1])


def _stop(srv, thread):
    srv.shutdown()
    srv.server_close()
    thread.join(5)


def test_session_limit_gives_503_with_a_message():
    srv, thread, c = _own_server(max_sessions=2)
    try:
        c.new(), c.new()
        status, body, _ = c.post("/api/sessions", {"settings": {}})
        assert status == 503 and "too many open sessions (2)" in body["error"]
    finally:
        _stop(srv, thread)


def test_idle_sessions_expire_and_idle_training_pauses():
    srv, thread, c = _own_server(idle_timeout=1.0, idle_pause=0.3)
    try:
        playing = c.new(dataset="xor")["session"]
        c.post(f"/api/sessions/{playing}/play")
        time.sleep(0.6)  # nobody polls: the run pauses itself
        state = c.state(playing)
        assert state["status"] == "paused" and "not asked" in state["message"]
        forgotten = c.new()["session"]
        deadline = time.monotonic() + 10
        while srv.store.peek(forgotten) is not None:
            assert time.monotonic() < deadline, "the idle session was not closed"
            time.sleep(0.1)
        assert c.get(f"/api/sessions/{forgotten}/state")[0] == 404
    finally:
        _stop(srv, thread)


def test_stopping_the_server_stops_every_training_process():
    srv, thread, c = _own_server()
    sids = [c.new(dataset="xor")["session"] for _ in range(3)]
    for sid in sids:
        c.post(f"/api/sessions/{sid}/play")
    sessions = [srv.store.get(sid) for sid in sids]
    assert all(s.process.poll() is None for s in sessions)
    _stop(srv, thread)
    assert all(not s.thread.is_alive() and s.process.poll() is not None for s in sessions)


# ---------------------------------------------------------------- export
def test_model_export_loads_back_into_an_mlp(client, tmp_path):
    sid = client.new(dataset="xor", hidden=[5, 3], activation="relu")["session"]
    for _ in range(3):
        client.post(f"/api/sessions/{sid}/step")
    state = client.wait(sid, lambda s: s["epoch"] == 3 and s["status"] == "paused", "3 epochs")
    status, document, resp = client.get(f"/api/sessions/{sid}/model")
    assert status == 200
    assert 'attachment; filename="tinygrad-edu-xor-epoch3.json"' == \
        resp.getheader("Content-Disposition")
    assert document["format"] == "tinygrad_edu.model"
    assert document["playground"]["settings"] == state["settings"]
    assert document["playground"]["epoch"] == 3
    path = tmp_path / "model.json"
    path.write_text(json.dumps(document))
    model = MLP(2, [5, 3, 1], activation="relu").load(path)
    # the loaded model is the one on the page: same weights as the network drawing
    layers = float_layers(model)
    for (W, b, _), shown in zip(layers, state["network"]["layers"]):
        assert [[round(w, 4) for w in row] for row in W] == shown["w"]
        assert [round(v, 4) for v in b] == shown["b"]
    # and its validation accuracy is the one reported
    pts = client.get(f"/api/sessions/{sid}/data")[1]
    correct = sum(int((float(model([x, y])) > 0) == bool(c)) for x, y, c in pts["val"])
    assert correct / len(pts["val"]) == pytest.approx(state["metrics"]["val_acc"], abs=0.02)


def test_boundary_picture_is_drawn_by_the_library(client, server):
    need("matplotlib")
    sid = client.new(dataset="blobs", classes=3, output="softmax_ce")["session"]
    client.post(f"/api/sessions/{sid}/step")
    client.wait(sid, lambda s: s["status"] == "paused", "one epoch")
    status, png, resp = client.get(f"/api/sessions/{sid}/picture")
    assert status == 200 and resp.getheader("Content-Type") == "image/png"
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert resp.getheader("Content-Disposition") == \
        'attachment; filename="tinygrad-edu-blobs-boundary-epoch1.png"'
    # the same figure as tinygrad_edu.plots draws for the same weights
    settings, info = server.store.peek(sid).latest()
    assert info["epoch"] == 1
    assert png == picture_png(settings, info["weights"], 1)


# ---------------------------------------------------------------- backprop mode
def _slide_graph():
    x1, x2 = Value(2.0, "x1"), Value(5.0, "x2")
    return x1.log() + x1 * x2 - x2.sin()


def _check_rows_match_trace(graph, y):
    t = trace(y)
    names = number_nodes(y)
    nodes = graph["nodes"]
    assert len(graph["adjoint"]) == len(t.adjoint)
    for got, row in zip(graph["adjoint"], t.adjoint):
        assert (got["target"], got["expr"], got["value_text"]) == \
            (row.target, row.expr, format_value(row.value))
        assert got["value"] == pytest.approx(row.value)
        assert nodes[got["node"]]["name"] == names[row.node]
        if row.upstream is None:
            assert got["upstream"] is None and got["kind"] in ("seed", "result")
        else:
            assert nodes[got["upstream"]]["name"] == names[row.upstream]
            edge = graph["edges"][got["edge"]]
            assert (edge["from"], edge["to"]) == (got["node"], got["upstream"])
            assert got["contribution"] == pytest.approx(got["upstream_value"] * got["local"])
    assert [r["name"] for r in graph["forward"]] == [r.name for r in t.forward]
    assert [r["expr"] for r in graph["forward"]] == [r.expr for r in t.forward]


def test_backprop_slide_expression_rows_are_the_trace_rows(client):
    status, graph, _ = client.post("/api/backprop", {"source": "preset", "preset": "slide"})
    assert status == 200
    _check_rows_match_trace(graph, _slide_graph())
    rows = [(r["target"], r["expr"], r["value_text"]) for r in graph["adjoint"]]
    assert rows[0] == (f"v{BAR}5", f"y{BAR}", "1.000")
    assert rows[5] == (f"v{BAR}0", f"v{BAR}3 × cos v0", "−0.284")
    assert rows[7] == (f"v{BAR}0", f"v{BAR}0 + v{BAR}2 × v-1", "1.716")
    assert rows[-2:] == [(f"x{BAR}1", f"v{BAR}-1", "5.500"), (f"x{BAR}2", f"v{BAR}0", "1.716")]
    step = graph["adjoint"][5]   # v̄0 = v̄3 × cos v0: upstream v3, local cos 5
    assert step["upstream_name"] == "v3" and step["local_text"] == "cos v0"
    assert step["local"] == pytest.approx(math.cos(5.0))
    assert step["upstream_value"] == pytest.approx(-1.0)


def test_backprop_typed_expression_matches_the_example(client):
    status, typed, _ = client.post("/api/backprop", {
        "source": "expression", "text": "ln(x1) + x1*x2 - sin(x2)",
        "values": {"x1": 2, "x2": 5}})
    assert status == 200, typed
    _check_rows_match_trace(typed, _slide_graph())


def test_backprop_tiny_network_rows_are_the_trace_rows(client):
    request = {"source": "network", "x": [0.5, -1.0], "target": 1, "activation": "tanh",
               "hidden": 2, "seed": 3}
    status, graph, _ = client.post("/api/backprop", request)
    assert status == 200
    loss = tiny_network([0.5, -1.0], 1, "tanh", 2, 3)
    _check_rows_match_trace(graph, loss)
    z = graph["nodes"][graph["output"]]
    assert z["value"] == pytest.approx(loss.data)
    # the inputs' gradients agree with backward()
    loss.backward()
    grads = {r["target"]: r["value"] for r in graph["adjoint"] if r["kind"] == "result"}
    leaves = [n for n in number_nodes(loss) if not n.parents]
    assert len(grads) == len(leaves) == 11  # x1, x2, 4 + 2 hidden parameters, 2 + 1 output
    for leaf in leaves:
        label = leaf.label
        assert grads[label[:1] + BAR + label[1:]] == pytest.approx(leaf.grad)


@pytest.mark.parametrize("request_body, words", [
    ({"source": "preset", "preset": "nope"}, "the example must be one of slide"),
    ({"source": "preset", "preset": "slide", "values": {"x1": "two", "x2": 5}}, "real number"),
    ({"source": "preset", "preset": "slide", "values": {"x1": 2}}, "no value given for x2"),
    ({"source": "preset", "preset": "slide", "values": {"x1": 0, "x2": 5}}, "ln"),
    ({"source": "preset", "preset": "slide", "values": {"x1": 2, "x2": 5, "z": 1}}, "'z'"),
    ({"source": "network", "hidden": 10}, "hidden neurons must be a whole number from 1 to 3"),
    ({"source": "network", "activation": "swish"}, "activation must be one of"),
    ({"source": "network", "target": 2}, "label must be a whole number from 0 to 1"),
    ({"source": "network", "x": [1]}, "pair"),
    ({"source": "network", "x": [1, float("inf")]}, "finite"),
    ({"source": "expression", "text": "x^2", "values": {"x": 1}}, "use ** for powers"),
    ({"source": "expression", "text": "__import__('os')", "values": {}}, "not allowed"),
    ({"source": "expression", "text": "", "values": {}}, "type an expression"),
    ({"source": "expression", "text": "2 + 3", "values": {}}, "no variable"),
    ({"source": "expression", "text": "x*" * 120 + "x", "values": {"x": 1}}, "too long"),
    ({"source": "expression", "text": "ln(x)", "values": {"x": -1}}, "positive"),
    ({"source": "expression", "text": "x" + "+x" * 99, "values": {"x": 1}}, None),
    ({"source": "expression", "text": "-" * 180 + "x", "values": {"x": 1}}, "at most 150"),
    ({"source": "magic"}, "source must be"),
    # malformed input found by an adversarial pass: a 4xx with a message, never a 500
    ({"source": "preset", "preset": ["slide"]}, "example must be one of"),
    ({"source": "preset", "preset": {"slide": 1}}, "example must be one of"),
    ({"source": "preset", "preset": "slide", "values": {"x1": 10**400, "x2": 5}},
     "the value of x1: a 401-digit integer is too large for a float"),
    ({"source": "preset", "preset": "neuron", "values": {
        "w0": 2, "x0": -1, "w1": -3, "x1": -2, "w2": -(10**400)}}, "401-digit integer"),
    ({"source": "network", "x": [10**400, 1]}, "x1: a 401-digit integer"),
    ({"source": "expression", "text": "x * 2", "values": {"x": 10**400}}, "too large"),
])
def test_backprop_refuses_bad_requests(client, request_body, words):
    status, body, _ = client.post("/api/backprop", request_body)
    if words is None:   # 99 additions of one variable: within the limits, accepted
        assert status == 200 and len(body["adjoint"]) == 1 + 2 * 99 + 1  # seed, 2 per +, x̄
        return
    assert status == 400, body
    assert words in body["error"]


def test_backprop_tiny_network_whose_sum_overflows_is_refused(client):
    """x1·w + x2·w beyond the largest float: the op's message, a 400 (it was a 500)."""
    status, body, _ = client.post("/api/backprop", {
        "source": "network", "x": [1.7e308, 1.7e308], "activation": "linear", "hidden": 3,
        "seed": 2})
    assert status == 400 and body["error"].startswith("+: ") and "overflows" in body["error"]


def test_backprop_domain_error_is_the_ops_own_message(client):
    status, body, _ = client.post("/api/backprop", {"source": "preset", "preset": "slide",
                                                    "values": {"x1": 0, "x2": 5}})
    assert status == 400
    assert body["error"] == "ln: the natural log needs a positive number, got 0"


def test_backprop_examples_endpoint(client):
    status, body, _ = client.get("/api/backprop/examples")
    assert status == 200
    assert set(body["presets"]) == {"slide", "chain", "neuron"}
    assert body["presets"]["slide"]["values"] == {"x1": 2.0, "x2": 5.0}
    assert body["expressions"] is True
    for key in body["presets"]:
        status, graph, _ = client.post("/api/backprop", {"source": "preset", "preset": key})
        assert status == 200 and graph["adjoint"][0]["kind"] == "seed"


def test_backprop_chain_example_gives_the_slide_gradients(client):
    graph = client.post("/api/backprop", {"source": "preset", "preset": "chain"})[1]
    grads = {r["target"]: r["value"] for r in graph["adjoint"] if r["kind"] == "result"}
    assert grads == {f"x{BAR}": -4.0, f"y{BAR}": -4.0, f"z{BAR}": 3.0}


# ---------------------------------------------------------------- the pieces below the API
def test_float_boundary_forward_is_the_engine_forward_to_the_last_bit():
    for activation in ("relu", "tanh", "sigmoid", "leaky_relu", "linear"):
        run = Run(check_settings({"hidden": [5, 4], "activation": activation,
                                  "dataset": "blobs", "classes": 3, "output": "softmax_ce"}))
        layers = float_layers(run.model)
        for x in ([0.3, -1.2], [2.0, 0.5], [-0.7, -0.1]):
            engine = [o.data for o in run.model(x)]
            assert forward_floats(layers, x) == engine, activation


def test_a_run_trains_exactly_as_the_library_loop_does():
    """The playground trains through the library: two epochs of a Run are two epochs of
    train.step over data.make's points, with optim.make's optimizer — to the last bit."""
    s = check_settings({"dataset": "blobs", "classes": 3, "output": "softmax_ce", "samples": 60,
                        "optimizer": "momentum", "regularization": "l2", "reg_strength": 0.01})
    run = Run(s)
    while run.epoch < 2:
        run.train_step()
    X, y = data.make("blobs", n=60, noise=0.25 + 1.5 * s.noise, seed=0, classes=3)
    X_train, y_train, _, _ = data.train_val_split(X, y, val_fraction=s.val_fraction, seed=0)
    model = MLP(2, [6, 6, 3], activation="tanh", seed=0)
    optimizer = optim.make("momentum", model.parameters(), lr=s.lr)
    rng = random.Random(1)
    for _ in range(2):
        for Xb, yb in data.batches(X_train, y_train, s.batch_size, rng=rng):
            train.step(model, Xb, yb, losses.cross_entropy, optimizer,
                       penalty=lambda m: 0.01 * losses.l2(m))
    assert run.weights() == model.state_dict()


def test_command_line_refuses_a_bad_or_busy_port(capsys):
    assert main(["--port", "70000"]) == 2
    assert "between 0 and 65535" in capsys.readouterr().err
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        assert main(["--port", str(port)]) == 2
    err = capsys.readouterr().err
    assert f"cannot listen on 127.0.0.1:{port}" in err and "--port 0" in err


def test_python_dash_m_serves_and_stops_cleanly_on_ctrl_c():
    proc = subprocess.Popen([sys.executable, "-m", "tinygrad_edu.playground", "--port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        line = proc.stdout.readline()  # "… open http://127.0.0.1:PORT/ in your browser …"
        url = re.search(r"http://127\.0\.0\.1:\d+/", line).group(0)
        with urllib.request.urlopen(url + "api/options", timeout=10) as resp:
            assert resp.status == 200 and "moons" in json.loads(resp.read())["choices"]["dataset"]
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, err
    assert "stopping the playground" in out and "Traceback" not in err


def test_a_run_whose_weights_are_not_finite_still_has_a_valid_snapshot():
    for output in ("sigmoid_bce", "softmax_ce"):
        run = Run(check_settings({"output": output}))
        run.model.layers[0].neurons[0].w[0].data = float("nan")
        run.model.layers[1].neurons[1].b.data = float("inf")
        picture = run.boundary()
        assert set(picture["conf"]) == {0.0}
        text = json.dumps({"b": picture, "n": run.network()}, allow_nan=False)
        assert "null" in text  # nan and inf weights are sent as null


def _wait_for(session, predicate, what):
    deadline = time.monotonic() + WAIT
    while not predicate(session.state()):
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)
    return session.state()


def test_a_run_stops_by_itself_at_the_epoch_limit():
    store = SessionStore(max_epochs=3)
    try:
        s = store.create({"dataset": "xor", "samples": 40})
        s.play()
        state = _wait_for(s, lambda st: st["status"] == "finished", "the epoch limit")
        assert state["epoch"] == 3 and "3 epochs" in state["message"]
        with pytest.raises(Conflict, match="limit of 3 epochs"):
            s.play()
        s.reset()
        assert s.state()["status"] == "ready"
    finally:
        store.close_all()


class Reports(list):
    """A worker's report pipe, kept in a list: the worker's logic runs in this process."""

    def send(self, report):
        self.append(report)


def test_a_bug_while_training_is_reported_and_the_worker_carries_on(monkeypatch):
    def broken(self):
        raise RuntimeError("something is wrong")

    reports = Reports()
    trainer = Trainer(reports)
    trainer.obey(("new", 1, {"dataset": "xor", "samples": 40}))
    trainer.work()  # the epoch-0 measurement
    assert reports[-1][4] is None and json.loads(reports[-1][2])["metrics"]["val_loss"] > 0
    with monkeypatch.context() as m:
        m.setattr(Run, "train_step", broken)
        trainer.obey(("play", 2))
        trainer.work()
    kind, seq, body, info, status = reports[-1]
    assert seq == 2 and status[0] == "error"
    assert "RuntimeError: something is wrong" in status[1]
    assert not trainer.busy
    trainer.obey(("play", 3))  # refused: the same error is reported again
    assert reports[-1][4] == status and not trainer.busy
    trainer.obey(("new", 4, {"dataset": "xor", "samples": 40}))
    trainer.obey(("step", 5))
    while trainer.busy:
        trainer.work()
    kind, seq, body, info, status = reports[-1]
    assert (seq, status) == (5, ("paused", None)) and info["epoch"] == 1


def test_a_training_process_that_dies_is_shown_and_reset_starts_another():
    store = SessionStore()
    try:
        s = store.create({"dataset": "xor", "samples": 40})
        s.play()
        first = s.process
        first.kill()
        state = _wait_for(s, lambda st: st["status"] == "error", "the crash to be noticed")
        assert "stopped unexpectedly" in state["message"] and "Reset" in state["message"]
        with pytest.raises(Conflict, match="Reset"):
            s.play()
        s.reset()
        assert s.process is not first and s.process.poll() is None
        s.step()
        state = _wait_for(s, lambda st: st["status"] == "paused", "a working epoch")
        assert state["epoch"] == 1
    finally:
        store.close_all()
    assert s.process.poll() is not None and not s.thread.is_alive()


def test_backprop_mode_reads_booleans_as_0_and_1_like_the_library(client):
    """The one policy of tinygrad_edu.checks: true is 1 and false is 0, in every mode."""
    pairs = [
        ({"source": "preset", "preset": "slide", "values": {"x1": True, "x2": 5}},
         {"source": "preset", "preset": "slide", "values": {"x1": 1, "x2": 5}}),
        ({"source": "network", "x": [True, False], "target": True, "hidden": True,
          "seed": False},
         {"source": "network", "x": [1, 0], "target": 1, "hidden": 1, "seed": 0}),
        ({"source": "network", "hidden": 2.0, "seed": 3.0},
         {"source": "network", "hidden": 2, "seed": 3}),
        ({"source": "expression", "text": "x * y", "values": {"x": True, "y": 3}},
         {"source": "expression", "text": "x * y", "values": {"x": 1, "y": 3}}),
    ]
    for sent, meant in pairs:
        status, body, _ = client.post("/api/backprop", sent)
        assert status == 200, body
        assert body == client.post("/api/backprop", meant)[1]
    for bad in ({"source": "network", "hidden": 2.5}, {"source": "network", "target": 0.5}):
        assert client.post("/api/backprop", bad)[0] == 400
