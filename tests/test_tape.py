"""The compiled tape replays the engine exactly: same outputs, bit-identical gradients.

Every comparison here is exact (``struct``-level equality of floats, nan equal to nan): the
tape promises the engine's own numbers, not numbers close to them. The graphs are random
expressions over every op of the table, MLPs with the slides' losses, and graphs whose relu /
max / min / abs branches flip between replays. No timings here: see ``benchmarks/``.
"""
import math
import random
import struct

import pytest
from hypothesis import assume, event, given, settings
from hypothesis import strategies as st

np = pytest.importorskip("numpy")

from strategies import VALUE, Backend, Program, programs  # noqa: E402

from tinygrad_edu import Value, data, losses, nn, no_grad  # noqa: E402
from tinygrad_edu import tape as tape_module  # noqa: E402
from tinygrad_edu.ops import OPS, DomainError, OpError, OpOverflow  # noqa: E402
from tinygrad_edu.tape import Tape, compile  # noqa: E402


def bits(x: float) -> bytes:
    return b"nan" if x != x else struct.pack("<d", x)


def assert_same(got, expected, what="value"):
    got, expected = list(got), list(expected)
    assert len(got) == len(expected)
    for i, (a, b) in enumerate(zip(got, expected)):
        assert bits(a) == bits(b), f"{what}[{i}]: tape {a!r} != engine {b!r}"


def engine_run(fn, params, *inputs):
    """What the engine gives: output, parameter grads (from zero), input grads."""
    for p in params:
        p.grad = 0.0
    leaves = [np.array([Value(x) for x in np.ravel(a).tolist()], dtype=object)
              .reshape(np.shape(a)) for a in inputs]
    out = fn(*[arr.tolist() if arr.ndim else arr.item() for arr in leaves])
    out.backward()
    input_grads = [v.grad for arr in leaves for v in arr.ravel()]
    return out.data, [p.grad for p in params], input_grads


def tape_run(tape, params, *inputs):
    for p in params:
        p.grad = 0.0
    value = tape(*inputs)
    tape.backward()
    flat = [g for part in tape.input_grads() for g in np.ravel(part).tolist()]
    return value, [p.grad for p in params], flat


def assert_tape_matches_engine(tape, fn, params, *inputs):
    e_value, e_params, e_inputs = engine_run(fn, params, *inputs)
    t_value, t_params, t_inputs = tape_run(tape, params, *inputs)
    assert_same([t_value], [e_value], "output")
    assert_same(t_params, e_params, "parameter grad")
    assert_same(t_inputs, e_inputs, "input grad")


# ---------------------------------------------------------------- MLPs and the moons step
def moons_problem(n=40, hidden=(16, 16), activation="relu", seed=3):
    X, y = data.moons(n=n, seed=seed)
    model = nn.MLP(2, list(hidden) + [1], activation=activation, seed=seed)

    def loss_fn(X):
        scores = [model(x) for x in X]
        return losses.hinge(scores, y) + 1e-4 * losses.l2(model.parameters())

    return X, model, loss_fn


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid", "leaky_relu"])
def test_mlp_training_steps_tape_equals_engine_bit_for_bit(activation):
    X, model, loss_fn = moons_problem(activation=activation)
    params = model.parameters()
    tape = compile(loss_fn, X)
    for step in range(4):
        assert_tape_matches_engine(tape, loss_fn, params, X)
        for p in params:                      # an SGD step changes the parameters' .data
            p.data -= 0.5 * p.grad


def test_moons_step_sees_new_inputs():
    X, model, loss_fn = moons_problem()
    tape = compile(loss_fn, X)
    rng = random.Random(7)
    X2 = [[a + rng.gauss(0, 0.5), b + rng.gauss(0, 0.5)] for a, b in X]
    assert_tape_matches_engine(tape, loss_fn, model.parameters(), X2)
    assert tape(X2) != tape(X)


