"""The engine benchmark (issue #2): tinygrad_edu against micrograd 0.1.0 and PyTorch eager.

    python benchmarks/bench_engine.py            # the full run (about a minute and a half)
    python benchmarks/bench_engine.py --quick    # a smoke run of a few seconds
    python benchmarks/bench_engine.py --json out.json

Prints, side by side:

1. forward and backward ns per op on a mixed graph of ×, relu and + (0-dim float64 tensors
   for PyTorch), and whether the targets are met: forward + backward at least 4× faster than
   micrograd and 10× faster than PyTorch scalar tensors;
2. bytes per recorded node (tracemalloc; target at most 150) — PyTorch's graph lives in C++,
   which tracemalloc cannot see, so the resident-memory growth is shown for all three too;
3. backward time for chains of 10^3 … 10^6 nodes.

Each number comes from a fresh process that imports only the library it measures (see
``common.py``), and is the median of several runs after a warm-up. "as is" means Python's
garbage collector left alone, as a user gets it; "collector paused" wraps the timed region
in a scoped pause (``tinygrad_edu.engine.collector_paused()`` for tinygrad_edu,
``gc.disable()``/``gc.enable()`` for the others), which restores the previous state after.
"""
from __future__ import annotations

import argparse
import contextlib
import gc
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

SCRIPT = os.path.abspath(__file__)
LIBS = ("tinygrad_edu", "micrograd", "torch")


# ---------------------------------------------------------------- in the worker process
def _library(lib: str):
    """(make a leaf from a float, run a backward pass) for one library."""
    if lib == "tinygrad_edu":
        from tinygrad_edu import Value
        return Value, lambda y: y.backward()
    if lib == "micrograd":
        from micrograd.engine import Value
        return Value, lambda y: y.backward()
    import torch
    torch.set_num_threads(1)

    def leaf(v):
        return torch.tensor(v, dtype=torch.float64, requires_grad=True)
    return leaf, lambda y: y.backward()


def _paused(lib: str, paused: bool):
    """A context that pauses the collector for the timed region (scoped), or does nothing."""
    if not paused:
        return contextlib.nullcontext()
    if lib == "tinygrad_edu":
        from tinygrad_edu.engine import collector_paused
        return collector_paused()

    @contextlib.contextmanager
    def pause():
        was = gc.isenabled()
        gc.disable()
        try:
            yield
        finally:
            if was:
                gc.enable()
    return pause()


def _time_passes(spec, build, backward, around):
    """Seconds of each timed forward (``build()``) and backward, after the warm-up runs;
    ``around()`` is the context both run in (a collector pause, or nothing)."""
    fwd, bwd = [], []
    for i in range(spec["warmup"] + spec["repeat"]):
        gc.collect()
        with around():
            t0 = common.time.perf_counter()
            y = build()
            t1 = common.time.perf_counter()
            backward(y)
            t2 = common.time.perf_counter()
        if i >= spec["warmup"]:
            fwd.append(t1 - t0)
            bwd.append(t2 - t1)
        del y
    return fwd, bwd


def task_mixed(spec):
    leaf, backward = _library(spec["lib"])
    ws, xs, c = common.mixed_leaves(spec["n_terms"])
    ws, xs, c = [leaf(v) for v in ws], [leaf(v) for v in xs], leaf(c)
    fwd, bwd = _time_passes(spec, lambda: common.mixed_graph(ws, xs, c), backward,
                            lambda: _paused(spec["lib"], spec["paused"]))
    ops = common.mixed_ops(spec["n_terms"])
    return {"fwd_ns": common.median(fwd) / ops * 1e9, "bwd_ns": common.median(bwd) / ops * 1e9,
            "fwd_runs_ms": [t * 1e3 for t in fwd], "bwd_runs_ms": [t * 1e3 for t in bwd]}


