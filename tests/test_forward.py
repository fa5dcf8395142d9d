"""Forward mode: the slide's forward tangent trace, jvp, and forward == reverse.

Baydin et al.'s forward-mode table for y = ln(x1) + x1·x2 − sin(x2) at (2, 5): seeding
ẋ1 = 1 gives ẏ = ∂y/∂x1 = 5.5, seeding ẋ2 = 1 gives ẏ = ∂y/∂x2 = 1.716 — the numbers the
reverse trace gives as x̄1 and x̄2, one forward sweep per input instead of one backward sweep.
"""
import json
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st
from strategies import programs

from tinygrad_edu import Value, no_grad, trace
from tinygrad_edu.forward import TangentTrace, dot, jvp, propagate_tangents
from tinygrad_edu.graph import evaluation_order
from tinygrad_edu.higher import grad
from tinygrad_edu.trace import Trace

D = "\u0307"  # combining dot above, as in v̇


def slide_expression():
    x1, x2 = Value(2.0, "x1"), Value(5.0, "x2")
    return x1, x2, x1.log() + x1 * x2 - x2.sin()


def slide_f(x1, x2):
    return x1.log() + x1 * x2 - x2.sin()


# ------------------------------------------------------------- the slide's forward tangent trace
SLIDE_TANGENT_EXPRS = [
    ("v-1", "x1"), ("v0", "x2"), ("v1", "v-1 / v-1"), ("v2", "v-1 × v0 + v0 × v-1"),
    ("v3", "v0 × cos v0"), ("v4", "v1 + v2"), ("v5", "v4 − v3"), ("y", "v5"),
]


def dotted_expr(expr):
    """Dot the tangent names of the table above: only the first name of each product is a
    tangent (v̇-1 × v0), and every name of a sum or difference is (v̇4 − v̇3)."""
    table = {"x1": f"x{D}1", "x2": f"x{D}2", "v-1 / v-1": f"v{D}-1 / v-1",
             "v-1 × v0 + v0 × v-1": f"v{D}-1 × v0 + v{D}0 × v-1",
             "v0 × cos v0": f"v{D}0 × cos v0", "v1 + v2": f"v{D}1 + v{D}2",
             "v4 − v3": f"v{D}4 − v{D}3", "v5": f"v{D}5"}
    return table[expr]


def test_slide_forward_tangent_trace_x1_seeded():
    x1, x2, y = slide_expression()
    t = trace(y, mode="forward", seed={x1: 1})
    assert isinstance(t, TangentTrace)
    names = [r.name for r in t.tangent]
    exprs = [r.expr for r in t.tangent]
    assert names == [dot(n) for n, _ in SLIDE_TANGENT_EXPRS]
    assert names[0] == f"v{D}-1" and names[-1] == f"y{D}"
    assert exprs == [dotted_expr(e) for _, e in SLIDE_TANGENT_EXPRS]
    values = [r.value for r in t.tangent]
    assert values == pytest.approx([1, 0, 0.5, 5, 0, 5.5, 5.5, 5.5], abs=1e-15)
    assert t.derivative == 5.5
    assert t.value == pytest.approx(11.652071455223084)
    text = str(t)
    assert f"v{D}1  = v{D}-1 / v-1" in text
    assert f"y{D}   = v{D}5" in text and "= 5.500" in text


def test_slide_forward_tangent_trace_x2_seeded():
    x1, x2, y = slide_expression()
    t = trace(y, mode="forward", seed={x2: 1})
    values = [r.value for r in t.tangent]
    cos5 = math.cos(5.0)
    assert values == pytest.approx([0, 1, 0, 2, cos5, 2, 2 - cos5, 2 - cos5], abs=1e-15)
    assert round(t.derivative, 3) == 1.716
    assert f"{t.tangent[-1].value:.3f}" == "1.716"
    assert "= 0.284" in str(t) and "= 1.716" in str(t)


def test_forward_table_matches_reverse_trace_numbering_and_primal_rows():
    x1, x2, y = slide_expression()
    reverse = trace(y)
    forward = trace(y, mode="forward", seed={x1: 1})
    assert [(r.name, r.expr, r.value) for r in forward.forward] == \
        [(r.name, r.expr, r.value) for r in reverse.forward]
    assert [r.name for r in forward.tangent[:-1]] == [dot(r.name) for r in reverse.forward[:-1]]
    # one forward sweep per input gives the gradient the one reverse sweep gives
    both = [trace(y, mode="forward", seed={x: 1}).derivative for x in (x1, x2)]
    assert both == pytest.approx([reverse.gradients["x1"], reverse.gradients["x2"]], rel=1e-15)


