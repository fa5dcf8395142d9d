"""The evaluation-trace tables: the slide's example in every format, and the graph floor.

The numbers are the slide's (Baydin et al.'s table in "Neural Networks", Natasha Jaques):
y = ln(x1) + x1·x2 − sin(x2) at x1 = 2, x2 = 5 — forward v1 = 0.693 … v5 = 11.652, and the
adjoint rows in execution order ending with x̄1 = 5.5, x̄2 = 1.716.
"""
import contextlib
import io
import json
import math
import unicodedata

import pytest

from tinygrad_edu import Value, trace
from tinygrad_edu.cli import main
from tinygrad_edu.engine import Constant
from tinygrad_edu.forward import TangentTrace
from tinygrad_edu.graph import depths, evaluation_order, flatten, number_nodes
from tinygrad_edu.table import TraceTable, operand_text
from tinygrad_edu.trace import Trace

# the slide's table, row by row: (left, expression, value as printed on the slide)
SLIDE_FORWARD = [("v-1", "x1", 2), ("v0", "x2", 5), ("v1", "ln v-1", 0.693),
                 ("v2", "v-1 × v0", 10), ("v3", "sin v0", -0.959), ("v4", "v1 + v2", 10.693),
                 ("v5", "v4 − v3", 11.652), ("y", "v5", 11.652)]
# ȳ is y + a combining macron, as the trace writes every adjoint (not the precomposed ȳ)
Y_BAR = unicodedata.normalize("NFD", "ȳ")
SLIDE_ADJOINT = [("v̄5", Y_BAR, 1), ("v̄4", "v̄5 × 1", 1), ("v̄3", "v̄5 × (−1)", -1),
                 ("v̄1", "v̄4 × 1", 1), ("v̄2", "v̄4 × 1", 1), ("v̄0", "v̄3 × cos v0", -0.284),
                 ("v̄-1", "v̄2 × v0", 5), ("v̄0", "v̄0 + v̄2 × v-1", 1.716),
                 ("v̄-1", "v̄-1 + v̄1 / v-1", 5.5), ("x̄1", "v̄-1", 5.5), ("x̄2", "v̄0", 1.716)]


def slide():
    x1, x2 = Value(2.0, "x1"), Value(5.0, "x2")
    return x1.log() + x1 * x2 - x2.sin()


def printed(x: float) -> str:
    """A slide number as the tables print it: three decimals and a true minus sign."""
    return f"{x:.3f}".replace("-", "−")


def run_cli(*argv):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


# ---------------------------------------------------------------- the slide, every format
def test_slide_rows_and_values():
    t = trace(slide())
    assert [(r.name, r.expr) for r in t.forward] == [(a, b) for a, b, _ in SLIDE_FORWARD]
    assert [round(r.value, 3) for r in t.forward] == [v for _, _, v in SLIDE_FORWARD]
    assert [(r.target, r.expr) for r in t.adjoint] == [(a, b) for a, b, _ in SLIDE_ADJOINT]
    assert [round(r.value, 3) for r in t.adjoint] == [v for _, _, v in SLIDE_ADJOINT]


def test_slide_markdown():
    md = trace(slide()).to_markdown()
    assert md.count("| | expression | value |") == 2
    assert "**Forward primal trace**" in md and "**Reverse adjoint trace**" in md
    for left, expr, value in SLIDE_FORWARD + SLIDE_ADJOINT:
        assert f"| {left} | {expr} | {printed(value)} |" in md
    # the adjoint rows appear in the slide's execution order
    positions = [md.index(f"| {a} | {b} |") for a, b, _ in SLIDE_ADJOINT]
    assert positions == sorted(positions)