def _resident_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def task_memory(spec):
    import tracemalloc
    leaf, _ = _library(spec["lib"])
    ws, xs, c = common.mixed_leaves(spec["n_terms"])
    ws, xs, c = [leaf(v) for v in ws], [leaf(v) for v in xs], leaf(c)
    ops = common.mixed_ops(spec["n_terms"])
    gc.collect()
    before = _resident_bytes()
    y = common.mixed_graph(ws, xs, c)
    rss = (_resident_bytes() - before) / ops
    del y
    gc.collect()
    traced = None
    if spec["lib"] != "torch":        # torch's nodes are C++ allocations tracemalloc cannot see
        tracemalloc.start()
        start = tracemalloc.get_traced_memory()[0]
        y = common.mixed_graph(ws, xs, c)  # noqa: F841 (kept alive while measured)
        traced = (tracemalloc.get_traced_memory()[0] - start) / ops
        tracemalloc.stop()
    return {"traced_bytes": traced, "rss_bytes": rss}


def task_chain(spec):
    leaf, backward = _library(spec["lib"])
    n = spec["n_ops"]
    if spec["lib"] == "micrograd":    # its topological sort recurses once per level
        sys.setrecursionlimit(max(sys.getrecursionlimit(), n + 10_000))
    x, w, b = leaf(0.5), leaf(1.0), leaf(1e-6)
    fwd, bwd = _time_passes(spec, lambda: common.chain(x, w, b, n), backward,
                            contextlib.nullcontext)
    return {"fwd_s": common.median(fwd), "bwd_s": common.median(bwd)}