def test_directional_seed_is_linear_in_the_seed():
    x1, x2, y = slide_expression()
    t = trace(y, mode="forward", seed={x1: 2, x2: -3})
    assert t.derivative == pytest.approx(2 * 5.5 - 3 * (2 - math.cos(5.0)), rel=1e-14)


def test_seed_by_name_trace_name_or_number():
    x1, x2, y = slide_expression()
    assert trace(y, mode="forward", seed={"x1": 1}).derivative == 5.5
    assert trace(y, mode="forward", seed={"v0": 1}).derivative == pytest.approx(1.7163378145)
    z = Value(0.3, "z")
    t = trace(z.sin(), mode="forward", seed=1)
    assert t.derivative == pytest.approx(math.cos(0.3), rel=1e-15)
    assert [r.expr for r in t.tangent] == [f"z{D}", f"v{D}0 × cos v0", f"v{D}1"]


def test_bad_seeds_and_modes_say_what_is_wrong():
    x1, x2, y = slide_expression()
    with pytest.raises(ValueError, match=r"not an input.*x1 \(v-1\), x2 \(v0\)"):
        trace(y, mode="forward", seed={"x3": 1})
    with pytest.raises(ValueError, match="not an input"):
        trace(y, mode="forward", seed={y: 1})           # an interior node is not an input
    with pytest.raises(TypeError, match="2 inputs"):
        trace(y, mode="forward", seed=1)
    with pytest.raises(TypeError, match="the tangent of x1 needs a real number"):
        trace(y, mode="forward", seed={x1: "one"})
    with pytest.raises(TypeError, match="seed="):
        trace(y, mode="forward", seed=[1, 0])
    with pytest.raises(ValueError, match="mode must be"):
        trace(y, mode="sideways")


def test_a_tangent_is_read_by_the_one_input_policy():
    """checks' policy, as in jvp and everywhere else: True is 1, a Decimal is a number."""
    from decimal import Decimal
    from fractions import Fraction

    x1, x2, y = slide_expression()
    by_float = trace(y, mode="forward", seed={x1: 1.0, x2: 0.5})
    for one, half in ((True, Fraction(1, 2)), (1, Decimal("0.5"))):
        t = trace(y, mode="forward", seed={x1: one, x2: half})
        assert t.derivative == by_float.derivative
        assert [r.value for r in t.tangent] == [r.value for r in by_float.tangent]
    z = Value(0.3, "z")
    assert trace(z.sin(), mode="forward", seed=True).derivative == math.cos(0.3)
    assert jvp(lambda a, b: a * b, [2.0, 3.0], [True, False])[1] == 3.0
    with pytest.raises(OverflowError, match="too large for a float"):
        trace(y, mode="forward", seed={x1: 10**400})


def test_constants_have_no_tangent_term():
    x = Value(1.5, "x")
    y = 3 * x + 2
    t = trace(y, mode="forward", seed={x: 1})
    # each term is tangent × local derivative, as the adjoint trace writes upstream × local
    assert [r.expr for r in t.tangent] == [f"x{D}", f"v{D}0 × 3", f"v{D}1", f"v{D}2"]
    assert t.derivative == 3.0
    n = Value(2.0, "n")
    t = trace(-(n * n) / 4, mode="forward", seed={n: 1})
    assert f"−v{D}1" in [r.expr for r in t.tangent]
    assert t.derivative == pytest.approx(-1.0, rel=1e-15)


def test_tangent_trace_renders_as_markdown_latex_dict_and_html():
    x1, x2, y = slide_expression()
    t = trace(y, mode="forward", seed={x1: 1})
    md = t.to_markdown()
    assert "**Forward tangent trace**" in md
    assert f"| v{D}2 | v{D}-1 × v0 + v{D}0 × v-1 | 5.000 |" in md
    tex = t.to_latex()
    assert r"\dot{v}_{1} & = \dot{v}_{-1} / v_{-1} & = 0.500 \\" in tex
    assert r"\dot{y} & = \dot{v}_{5} & = 5.500 \\" in tex
    d = json.loads(json.dumps(t.to_dict()))
    assert d["derivative"] == 5.5
    assert [i["tangent"] for i in d["inputs"]] == [1.0, 0.0]
    assert d["tangent"][2] == {"name": f"v{D}1", "expr": f"v{D}-1 / v-1", "value": 0.5}
    page = t._repr_html_()
    assert "<caption>Forward tangent trace</caption>" in page and "5.500" in page
    assert "ẏ" in repr(t).replace(f"y{D}", "ẏ") and "5.500" in repr(t)