def test_slide_latex():
    tex = trace(slide()).to_latex()
    assert tex.count(r"\begin{array}{lll}") == 2 and tex.count(r"\end{array}") == 2
    for line in (r"v_{-1} & = x1 & = 2.000 \\",
                 r"v_{1} & = \ln v_{-1} & = 0.693 \\",
                 r"v_{2} & = v_{-1} \times v_{0} & = 10.000 \\",
                 r"v_{3} & = \sin v_{0} & = -0.959 \\",
                 r"v_{5} & = v_{4} - v_{3} & = 11.652 \\",
                 r"\bar{v}_{5} & = \bar{y} & = 1.000 \\",
                 r"\bar{v}_{3} & = \bar{v}_{5} \times (-1) & = -1.000 \\",
                 r"\bar{v}_{0} & = \bar{v}_{3} \times \cos v_{0} & = -0.284 \\",
                 r"\bar{v}_{0} & = \bar{v}_{0} + \bar{v}_{2} \times v_{-1} & = 1.716 \\",
                 r"\bar{v}_{-1} & = \bar{v}_{-1} + \bar{v}_{1} / v_{-1} & = 5.500 \\",
                 r"\bar{x}_{1} & = \bar{v}_{-1} & = 5.500 \\"):
        assert line in tex.splitlines(), line


def test_slide_html():
    page = trace(slide())._repr_html_()
    assert page.count("<table>") == 2
    assert "<caption>Reverse adjoint trace</caption>" in page
    for left, expr, value in SLIDE_ADJOINT:
        assert (f"<tr><td>{left}</td><td>=</td><td>{expr}</td><td>=</td>"
                f"<td style='text-align:right'>{printed(value)}</td></tr>") in page


def test_slide_dict_is_json_ready():
    document = json.loads(json.dumps(trace(slide()).to_dict()))
    assert document["output"]["name"] == "y"
    assert round(document["output"]["value"], 3) == 11.652
    assert [(i["name"], i["label"], i["value"]) for i in document["inputs"]] == \
        [("v-1", "x1", 2), ("v0", "x2", 5)]
    assert [(r["name"], r["expr"]) for r in document["forward"]] == \
        [(a, b) for a, b, _ in SLIDE_FORWARD]
    assert [(r["target"], r["expr"], round(r["value"], 3)) for r in document["adjoint"]] == \
        [(a, b, v) for a, b, v in SLIDE_ADJOINT]
    assert document["gradients"]["x1"] == 5.5
    assert document["gradients"]["x2"] == pytest.approx(2 - math.cos(5), abs=1e-15)


def test_adjoint_rows_name_the_operand_they_reached():
    t = trace(slide())
    steps = [(t.names[r.upstream], r.operand, t.names[r.node]) for r in t.adjoint
             if r.upstream is not None]
    # v5 = v4 − v3: v4 is operand 0, v3 operand 1; v2 = v-1 × v0 reaches both its operands
    assert steps == [("v5", 0, "v4"), ("v5", 1, "v3"), ("v4", 0, "v1"), ("v4", 1, "v2"),
                     ("v3", 0, "v0"), ("v2", 0, "v-1"), ("v2", 1, "v0"), ("v1", 0, "v-1")]
    for r in t.adjoint:
        if r.upstream is not None:
            assert r.upstream.parents[r.operand] is r.node


def test_operand_index_skips_nothing_when_a_constant_comes_first():
    x = Value(3.0, "x")
    t = trace(2.0 - x)  # the constant 2 is operand 0: the one adjoint step reaches operand 1
    (step,) = [r for r in t.adjoint if r.upstream is not None]
    assert step.operand == 1 and step.expr == "v̄1 × (−1)" and step.value == -1.0


def test_trace_never_touches_grad():
    y = slide()
    trace(y)
    assert all(node.grad == 0.0 for node in evaluation_order(y))


# ---------------------------------------------------------------- both traces share one table
def test_tangent_and_adjoint_traces_share_the_table_and_the_primal_rows():
    y = slide()
    reverse, forward = trace(y), trace(y, mode="forward", seed={"x1": 1})
    assert isinstance(reverse, TraceTable) and isinstance(forward, TraceTable)
    assert [(r.name, r.expr, r.value) for r in forward.forward] == \
        [(r.name, r.expr, r.value) for r in reverse.forward]
    # Baydin et al.'s forward-mode table: ẋ1 = 1 gives ẏ = 5.5, the reverse sweep's x̄1
    assert forward.derivative == reverse.gradients["x1"] == 5.5
    assert r"\dot{v}_{1} & = \dot{v}_{-1} / v_{-1} & = 0.500 \\" in forward.to_latex()
    assert "| v̇1 | v̇-1 / v-1 | 0.500 |" in forward.to_markdown()