# ---------------------------------------------------------------- the report
def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, few repeats")
    parser.add_argument("--json", metavar="PATH", help="also write every figure as JSON")
    args = parser.parse_args()
    quick = args.quick
    n_terms = 2_500 if quick else 25_000
    rounds = 1 if quick else 3
    repeat = {"tinygrad_edu": 3, "micrograd": 2, "torch": 2}
    chain_sizes = [10**3, 10**4] if quick else [10**3, 10**4, 10**5, 10**6]
    results = {"machine": common.machine(), "quick": quick}

    def judge(ok):
        return common.verdict(ok) if not quick else f"{'met' if ok else 'below'} (--quick)"

    common.print_machine()
    ops = common.mixed_ops(n_terms)
    print(f"\n1. Mixed graph: relu(w·x + c) per term, balanced sum — {ops:,} ops "
          f"(× 25%, relu 25%, + 50%)")
    print(f"   {rounds} round(s) of fresh processes taking turns, medians over "
          f"{rounds * repeat['tinygrad_edu']}/{rounds * repeat['micrograd']}/"
          f"{rounds * repeat['torch']} runs")
    if quick:
        print("   (--quick: a small graph, where the collector costs micrograd less; the "
              "targets are judged on the full run)")
    print(f"   {'library':<34}{'forward ns/op':>15}{'backward ns/op':>16}{'total ns/op':>13}")
    runs = {}
    for _ in range(rounds):             # turns spread a burst of load elsewhere over everyone
        for lib in LIBS:
            for paused in (False, True):
                spec = {"task": "mixed", "lib": lib, "paused": paused, "n_terms": n_terms,
                        "repeat": repeat[lib], "warmup": 1}
                name = f"{lib} ({'collector paused' if paused else 'as is'})"
                r = common.run_worker(SCRIPT, spec)
                kept = runs.setdefault(name, {"fwd": [], "bwd": [], "errors": []})
                if "error" in r:
                    kept["errors"].append(r["error"])
                else:
                    kept["fwd"] += r["fwd_runs_ms"]
                    kept["bwd"] += r["bwd_runs_ms"]
    mixed = {}
    for name, kept in runs.items():
        if not kept["fwd"]:
            mixed[name] = {"error": kept["errors"][-1]}
            print(f"   {name:<34}  failed: {kept['errors'][-1]}")
            continue
        per_op = 1e6 / ops                 # ms per graph → ns per op
        r = {"fwd_ns": common.median(kept["fwd"]) * per_op,
             "bwd_ns": common.median(kept["bwd"]) * per_op,
             "total_ns": common.median([f + b for f, b in zip(kept["fwd"], kept["bwd"])])
             * per_op, "runs": len(kept["fwd"])}
        mixed[name] = r
        print(f"   {name:<34}{r['fwd_ns']:>15,.0f}{r['bwd_ns']:>16,.0f}{r['total_ns']:>13,.0f}")
    results["mixed"] = mixed
    ours = mixed["tinygrad_edu (as is)"].get("total_ns")
    targets = []
    for peer, need in (("micrograd", 4.0), ("torch", 10.0)):
        theirs = mixed[f"{peer} (as is)"].get("total_ns")
        if ours and theirs:
            ratio = theirs / ours
            targets.append((f"forward+backward vs {peer} (as is): {ratio:.1f}× faster "
                            f"(target ≥ {need:g}×)", ratio >= need))
            paused_ours = mixed["tinygrad_edu (collector paused)"].get("total_ns")
            paused_theirs = mixed[f"{peer} (collector paused)"].get("total_ns")
            if paused_ours and paused_theirs:
                print(f"   with the collector paused on both sides: "
                      f"{paused_theirs / paused_ours:.1f}× faster than {peer}")
    for text, ok in targets:
        print(f"   {text}: {judge(ok)}")

    print(f"\n2. Memory per recorded node (same graph, {ops:,} nodes)")
    print(f"   {'library':<16}{'tracemalloc B/node':>20}{'resident growth B/node':>25}")
    memory = {}
    for lib in LIBS:
        r = common.run_worker(SCRIPT, {"task": "memory", "lib": lib, "n_terms": n_terms})
        memory[lib] = r
        if "error" in r:
            print(f"   {lib:<16}  failed: {r['error']}")
            continue
        traced = "n/a (C++)" if r["traced_bytes"] is None else f"{r['traced_bytes']:,.0f}"
        print(f"   {lib:<16}{traced:>20}{r['rss_bytes']:>25,.0f}")
    results["memory"] = memory
    per_node = memory["tinygrad_edu"].get("traced_bytes")
    if per_node is not None:
        print(f"   bytes per node {per_node:.0f} (target ≤ 150): {judge(per_node <= 150)}")
        targets.append((f"bytes per node {per_node:.0f} ≤ 150", per_node <= 150))

    print("\n3. Chains (× w, + b, relu, … one node each): backward time, forward in brackets")
    print(f"   {'nodes':>10}" + "".join(f"{lib:>26}" for lib in LIBS))
    chains = {}
    for n in chain_sizes:
        row = f"   {n:>10,}"
        for lib in LIBS:
            reps = 1 if n >= 10**6 else 2 if n >= 10**5 else 5
            r = common.run_worker(SCRIPT, {"task": "chain", "lib": lib, "n_ops": n,
                                           "repeat": reps, "warmup": 0 if n >= 10**5 else 1})
            chains[f"{lib} {n}"] = r
            if "error" in r:
                row += f"{'failed':>26}"
            else:
                row += f"{r['bwd_s'] * 1e3:>12,.1f} ms ({r['fwd_s'] * 1e3:>8,.1f})"
        print(row)
        base = chains[f"tinygrad_edu {n}"]
        if "error" not in base:
            chains[f"ns per node {n}"] = base["bwd_s"] / n * 1e9
    per = [chains[f"ns per node {n}"] for n in chain_sizes if f"ns per node {n}" in chains]
    if per:
        print("   tinygrad_edu backward ns per node: " + ", ".join(f"{p:,.0f}" for p in per)
              + "  (flat = linear time)")
    results["chains"] = chains

    common.report_targets(targets, results, args.json, judge)


if __name__ == "__main__":
    if "--worker" in sys.argv:
        common.worker_main({"mixed": task_mixed, "memory": task_memory, "chain": task_chain})
    else:
        main()
