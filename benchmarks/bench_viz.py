"""The picture benchmark (issue #3): how long draw_dot and Graphviz's dot take.

    python benchmarks/bench_viz.py            # about ten seconds
    python benchmarks/bench_viz.py --quick    # a smoke run of a few seconds
    python benchmarks/bench_viz.py --json out.json

For each graph it prints the time to build the Digraph (``draw_dot``: walk the graph, write
the DOT description) and the time to build it and render it to SVG with ``dot`` (``render``
to a file). Graphs: the slides' small ones, a one-sample MLP loss graph, a 20,000-node graph
drawn with ``max_nodes``, and a 10^6-node graph where only building is timed (``max_nodes``
means the walk stops early — past max_nodes it only counts what is left out, up to
100,000 Values — so it costs tens of milliseconds, not seconds). "Values" counts the graph's
Values without the constants (which are drawn next to the operations that use them).
Medians of several runs after a warm-up; the range is min–max.
"""
from __future__ import annotations

import argparse
import gc
import json
import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import common  # noqa: E402

from tinygrad_edu import Value  # noqa: E402
from tinygrad_edu.engine import Constant, topological_order  # noqa: E402
from tinygrad_edu.viz import DEFAULT_MAX_NODES, draw_dot, render  # noqa: E402


# ---------------------------------------------------------------- graphs
def slide_expression():
    x1, x2 = Value(2.0, label="x1"), Value(5.0, label="x2")
    return x1.log() + x1 * x2 - x2.sin()


def sigmoid_neuron():
    w0, x0, w1, x1, w2 = (Value(v) for v in (2, -1, -3, -2, -3))
    return 1 / (1 + (-(w0 * x0 + w1 * x1 + w2)).exp())


def mlp_loss():
    from tinygrad_edu.nn import MLP
    model = MLP(2, [8, 8, 1])
    return (model([0.5, -1.5]) - 1) ** 2


def balanced(n_terms: int):
    """tanh(w·x) per term, summed pairwise, halved: 5·n_terms Values."""
    terms = [(Value(i % 7 - 3.0) * Value(0.01 * (i % 11))).tanh() for i in range(n_terms)]
    while len(terms) > 1:
        terms = [terms[i] + terms[i + 1] if i + 1 < len(terms) else terms[i]
                 for i in range(0, len(terms), 2)]
    return terms[0] * 0.5


def size(y) -> int:
    return sum(1 for n in topological_order(y) if n is y or not isinstance(n, Constant))


# ---------------------------------------------------------------- measuring
def time_case(name, y, options, repeat, with_dot, out_dir):
    y.backward()
    build = common.measure(lambda: draw_dot(y, **options), repeat, setup=gc.collect)
    row = {"graph": name, "values": size(y), "options": options,
           "build_s": common.median(build), "build": common.spread(build)}
    picture = draw_dot(y, **options)
    row["shown"], row["left_out"] = picture.nodes_shown, picture.nodes_left_out
    if with_dot:
        path = os.path.join(out_dir, "graph.svg")
        full = common.measure(lambda: render(y, path, **options), max(1, repeat // 2),
                              setup=gc.collect)
        row["render_s"], row["render"] = common.median(full), common.spread(full)
    return row


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats, no 10^6 graph")
    parser.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    args = parser.parse_args()
    repeat = 3 if args.quick else 7
    with_dot = shutil.which("dot") is not None
    common.print_machine()
    print(f"Graphviz dot: {shutil.which('dot') or 'not installed (render times skipped)'}")
    cases = [
        ("slide expression ln(x1) + x1·x2 − sin(x2)", slide_expression, {}),
        ("sigmoid neuron from exp, + and 1/x", sigmoid_neuron, {"show_local_grads": True}),
        ("MLP(2, [8, 8, 1]) one-sample loss", mlp_loss, {"max_nodes": None}),
        ("20,000-node graph, max_nodes=200", lambda: balanced(4000), {"max_nodes": 200}),
        (f"20,000-node graph, default max_nodes={DEFAULT_MAX_NODES}", lambda: balanced(4000),
         {}),
    ]
    rows = []
    with tempfile.TemporaryDirectory() as out_dir:
        for name, make, options in cases:
            rows.append(time_case(name, make(), options, repeat, with_dot, out_dir))
        if not args.quick:
            rows.append(time_case("1,000,000-node graph, max_nodes=200", balanced(200_000),
                                  {"max_nodes": 200}, repeat, False, out_dir))
    print(f"\n{'graph':<48} {'Values':>9} {'drawn':>6}  {'draw_dot (build)':<28} "
          f"draw_dot + dot → SVG")
    for r in rows:
        print(f"{r['graph']:<48} {r['values']:>9,} {r['shown']:>6}  {r['build']:<28} "
              f"{r.get('render', '—')}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"machine": common.machine(), "rows": rows}, f, indent=2)


if __name__ == "__main__":
    main()