def test_operand_text_brackets_negative_numbers_everywhere():
    x = Value(2.0, "x")
    y = x * -3.0
    names = number_nodes(y)
    assert [operand_text(p, names) for p in y.parents] == ["v0", "(−3)"]
    assert trace(y).forward[1].expr == "v0 × (−3)"
    assert TangentTrace(y, 1.0).tangent[1].expr == "v̇0 × (−3)"


# ---------------------------------------------------------------- the graph floor
def test_numbering_carries_its_orders():
    y = slide()
    numbering = number_nodes(y)
    assert [numbering[n] for n in numbering.order] == \
        ["v-1", "v0", "v1", "v2", "v3", "v4", "v5"]
    assert [n.label for n in numbering.inputs] == ["x1", "x2"]
    assert numbering.order[-1] is y
    assert [numbering.depth[n] for n in numbering.order] == [0, 0, 1, 1, 1, 2, 3]


def test_one_walk_puts_every_node_after_its_operands_without_recursion():
    x = Value(0.5, "x")
    y = x
    for _ in range(200_000):  # far past Python's recursion limit
        y = y * 1.0
    order = evaluation_order(y)
    assert order[0] is x and order[-1] is y and len(order) == 400_001  # + a constant each
    depth = depths(order)
    assert depth[y] == 200_000


def test_flat_export_lists_parents_by_index_and_backward_order():
    x1, x2 = Value(2.0, "x1"), Value(5.0, "x2")
    w = Value(0.5, "w")
    y = (x1 * w + x2) * 3.0
    flat = flatten(y, [x1, x2])
    assert flat.nodes[:2] == [x1, x2] and flat.n_inputs == 2
    leaves = flat.nodes[:flat.n_leaves]
    assert w in leaves and [type(flat.nodes[i]) for i in flat.constants] == [Constant]
    assert flat.nodes[flat.output] is y
    for i, node in enumerate(flat.nodes):
        assert tuple(flat.nodes[p] for p in flat.parents[i]) == node.parents
        assert flat.local_grads[i] == node.local_grads and flat.ops[i] == node.op
        assert all(p < i for p in flat.parents[i])  # each after its operands
    with pytest.raises(ValueError, match="distinct leaf"):
        flatten(y, [x1, x1])


# ---------------------------------------------------------------- issue 13, item 10
def test_a_constant_output_has_no_inputs_and_no_gradients():
    t = trace(Constant(3.0))
    assert t.inputs == [] and t.gradients == {}
    assert [(r.name, r.expr, r.value) for r in t.forward] == [("y", "3", 3.0)]
    assert [(r.target, r.expr, r.value) for r in t.adjoint] == [(Y_BAR, "1", 1.0)]
    tangent = trace(Constant(3.0), mode="forward", seed={})
    assert tangent.derivative == 0.0


def test_constants_only_graph_shows_its_operation_and_no_inputs():
    t = trace(Constant(3.0) + 4.0)
    assert [(r.name, r.expr) for r in t.forward] == [("v1", "3 + 4"), ("y", "v1")]
    assert t.gradients == {} and [r.target for r in t.adjoint] == ["v̄1"]


@pytest.mark.parametrize("expression", ["3", "2 * 3"])
def test_cli_trace_of_a_constant_invents_no_input(expression):
    code, out, _ = run_cli("trace", expression, "--check")
    assert code == 0
    assert "x1" not in out and "∂y/∂" not in out and "v0" not in out
    assert "nothing to check: the expression has no variables" in out
    code, out, _ = run_cli("trace", expression, "--format", "json", "--check")
    document = json.loads(out)
    assert document["inputs"] == [] and document["gradients"] == {}
    assert document["check"]["inputs"] == []
    assert document["output"]["value"] == eval(expression)  # plain arithmetic, the reference


