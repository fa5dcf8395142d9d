"""Shared pieces of the benchmarks: isolated workers, timing, machine description, workloads.

Every measurement runs in its own fresh Python process (``run_worker``), which imports only
the library it measures. That matters for a scalar autodiff engine: Python's cyclic garbage
collector rescans every live tracked object when it runs a full collection, so merely having
PyTorch imported in the same process (≈150,000 extra objects) makes *any* graph builder
slower. A fresh process per library gives each the same, clean starting point.
"""
from __future__ import annotations

import json
import math
import os
import platform
import random
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


# ---------------------------------------------------------------- running workers
def run_worker(script: str, spec: dict, timeout: float = 600.0) -> dict:
    """Run ``script --worker SPEC`` in a fresh interpreter; return the JSON it prints."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (ROOT, HERE, env.get("PYTHONPATH")) if p)
    done = subprocess.run([sys.executable, script, "--worker", json.dumps(spec)],
                          capture_output=True, text=True, timeout=timeout, env=env)
    if done.returncode != 0:
        return {"error": (done.stderr.strip().splitlines() or ["failed"])[-1]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def worker_main(handlers: dict) -> None:
    """In a worker process: run the handler named by the spec and print its JSON result."""
    spec = json.loads(sys.argv[sys.argv.index("--worker") + 1])
    result = handlers[spec["task"]](spec)
    print(json.dumps(result))


# ---------------------------------------------------------------- timing
def measure(fn, repeat: int, warmup: int = 1, setup=None) -> list:
    """Seconds per call of ``fn()``, ``repeat`` times after ``warmup`` untimed calls.

    ``setup()`` runs untimed before each call (a ``gc.collect()`` there keeps one run's
    garbage from being collected inside the next run's timing).
    """
    times = []
    for i in range(warmup + repeat):
        if setup is not None:
            setup()
        start = time.perf_counter()
        fn()
        elapsed = time.perf_counter() - start
        if i >= warmup:
            times.append(elapsed)
    return times


def median(xs) -> float:
    return statistics.median(xs)


def spread(xs) -> str:
    """``median (min–max)`` of a list of seconds, in ms."""
    return f"{median(xs) * 1e3:.2f} ms ({min(xs) * 1e3:.2f}–{max(xs) * 1e3:.2f})"


def machine() -> dict:
    """What the numbers were measured on."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    info = {"cpu": cpu, "cores": os.cpu_count(), "python": platform.python_version(),
            "os": f"{platform.system()} {platform.release()}"}
    for name in ("numpy", "torch", "micrograd"):
        try:
            from importlib.metadata import version
            info[name] = version(name)
        except Exception:  # noqa: BLE001 - a missing package just isn't listed
            info[name] = "not installed"
    return info


def print_machine() -> None:
    m = machine()
    print(f"machine: {m['cpu']}, {m['cores']} cores, {m['os']}; Python {m['python']}, "
          f"numpy {m['numpy']}, torch {m['torch']}, micrograd {m['micrograd']}")


def verdict(ok: bool) -> str:
    return "met" if ok else "NOT MET"


def report_targets(targets, results: dict, json_path=None, judge=verdict) -> None:
    """Print each (text, met?) target with its verdict; keep them and write ``json_path``."""
    print("\nTargets")
    for text, ok in targets:
        print(f"   {judge(ok):>8}  {text}")
    results["targets"] = [{"target": t, "met": ok} for t, ok in targets]
    if json_path:
        with open(json_path, "w") as f:
            json.dump(results, f, indent=1)


# ---------------------------------------------------------------- workloads
def mixed_leaves(n_terms: int, seed: int = 0):
    """The numbers for the mixed graph: weights, inputs and one shared bias."""
    rng = random.Random(seed)
    return ([rng.uniform(-1, 1) for _ in range(n_terms)],
            [rng.uniform(-1, 1) for _ in range(n_terms)], 0.1)


def mixed_graph(ws, xs, c):
    """relu(w·x + c) per term, then a pairwise (balanced) sum: 4 ops per term, depth log n.

    Equal parts × and relu, half +: the mix of an MLP. Balanced, so micrograd's recursive
    topological sort does not hit Python's recursion limit.
    """
    terms = [(w * x + c).relu() for w, x in zip(ws, xs)]
    while len(terms) > 1:
        paired = [terms[i] + terms[i + 1] for i in range(0, len(terms) - 1, 2)]
        if len(terms) % 2:
            paired.append(terms[-1])
        terms = paired
    return terms[0]


def mixed_ops(n_terms: int) -> int:
    return 4 * n_terms - 1


def chain(x, w, b, n_ops: int):
    """A chain of exactly ``n_ops`` nodes: × w, + b, relu, × w, … (depth n_ops)."""
    y = x
    for i in range(n_ops):
        k = i % 3
        y = y * w if k == 0 else y + b if k == 1 else y.relu()
    return y


def moons_points(n: int = 100, seed: int = 0):
    """The two-moons points and ±1 labels every implementation trains on."""
    from tinygrad_edu import data
    X, y = data.moons(n=n, noise=0.1, seed=seed)
    return X, y, [2 * t - 1 for t in y]


def learning_rate(k: int, steps: int = 100) -> float:
    """The peer demo's schedule: 1.0 decaying linearly to 0.1 over 100 steps."""
    return 1.0 - 0.9 * k / steps


def fmt(x: float, digits: int = 3) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "—"
    return f"{x:.{digits}g}" if abs(x) < 1000 else f"{x:,.0f}"
