"""Saving and loading models: exact round trips, atomic writes, and every kind of bad file."""
import json
import os
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tinygrad_edu import data, optim, serialize
from tinygrad_edu.nn import MLP, Layer, Residual, Sequential
from tinygrad_edu.serialize import MAX_DEPTH, ArchitectureMismatch, ModelFileError
from tinygrad_edu.train import fit, predict


def trained_model():
    X, y = data.moons(30, seed=0)
    net = MLP(2, [6, 6, 1], activation="tanh", seed=1)
    fit(net, X, y, optimizer=optim.Adam(net, lr=0.05), epochs=5, progress=False)
    return net, X


def weights(model):
    return [p.data for p in model.parameters()]


def test_save_then_load_gives_identical_predictions(tmp_path):
    net, X = trained_model()
    path = tmp_path / "model.json"
    net.save(path)
    fresh = MLP(2, [6, 6, 1], activation="tanh", seed=99)
    assert predict(fresh, X) != predict(net, X)
    assert fresh.load(path) is fresh
    assert predict(fresh, X) == predict(net, X)       # bit for bit
    assert weights(fresh) == weights(net)


def test_the_file_is_readable_json(tmp_path):
    net = MLP(2, [3, 1], seed=0)
    net.save(tmp_path / "m.json")
    doc = json.loads((tmp_path / "m.json").read_text())
    assert doc["format"] == "tinygrad_edu.model" and doc["version"] == 1
    assert doc["architecture"] == {"type": "MLP", "nin": 2, "nouts": [3, 1],
                                   "activation": "relu", "output_activation": "linear",
                                   "dropout": 0.0, "residual": False}
    assert doc["parameters"]["layers[1].neurons[0].b"] == net.layers[1].neurons[0].b.data
    assert len(doc["parameters"]) == net.num_parameters() == 13
    # serialize.document is that file's contents without a file (the playground's export)
    assert serialize.document(net.architecture(), net.state_dict()) == doc


def test_composed_models_save_and_load(tmp_path):
    def build(seed):
        return Sequential(Layer(2, 3, seed=seed), Residual(Layer(3, 3, seed=seed + 1)),
                          Layer(3, 1, activation="linear", seed=seed + 2))
    a, b = build(0), build(10)
    a.save(tmp_path / "seq.json")
    b.load(tmp_path / "seq.json")
    assert weights(a) == weights(b)


def test_saving_replaces_the_file_atomically(tmp_path, monkeypatch):
    """A crash in the middle of writing (here: the disk flush fails) leaves the old file
    exactly as it was and no temporary file behind."""
    old, new = MLP(2, [3, 1], seed=0), MLP(2, [3, 1], seed=1)
    path = tmp_path / "model.json"
    old.save(path)
    before = path.read_bytes()

    def crash(fd):
        raise OSError("disk full")

    monkeypatch.setattr(os, "fsync", crash)
    with pytest.raises(OSError, match="disk full"):
        new.save(path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["model.json"]
    monkeypatch.undo()
    new.save(path)
    assert MLP(2, [3, 1], seed=5).load(path).state_dict() == new.state_dict()
    assert os.listdir(tmp_path) == ["model.json"]


def test_saving_nan_weights_is_refused_and_writes_nothing(tmp_path):
    net = MLP(2, [3, 1], seed=0)
    net.layers[0].neurons[1].w[0].data = float("nan")
    with pytest.raises(ModelFileError, match=r"layers\[0\]\.neurons\[1\]\.w\[0\].*finite"):
        net.save(tmp_path / "m.json")
    assert os.listdir(tmp_path) == []


# ---------------------------------------------------------------- bad files change nothing
@pytest.fixture
def saved(tmp_path):
    net = MLP(2, [4, 1], seed=0)
    path = tmp_path / "model.json"
    net.save(path)
    target = MLP(2, [4, 1], seed=7)
    return path, target, weights(target)


def edit(path, change):
    doc = json.loads(path.read_text())
    change(doc)
    path.write_text(json.dumps(doc))


@pytest.mark.parametrize("other, message", [
    (lambda: MLP(2, [5, 1]),
     r"holds a MLP\(nin=2, nouts=\[4, 1\].*but this model is a MLP\(nin=2, nouts=\[5, 1\]"),
    (lambda: MLP(3, [4, 1]), "nin=3"),
    (lambda: MLP(2, [4, 1], activation="tanh"), "activation='tanh'"),
    (lambda: MLP(2, [4, 4, 1]), "nothing was loaded"),
])
def test_loading_another_architecture_is_refused(saved, other, message):
    path = saved[0]
    model = other()
    before = weights(model)
    with pytest.raises(ArchitectureMismatch, match=message):
        model.load(path)
    assert weights(model) == before


def test_truncated_file(saved):
    path, target, before = saved
    text = path.read_text()
    path.write_text(text[: len(text) // 2])
    with pytest.raises(ModelFileError, match="corrupted: invalid JSON.*truncated"):
        target.load(path)
    assert weights(target) == before


def test_garbage_and_binary_files(saved):
    path, target, before = saved
    path.write_text('{"format": "tinygrad_edu.model", "version": 1, oops}')
    with pytest.raises(ModelFileError, match="invalid JSON at line 1"):
        target.load(path)
    path.write_bytes(b"\x89PNG\r\n\x1a\n\xff\xfe")
    with pytest.raises(ModelFileError, match="not UTF-8"):
        target.load(path)
    path.write_text(json.dumps({"hello": "world"}))
    with pytest.raises(ModelFileError, match="not a tinygrad_edu model file"):
        target.load(path)
    assert weights(target) == before


def test_a_changed_weight_fails_the_checksum_unless_asked(saved):
    path, target, before = saved
    edit(path, lambda d: d["parameters"].update({"layers[0].neurons[0].b": 0.125}))
    with pytest.raises(ModelFileError, match="checksum"):
        target.load(path)
    assert weights(target) == before
    target.load(path, verify_checksum=False)          # a teacher's hand edit, on purpose
    assert target.layers[0].neurons[0].b.data == 0.125


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), "0.5", None, [1.0]])
def test_nan_or_non_numeric_weights_are_refused(saved, bad):
    path, target, before = saved
    edit(path, lambda d: d["parameters"].update({"layers[1].neurons[0].w[2]": bad}))
    with pytest.raises(ModelFileError, match=r"layers\[1\]\.neurons\[0\]\.w\[2\]"):
        target.load(path, verify_checksum=False)
    assert weights(target) == before


