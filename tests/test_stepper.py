"""Backprop you can watch: the stepper model, its frames and the GIF (issue #17).

The slide example's steps are checked against the slide's own table (upstream node, local
gradient as written and as a number); random graphs against the trace rows and against
``backward()``: every edge of the graph is used exactly once, and each step's value is the
adjoint before it plus upstream × local.
"""
import math
import re
import xml.etree.ElementTree as ET

import pytest
from conftest import need
from hypothesis import given
from hypothesis import strategies as st

from tinygrad_edu import Value, steps, trace
from tinygrad_edu.graph import number_nodes
from tinygrad_edu.stepper import Step
from tinygrad_edu.viz import (
    STEP_EDGE,
    TARGET_COLOR,
    UPSTREAM_COLOR,
    draw_dot,
)

BAR = "\u0304"
DOT = "\u0307"


def slide():
    """y = ln(x1) + x1·x2 − sin(x2) at x1 = 2, x2 = 5 (Natasha Jaques, "Neural Networks")."""
    x1, x2 = Value(2.0, "x1"), Value(5.0, "x2")
    return x1.log() + x1 * x2 - x2.sin()


def neuron():
    """σ(w0·x0 + w1·x1 + w2) at w0 = 2, x0 = −1, w1 = −3, x1 = −2, w2 = −3."""
    w0, x0, w1, x1, w2 = (Value(v, n) for v, n in
                          ((2, "w0"), (-1, "x0"), (-3, "w1"), (-2, "x1"), (-3, "w2")))
    f = (w0 * x0 + w1 * x1 + w2).sigmoid()
    f.label = "f"
    return f


# the slide's reverse adjoint trace: (row, node computed, upstream, local as written, number)
SLIDE_STEPS = [
    (f"v{BAR}5", "v5", None, None, None),
    (f"v{BAR}4", "v4", "v5", "1", 1.0),
    (f"v{BAR}3", "v3", "v5", "−1", -1.0),
    (f"v{BAR}1", "v1", "v4", "1", 1.0),
    (f"v{BAR}2", "v2", "v4", "1", 1.0),
    (f"v{BAR}0", "v0", "v3", "cos v0", math.cos(5.0)),
    (f"v{BAR}-1", "v-1", "v2", "v0", 5.0),
    (f"v{BAR}0", "v0", "v2", "v-1", 2.0),
    (f"v{BAR}-1", "v-1", "v1", "1 / v-1", 0.5),
    (f"x{BAR}1", "v-1", None, None, None),
    (f"x{BAR}2", "v0", None, None, None),
]


def test_slide_example_steps_are_the_slide_rows():
    y = slide()
    walk = steps(y)
    names = number_nodes(y)
    assert len(walk) == len(trace(y).adjoint) == len(SLIDE_STEPS)
    for step, (row, node, upstream, local_text, local) in zip(walk, SLIDE_STEPS):
        assert (step.name, names[step.node]) == (row, node)
        if upstream is None:
            assert step.upstream is None and step.terms == ()
            continue
        term, = step.terms
        assert names[step.upstream] == upstream and term.consumer is step.upstream
        assert term.consumer.parents[term.operand] is step.node   # the edge node → upstream
        assert term.local_text == local_text
        assert term.local == pytest.approx(local, rel=1e-15)
    assert [s.kind for s in walk] == ["seed"] + ["step"] * 8 + ["result"] * 2
    assert walk[5].value == pytest.approx(-0.284, abs=5e-4)       # v̄0 = v̄3 × cos v0
    assert walk[7].value == pytest.approx(1.716, abs=5e-4)        # v̄0 = v̄0 + v̄2 × v-1


def test_known_adjoints_grow_one_row_at_a_time():
    y = slide()
    walk = steps(y)
    names = number_nodes(y)
    shown = [{names[n]: round(v, 3) for n, v in s.known.items()} for s in (walk[0], walk[5],
                                                                           walk[7], walk[-1])]
    assert shown[0] == {"v5": 1.0}
    assert shown[1] == {"v5": 1.0, "v4": 1.0, "v3": -1.0, "v1": 1.0, "v2": 1.0, "v0": -0.284}
    assert shown[2]["v0"] == 1.716 and shown[2]["v-1"] == 5.0
    assert shown[3]["v-1"] == 5.5 and shown[3]["v0"] == 1.716


def test_forward_steps_of_the_slide_example():
    y = slide()
    for seed, derivative in (({"x1": 1}, 5.5), ({"x2": 1}, 1.716)):
        walk = steps(y, mode="forward", seed=seed)
        assert len(walk) == len(trace(y, mode="forward", seed=seed).tangent)
        assert walk[-1].value == pytest.approx(derivative, abs=5e-4)
        for step in walk:
            if step.kind == "step":  # v̇ = Σ local × the parent's v̇
                assert step.value == pytest.approx(sum(t.value for t in step.terms))
                assert all(t.source is t.parent and t.consumer is step.node for t in step.terms)
    assert steps(y, mode="forward")[-1].value == pytest.approx(5.5)  # default seed ẋ1 = 1
    v2 = steps(y, mode="forward")[3]                                  # v̇2 = v̇-1 × v0 + v̇0 × v-1
    assert [t.local_text for t in v2.terms] == ["v0", "v-1"] and v2.name == f"v{DOT}2"


