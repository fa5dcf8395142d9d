"""The fast tape (``compile(..., exact=False)``) against the engine, its oracle.

The fast tape may add in another order than the engine (a matrix product, the backward
scatter-adds), so values and gradients are compared to a tolerance, stated here once:

    |fast − engine| ≤ 1e-12 · (|engine| + S)

where S is the sum of the sizes of what was added: for a gradient ∂y/∂x, the sum over every
path from x to y of |upstream × local| (a backward pass with |local| in place of each local
gradient, :func:`absolute_adjoints`); for the output y, Σ over the graph's additions of
|∂y/∂node| · (|a| + |b|). Where nothing cancels S is about the result itself, and the bound is
1e-12 relative; where a sum cancels, the bound is relative to the terms, which is what a
reordered floating-point sum can promise. Random programs avoid the kinks of relu, max, min
and abs by a margin (``strategies.near_kink``): at a kink, a last-bit difference in an operand
legitimately picks the other branch.
"""
import math
import random

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

np = pytest.importorskip("numpy")

from conftest import need  # noqa: E402
from strategies import Rejected, near_kink, programs  # noqa: E402
from test_tape import (  # noqa: E402
    HOSTILE,
    UNSQUASHED,
    batch_fn,
    engine_run,
    hostile_rows,
    moons_problem,
    recordable_rows,
    rows_near,
    same_outcome,
    tape_run,
)

from tinygrad_edu import Value, compile, data, fit, losses, nn, no_grad, optim  # noqa: E402
from tinygrad_edu.array_program import GridStep, OpStep  # noqa: E402
from tinygrad_edu.graph import flatten  # noqa: E402
from tinygrad_edu.ops import DivisionByZero, DomainError, OpError, OpOverflow  # noqa: E402

TOL = 1e-12


def absolute_adjoints(output, leaves):
    """(S for each leaf's gradient, S for the output): the sizes of what backward and
    forward add, from a pass with |local gradient| on every edge (see the module docstring)."""
    flat = flatten(output)
    size = [0.0] * len(flat.nodes)
    size[flat.output] = 1.0
    value_scale = 0.0
    for i in range(len(flat.nodes) - 1, flat.n_leaves - 1, -1):
        if flat.ops[i] in ("+", "−"):
            value_scale += size[i] * sum(abs(flat.data[p]) for p in flat.parents[i])
        for p, local in zip(flat.parents[i], flat.local_grads[i]):
            size[p] += abs(local) * size[i]
    where = {id(node): k for k, node in enumerate(flat.nodes)}
    return [size[where[id(v)]] if id(v) in where else 0.0 for v in leaves], value_scale


def assert_close(got, expected, scales, what):
    for i, (a, b, s) in enumerate(zip(got, expected, scales)):
        if b != b or math.isinf(b):
            assert a == b or (a != a and b != b), f"{what}[{i}]: fast {a!r}, engine {b!r}"
            continue
        bound = TOL * (abs(b) + s)
        assert abs(a - b) <= bound, f"{what}[{i}]: fast {a!r}, engine {b!r}, bound {bound:.3g}"


def assert_fast_matches_engine(tape, fn, params, *inputs):
    """Output, parameter gradients and input gradients of one replay, against the engine."""
    assert tape.exact is False
    for p in params:
        p.grad = 0.0
    leaves = [np.array([Value(x) for x in np.ravel(a).tolist()], dtype=object)
              .reshape(np.shape(a)) for a in inputs]
    out = fn(*[arr.tolist() if arr.ndim else arr.item() for arr in leaves])
    flat_leaves = [v for arr in leaves for v in arr.ravel()]
    grad_scale, value_scale = absolute_adjoints(out, list(params) + flat_leaves)
    e_value, e_params, e_inputs = engine_run(fn, params, *inputs)
    t_value, t_params, t_inputs = tape_run(tape, params, *inputs)
    assert_close([t_value], [e_value], [value_scale], "output")
    assert_close(t_params, e_params, grad_scale[:len(params)], "parameter grad")
    assert_close(t_inputs, e_inputs, grad_scale[len(params):], "input grad")


def kinds(tape):
    return [type(step).__name__ for step in tape._steps]