def test_a_boolean_weight_is_the_number_it_stands_for(saved):
    """One policy everywhere (tinygrad_edu.checks): True is 1 and False is 0."""
    path, target, _ = saved
    edit(path, lambda d: d["parameters"].update({WEIGHT: True}))
    target.load(path, verify_checksum=False)
    assert target.layers[1].neurons[0].w[2].data == 1.0


def test_missing_or_extra_parameters_are_refused(saved):
    path, target, before = saved
    edit(path, lambda d: d["parameters"].pop("layers[0].neurons[3].b"))
    with pytest.raises(ArchitectureMismatch, match="missing 1"):
        target.load(path)
    edit(path, lambda d: d["parameters"].update({"layers[0].neurons[3].b": 0.0, "extra": 1.0}))
    with pytest.raises(ArchitectureMismatch, match="unexpected 1.*'extra'"):
        target.load(path)
    edit(path, lambda d: d.pop("sha256"))
    with pytest.raises(ModelFileError, match="'sha256' entry is missing"):
        target.load(path)
    edit(path, lambda d: d.update({"version": 2, "sha256": "x"}))
    with pytest.raises(ModelFileError, match="version 2"):
        target.load(path)
    assert weights(target) == before


# ------------------------------------------------ hostile files (issue 13): ModelFileError only
WEIGHT = "layers[1].neurons[0].w[2]"


def put_text(path, key_path, fragment: str):
    """Replace the value at ``key_path`` in the saved document by raw JSON text ``fragment``
    (text, so that fragments json.dumps could not write — 30,000 levels — can be tried)."""
    doc = json.loads(path.read_text())
    target = doc
    for key in key_path[:-1]:
        target = target[key]
    target[key_path[-1]] = "@@HOSTILE@@"
    path.write_text(json.dumps(doc).replace('"@@HOSTILE@@"', fragment))


@pytest.mark.parametrize("verify", [True, False])
@pytest.mark.parametrize("fragment, message", [
    ("[" * 30_000 + "]" * 30_000, "nested"),
    ('{"a": ' * 30_000 + "1" + "}" * 30_000, "nested"),
    ("[" * 40 + "]" * 40, "nested more than"),
    ("7" * 5_000, "not a model file"),
    ("9" * 400, "too large for a float"),
    ("-" + "9" * 4_000, "too large for a float"),
], ids=["list 30000 deep", "object 30000 deep", "list 40 deep", "5000 digits",
        "400 digits", "-4000 digits"])
def test_hostile_weights_raise_model_file_error_and_change_nothing(saved, fragment, message,
                                                                   verify):
    path, target, before = saved
    put_text(path, ["parameters", WEIGHT], fragment)
    with pytest.raises(ModelFileError, match=message):
        target.load(path, verify_checksum=verify)
    assert weights(target) == before


def test_a_whole_file_nested_30000_deep_is_a_model_file_error(saved):
    path, target, before = saved
    path.write_text("[" * 30_000 + "]" * 30_000)
    with pytest.raises(ModelFileError, match="nested"):
        target.load(path)
    assert weights(target) == before