def test_bad_arguments_say_what_is_wrong():
    with pytest.raises(TypeError, match="steps"):
        steps(3.0)
    with pytest.raises(ValueError, match="mode"):
        steps(slide(), mode="sideways")
    with pytest.raises(ValueError, match="0 … 10"):
        draw_dot(slide(), step=11)
    with pytest.raises(TypeError, match="step"):
        draw_dot(slide(), step="3")
    with pytest.raises(ValueError, match="another graph"):
        draw_dot(slide(), step=steps(slide())[2])


# ---------------------------------------------------------------- random graphs
UNARY = ("sin", "tanh", "sigmoid", "exp")
BINARY = ("+", "−", "×")


@st.composite
def graphs(draw):
    """A random graph: 1–3 inputs, up to 8 ops on earlier nodes or plain numbers, shared
    nodes (a node used twice, x × x) included; the output is the last node."""
    n = draw(st.integers(1, 3))
    pool = [Value(draw(st.floats(-1.5, 1.5)), f"x{i + 1}") for i in range(n)]
    for _ in range(draw(st.integers(1, 8))):
        a = pool[draw(st.integers(0, len(pool) - 1))]
        if draw(st.booleans()):
            name = draw(st.sampled_from(UNARY))
            pool.append({"sin": a.sin, "tanh": a.tanh, "sigmoid": a.sigmoid,
                         "exp": lambda a=a: a.tanh().exp()}[name]())
            continue
        b = draw(st.one_of(st.sampled_from(pool), st.floats(-2.0, 2.0)))
        if draw(st.booleans()):
            a, b = b, a
        if not isinstance(a, Value) and not isinstance(b, Value):
            a = pool[0]
        op = draw(st.sampled_from(BINARY))
        pool.append(a + b if op == "+" else a - b if op == "−" else a * b)
    y = pool[-1]
    if not y.parents:
        y = y * 1.5
    return y


@given(graphs())
def test_random_graphs_steps_are_the_trace_rows_and_backward(y):
    table = trace(y)
    walk = steps(y)
    names = table.names
    assert len(walk) == len(table.adjoint)
    edges_used = []
    before = {}
    for step, row in zip(walk, table.adjoint):
        assert (step.name, step.expr, step.node, step.upstream) == \
            (row.target, row.expr, row.node, row.upstream)
        if step.kind == "step":
            term, = step.terms
            assert term.consumer.parents[term.operand] is step.node
            assert term.local == term.consumer.local_grads[term.operand]
            assert step.value == pytest.approx(before.get(step.node, 0.0) + term.value)
            edges_used.append((term.consumer, term.operand))
            before[step.node] = step.value
    # every edge from a named node is used exactly once: the reverse sweep, edge by edge
    edges = [(node, i) for node in names for i, p in enumerate(node.parents) if p in names]
    assert sorted((id(c), i) for c, i in edges_used) == sorted((id(c), i) for c, i in edges)
    y.backward()
    for node, value in walk[-1].known.items():
        if not node.parents:
            assert value == pytest.approx(node.grad, rel=1e-12, abs=1e-12)


# ---------------------------------------------------------------- frames
def _ids_by_name(source):
    """{trace name: DOT node id} read from a frame's DOT source (records start with <b>name)."""
    found = {}
    for node_id, name in re.findall(r"^\s*(n\d+) \[label=<<table.*?<b>([^<]+)</b>", source,
                                    flags=re.M):
        found[name.split()[0]] = node_id
    return found


def _outlined(source, color):
    return re.findall(rf'^\s*(n\d+) \[label=<<table border="3" color="{color}"', source,
                      flags=re.M)


@pytest.mark.parametrize("build", [slide, neuron], ids=["slide", "neuron"])
def test_frame_k_highlights_the_rows_node_upstream_and_edge(build):
    y = build()
    table = trace(y)
    names = table.names
    for k, row in enumerate(table.adjoint):
        source = draw_dot(y, step=k).source
        ids = _ids_by_name(source)
        assert _outlined(source, TARGET_COLOR) == [ids[names[row.node]]]
        if row.upstream is None:
            assert _outlined(source, UPSTREAM_COLOR) == [] and STEP_EDGE not in source
            continue
        assert _outlined(source, UPSTREAM_COLOR) == [ids[names[row.upstream]]]
        edge, = [line for line in source.splitlines() if f"color=\"{STEP_EDGE}\"" in line
                 and "->" in line]
        operand = steps(y)[k].terms[0].operand
        assert edge.split()[0] == ids[names[row.node]]
        assert edge.split()[2].startswith(f"{ids[names[row.upstream]]}op:i{operand}:")
        # the record of the node computed shows its adjoint after the row, 3 decimals
        value = f"{names[row.node][:1]}{BAR}{names[row.node][1:]} = "
        assert value in source