# ---------------------------------------------------------------- random programs
@settings(max_examples=max(10, settings().max_examples // 2))
@given(program=programs(max_steps=8), rows=st.sampled_from([1, 5, 30]),
       seed=st.integers(0, 2**16))
def test_random_programs_fast_tape_matches_the_engine(program, rows, seed):
    """Every op of the table (the registered atan too) in random programs, one row per sample:
    new inputs and parameters at each replay, values and gradients within the tolerance."""
    rng = random.Random(seed)
    weights = [Value(rng.uniform(0.5, 1.5)) for _ in program.point]
    fn = batch_fn(program, weights)
    away_from_kinks = batch_fn(program, weights, near_kink(1e-6))
    tape = compile(fn, rows_near(program, rng, rows), exact=False)
    for replay in range(3):
        X = rows_near(program, rng, rows)
        try:
            away_from_kinks([[Value(x) for x in row] for row in X])
        except Rejected:
            event("a replay near a kink, skipped")
            continue
        except OpError:
            event("the engine fails here")
            continue
        assert_fast_matches_engine(tape, fn, weights, X)
        for w in weights:
            w.data = rng.uniform(-1.5, 1.5)


def test_every_op_has_a_step_and_atan_runs_through_the_op_table(atan_op):
    rng = random.Random(1)
    w = Value(0.7)

    def fn(X):
        return sum(((a * w).atan() * b + (a - b).relu() for a, b in X), Value(0.0))

    X = [[rng.uniform(-2, 2), rng.uniform(-2, 2)] for _ in range(20)]
    tape = compile(fn, X, exact=False)
    atan_steps = [s for s in tape._steps if isinstance(s, OpStep) and s.name == "atan"]
    assert len(atan_steps) == 1 and atan_steps[0].form is None   # no numpy form: per element
    relu_steps = [s for s in tape._steps if isinstance(s, OpStep) and s.name == "relu"]
    assert relu_steps and relu_steps[0].form is not None
    X2 = [[a + 0.5, -b] for a, b in X]                             # relu branches flip
    assert_fast_matches_engine(tape, fn, [w], X2)
    expected = sum(b * a / (1 + (a * 0.7) ** 2) for a, b in X2)  # ∂/∂w Σ b·atan(aw)
    assert w.grad == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("form, used", [
    (lambda np, a: (np.arctan(a), 1.0 / (1.0 + a * a)), True),
    (lambda np, a: (np.arctan(a) + 1e-9, 1.0 / (1.0 + a * a)), False),  # disagrees with its row
])
def test_an_op_brings_its_numpy_form_in_its_row(atan_op, monkeypatch, form, used):
    """The fast tape reads an op's numpy form from its row (Op.array), and checks it against
    the row's float function before trusting it."""
    import dataclasses

    from tinygrad_edu import array_program
    from tinygrad_edu.ops import OPS
    monkeypatch.setitem(OPS, "atan", dataclasses.replace(atan_op, array=form))
    monkeypatch.setattr(array_program, "_checked", {})
    w = Value(0.7)

    def fn(X):
        return sum(((a * w).atan() * b for a, b in X), Value(0.0))

    X = [[0.1 * k - 1.0, 0.05 * k] for k in range(20)]
    tape = compile(fn, X, exact=False)
    (step,) = [s for s in tape._steps if isinstance(s, OpStep) and s.name == "atan"]
    assert (step.form is not None) is used
    assert_fast_matches_engine(tape, fn, [w], X)


def test_a_numpy_form_with_a_bug_names_its_op(atan_op, monkeypatch):
    import dataclasses

    from tinygrad_edu import array_program
    from tinygrad_edu.ops import OPS
    broken = dataclasses.replace(atan_op, array=lambda np, a: (np.arctann(a), 1.0))
    monkeypatch.setitem(OPS, "atan", broken)
    monkeypatch.setattr(array_program, "_checked", {})
    w = Value(0.7)
    with pytest.raises(AttributeError) as caught:
        compile(lambda X: sum(((a * w).atan() for a in X), Value(0.0)), [0.1, 0.2], exact=False)
    assert "in op 'atan''s numpy form (Op.array)" in "\n".join(caught.value.__notes__)


# ---------------------------------------------------------------- MLPs: the structure found
@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid", "leaky_relu"])
def test_mlp_layers_become_matrix_products_and_match_the_engine(activation):
    X, model, loss_fn = moons_problem(n=40, activation=activation)
    params = model.parameters()
    tape = compile(loss_fn, X, exact=False)
    grids = [s for s in tape._steps if isinstance(s, GridStep)]
    assert sorted(g.shape for g in grids) == [(40, 1), (40, 16), (40, 16)]   # one per layer
    rng = random.Random(2)
    for step in range(3):
        X2 = [[a + rng.gauss(0, 0.7), b + rng.gauss(0, 0.7)] for a, b in X]   # units flip
        assert_fast_matches_engine(tape, loss_fn, params, X2)
        for p in params:
            p.data -= 0.5 * p.grad


def test_relu_units_flip_between_record_and_replay():
    X, model, loss_fn = moons_problem(n=30, hidden=(8,))
    tape = compile(loss_fn, X, exact=False)
    first = model.layers[0]
    before = [[(sum(w.data * x for w, x in zip(n.w, row)) + n.b.data) > 0 for n in first.neurons]
              for row in X]
    X2 = [[-a, -b] for a, b in X]
    after = [[(sum(w.data * x for w, x in zip(n.w, row)) + n.b.data) > 0 for n in first.neurons]
             for row in X2]
    assert before != after                       # the replay really takes other branches
    assert_fast_matches_engine(tape, loss_fn, model.parameters(), X2)


def test_either_order_of_the_product_operands_still_forms_a_grid():
    rng = random.Random(3)
    W = [[Value(rng.uniform(-1, 1)) for _ in range(6)] for _ in range(4)]

    def fn(X):
        total = Value(0.0)
        for i, x in enumerate(X):
            for k, w in enumerate(W):
                terms = [wj * xj if (i + j + k) % 2 else xj * wj for j, (wj, xj)
                         in enumerate(zip(w, x))]
                z = terms[0]
                for t in terms[1:]:
                    z = z + t
                total = total + z.max(z * 0.1).abs()   # a max / abs graph
        return total

    X = [[rng.uniform(-1, 1) for _ in range(6)] for _ in range(10)]
    tape = compile(fn, X, exact=False)
    assert [s.shape for s in tape._steps if isinstance(s, GridStep)] == [(10, 4)]
    assert_fast_matches_engine(tape, fn, [w for row in W for w in row], X)
    X2 = [[-x for x in row] for row in X]        # max and abs take the other sides
    assert_fast_matches_engine(tape, fn, [w for row in W for w in row], X2)


def test_a_grid_of_two_inputs_runs_its_longer_side_down_the_rows():
    def fn(A, B):                                # Σ_{i,k} relu(a_i · b_k): no parameters
        total = Value(0.0)
        for a in A:
            for b in B:
                z = a[0] * b[0]
                for x, y in zip(a[1:], b[1:]):
                    z = z + x * y
                total = total + z.relu()
        return total

    rng = random.Random(4)
    A = [[rng.uniform(-1, 1) for _ in range(8)] for _ in range(3)]
    B = [[rng.uniform(-1, 1) for _ in range(8)] for _ in range(10)]
    tape = compile(fn, A, B, exact=False)
    assert [s.shape for s in kinds_of(tape, GridStep)] == [(10, 3)]
    assert_fast_matches_engine(tape, fn, [], A, B)


def test_sums_that_are_no_grid_keep_the_engines_order_bit_for_bit():
    w = [Value(0.1 * k) for k in range(5)]

    def fn(X):
        return sum((sum((wk * xk for wk, xk in zip(w, x)), Value(0.5)) * x[0] for x in X),
                   Value(0.0))

    X = [[1.0 + 0.3 * i + 0.01 * k for k in range(5)] for i in range(3)]
    tape = compile(fn, X, exact=False)
    assert "SumStep" in kinds(tape) and "GridStep" not in kinds(tape)
    assert tape(X) == fn([[Value(x) for x in row] for row in X]).data


# ---------------------------------------------------------------- digits-sized, against PyTorch
def test_digits_sized_mlp_cross_entropy_matches_engine_and_pytorch():
    torch = need("torch")
    need("sklearn")
    X, y = data.digits("train", seed=0)
    X, y = X[:32], y[:32]
    model = nn.MLP(64, [32, 10], seed=0)
    params = model.parameters()
    onehot = [[float(j == t) for j in range(10)] for t in y]

    def loss_fn(X, T):
        return losses.cross_entropy([model(x) for x in X], T)

    tape = compile(loss_fn, X, onehot, exact=False)
    assert sorted(s.shape for s in kinds_of(tape, GridStep)) == [(32, 10), (32, 32)]
    assert_fast_matches_engine(tape, loss_fn, params, X, onehot)
    X2, y2 = data.digits("train", seed=0)
    X2, y2 = X2[32:64], y2[32:64]
    onehot2 = [[float(j == t) for j in range(10)] for t in y2]
    assert_fast_matches_engine(tape, loss_fn, params, X2, onehot2)
    weights = [torch.tensor([[w.data for w in n.w] + [n.b.data] for n in layer.neurons],
                            dtype=torch.float64, requires_grad=True) for layer in model.layers]
    h = torch.tensor(X2, dtype=torch.float64)
    for k, W in enumerate(weights):
        h = h @ W[:, :-1].T + W[:, -1]
        if k < len(weights) - 1:
            h = h.relu()
    loss = torch.nn.functional.cross_entropy(h, torch.tensor(y2))
    loss.backward()
    for p in params:
        p.grad = 0.0
    assert tape(X2, onehot2) == pytest.approx(loss.item(), rel=1e-12)
    tape.backward()
    expected = [g for W in weights for row in W.grad.tolist() for g in row]
    assert [p.grad for p in params] == pytest.approx(expected, rel=1e-9, abs=1e-15)


def kinds_of(tape, kind):
    return [s for s in tape._steps if isinstance(s, kind)]


# ---------------------------------------------------------------- NaN, inf and errors
def test_nan_propagates_through_relu_max_min_abs_as_in_the_engine():
    w = Value(0.5)

    def fn(X):
        return sum(((x * w).relu() + x.max(y) + y.min(x) + (x - y).abs() for x, y in X),
                   Value(0.0))

    X = [[1.0, -1.0]] * 8
    tape = compile(fn, X, exact=False)
    bad = [[1.0, -1.0]] * 7 + [[math.nan, 2.0]]
    assert math.isnan(fn([[Value(a), Value(b)] for a, b in bad]).data)
    assert math.isnan(tape(bad))
    tape.backward()
    e_value, e_params, e_inputs = engine_run(fn, [w], bad)
    t_value, t_params, t_inputs = tape_run(tape, [w], bad)
    assert math.isnan(t_value) and math.isnan(e_value)
    assert_close(t_inputs, e_inputs, [0.0] * len(e_inputs), "input grad")
    assert_close(t_params, e_params, [0.0], "parameter grad")


@given(program=programs(max_steps=6), rows=st.sampled_from([1, 3]), seed=st.integers(0, 2**16),
       hostile=st.lists(st.tuples(st.integers(0, 10**4), st.sampled_from(HOSTILE)),
                        max_size=3))
def test_engine_and_fast_tape_agree_on_hostile_inputs(program, rows, seed, hostile):
    """nan, ±inf, huge, tiny and zero among ordinary numbers, reaching every op unsquashed:
    the same error as the engine, or the same values (nan where it has nan, the same inf)."""
    rng = random.Random(seed)
    weights = [Value(1.0) for _ in program.point]
    fn = batch_fn(program, weights, UNSQUASHED)
    X0 = recordable_rows(fn, program, rows)
    tape = compile(fn, X0, exact=False)
    both = same_outcome(fn, tape, weights, hostile_rows(X0, rng, hostile))
    if both is None:
        return
    (e_value, e_params, e_inputs), (t_value, t_params, t_inputs) = both
    for got, expected in ((t_value, e_value), *zip(t_params + t_inputs, e_params + e_inputs)):
        assert (got != got) == (expected != expected), (got, expected)
        if expected == expected:
            assert got == pytest.approx(expected, rel=1e-9, abs=1e-300) or abs(expected) > 1e300


def test_an_inf_carried_along_is_no_error():
    def fn(X):
        return sum((a * b + a for a, b in X), Value(0.0))

    tape = compile(fn, [[1.0, 2.0]] * 40, exact=False)
    X = [[math.inf, 2.0]] + [[1.0, 2.0]] * 39
    assert tape(X) == fn([[Value(a), Value(b)] for a, b in X]).data == math.inf


@pytest.mark.parametrize("rows, error, op", [
    ([[1e200, 1e200]] * 30, OpOverflow, "×"),       # × of finite numbers overflows
    ([[800.0, 1.0]] * 30, OpOverflow, "exp"),
    ([[-3.0, 1.0]] + [[1.0, 1.0]] * 29, DomainError, "ln"),
    ([[1.0, 0.0]] * 30, DivisionByZero, "/"),
])
def test_a_failing_replay_raises_exactly_the_engines_error(rows, error, op):
    w = Value(1.0)

    def fn(X):
        return sum(((a * b * w).exp() + (a + b).log() + a / b for a, b in X), Value(0.0))

    good = [[1.0, 1.0]] * 30
    tape = compile(fn, good, exact=False)
    tape(good)
    tape.backward()
    with pytest.raises(OpError) as engine:
        fn([[Value(a), Value(b)] for a, b in rows])
    with pytest.raises(OpError) as replay:
        tape(rows)
    assert type(replay.value) is type(engine.value) is error
    assert replay.value.op == op and str(replay.value) == str(engine.value)
    with pytest.raises(RuntimeError, match="forward"):
        tape.backward()                          # no half pass behind a failed forward
    assert_fast_matches_engine(tape, fn, [w], good)


def test_partial_sums_that_overflow_raise_as_in_the_engine():
    def fn(X):
        total = X[0][0]
        for (x,) in X[1:]:
            total = total + x
        return total

    tape = compile(fn, [[1.0]] * 4, exact=False)
    assert kinds(tape) == ["SumStep"]
    with pytest.raises(OpOverflow, match=r"\+"):
        tape([[1e308], [1e308], [-1e308], [-1e308]])


# ---------------------------------------------------------------- refusals and the interface
def test_compile_fast_refuses_inside_no_grad():
    with no_grad():
        with pytest.raises(RuntimeError, match=r"compile.*no_grad\(\)"):
            compile(lambda x: x * x, 2.0, exact=False)


def test_backward_before_forward_is_refused():
    tape = compile(lambda x: x * x, 3.0, exact=False)
    with pytest.raises(RuntimeError, match="forward first"):
        tape.backward()
    with pytest.raises(RuntimeError, match="backward"):
        tape.input_grads()


def test_interface_matches_the_exact_tape():
    X, model, loss_fn = moons_problem(n=12, hidden=(4,))
    exact, fast = compile(loss_fn, X), compile(loss_fn, X, exact=False)
    assert exact.exact is True and fast.exact is False
    assert len(fast) == len(exact)
    assert repr(fast).endswith("fast)") and repr(exact).endswith("exact)")
    assert fast.params == exact.params
    assert fast(X) == pytest.approx(exact(X), rel=1e-12)
    assert fast.verify(X) is True
    with pytest.raises(ValueError, match="shape"):
        fast(X[:5])
    for p in fast.params:
        p.grad = 0.25                            # leaves accumulate: backward twice doubles
    fast(X)
    fast.backward()
    fast.backward(2.0)
    grads = [p.grad - 0.25 for p in fast.params]
    for p in fast.params:
        p.grad = 0.0
    loss_fn(X).backward()
    assert grads == pytest.approx([3 * p.grad for p in fast.params], rel=1e-12, abs=1e-15)
    with pytest.raises(TypeError, match="backward"):
        fast.backward("twice")                   # refused before anything changed:
    exact(X)
    exact.backward(2.0)                          # the last pass's input gradients stay
    assert np.ravel(fast.input_grads()).tolist() == pytest.approx(
        np.ravel(exact.input_grads()).tolist(), rel=1e-12, abs=1e-15)


def test_slide_example_through_the_fast_tape():
    tape = compile(lambda x1, x2: x1.log() + x1 * x2 - x2.sin(), 2.0, 5.0, exact=False)
    assert round(tape(2.0, 5.0), 3) == 11.652
    tape.backward()
    g1, g2 = tape.input_grads()
    assert (g1, round(g2, 3)) == (5.5, 1.716)


# ---------------------------------------------------------------- fit
def test_fit_with_the_fast_tape_reaches_the_exact_tapes_accuracy():
    X, y = data.moons(80, seed=1)
    results = []
    for exact in (True, False):
        model = nn.MLP(2, [16, 16, 1], seed=1)
        history = fit(model, X, y, optimizer=optim.Adam(model.parameters(), lr=0.02), epochs=15,
                      batch_size=20, compiled=True, exact=exact, progress=False)
        results.append((history.loss, history.accuracy[-1]))
    (exact_loss, exact_acc), (fast_loss, fast_acc) = results
    assert fast_loss == pytest.approx(exact_loss, rel=1e-9)
    assert abs(fast_acc - exact_acc) <= 1 / 80
    assert fast_acc >= 0.85


# ---------------------------------------------------------------- θ as one vector
def test_forward_with_and_param_grads_are_forward_and_backward_on_a_vector():
    """``forward_with(θ, X)`` is ``forward(X)`` with the parameters at θ, and
    ``param_grads()`` is what ``backward`` adds into ``.grad`` — the same replay, so the
    same numbers bit for bit — while the Values are neither read nor written."""
    X, model, loss_fn = moons_problem(n=12, hidden=(4,))
    tape = compile(loss_fn, X, exact=False)
    rng = random.Random(3)
    theta = np.array([p.data + rng.uniform(-0.5, 0.5) for p in tape.params])
    before = [(p.data, p.grad) for p in tape.params]
    value = tape.forward_with(theta, X)
    grads = tape.param_grads(2.0)
    assert [(p.data, p.grad) for p in tape.params] == before
    for p, x in zip(tape.params, theta.tolist()):
        p.data, p.grad = x, 0.0
    assert tape.forward(X) == value
    tape.backward(2.0)
    assert [p.grad for p in tape.params] == grads.tolist()
    for p in tape.params:                        # and both are the engine's, to the bound
        p.grad = 0.0
    engine = loss_fn(X)
    engine.backward()
    assert value == pytest.approx(engine.data, rel=1e-12)
    assert grads.tolist() == pytest.approx([2 * p.grad for p in tape.params], rel=1e-12,
                                           abs=1e-15)
    with pytest.raises(ValueError, match=r"one number per parameter \(\d+\), got shape \(3,\)"):
        tape.forward_with(theta[:3], X)
    with pytest.raises(RuntimeError, match="param_grads: no forward has succeeded"):
        compile(loss_fn, X, exact=False).param_grads()


def _fit_pair(make_net, make_opt, X, y, **kwargs):
    """fit(compiled=True) with the exact tape and with the fast one (θ as a vector): each
    history, final weights and final gradients."""
    runs = []
    for exact in (True, False):
        net = make_net()
        history = fit(net, X, y, optimizer=make_opt(net), compiled=True, exact=exact,
                      progress=False, **kwargs)
        runs.append((history, [p.data for p in net.parameters()],
                     [p.grad for p in net.parameters()]))
    return runs


@pytest.mark.parametrize("opt", ["adam", "nesterov", "sgd_wd"])
def test_fit_fast_path_matches_the_exact_tape_on_moons(opt):
    """Losses, accuracies, the early-stopping epoch, final weights and the gradients fit
    leaves in ``.grad``: the exact tape's (the engine's, bit for bit) within 1e-9 relative.
    Each step's gradient differs from the engine's by about 1e-12 relative (the tape's own
    bound); 8 epochs of 4 minibatches carry it into the weights without amplifying it much,
    so 1e-9 leaves a margin of about a hundred."""
    X, y = data.moons(80, seed=4)
    make_opt = {
        "adam": lambda net: optim.Adam(net, lr=0.03, weight_decay=1e-3),
        "nesterov": lambda net: optim.SGD(net, lr=0.1, momentum=0.9, nesterov=True),
        "sgd_wd": lambda net: optim.SGD(net, lr=0.2, weight_decay=1e-2),
    }[opt]
    (h_exact, w_exact, g_exact), (h_fast, w_fast, g_fast) = _fit_pair(
        lambda: nn.MLP(2, [8, 8, 1], seed=5), make_opt, X[:60], y[:60], epochs=8,
        batch_size=16, val=(X[60:], y[60:]), early_stopping=20,
        lr_schedule=optim.inverse_decay(0.05 if opt == "adam" else 0.2, 0.1))
    assert h_fast.loss == pytest.approx(h_exact.loss, rel=1e-9)
    assert h_fast.val_loss == pytest.approx(h_exact.val_loss, rel=1e-9)
    assert h_fast.accuracy == h_exact.accuracy and h_fast.best_epoch == h_exact.best_epoch
    assert h_fast.lr == h_exact.lr
    assert w_fast == pytest.approx(w_exact, rel=1e-9, abs=1e-12)
    assert g_fast == pytest.approx(g_exact, rel=1e-9, abs=1e-12)
    assert h_exact.loss[-1] < h_exact.loss[0]


def test_fit_fast_path_matches_the_exact_tape_on_digits():
    """A 300-image digits subset, MLP(64, [16, 10]), Adam: 3 epochs of 10 minibatches (the
    last one of 12, a second tape). Over 30 Adam steps a 1e-12 difference in a gradient
    near 0 moves m/√v by more than it moves g (Adam divides by √v), so the weights are held
    to 1e-7 relative; the losses, to 1e-9."""
    pytest.importorskip("sklearn")
    X, y = data.digits("train", seed=0)
    (h_exact, w_exact, _), (h_fast, w_fast, _) = _fit_pair(
        lambda: nn.MLP(64, [16, 10], seed=0), lambda net: optim.Adam(net, lr=0.01),
        X[:300], y[:300], epochs=3, batch_size=32)
    assert h_fast.loss == pytest.approx(h_exact.loss, rel=1e-9)
    assert h_fast.accuracy == h_exact.accuracy
    assert w_fast == pytest.approx(w_exact, rel=1e-7, abs=1e-10)
    assert h_exact.loss[-1] < 0.8 * h_exact.loss[0]


def test_a_failing_fast_step_leaves_the_last_good_weights_in_the_model():
    """SGD with a learning rate that diverges until a square overflows: fit raises the
    engine's error with the exact tape and the fast one, after the same number of steps,
    and the model holds the weights of the step before (θ never moved on the failing step,
    and the Values were written from it)."""
    X, _ = data.moons(40, seed=2)
    y = [3.0 * a + b for a, b in X]
    errors, weights, steps = [], [], []
    for exact in (True, False):
        net = nn.MLP(2, [8, 1], seed=1)
        opt = optim.SGD(net, lr=40.0, momentum=0.5)
        with pytest.raises(OpOverflow) as err:
            fit(net, X, y, loss=losses.mse, optimizer=opt, epochs=50,
                batch_size=10, compiled=True, exact=exact, progress=False)
        errors.append(err.value)
        weights.append([p.data for p in net.parameters()])
        steps.append(opt.velocity.tolist())
        assert all(math.isfinite(w) for w in weights[-1])
    assert str(errors[1]).startswith("×:") and str(errors[0]).startswith("×:")
    assert weights[1] == pytest.approx(weights[0], rel=1e-6)
    assert steps[1] == pytest.approx(steps[0], rel=1e-6)


def test_the_vector_step_is_used_only_where_it_gives_the_same_training():
    from tinygrad_edu.train import VectorStep
    net = nn.MLP(2, [4, 1], seed=0)

    class Halve(optim.SGD):
        def step(self):
            for p in self.params:
                p.data -= 0.5 * self.lr * p.grad

    adam = optim.Adam(net, lr=0.1)
    assert VectorStep.applies(net, adam, None, None, None)
    assert not VectorStep.applies(net, adam, lambda m: losses.l2(m), None, None)
    assert not VectorStep.applies(net, adam, None, 1.0, None)
    assert not VectorStep.applies(net, adam, None, None, 1.0)
    assert not VectorStep.applies(net, Halve(net, lr=0.1), None, None, None)
    assert not VectorStep.applies(net, optim.Adam(net.parameters()[::-1]), None, None, None)


@pytest.mark.parametrize("activation", list(nn.ACTIVATIONS))
@pytest.mark.parametrize("output_activation", ["linear", "sigmoid"])
def test_fit_fast_path_counts_answers_from_the_same_network(activation, output_activation):
    """VectorStep counts right answers from θ with numpy; its outputs are the engine's."""
    import numpy as np

    from tinygrad_edu.train import VectorStep
    net = nn.MLP(3, [4, 4, 2], activation=activation, output_activation=output_activation,
                 seed=3)
    step = VectorStep(net, losses.cross_entropy, optim.Adam(net.parameters(), lr=0.01))
    X = [[random.Random(k).uniform(-2, 2) for _ in range(3)] for k in range(6)]
    with no_grad():
        expected = [[o.data for o in net(x)] for x in X]
    got = step._outputs(np.asarray(X, dtype=float)).tolist()
    for row, want in zip(got, expected):
        assert row == pytest.approx(want, rel=1e-12, abs=1e-15)