def test_the_depth_limit_counts_levels_of_lists_and_objects(tmp_path):
    """More than MAX_DEPTH levels are refused, full or empty (an empty innermost list used to
    slip one level past the limit); the server's request bodies share the rule."""
    path = tmp_path / "deep.json"
    for levels, message in ((MAX_DEPTH, "no \"format\""), (MAX_DEPTH + 1, "nested more than")):
        for inner in ("", "1"):
            path.write_text("[" * levels + inner + "]" * levels)
            with pytest.raises(ModelFileError, match=message):
                MLP(2, [1]).load(path)


@pytest.mark.parametrize("bad", [10 ** 400, -(10 ** 5_000), Fraction(10 ** 400, 3),
                                 [[[1.0]]], {"w": 1.0}, 1j, "1e400"],
                         ids=["400 digits", "-5000 digits", "fraction", "list", "dict",
                              "complex", "string"])
def test_hostile_state_dicts_raise_model_file_error_and_change_nothing(bad):
    net = MLP(2, [4, 1], seed=0)
    before = weights(net)
    state = net.state_dict()
    state[WEIGHT] = bad
    with pytest.raises(ModelFileError, match=r"layers\[1\]\.neurons\[0\]\.w\[2\]"):
        net.load_state_dict(state)
    assert weights(net) == before


def nested(depth: int, leaf: str = "0") -> str:
    return "[" * depth + leaf + "]" * depth


hostile_json = st.one_of(
    st.integers(2, 60_000).map(nested),
    st.integers(2, 60_000).map(lambda d: '{"k": ' * d + "1" + "}" * d),
    st.integers(310, 6_000).map(lambda k: "9" * k),                  # too large for a float
    st.integers(310, 6_000).map(lambda k: "-1" + "0" * k + ".5"),     # a float that is -inf
    st.sampled_from(["NaN", "Infinity", "-Infinity", "1e999", "null", '"0.5"', "[]", "{}"]),
    st.text(max_size=20).map(json.dumps),
)
places = st.sampled_from([["parameters", WEIGHT], ["parameters"], ["architecture"],
                          ["architecture", "nouts"], ["version"], ["format"]])


@given(fragment=hostile_json, place=places, verify=st.booleans())
def test_every_hostile_fragment_anywhere_is_a_model_file_error(tmp_path_factory, fragment,
                                                                place, verify):
    """A whole family of hostile files: deep nesting, numbers too long or too large, nan,
    strings, wrong types — in the weights, the architecture, the version or the format."""
    path = tmp_path_factory.mktemp("hostile") / "model.json"
    MLP(2, [4, 1], seed=0).save(path)
    put_text(path, place, fragment)
    target = MLP(2, [4, 1], seed=7)
    before = weights(target)
    with pytest.raises(ModelFileError):
        target.load(path, verify_checksum=verify)
    assert weights(target) == before


hostile_values = st.one_of(
    st.integers(min_value=2 ** 1024).map(lambda n: n * 10 ** 600),
    st.integers(max_value=-(2 ** 1024)),
    st.sampled_from([float("nan"), float("inf"), -float("inf"), None, "1.0", 1j,
                     Fraction(10 ** 400, 7)]),
    st.recursive(st.floats(), lambda inner: st.lists(inner, max_size=3)
                 | st.dictionaries(st.text(max_size=3), inner, max_size=3), max_leaves=8)
    .filter(lambda v: isinstance(v, (list, dict)) or v != v or v in (float("inf"), -float("inf"))),
)


@given(bad=hostile_values, name=st.sampled_from(["layers[0].neurons[2].w[1]", WEIGHT,
                                                 "layers[1].neurons[0].b"]))
def test_every_hostile_state_dict_is_a_model_file_error(bad, name):
    net = MLP(2, [4, 1], seed=0)
    before = weights(net)
    state = net.state_dict()
    state[name] = bad
    with pytest.raises(ModelFileError):
        net.load_state_dict(state)
    assert weights(net) == before


def test_missing_file_raises_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        MLP(2, [1]).load(tmp_path / "nope.json")


def test_describe_architecture():
    assert serialize.describe({"type": "Layer", "nin": 2, "nout": 3}) == "Layer(nin=2, nout=3)"


@pytest.mark.parametrize("bad", [5, None, 2.5, ["a"]])
def test_save_and_load_name_a_path_that_is_not_one(bad, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    model = MLP(2, [3, 1], seed=0)
    with pytest.raises(TypeError, match=r"save: the path must be a str or os.PathLike"):
        model.save(bad)
    with pytest.raises(TypeError, match=r"load: the path must be a str or os.PathLike"):
        model.load(bad)
    assert list(tmp_path.iterdir()) == []  # nothing half-written was left behind