def test_trace_forward_touches_no_grad():
    x1, x2, y = slide_expression()
    for node in evaluation_order(y):
        node.grad = 7.0
    trace(y, mode="forward", seed={x1: 1})
    jvp(slide_f, [2.0, 5.0], [1.0, 0.0])
    assert all(node.grad == 7.0 for node in evaluation_order(y))


# ---------------------------------------------------------------- jvp
def test_jvp_slide_numbers():
    value, d1 = jvp(slide_f, [2, 5], [1, 0])
    _, d2 = jvp(slide_f, [2, 5], [0, 1])
    assert value == pytest.approx(11.652, abs=5e-4)
    assert d1 == 5.5
    assert round(d2, 3) == 1.716


def test_jvp_of_a_list_of_outputs_and_of_constants():
    values, dots = jvp(lambda a, b: [a * b, a + 1, 4.0], [3.0, -2.0], [1.0, 10.0])
    assert values == [-6.0, 4.0, 4.0]
    assert dots == [1.0 * -2.0 + 10.0 * 3.0, 1.0, 0.0]
    assert jvp(lambda a: a.sin(), 0.5, 1.0) == (math.sin(0.5), math.cos(0.5))


def test_jvp_bad_input():
    with pytest.raises(ValueError, match="2 inputs but 1 tangents"):
        jvp(slide_f, [2, 5], [1])
    with pytest.raises(TypeError, match=r"xs\[1\] needs a real number"):
        jvp(slide_f, [2, "5"], [1, 0])
    with pytest.raises(TypeError, match="must return a Value"):
        jvp(lambda a: "a", [1.0], [1.0])
    with no_grad(), pytest.raises(RuntimeError, match="no_grad"):
        jvp(slide_f, [2, 5], [1, 0])


def test_propagate_tangents_on_a_100k_node_chain():
    x = Value(0.5, "x")
    v = x
    for _ in range(100_000):
        v = v * 0.99999 + 0.00001
    tangent = propagate_tangents(v, {x: 1.0})
    assert tangent[v] == pytest.approx(0.99999 ** 100_000, rel=1e-9)
    assert tangent[v] == pytest.approx(grad(v, x), rel=1e-12)


# ---------------------------------------------------------------- forward == reverse
@given(programs())
def test_forward_mode_agrees_with_reverse_mode_on_random_expressions(program):
    point = program.point
    inputs, y = program.values()
    reverse = grad(y, inputs)
    in_graph = set(evaluation_order(y))
    for i, x in enumerate(inputs):
        seed = [1.0 if j == i else 0.0 for j in range(len(inputs))]
        _, forward = jvp(program.function(), point, seed)
        assert forward == pytest.approx(reverse[i], rel=1e-9, abs=1e-12)
        if x in in_graph:
            assert trace(y, mode="forward", seed={x: 1}).derivative == \
                pytest.approx(reverse[i], rel=1e-9, abs=1e-12)
        else:
            assert reverse[i] == 0.0 and forward == 0.0
    y.backward()
    assert [x.grad for x in inputs] == pytest.approx(reverse, rel=1e-12, abs=1e-15)


@given(programs(), st.lists(st.floats(-3, 3), min_size=3, max_size=3))
def test_jvp_is_the_gradient_dotted_with_the_direction(program, direction):
    point = program.point
    direction = direction[:len(point)]
    inputs, y = program.values()
    gradient = grad(y, inputs)
    _, derivative = jvp(program.function(), point, direction)
    expected = math.fsum(g * d for g, d in zip(gradient, direction))
    scale = math.fsum(abs(g * d) for g, d in zip(gradient, direction))
    assert abs(derivative - expected) <= 1e-9 * scale + 1e-12


def test_tangent_trace_of_a_single_input_graph_is_its_own_output():
    x = Value(4.0, "x")
    t = TangentTrace(x, {x: 2.5})
    assert [(r.name, r.expr, r.value) for r in t.tangent] == \
        [(f"v{D}0", f"x{D}", 2.5), (f"x{D}", f"v{D}0", 2.5)]  # the output keeps its label
    assert isinstance(trace(x), Trace)


def test_registered_atan_in_forward_mode(atan_op):
    value, slope = jvp(lambda x: x.atan() * 2.0, [0.5], [1.0])
    assert value == 2 * math.atan(0.5)
    assert slope == pytest.approx(2 / 1.25, rel=1e-15)   # d atan x/dx = 1 / (1 + x²)
