"""Time per epoch on the 8×8 digits: fit through the engine against fit(compiled=True).

    python benchmarks/bench_digits.py              # engine: 5 steps, extrapolated; tape: 2 epochs
    python benchmarks/bench_digits.py --steps 45   # the engine for a whole epoch

The workload is issue 16's: MLP(64, [32, 10]) (relu, last layer linear), softmax
cross-entropy, Adam(lr=0.01), minibatches of 32 over the 1,438 training images of
``data.digits`` (seed 0): 45 steps per epoch, the last one of 30 images. Both paths start
from the same weights and see the same minibatches; their losses are identical bit for bit,
so only the time differs. The tape's first epoch includes recording one tape per minibatch
size (32 and 30), reported apart.
"""
from __future__ import annotations

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from common import print_machine  # noqa: E402

from tinygrad_edu import data, losses, optim  # noqa: E402
from tinygrad_edu.nn import MLP  # noqa: E402
from tinygrad_edu.train import TapeStep, step  # noqa: E402

BATCH = 32


def batches(X, y):
    return [(X[i:i + BATCH], y[i:i + BATCH]) for i in range(0, len(X), BATCH)]


def engine(X, y, steps: int) -> float:
    """Seconds per epoch through the engine, from ``steps`` timed steps."""
    net = MLP(64, [32, 10], seed=0)
    opt = optim.Adam(net, lr=0.01)
    work = batches(X, y)[:steps]
    start = time.perf_counter()
    for Xb, yb in work:
        step(net, Xb, yb, losses.cross_entropy, opt)
    return (time.perf_counter() - start) / len(work) * len(batches(X, y))


def compiled(X, y, epochs: int) -> tuple:
    """(seconds recording the tapes, seconds per epoch replaying them)."""
    net = MLP(64, [32, 10], seed=0)
    stepper = TapeStep(net, losses.cross_entropy, optim.Adam(net, lr=0.01), None, None, None)
    work = batches(X, y)
    start = time.perf_counter()
    for Xb, yb in (work[0], work[-1]):    # the first call of each size records its tape
        stepper(Xb, yb)
    recording = time.perf_counter() - start
    start = time.perf_counter()
    for _ in range(epochs):
        for Xb, yb in work:
            stepper(Xb, yb)
    return recording, (time.perf_counter() - start) / epochs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=5, help="engine steps timed (45: an epoch)")
    parser.add_argument("--epochs", type=int, default=2, help="tape epochs timed")
    args = parser.parse_args()
    print_machine()
    print(f"load average before: {os.getloadavg()[0]:.2f}")
    X, y = data.digits("train", seed=0)
    seconds = engine(X, y, args.steps)
    print(f"engine             {seconds:8.2f} s per epoch ({args.steps} steps of {BATCH}, "
          f"extrapolated to {len(batches(X, y))})")
    recording, replay = compiled(X, y, args.epochs)
    print(f"compiled (tape)    {replay:8.2f} s per epoch (mean of {args.epochs}); recording "
          f"both tapes once: {recording:.2f} s")
    print(f"speed-up           {seconds / replay:8.1f}×")
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