def test_micrograd_style_loss_with_labels_as_inputs():
    X, yl = data.moons(n=30, seed=1)
    Y = [2 * t - 1 for t in yl]
    model = nn.MLP(2, [8, 8, 1], seed=2)
    params = model.parameters()

    def loss_fn(X, Y):
        terms = [(1 + -yi * model(x)).relu() for x, yi in zip(X, Y)]
        return sum(terms) * (1.0 / len(terms)) + 1e-4 * sum(p * p for p in params)

    tape = compile(loss_fn, X, Y)
    assert_tape_matches_engine(tape, loss_fn, params, X, Y)
    assert_tape_matches_engine(tape, loss_fn, params, X, [-y for y in Y])  # every hinge flips


# ---------------------------------------------------------------- random expressions, every op
def batch_fn(program, weights, backend=VALUE):
    """Σ over rows of ``program`` (tests/strategies.py) at row · weights, plus the scaled
    inputs themselves: one row per sample of a batch, every input scaled by a parameter so
    parameters reach every op, and every node used (an unused one is not on the tape)."""
    def fn(X):
        total = None
        for xs in X:
            scaled = [x * w for x, w in zip(xs, weights)]
            out = program.build(scaled, backend)
            for term in scaled:
                out = out + term
            total = out if total is None else total + out
        return total
    return fn


def rows_near(program, rng, rows):
    return [[x + rng.gauss(0.0, 1.0) for x in program.point] for _ in range(rows)]