def test_unknown_adjoints_are_question_marks_until_their_row():
    y = slide()
    first = draw_dot(y, step=0).source
    assert f"v{BAR}5 = 1.000" in first and first.count(" = ?") == 6
    last = draw_dot(y, step=10).source
    assert " = ?" not in last and f"v{BAR}-1 = 5.500" in last and f"v{BAR}0 = 1.716" in last


def _positions(svg_bytes):
    """Every record's name text and where it is drawn, from an SVG frame."""
    root = ET.fromstring(svg_bytes)
    ns = "{http://www.w3.org/2000/svg}"
    return sorted((t.text, t.get("x"), t.get("y")) for t in root.iter(f"{ns}text")
                  if t.text and re.fullmatch(r"v-?\d+( \w+)?", t.text))


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_every_frame_has_the_same_layout(mode):
    need("program:dot")
    y = neuron()
    walk = steps(y, mode=mode)
    layouts = {tuple(_positions(draw_dot(y, step=s, rankdir="TB").pipe(format="svg")))
               for s in walk}
    assert len(layouts) == 1 and len(layouts.pop()) == 10   # 10 Values, never moved


def test_gif_has_one_frame_per_step_all_of_one_size(tmp_path):
    need("program:dot")
    Image = pytest.importorskip("PIL.Image")
    from tinygrad_edu import render_animation
    for build, mode, count in ((slide, "reverse", 11), (neuron, "reverse", 15),
                               (slide, "forward", 8)):
        y = build()
        assert len(steps(y, mode=mode)) == count
        path = render_animation(y, tmp_path / f"{build.__name__}_{mode}.gif", mode=mode,
                                dpi=60)
        with Image.open(path) as gif:
            assert gif.n_frames == count
            sizes, durations = set(), []
            for k in range(gif.n_frames):
                gif.seek(k)
                sizes.add(gif.size)
                durations.append(gif.info["duration"])
            assert len(sizes) == 1
            assert durations[-1] > durations[0]           # a pause on the last frame


def test_render_animation_refuses_bad_arguments(tmp_path):
    from tinygrad_edu import render_animation
    with pytest.raises(ValueError, match="GIF"):
        render_animation(slide(), tmp_path / "a.png")
    with pytest.raises(ValueError, match="mode"):
        render_animation(slide(), tmp_path / "a.gif", mode="both")
    with pytest.raises(ValueError, match="pause"):
        render_animation(slide(), tmp_path / "a.gif", pause=-1)


def test_steps_are_values_not_views():
    walk = steps(slide())
    assert isinstance(walk[3], Step) and walk[3].walk is walk and walk[3].index == 3
    assert "walk" not in repr(walk[3])


# ---------------------------------------------------------------- the playground
@pytest.mark.parametrize("key", ["slide", "chain", "neuron"])
def test_playground_steps_the_same_rows(key):
    from tinygrad_edu.graph import evaluation_order
    from tinygrad_edu.playground.backprop import PRESETS, build, describe
    root, title = build({"source": "preset", "preset": key})
    graph = describe(root, title)
    walk = steps(PRESETS[key]["build"](PRESETS[key]["values"]))  # a fresh copy of the graph
    order = evaluation_order(walk.output)
    ids = {node: i for i, node in enumerate(order)}
    assert len(graph["adjoint"]) == len(walk)
    for row, step in zip(graph["adjoint"], walk):
        assert (row["target"], row["expr"], row["kind"]) == (step.name, step.expr, step.kind)
        assert row["node"] == ids[step.node]
        if step.kind == "step":
            term, = step.terms
            assert row["upstream"] == ids[term.consumer]
            edge = graph["edges"][row["edge"]]
            assert (edge["from"], edge["to"], edge["operand"]) == \
                (ids[step.node], ids[term.consumer], term.operand)
            assert (row["local_text"], row["local"]) == (term.local_text, term.local)


def test_frames_write_plain_numbers_in_their_op_not_as_records():
    w0, x0 = Value(2.0, "w0"), Value(-1.0, "x0")
    f = 1 / (1 + (-(w0 * x0)).exp())                    # two plain 1s
    source = draw_dot(f, step=3).source
    assert len(_ids_by_name(source)) == len(number_nodes(f)) == 7
    assert source.count("data ") == 7 and " = ?" in source
    assert f"y{BAR} = ?" not in source and f"f{BAR}" not in source


def test_seeds_and_sizes_follow_the_one_policy_of_checks():
    """True is 1 and a string is refused, as everywhere: steps(seed=True) was refused, and
    trace(seed="2") was silently read as 2.0 by float()."""
    from tinygrad_edu.animate import frames
    from tinygrad_edu.viz import to_dot
    y = slide()
    assert list(steps(y, seed=True)) == list(steps(y, seed=1)) != list(steps(y, seed=2))
    with pytest.raises(TypeError, match="trace: the seed ȳ needs a real number"):
        trace(y, seed="2")
    with pytest.raises(TypeError, match="steps: the reverse seed ȳ needs a real number"):
        steps(y, seed="2")
    assert to_dot(y, max_nodes=3.0) == to_dot(y, max_nodes=3)
    with pytest.raises(ValueError, match="dpi must be a whole number from 30 to 600, got 20"):
        frames(y, dpi=20)
