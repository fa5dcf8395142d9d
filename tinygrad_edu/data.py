"""Seeded toy data sets, a train/validation split, and minibatches.

Every toy data set returns ``(X, y)``: ``X`` a list of [x1, x2] lists of floats, ``y`` a list
of int class labels; the same ``seed`` gives the same points. One pass over all of
``batches``' minibatches is an epoch (Xiu's "Stochastic Gradient Descent": "cycle through
subsets without replacement"). :func:`make` builds a toy set by name with the defaults in
``DATASETS``, which the command line, the playground and the notebooks share; :func:`digits`
is real data.
"""
from __future__ import annotations

import functools
import math
import random
from dataclasses import dataclass

from . import checks

__all__ = ["moons", "circles", "xor", "spirals", "blobs", "make", "DATASETS", "Dataset",
           "digits", "train_val_split", "training_size", "batches", "check_dataset",
           "random_source"]


def random_source(seed, rng, who: str) -> random.Random:
    """``rng`` if one is given, else a ``random.Random(seed)`` for a whole number ``seed``."""
    if rng is not None:
        if not isinstance(rng, random.Random):
            raise TypeError(f"{who}: rng must be a random.Random, got {type(rng).__name__}")
        return rng
    return random.Random(checks.whole(seed, f"{who}: seed"))


def _shuffled(X, y, rng):
    order = list(range(len(X)))
    rng.shuffle(order)
    return [X[i] for i in order], [y[i] for i in order]


def _noisy_shuffled(X, y, noise, rng):
    """Gaussian ``noise`` added to every coordinate (drawn point by point), then shuffled."""
    if noise:
        X = [[c + rng.gauss(0.0, noise) for c in point] for point in X]
    return _shuffled(X, y, rng)


