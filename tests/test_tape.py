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

np = pytest.importorskip("numpy")

from tinygrad_edu import Value, data, losses, nn  # noqa: E402
from tinygrad_edu import tape as tape_module  # noqa: E402
from tinygrad_edu.ops import OPS, DomainError, OpOverflow  # noqa: E402
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
def _guarded(name, a, b):
    """Apply op ``name`` with operands moved into its domain (so replays stay defined)."""
    if name in ("ln", "sqrt"):
        a = a * a + 0.25
    if name == "exp":
        a = a.tanh() * 3.0
    if name == "/":
        b = b * b + 0.5
    if name == "**":
        a, b = a * a + 0.5, b.tanh()
    if name == "leaky_relu":
        b = b.sigmoid() * 0.5
    op = OPS[name]
    method = {"+": Value.__add__, "−": Value.__sub__, "×": Value.__mul__, "/": Value.__truediv__,
              "**": Value.__pow__, "neg": Value.__neg__, "ln": Value.log,
              "leaky_relu": Value.leaky_relu}.get(name) or getattr(Value, name)
    out = method(a, b) if op.arity == 2 else method(a)
    return out.tanh() if name in ("exp", "**", "/", "×") else out   # keep magnitudes modest


def random_program(seed, n_inputs=4, n_params=3, length=14):
    """A random expression over every op of the table, as instructions; same for every row."""
    rng = random.Random(seed)
    names = list(OPS)
    rng.shuffle(names)
    names += [rng.choice(list(OPS)) for _ in range(length - len(names))] if length > len(names) \
        else []
    program = []
    for k, name in enumerate(names):
        width = n_inputs + n_params + k
        program.append((name, rng.randrange(width), rng.randrange(width)))
    return program


def build_fn(program, params):
    def row(xs):
        slots = list(xs) + list(params)
        for name, i, j in program:
            slots.append(_guarded(name, slots[i], slots[j]))
        return slots[-1] + slots[-2] * slots[-3]

    def fn(X):
        total = row(X[0])
        for xs in X[1:]:
            total = total + row(xs)
        return total
    return fn


@pytest.mark.parametrize("min_array", [2, 24, 10**9])
@pytest.mark.parametrize("seed", range(12))
def test_random_expressions_tape_equals_engine(seed, min_array, monkeypatch):
    monkeypatch.setattr(tape_module, "MIN_ARRAY", min_array)
    rng = random.Random(seed)
    params = [Value(rng.uniform(-1.5, 1.5)) for _ in range(3)]
    fn = build_fn(random_program(seed), params)
    rows = 30
    X = [[rng.uniform(-2, 2) for _ in range(4)] for _ in range(rows)]
    tape = compile(fn, X)
    for replay in range(3):                   # new inputs and parameters: branches flip
        assert_tape_matches_engine(tape, fn, params, X)
        X = [[rng.uniform(-2, 2) for _ in range(4)] for _ in range(rows)]
        for p in params:
            p.data = rng.uniform(-1.5, 1.5)


def test_random_expressions_use_both_replay_paths():
    rng = random.Random(0)
    params = [Value(0.3), Value(-0.7), Value(1.1)]
    fn = build_fn(random_program(0), params)
    tape = compile(fn, [[rng.uniform(-2, 2) for _ in range(4)] for _ in range(30)])
    kinds = {type(step).__name__ for step in tape._forward_steps + tape._backward_steps}
    assert kinds == {"_ForwardArray", "_ForwardRun", "_BackwardArray", "_BackwardRun"}


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
    with pytest.raises(DomainError, match=r"ln.*tape replay"):
        tape(-1.0)


def test_overflow_in_an_array_step_gives_the_engines_inf_and_errors():
    def fn(X):
        return sum((a * b for a, b in X), Value(0.0))
    X = [[1.0, 2.0]] * 30
    tape = compile(fn, X)
    big = [[1e200, 1e200]] * 30               # × overflows to inf in the array call
    assert_tape_matches_engine(tape, fn, [], big)
    assert tape(big) == math.inf
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


def test_the_docstring_training_loop_trains_exactly_like_the_engine():
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