@settings(max_examples=max(10, settings().max_examples // 2))
@given(program=programs(max_steps=8), rows=st.sampled_from([1, 5, 30]),
       min_array=st.sampled_from([2, 24, 10**9]), seed=st.integers(0, 2**16))
def test_random_programs_tape_equals_engine(program, rows, min_array, seed):
    """Every op of the table (a registered one too), in random programs: new inputs and new
    parameters at each replay flip relu / max / min / abs branches; every number identical."""
    rng = random.Random(seed)
    weights = [Value(rng.uniform(0.5, 1.5)) for _ in program.point]
    fn = batch_fn(program, weights)
    saved, tape_module.MIN_ARRAY = tape_module.MIN_ARRAY, min_array
    try:
        tape = compile(fn, rows_near(program, rng, rows))
    finally:
        tape_module.MIN_ARRAY = saved
    for replay in range(3):
        assert_tape_matches_engine(tape, fn, weights, rows_near(program, rng, rows))
        for w in weights:
            w.data = rng.uniform(-1.5, 1.5)


EVERY_OP = Program(point=(0.3, -0.7, 1.1), steps=tuple(
    (name, tuple(("v", k + j) for j in range(OPS[name].arity)))
    for k, name in enumerate(sorted(OPS))))
"""One program applying every op of the table once, each to earlier results."""


def test_random_expressions_use_both_replay_paths():
    rng = random.Random(0)
    fn = batch_fn(EVERY_OP, [Value(0.3), Value(-0.7), Value(1.1)])
    tape = compile(fn, rows_near(EVERY_OP, rng, 30))
    kinds = {type(step).__name__ for step in tape._forward_steps + tape._backward_steps}
    assert kinds == {"_ForwardArray", "_ForwardRun", "_BackwardArray", "_BackwardRun"}
    assert set(tape._signature[0]) >= set(OPS)           # every op is on the tape


# ---------------------------------------------------------------- data-dependent ops
@pytest.mark.parametrize("min_array", [2, 10**9])
def test_branches_flip_between_replays(min_array, monkeypatch):
    monkeypatch.setattr(tape_module, "MIN_ARRAY", min_array)
    w = Value(0.5)

    def fn(X):
        total = None
        for x, y in X:
            term = (x * w).relu() * 3 + x.max(y) - y.min(x * 2) + (x - y).abs() \
                + x.leaky_relu(0.1)
            total = term if total is None else total + term
        return total

    X = [[1.0, -1.0]] * 4
    tape = compile(fn, X)
    for X in ([[1.0, -1.0]] * 4, [[-1.0, 2.0]] * 4, [[0.0, 0.0]] * 4, [[3.0, 3.0], [-2.0, 1.0],
                                                                         [0.5, -0.5], [0.0, 1.0]]):
        assert_tape_matches_engine(tape, fn, [w], X)
    tape([[-1.0, 2.0]] * 4)
    tape.backward()
    assert tape.input_grads()[0][0][0] != 3 * 0.5 + 1.0   # relu and max went the other way


def test_relu_flip_changes_the_gradient_exactly_like_the_slide():
    """Slide: ReLU on x = [1, −2, 3, −1], upstream [4, −1, 5, 9] → [4, 0, 5, 0] (Xiu)."""
    up = [4.0, -1.0, 5.0, 9.0]
    tape = compile(lambda xs: sum((x.relu() * u for x, u in zip(xs, up)), Value(0.0)),
                   [-1.0, 2.0, -3.0, 1.0])
    tape([1.0, -2.0, 3.0, -1.0])
    tape.backward()
    assert tape.input_grads() == [[4.0, 0.0, 5.0, 0.0]]


# ---------------------------------------------------------------- gradients accumulate like leaves
def test_backward_twice_doubles_parameter_grads_like_the_engine():
    X, model, loss_fn = moons_problem(n=10, hidden=(4,))
    params = model.parameters()
    tape = compile(loss_fn, X)
    for p in params:
        p.grad = 0.25                         # leaves accumulate on top of what is there
    out = loss_fn(X)
    out.backward()
    out.backward(2.0)
    expected = [p.grad for p in params]
    for p in params:
        p.grad = 0.25
    tape(X)
    tape.backward()
    tape.backward(2.0)
    assert_same([p.grad for p in params], expected, "accumulated grad")


def test_slide_example_through_a_tape():
    tape = compile(lambda x1, x2: x1.log() + x1 * x2 - x2.sin(), 2.0, 5.0)
    assert round(tape(2.0, 5.0), 3) == 11.652
    tape.backward()
    g1, g2 = tape.input_grads()
    assert (g1, round(g2, 3)) == (5.5, 1.716)


def test_tape_from_an_existing_graph():
    x, y, z = Value(-2.0), Value(5.0), Value(-4.0)
    f = (x + y) * z                  # slide: f = −12, ∂f/∂x = ∂f/∂y = −4, ∂f/∂z = 3
    tape = Tape(f, [x, y, z])
    assert tape.forward([-2.0, 5.0, -4.0]) == -12.0
    tape.backward()
    assert tape.input_grads() == [[-4.0, -4.0, 3.0]]
    assert tape.forward([1.0, 1.0, 1.0]) == 2.0


def test_deep_chain_replays_without_recursion():
    def chain(x):
        y = x
        for _ in range(50_000):
            y = (y * 1.0).relu() + 1e-6
        return y
    tape = compile(chain, 1.0)
    assert len(tape) == 150_000
    assert_tape_matches_engine(tape, chain, [], 0.5)


# ---------------------------------------------------------------- refusing and reporting
def test_refuses_a_different_number_of_inputs():
    tape = compile(lambda a, b: a * b, 2.0, 3.0)
    with pytest.raises(TypeError, match="takes 2 input"):
        tape(2.0)
    with pytest.raises(TypeError, match="takes 2 input"):
        tape(1.0, 2.0, 3.0)


def test_refuses_a_different_shape():
    X = [[0.0, 1.0]] * 5
    tape = compile(lambda X: sum((a * b for a, b in X), Value(0.0)), X)
    with pytest.raises(ValueError, match=r"shape \(4, 2\).*\(5, 2\)"):
        tape([[0.0, 1.0]] * 4)
    with pytest.raises(ValueError, match=r"shape \(5, 3\)"):
        tape([[0.0, 1.0, 2.0]] * 5)
    with pytest.raises(ValueError, match="ragged"):
        tape([[0.0, 1.0]] * 4 + [[1.0]])
    with pytest.raises(TypeError, match="real numbers"):
        tape([["a", "b"]] * 5)


def test_compile_needs_numbers_and_a_value():
    with pytest.raises(TypeError, match="not Values"):
        compile(lambda x: x * 2, Value(1.0))
    with pytest.raises(TypeError, match="one Value"):
        compile(lambda x: [x, x], 1.0)


def test_backward_before_forward_is_refused():
    tape = compile(lambda x: x * x, 3.0)
    with pytest.raises(RuntimeError, match="forward first"):
        tape.backward()


def test_op_error_during_replay_names_the_op():
    tape = compile(lambda x: x.log(), 2.0)
    with pytest.raises(DomainError, match=r"ln") as caught:
        tape(-1.0)
    assert "compiled tape" in " ".join(caught.value.__notes__)
    x = Value(2.0)
    graph_tape = Tape(x.log(), [x])                   # no fn: the tape's own error
    with pytest.raises(DomainError, match=r"ln.*tape replay"):
        graph_tape.forward([-1.0])


# ---------------------------------------------------------------- issue 13: items 1, 2, 13
def test_compile_refuses_to_record_inside_no_grad():
    with no_grad():
        with pytest.raises(RuntimeError, match=r"compile.*no_grad\(\)"):
            compile(lambda x: x * x, 2.0)
    tape = compile(lambda x: x * x, 2.0)
    with no_grad():                            # replaying records nothing: it may run here
        assert tape(3.0) == 9.0
        with pytest.raises(RuntimeError, match=r"verify.*no_grad\(\)"):
            tape.verify(3.0)


def test_backward_after_a_failed_forward_is_refused_until_one_succeeds():
    w = Value(1.5)
    tape = compile(lambda x: (x * w).log() + w * w, 2.0)
    tape(2.0)
    with pytest.raises(DomainError):
        tape(-3.0)
    assert tape.value is None
    with pytest.raises(RuntimeError, match="forward"):
        tape.backward()
    with pytest.raises(RuntimeError, match="backward"):
        tape.input_grads()
    assert w.grad == 0.0
    assert tape(4.0) == math.log(4.0 * 1.5) + 1.5 * 1.5
    tape.backward()
    assert tape.input_grads() == [1 / 4.0]               # d ln(xw)/dx = 1/x, at the new x
    assert w.grad == 1 / 1.5 + 2 * 1.5


@pytest.mark.parametrize("min_array", [2, 10**9])
def test_a_failing_batch_replay_leaves_no_half_pass_behind(min_array, monkeypatch):
    monkeypatch.setattr(tape_module, "MIN_ARRAY", min_array)
    w = Value(0.5)

    def fn(X):
        return sum(((a * w).log() * b for a, b in X), Value(0.0))

    good = [[1.0 + i, 2.0] for i in range(30)]
    tape = compile(fn, good)
    tape(good)
    tape.backward()
    bad = [[1.0 + i, 3.0] for i in range(30)]
    bad[17][0] = -1.0                                    # one row fails, after others ran
    with pytest.raises(DomainError):
        tape(bad)
    with pytest.raises(RuntimeError):
        tape.backward()
    with pytest.raises(RuntimeError):
        tape.input_grads()
    with pytest.raises(ValueError, match="shape"):       # refused before anything changed...
        tape([[1.0, 2.0]])
    assert_tape_matches_engine(tape, fn, [w], good)      # ...and a good replay is whole again


def deep_log_and_shallow_division(x):
    """ln made first but three levels deep; 1/x made later, one level deep. At x = 0 both
    fail: the engine meets ln(0) first (DomainError); a depth-first replay meets 1/0."""
    deep = ((x * 1.0) * 1.0).log()
    shallow = 1.0 / x
    return deep + shallow


@pytest.mark.parametrize("min_array", [2, 10**9])
def test_when_two_nodes_fail_the_tape_raises_the_engines_error(min_array, monkeypatch):
    monkeypatch.setattr(tape_module, "MIN_ARRAY", min_array)
    with pytest.raises(DomainError) as engine:
        deep_log_and_shallow_division(Value(0.0))
    tape = compile(deep_log_and_shallow_division, 1.0)
    with pytest.raises(OpError) as replay:
        tape(0.0)
    assert type(replay.value) is type(engine.value) is DomainError
    assert str(replay.value) == str(engine.value)

    def batch(X):
        return sum((deep_log_and_shallow_division(x) for x, in X), Value(0.0))
    tape = compile(batch, [[1.0]] * 30)
    with pytest.raises(DomainError):
        tape([[1.0]] * 10 + [[0.0]] + [[1.0]] * 19)


def test_overflow_in_an_array_step_gives_the_engines_inf_and_errors():
    def fn(X):
        return sum((a * b for a, b in X), Value(0.0))
    X = [[1.0, 2.0]] * 30
    tape = compile(fn, X)
    big = [[1e200, 1e200]] * 30               # × overflows in the array call: the engine's error
    with pytest.raises(OpOverflow, match="×"):
        fn([[Value(a), Value(b)] for a, b in big])
    with pytest.raises(OpOverflow) as info:
        tape(big)
    assert info.value.op == "×"
    huge = [[math.inf, 2.0]] * 30              # an inf operand is no overflow: it propagates
    assert_tape_matches_engine(tape, fn, [], huge)
    assert tape(huge) == math.inf
    exp_tape = compile(lambda X: sum((a.exp() for a, in X), Value(0.0)), [[0.0]] * 30)
    with pytest.raises(OpOverflow, match="exp"):
        exp_tape([[1000.0]] * 30)


# ---------------------------------------------------------------- the documented limit
def test_python_if_on_data_is_frozen_at_recording_and_verify_says_so():
    def f(x):
        return x * 2 if x.data > 0 else x * -3    # the docstring's example

    tape = compile(f, 1.0)
    assert tape(-5.0) == -10.0                # replays x * 2: the if ran once, while recording
    assert f(Value(-5.0)).data == 15.0        # what the engine would have built
    assert tape.verify(3.0) is True
    with pytest.raises(ValueError, match="different graph"):
        tape.verify(-5.0)


def test_the_readme_training_loop_trains_exactly_like_the_engine():
    # the loop of the README's "Speed: the compiled tape" (it was in tape.py's docstring)
    from tinygrad_edu import optim
    X, y = data.moons(60, seed=5)
    runs = []
    for use_tape in (False, True):
        model = nn.MLP(2, [16, 16, 1], seed=4)
        opt = optim.SGD(model.parameters(), lr=0.1)

        def loss_fn(X):
            scores = [model(x) for x in X]
            return losses.hinge(scores, y) + 1e-4 * losses.l2(model.parameters())

        tape = compile(loss_fn, X) if use_tape else None
        history = []
        for step in range(6):
            opt.zero_grad()
            if use_tape:
                history.append(tape(X))
                tape.backward()
            else:
                loss = loss_fn(X)
                loss.backward()
                history.append(loss.data)
            opt.step()
        runs.append((history, [p.data for p in model.parameters()]))
    (e_hist, e_params), (t_hist, t_params) = runs
    assert_same(t_hist, e_hist, "loss")
    assert_same(t_params, e_params, "trained parameter")
    assert t_hist[-1] < t_hist[0]


# ---------------------------------------------------------------- issue 13: items 5, 6 parity
HOSTILE = [0.0, -0.0, math.nan, math.inf, -math.inf, 1e308, -1e308, 1e200, 5e-324, 1.0, -2.5,
           0.5, 710.0, -745.0]


UNSQUASHED = Backend(VALUE.apply, lambda v: v)
"""The engine, with each operand only scaled into the op's domain, not squashed into it
(lo + (hi − lo)·v): nan, ±inf and huge numbers reach every op."""


def outcome(run):
    """(what came out, or the error's type and message) — comparable between engine and tape."""
    try:
        return ("value", run())
    except OpError as err:
        return ("error", type(err), str(err))


def recordable_rows(fn, program, rows: int) -> list:
    """``rows`` copies of the program's point mapped into [0, 1], inside every op's domain; a
    program that cannot even be recorded there is dropped (``assume``)."""
    X0 = [[(x + 3.0) / 6.0 for x in program.point]] * rows
    try:
        fn([[Value(x) for x in xs] for xs in X0])
    except OpError:
        assume(False)
    return X0


def hostile_rows(X0, rng, hostile) -> list:
    """The recorded rows moved by N(0, 0.01), with the hostile numbers written over some
    entries (``(k, x)``: entry k, counted through all the rows, becomes x)."""
    flat = [x + rng.gauss(0.0, 0.01) for row in X0 for x in row]
    for k, x in hostile:
        flat[k % len(flat)] = x
    n = len(X0[0])
    return [flat[n * r:n * r + n] for r in range(len(X0))]


def same_outcome(fn, tape, weights, X):
    """Run the engine and the tape on X: the same error (checked here, then None), or both
    results ((value, parameter grads, input grads) from each)."""
    engine = outcome(lambda: engine_run(fn, weights, X))
    replayed = outcome(lambda: tape_run(tape, weights, X))
    event(engine[0] if engine[0] == "value" else engine[1].__name__)
    assert engine[0] == replayed[0], (engine, replayed)
    if engine[0] == "error":
        assert engine[1:] == replayed[1:]
        return None
    return engine[1], replayed[1]


@given(program=programs(max_steps=6), rows=st.sampled_from([1, 3, 26]),
       min_array=st.sampled_from([2, 24]), seed=st.integers(0, 2**16),
       hostile=st.lists(st.tuples(st.integers(0, 10**4), st.sampled_from(HOSTILE)),
                        max_size=3),
       params=st.lists(st.one_of(st.just(None), st.sampled_from(HOSTILE)),
                       min_size=3, max_size=3))
def test_engine_and_tape_agree_on_hostile_inputs(program, rows, min_array, seed, hostile,
                                                  params):
    """nan, ±inf, huge, tiny and zero among ordinary numbers: the same values and gradients
    bit for bit, or the same error, from the engine and from the tape (NaN propagates through
    relu, abs, max and min; finite operands that overflow raise OpOverflow, in both)."""
    rng = random.Random(seed)
    weights = [Value(1.0) for _ in program.point]
    fn = batch_fn(program, weights, UNSQUASHED)
    X0 = recordable_rows(fn, program, rows)
    saved = tape_module.MIN_ARRAY
    tape_module.MIN_ARRAY = min_array
    try:
        tape = compile(fn, X0)
    finally:
        tape_module.MIN_ARRAY = saved
    X = hostile_rows(X0, rng, hostile)
    for w, p in zip(weights, params):
        if p is not None:                      # None: the weight keeps its recorded value
            w.data = p
    both = same_outcome(fn, tape, weights, X)
    if both is not None:
        (e_value, e_params, e_inputs), (t_value, t_params, t_inputs) = both
        assert_same([t_value], [e_value], "output")
        assert_same(t_params, e_params, "parameter grad")
        assert_same(t_inputs, e_inputs, "input grad")


def test_a_tape_made_from_a_graph_fails_in_evaluation_order():
    x = Value(1.0)
    y = deep_log_and_shallow_division(x)         # no fn: the graph's evaluation order decides
    tape = Tape(y, [x])
    with pytest.raises(DomainError, match="ln"):
        tape.forward([0.0])
    with pytest.raises(RuntimeError, match="forward"):
        tape.backward()


def test_registered_atan_in_the_tape_replay(atan_op):
    w = Value(0.3)

    def fn(X):
        return sum(((a * w).atan() * b for a, b in X), Value(0.0))

    X = [[0.1 * i, 1.0 - 0.02 * i] for i in range(30)]
    tape = compile(fn, X)
    assert "atan" in tape._signature[0]
    X2 = [[a + 1.0, b] for a, b in X]
    assert_tape_matches_engine(tape, fn, [w], X2)
    expected = sum(b * a / (1 + (a * 0.3) ** 2) for a, b in X2)   # Σ b · a / (1 + (aw)²)
    assert w.grad == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("bad", ["no", None, 0, 1, []])
def test_compile_takes_exact_as_true_or_false_only(bad):
    """Read by its truth, exact="no" would have chosen the exact tape and exact=None the fast."""
    with pytest.raises(TypeError, match=r"compile: exact must be True or False, got"):
        compile(lambda x: x * 2.0, 1.0, exact=bad)