def moons(n=100, noise=0.1, seed=0, rng=None):
    """Two interleaving half circles: label 0 on the upper arc (cos t, sin t), label 1 on the
    lower arc (1 − cos t, 0.5 − sin t), t in [0, π], plus Gaussian noise; shuffled."""
    n = checks.whole(n, "moons: n", low=2)
    noise = checks.nonnegative(noise, "moons: noise")
    rng = random_source(seed, rng, "moons")
    upper, lower = _half_turn(n // 2), _half_turn(n - n // 2)
    X = ([[math.cos(t), math.sin(t)] for t in upper]
         + [[1.0 - math.cos(t), 0.5 - math.sin(t)] for t in lower])
    return _noisy_shuffled(X, [0] * len(upper) + [1] * len(lower), noise, rng)


def _half_turn(count: int) -> list:
    """``count`` angles evenly spaced over [0, π]."""
    return [math.pi * i / (count - 1) if count > 1 else 0.0 for i in range(count)]


def circles(n=100, noise=0.05, factor=0.5, seed=0, rng=None):
    """Two concentric circles: label 0 on radius 1, label 1 on radius ``factor``; shuffled."""
    n = checks.whole(n, "circles: n", low=2)
    noise = checks.nonnegative(noise, "circles: noise")
    factor = checks.in_range(factor, "circles: factor (the inner radius)", 0.0, 1.0,
                             low_open=True, high_open=True)
    rng = random_source(seed, rng, "circles")
    X, y = [], []
    for count, radius, label in ((n // 2, 1.0, 0), (n - n // 2, factor, 1)):
        angles = [2.0 * math.pi * i / count for i in range(count)]
        X += [[radius * math.cos(t), radius * math.sin(t)] for t in angles]
        y += [label] * count
    return _noisy_shuffled(X, y, noise, rng)


def xor(n=4, noise=0.0, seed=0, rng=None):
    """The XOR truth table: (0,0)→0, (0,1)→1, (1,0)→1, (1,1)→0 — not linearly separable.

    ``n=4`` (default) is the table itself, in that order; a larger n cycles through the four
    corners (with optional Gaussian ``noise``) and shuffles.
    """
    n = checks.whole(n, "xor: n", low=4)
    noise = checks.nonnegative(noise, "xor: noise")
    rng = random_source(seed, rng, "xor")
    corners, labels = [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]], [0, 1, 1, 0]
    X, y = [list(corners[i % 4]) for i in range(n)], [labels[i % 4] for i in range(n)]
    if n == 4 and not noise:
        return X, y
    return _noisy_shuffled(X, y, noise, rng)


def spirals(n_per_class=50, k=3, noise=0.2, seed=0, rng=None):
    """k interleaved spiral arms, ``n_per_class`` points each: for class c the radius grows
    from 0 to 1 while the angle turns through 4 radians starting at 4c (plus noise on
    the angle). Labels 0..k−1; shuffled."""
    n_per_class = checks.whole(n_per_class, "spirals: n_per_class", low=2)
    k = checks.whole(k, "spirals: k", low=2)
    noise = checks.nonnegative(noise, "spirals: noise")
    rng = random_source(seed, rng, "spirals")
    X, y = [], []
    for c in range(k):
        for i in range(n_per_class):
            r = i / (n_per_class - 1)
            t = 4.0 * c + 4.0 * i / (n_per_class - 1) + (rng.gauss(0.0, noise) if noise else 0.0)
            X.append([r * math.sin(t), r * math.cos(t)])
            y.append(c)
    return _shuffled(X, y, rng)


def blobs(n=100, k=3, std=0.5, centers=None, seed=0, rng=None):
    """k Gaussian blobs of spread ``std``; sample i belongs to class i mod k. ``centers``
    defaults to k points evenly spaced on a circle of radius 2.5; shuffled."""
    n = checks.whole(n, "blobs: n", low=1)
    std = checks.nonnegative(std, "blobs: std")
    rng = random_source(seed, rng, "blobs")
    if centers is None:
        k = checks.whole(k, "blobs: k", low=1)
        centers = [[2.5 * math.cos(2 * math.pi * c / k), 2.5 * math.sin(2 * math.pi * c / k)]
                   for c in range(k)]
    else:
        check_dataset(centers, who="blobs (centers)")
        k = len(centers)
    X = [[float(ci) for ci in centers[i % k]] for i in range(n)]
    return _noisy_shuffled(X, [i % k for i in range(n)], std, rng)


def check_dataset(X, y=None, who: str = "data") -> None:
    """Raise a clear error unless X is a non-empty list of equal-length lists of finite
    numbers and y (if given) has one finite number per row."""
    if not isinstance(X, (list, tuple)) or not X:
        raise ValueError(f"{who}: X must be a non-empty list of samples, "
                         f"got {checks.short_repr(X, 60)}")
    for i, row in enumerate(X):
        if not isinstance(row, (list, tuple)):
            raise TypeError(f"{who}: X[{i}] must be a list of numbers, got {checks.shown(row)}")
        if len(row) != len(X[0]):
            raise ValueError(f"{who}: X[{i}] has {len(row)} features but X[0] has {len(X[0])}")
        if not row:                                 # X[0]: every later row is as long
            raise ValueError(f"{who}: X[0] is empty")
        for j, v in enumerate(row):
            if type(v) is not float or not math.isfinite(v):  # the common case, fast
                checks.finite(v, f"{who}: X[{i}][{j}]")
    if y is None:
        return
    if not isinstance(y, (list, tuple)):
        raise TypeError(f"{who}: y must be a list (one label per sample), got "
                        f"{type(y).__name__}")
    if len(y) != len(X):
        raise ValueError(f"{who}: X has {len(X)} samples but y has {len(y)} labels")
    for i, v in enumerate(y):
        for u in v if isinstance(v, (list, tuple)) else [v]:
            checks.finite(u, f"{who}: y[{i}]")


def train_val_split(X, y, val_fraction=0.2, shuffle=True, seed=0, rng=None):
    """Split into (X_train, y_train, X_val, y_val); the validation set gets round(n·fraction)
    samples (at least 1, leaving at least 1 for training)."""
    check_dataset(X, y, "train_val_split")
    checks.in_range(val_fraction, "train_val_split: val_fraction", 0.0, 1.0, low_open=True,
                    high_open=True)
    if len(X) < 2:
        raise ValueError("train_val_split: needs at least 2 samples")
    X, y = list(X), list(y)
    if shuffle:
        X, y = _shuffled(X, y, random_source(seed, rng, "train_val_split"))
    cut = training_size(len(X), val_fraction)
    return X[:cut], y[:cut], X[cut:], y[cut:]


def training_size(n: int, val_fraction: float) -> int:
    """How many of ``n`` samples ``train_val_split`` keeps for training: the validation set
    gets round(n·fraction), at least 1, leaving at least 1."""
    return n - min(max(1, round(n * val_fraction)), n - 1)


def batches(X, y, batch_size, shuffle=True, rng=None, seed=0, drop_last=False):
    """Yield (X_batch, y_batch) minibatches covering the data once: one epoch.

    With ``shuffle`` the order is a fresh permutation from ``rng`` on every call; pass the
    same ``random.Random`` each epoch to get different, reproducible batches. The last
    batch may be smaller unless ``drop_last``.
    """
    if len(X) != len(y):
        raise ValueError(f"batches: X has {len(X)} samples but y has {len(y)} labels")
    batch_size = checks.whole(batch_size, "batches: batch_size", low=1)
    order = list(range(len(X)))
    if shuffle:
        random_source(seed, rng, "batches").shuffle(order)
    return _minibatches(X, y, order, batch_size, drop_last)  # checked now, iterated later


def _minibatches(X, y, order, batch_size, drop_last):
    for start in range(0, len(order), batch_size):
        chunk = order[start:start + batch_size]
        if drop_last and len(chunk) < batch_size:
            return
        yield [X[i] for i in chunk], [y[i] for i in chunk]


# ---------------------------------------------------------------- the data sets by name
def _two_class(generate):
    return lambda n, noise, classes, seed, rng: generate(n, noise=noise, seed=seed, rng=rng)


def _spirals(n, noise, classes, seed, rng):
    """Arms of ⌈n/k⌉ points each, then the first n points after shuffling."""
    X, y = spirals(max(2, -(-n // classes)), k=classes, noise=noise, seed=seed, rng=rng)
    return X[:n], y[:n]


def _blobs(n, noise, classes, seed, rng):
    return blobs(n, k=classes, std=noise, seed=seed, rng=rng)


@dataclass(frozen=True)
class Dataset:
    """A toy data set as ``make`` builds it: its generator, description and defaults.

    ``samples`` and ``noise`` are the defaults of ``make`` (for blobs, ``noise`` is the
    spread σ of each blob); ``classes`` the default number of classes, which only data sets
    with ``multiclass`` may change.
    """

    name: str
    generate: object  # (n, noise, classes, seed, rng) → (X, y)
    description: str
    samples: int
    noise: float
    classes: int = 2
    multiclass: bool = False


DATASETS = {d.name: d for d in (
    Dataset("moons", _two_class(moons), "two interleaving half circles", 200, 0.1),
    Dataset("circles", _two_class(circles), "a circle inside a ring", 200, 0.05),
    Dataset("xor", _two_class(xor), "the four XOR corners, with noise", 200, 0.1),
    Dataset("spirals", _spirals, "interleaved spiral arms", 300, 0.2, 3, multiclass=True),
    Dataset("blobs", _blobs, "Gaussian blobs around a circle", 200, 0.5, 3, multiclass=True),
)}
"""Name → ``Dataset``: what ``make`` can build, with its defaults."""


def make(name, n=None, noise=None, seed=0, classes=None, rng=None):
    """The data set ``name`` (a key of ``DATASETS``) with ``n`` samples in all, Gaussian
    ``noise`` (for blobs: the spread σ) and ``classes`` classes (spirals and blobs only);
    anything left as None takes the data set's default. Returns ``(X, y)``."""
    spec = DATASETS[checks.one_of(name, DATASETS, "make: the data set")]
    who = f"make({name!r})"
    n = spec.samples if n is None else checks.whole(n, f"{who}: n", low=2)
    noise = spec.noise if noise is None else noise
    if classes is None:
        classes = spec.classes
    elif not spec.multiclass and classes != spec.classes:
        raise ValueError(f"{who}: this data set has {spec.classes} classes, "
                         f"got classes={checks.short_repr(classes)}")
    classes = checks.whole(classes, f"{who}: classes", low=2)
    return spec.generate(n, noise, classes, seed, rng)


# ---------------------------------------------------------------- real data: handwritten digits
@functools.lru_cache(maxsize=1)
def _digits_all():
    """All 1,797 images as 64-float tuples in [0, 1] (pixels 0..16 divided by 16), and labels."""
    try:
        from sklearn.datasets import load_digits
    except ImportError:
        raise ImportError("data.digits needs scikit-learn, which ships the images: pip "
                          "install 'tinygrad_edu[data]' (or pip install scikit-learn)") from None
    images, labels = load_digits(return_X_y=True)
    return (tuple(tuple(v / 16.0 for v in row) for row in images.tolist()),
            tuple(int(t) for t in labels.tolist()))


def digits(split="train", test_fraction=0.2, seed=0):
    """scikit-learn's 8×8 handwritten digits (1,797 images of 0–9, no download) as ``(X, y)``:
    each row of X is 64 floats in [0, 1] (row by row, top left first), y the digit shown.

    ``split`` is "train", "test" or "all"; the split is a shuffle from ``seed``, the last
    round(1797 · test_fraction) images being the test set, so "train" and "test" of one seed
    never share an image.
    """
    checks.one_of(split, ("train", "test", "all"), "digits: split")
    checks.in_range(test_fraction, "digits: test_fraction", 0.0, 1.0, low_open=True,
                    high_open=True)
    images, labels = _digits_all()
    order = list(range(len(images)))
    random_source(seed, None, "digits").shuffle(order)
    cut = len(order) - round(len(order) * test_fraction)
    chosen = {"train": order[:cut], "test": order[cut:], "all": order}[split]
    return [list(images[i]) for i in chosen], [labels[i] for i in chosen]
