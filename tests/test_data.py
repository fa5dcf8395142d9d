"""Toy data sets, splitting and minibatches."""
import math
import random
from collections import Counter

import pytest

from tinygrad_edu import data


@pytest.mark.parametrize("make", [
    lambda seed: data.moons(60, seed=seed), lambda seed: data.circles(60, seed=seed),
    lambda seed: data.spirals(20, 3, seed=seed), lambda seed: data.blobs(60, 3, seed=seed),
    lambda seed: data.xor(60, noise=0.1, seed=seed)])
def test_data_sets_are_seeded_lists_of_float_pairs_and_int_labels(make):
    X, y = make(0)
    assert (X, y) == make(0)
    assert X != make(1)[0]
    assert len(X) == len(y) == 60
    assert all(isinstance(row, list) and len(row) == 2 for row in X)
    assert all(type(v) is float for row in X for v in row)
    assert all(type(label) is int for label in y)


def test_moons_lie_on_two_half_circles_without_noise():
    X, y = data.moons(50, noise=0.0)
    assert Counter(y) == {0: 25, 1: 25}
    for (a, b), label in zip(X, y):
        if label == 0:
            assert math.hypot(a, b) == pytest.approx(1.0) and b >= -1e-12
        else:
            assert math.hypot(a - 1, b - 0.5) == pytest.approx(1.0) and b <= 0.5 + 1e-12
    assert sorted(y) != y  # shuffled


def test_circles_have_radius_one_and_factor():
    X, y = data.circles(40, noise=0.0, factor=0.3)
    radii = {label: {round(math.hypot(*x), 9) for x, t in zip(X, y) if t == label}
             for label in (0, 1)}
    assert radii == {0: {1.0}, 1: {0.3}}


def test_xor_is_the_truth_table():
    X, y = data.xor()
    assert X == [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]
    assert y == [0, 1, 1, 0]
    X, y = data.xor(100, noise=0.05, seed=3)
    for (a, b), t in zip(X, y):
        assert t == (round(a) != round(b))


def test_spirals_have_k_balanced_classes():
    X, y = data.spirals(50, 3)
    assert Counter(y) == {0: 50, 1: 50, 2: 50}
    assert max(math.hypot(*x) for x in X) == pytest.approx(1.0)
    X4, y4 = data.spirals(10, k=4, noise=0.0)
    assert sorted(set(y4)) == [0, 1, 2, 3]


def test_blobs_sit_around_their_centers():
    X, y = data.blobs(300, centers=[[0.0, 0.0], [5.0, 5.0]], std=0.2, seed=1)
    for c, center in enumerate([[0.0, 0.0], [5.0, 5.0]]):
        pts = [x for x, t in zip(X, y) if t == c]
        assert len(pts) == 150
        mean = [sum(p[i] for p in pts) / len(pts) for i in range(2)]
        assert mean == pytest.approx(center, abs=0.05)


def test_train_val_split_partitions_the_data():
    X, y = data.moons(50, seed=4)
    Xt, yt, Xv, yv = data.train_val_split(X, y, val_fraction=0.2, seed=1)
    assert (len(Xt), len(Xv)) == (40, 10)
    pairs = sorted(zip(map(tuple, Xt + Xv), yt + yv))
    assert pairs == sorted(zip(map(tuple, X), y))
    assert data.train_val_split(X, y, seed=1) == (Xt, yt, Xv, yv)
    assert data.train_val_split(X, y, shuffle=False)[2] == X[40:]


def test_batches_cover_each_sample_once_per_epoch():
    X = [[float(i)] for i in range(23)]
    y = list(range(23))
    rng = random.Random(0)
    epoch1 = list(data.batches(X, y, 5, rng=rng))
    epoch2 = list(data.batches(X, y, 5, rng=rng))
    assert [len(b[1]) for b in epoch1] == [5, 5, 5, 5, 3]
    assert sorted(t for _, yb in epoch1 for t in yb) == y
    assert [yb for _, yb in epoch1] != [yb for _, yb in epoch2]  # reshuffled each epoch
    for Xb, yb in epoch1:
        assert [int(x[0]) for x in Xb] == yb  # rows stay with their labels
    assert [yb for _, yb in data.batches(X, y, 10, shuffle=False)][0] == list(range(10))
    assert len(list(data.batches(X, y, 5, drop_last=True))) == 4