# ---------------------------------------------------------------- issue 13, item 11
def test_variables_named_like_trace_nodes_move_the_trace_to_another_letter():
    a, b = Value(2.0, "v0"), Value(5.0, "v1")
    t = trace(a * b + a)
    targets = [r.target for r in t.adjoint]
    assert targets == ["w̄2", "w̄1", "w̄-1", "w̄-1", "w̄0", "v̄0", "v̄1"]
    assert [r.name for r in t.forward] == ["w-1", "w0", "w1", "w2", "y"]
    assert [r.expr for r in t.forward][:2] == ["v0", "v1"]
    assert t.gradients == {"v0": 6.0, "v1": 2.0}  # ∂(ab + a)/∂a = b + 1, ∂/∂b = a
    assert r"w_{-1} & = v0 & = 2.000 \\" in t.to_latex()
    assert len(set(targets[:5]) & {"v̄0", "v̄1"}) == 0


def test_output_label_like_a_node_name_moves_the_letter_too():
    x = Value(2.0, "x")
    y = x * x
    y.label = "v1"
    t = trace(y)
    assert [r.name for r in t.forward] == ["w0", "w1", "v1"]


def test_cli_variables_v0_and_v1_get_one_meaning_each():
    code, out, _ = run_cli("trace", "v0 * v1 + v0", "v0=2", "v1=5", "--format", "json")
    assert code == 0
    document = json.loads(out)
    targets = [r["target"] for r in document["adjoint"]]
    assert targets[-2:] == ["v̄0", "v̄1"]
    assert not {"v̄0", "v̄1"} & set(targets[:-2])
    assert document["gradients"] == {"v0": 6.0, "v1": 2.0}
    code, out, _ = run_cli("trace", "v0 * v1 + v0", "v0=2", "v1=5")
    assert code == 0 and f"v̄1 = {Y_BAR}" not in out and "∂y/∂v0 = 6" in out


def test_trace_refuses_a_non_value():
    with pytest.raises(TypeError, match="needs a Value, got float"):
        Trace(3.0)


# ---------------------------------------------------------------- a registered op (issue 14 §1)
def test_registered_atan_in_the_trace_notation_and_adjoint_rows(atan_op):
    x = Value(0.5, "x")
    t = trace(x.atan() * x)                    # d/dx x·atan x = atan x + x / (1 + x²)
    assert [(r.name, r.expr) for r in t.forward] == \
        [("v0", "x"), ("v1", "atan v0"), ("v2", "v1 × v0"), ("y", "v2")]
    assert ("v̄0", "v̄0 + v̄1 × (1 / (1 + v0²))") in [(r.target, r.expr) for r in t.adjoint]
    assert t.gradients["x"] == pytest.approx(math.atan(0.5) + 0.5 / 1.25, rel=1e-15)
    assert r"v_{1} & = \arctan v_{0} & = 0.464 \\" in t.to_latex()


def test_registered_atan_in_the_tangent_trace(atan_op):
    x = Value(0.5, "x")
    t = trace(x.atan(), mode="forward", seed=1.0)
    assert t.tangent[1].expr == "v̇0 × (1 / (1 + v0²))"
    assert t.derivative == pytest.approx(1 / 1.25, rel=1e-15)


def test_negative_zero_is_written_as_zero():
    from tinygrad_edu.table import format_value

    assert format_value(-0.0) == "0.000"
    assert format_value(0.0) == "0.000"
    assert format_value(-0.0004) == "−4.000e−04"   # a small negative keeps its sign
    x = Value(0.0, label="x")
    y = x * -1.0                                   # −0.0 in IEEE arithmetic
    assert math.copysign(1.0, y.data) == -1.0
    assert trace(y).forward[-1].value == y.data
    assert "−0.000" not in str(trace(y))