@pytest.mark.parametrize("call, error, message", [
    (lambda: data.batches([[1.0]], [0], 0), ValueError, "batch_size"),
    (lambda: data.batches([[1.0]], [0, 1], 1), ValueError, "1 samples but y has 2"),
    (lambda: data.moons(100, noise=-1), ValueError, "noise"),
    (lambda: data.moons(100, seed="a"), TypeError, "seed"),
    (lambda: data.spirals(10, k=1), ValueError, "k must be"),
    (lambda: data.circles(factor=1.5), ValueError, "factor"),
    (lambda: data.train_val_split([[1.0], [2.0]], [0, 1], val_fraction=1.0), ValueError,
     "val_fraction"),
    (lambda: data.check_dataset([[1.0, 2.0], [3.0]]), ValueError, r"X\[1\] has 1 features"),
    (lambda: data.check_dataset([[1.0, "b"]]), TypeError, r"X\[0\]\[1\] needs a real number.*str"),
    (lambda: data.check_dataset([[1.0, float("nan")]]), ValueError, r"X\[0\]\[1\] .*finite.*nan"),
    (lambda: data.check_dataset([[1.0]], [None]), TypeError, r"y\[0\]"),
    (lambda: data.check_dataset([]), ValueError, "non-empty"),
])
def test_bad_input_gives_clear_errors(call, error, message):
    with pytest.raises(error, match=message):
        call()


# ---------------------------------------------------------------- data sets by name
@pytest.mark.parametrize("name", list(data.DATASETS))
def test_make_uses_the_declared_defaults(name):
    spec = data.DATASETS[name]
    X, y = data.make(name)
    assert len(X) == len(y) == spec.samples
    assert sorted(set(y)) == list(range(spec.classes))
    assert data.make(name, seed=1) == data.make(name, seed=1) != (X, y)


def test_make_builds_the_same_points_as_the_generators():
    assert data.make("moons", n=60, noise=0.2, seed=3) == data.moons(60, noise=0.2, seed=3)
    assert data.make("xor", n=8, noise=0.0) == data.xor(8)
    assert data.make("blobs", n=30, noise=0.3, classes=2) == data.blobs(30, k=2, std=0.3)
    X, y = data.make("spirals", n=10, classes=4, noise=0.0)   # arms of ⌈10/4⌉ = 3 points
    assert len(X) == 10 and set(y) <= {0, 1, 2, 3}
    assert (X, y) == tuple(part[:10] for part in data.spirals(3, k=4, noise=0.0))


@pytest.mark.parametrize("kwargs, message", [
    (dict(name="mnist"), "data set must be one of moons.*, got 'mnist'"),
    (dict(name=["moons"]), "data set must be one of"),
    (dict(name="moons", classes=3), "has 2 classes"),
    (dict(name="spirals", classes=1), "classes must be"),
    (dict(name="circles", n=0), "n must be"),
    (dict(name="moons", noise=math.nan), "noise"),
])
def test_make_refuses_what_it_cannot_build(kwargs, message):
    with pytest.raises(ValueError, match=message):
        data.make(**kwargs)


# ---------------------------------------------------------------- handwritten digits
def test_digits_are_scikit_learns_images_scaled_to_the_unit_interval():
    sklearn_datasets = pytest.importorskip("sklearn.datasets")
    images, labels = sklearn_datasets.load_digits(return_X_y=True)
    X, y = data.digits("all")
    assert len(X) == len(y) == 1797
    assert all(len(row) == 64 and all(type(v) is float for v in row) for row in X)
    assert min(min(row) for row in X) == 0.0 and max(max(row) for row in X) == 1.0
    pairs = Counter(zip(map(tuple, (images / 16.0).tolist()), labels.tolist()))
    assert Counter(zip(map(tuple, X), y)) == pairs     # the same images, shuffled


def test_digits_split_is_seeded_and_disjoint():
    pytest.importorskip("sklearn")
    X_train, y_train = data.digits("train", seed=3)
    X_test, y_test = data.digits("test", seed=3)
    assert len(X_test) == round(1797 * 0.2) == 359 and len(X_train) == 1797 - 359
    X_all, y_all = data.digits("all")     # train + test is every image exactly once
    assert (Counter(zip(map(tuple, X_train), y_train)) + Counter(zip(map(tuple, X_test), y_test))
            == Counter(zip(map(tuple, X_all), y_all)))
    assert data.digits("train", seed=3) == (X_train, y_train)
    assert data.digits("train", seed=4) != (X_train, y_train)
    assert len(data.digits("test", test_fraction=0.5)[0]) == round(1797 / 2)


def test_digits_refuses_bad_arguments():
    with pytest.raises(ValueError, match="split must be"):
        data.digits("validation")
    with pytest.raises(ValueError, match="test_fraction"):
        data.digits(test_fraction=1.0)


def test_digits_without_scikit_learn_names_the_extra(monkeypatch):
    import sys
    monkeypatch.setitem(sys.modules, "sklearn", None)
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)
    data._digits_all.cache_clear()
    try:
        with pytest.raises(ImportError, match=r"tinygrad_edu\[data\]"):
            data.digits()
    finally:
        data._digits_all.cache_clear()


@pytest.mark.parametrize("n, fraction", [(2, 0.2), (10, 0.2), (11, 0.25), (100, 0.5), (7, 0.99)])
def test_training_size_is_what_train_val_split_keeps(n, fraction):
    X, y = [[float(i)] for i in range(n)], [i % 2 for i in range(n)]
    X_train, _, X_val, _ = data.train_val_split(X, y, val_fraction=fraction)
    assert len(X_train) == data.training_size(n, fraction) and len(X_val) >= 1
