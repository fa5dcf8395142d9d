"""The training loop: the lectures' training results with fixed seeds, history, early
stopping, schedules, the scoped garbage-collector pause, and the progress bar.

Default runs stay small (each a second or two); the longer runs are marked ``slow``.
"""
import gc
import math

import pytest

from tinygrad_edu import OpOverflow, data, losses, no_grad, optim
from tinygrad_edu.nn import MLP
from tinygrad_edu.train import History, accuracy, evaluate, fit, predict, predict_labels, step


# ------------------------------------------------------------ XOR needs a hidden layer (Xiu)
@pytest.mark.parametrize("seed", range(5))
def test_xor_reaches_100_percent_with_one_hidden_layer(seed):
    X, y = data.xor()
    net = MLP(2, [4, 1], activation="tanh", seed=seed)
    history = fit(net, X, y, optimizer=optim.Adam(net, lr=0.1), epochs=100, progress=False)
    assert history.loss_name == "binary_cross_entropy_with_logits"
    assert history.accuracy[-1] == 1.0
    assert accuracy(net, X, y) == 1.0
    assert history.loss[-1] < 0.05


def test_xor_fails_without_a_hidden_layer():
    """A single neuron draws one line: at most 3 of XOR's 4 points on the right side. Its best
    logistic fit is w = 0, b = 0 (ŷ = ½ everywhere), loss ln 2."""
    X, y = data.xor()
    net = MLP(2, [1], seed=0)
    history = fit(net, X, y, optimizer=optim.Adam(net, lr=0.1), epochs=200, progress=False)
    assert max(history.accuracy) <= 0.75
    assert accuracy(net, X, y) <= 0.75
    assert history.loss[-1] == pytest.approx(math.log(2), abs=1e-3)


# ---------------------------------------------------------------- moons and spirals
def test_moons_reach_100_percent_training_accuracy_within_30_epochs():
    """100 moons points, MLP(2, [16, 16, 1]), Adam(lr=0.05), minibatches of 10, seed 0."""
    X, y = data.moons(100, noise=0.1, seed=0)
    net = MLP(2, [16, 16, 1], seed=0)
    history = fit(net, X, y, optimizer=optim.Adam(net, lr=0.05), epochs=30, batch_size=10,
                  progress=False)
    assert 1.0 in history.accuracy
    assert accuracy(net, X, y) == 1.0
    assert history.loss[-1] < history.loss[0] / 5


def test_three_class_spiral_reaches_90_percent_with_softmax_cross_entropy():
    """3 × 50 spiral points, MLP(2, [16, 16, 3]), cross-entropy, Adam(lr=0.02), 25 epochs."""
    X, y = data.spirals(50, 3, seed=0)
    net = MLP(2, [16, 16, 3], seed=0)
    history = fit(net, X, y, loss=losses.cross_entropy, optimizer=optim.Adam(net, lr=0.02),
                  epochs=25, batch_size=10, progress=False)
    assert accuracy(net, X, y) >= 0.90
    assert history.loss[-1] < history.loss[0] / 2


@pytest.mark.slow
def test_three_class_spiral_reaches_97_percent_in_150_epochs():
    X, y = data.spirals(50, 3, seed=0)
    net = MLP(2, [16, 16, 3], seed=0)
    fit(net, X, y, loss=losses.cross_entropy, optimizer=optim.Adam(net, lr=0.02), epochs=150,
        batch_size=10, progress=False)
    assert accuracy(net, X, y) >= 0.97


@pytest.mark.slow
def test_moons_with_plain_minibatch_sgd_and_decay_reach_100_percent():
    X, y = data.moons(100, noise=0.1, seed=0)
    net = MLP(2, [16, 16, 1], seed=0)
    history = fit(net, X, y, optimizer=optim.SGD(net, lr=0.1, momentum=0.9), epochs=150,
                  batch_size=10, lr_schedule=optim.inverse_decay(0.1, 0.01), progress=False)
    assert accuracy(net, X, y) == 1.0
    assert history.lr[-1] == pytest.approx(0.1 / (1 + 0.01 * 149))


@pytest.mark.slow
def test_circles_with_hinge_loss_reach_100_percent():
    X, y = data.circles(100, noise=0.05, seed=0)
    net = MLP(2, [16, 16, 1], seed=0)
    fit(net, X, y, loss=losses.hinge, optimizer=optim.Adam(net, lr=0.02), epochs=100,
        batch_size=10, progress=False)
    assert accuracy(net, X, y, loss=losses.hinge) == 1.0


@pytest.mark.parametrize("make", [
    lambda p: optim.SGD(p, lr=0.1),
    lambda p: optim.SGD(p, lr=0.05, momentum=0.9),
    lambda p: optim.SGD(p, lr=0.05, momentum=0.9, nesterov=True),
    lambda p: optim.Adam(p, lr=0.02),
], ids=["sgd", "momentum", "nesterov", "adam"])
def test_each_optimizer_decreases_the_training_loss(make):
    X, y = data.moons(40, noise=0.1, seed=1)
    net = MLP(2, [8, 1], seed=0)
    history = fit(net, X, y, optimizer=make(net.parameters()), epochs=8, batch_size=8,
                  progress=False)
    assert history.loss[-1] < 0.8 * history.loss[0]


# ---------------------------------------------------------------- what fit records
def test_history_has_one_entry_per_epoch_and_a_schedule():
    X, y = data.blobs(30, k=3, seed=0)
    Xt, yt, Xv, yv = data.train_val_split(X, y, seed=0)
    net = MLP(2, [6, 3], seed=0)
    history = fit(net, Xt, yt, epochs=5, val=(Xv, yv), optimizer=optim.SGD(net, lr=0.1),
                  lr_schedule=optim.exponential_decay(0.1, 0.5), progress=False)
    assert isinstance(history, History) and history.epochs == 5
    assert history.loss_name == "cross_entropy"
    for key in ("loss", "accuracy", "val_loss", "val_accuracy", "lr"):
        assert len(history[key]) == 5
    assert history.lr == pytest.approx([0.1 * math.exp(-0.5 * t) for t in range(5)])
    assert all(0.0 <= a <= 1.0 for a in history.accuracy + history.val_accuracy)
    assert history.val_loss[-1] == pytest.approx(losses.cross_entropy(
        [net(x) for x in Xv], yv).data, rel=1e-12)
    assert history.val_accuracy[-1] == accuracy(net, Xv, yv)
    assert history.best_epoch is None and not history.stopped_early


def test_default_loss_for_a_sigmoid_output_is_bce_on_probabilities():
    X, y = data.xor()
    history = fit(MLP(2, [4, 1], output_activation="sigmoid"), X, y, epochs=2, progress=False)
    assert history.loss_name == "binary_cross_entropy"


def test_regression_targets_use_mse_and_have_no_accuracy():
    X = [[x / 10] for x in range(-10, 11)]
    y = [2.0 * x[0] + 0.5 for x in X]
    net = MLP(1, [1], seed=0)
    history = fit(net, X, y, optimizer=optim.SGD(net, lr=0.2), epochs=60, progress=False)
    assert history.loss_name == "mse"
    assert history.accuracy == [None] * 60
    w, b = net.layers[0].neurons[0].w[0].data, net.layers[0].neurons[0].b.data
    assert (w, b) == (pytest.approx(2.0, abs=1e-3), pytest.approx(0.5, abs=1e-3))


def test_early_stopping_stops_and_restores_the_best_weights():
    """4 of the 20 validation labels are flipped: the validation loss first falls as the
    network learns the moons, then rises as it grows confident about the flipped points (best
    at epoch 8 with this seed). It stops ``patience`` = 3 epochs later and gives the best
    epoch's weights back."""
    X, y = data.moons(40, noise=0.1, seed=5)
    Xv, yv = X[:20], [1 - t if i < 4 else t for i, t in enumerate(y[:20])]
    net = MLP(2, [8, 1], seed=0)
    history = fit(net, X, y, optimizer=optim.Adam(net, lr=0.05), epochs=200, val=(Xv, yv),
                  early_stopping=3, progress=False)
    assert history.stopped_early
    assert history.best_epoch == 8
    assert history.epochs == history.best_epoch + 1 + 3
    assert history.val_loss[0] > history.val_loss[8] < history.val_loss[-1]
    assert min(history.val_loss) == history.val_loss[history.best_epoch]
    restored = losses.binary_cross_entropy_with_logits([net(x) for x in Xv], yv).data
    assert restored == history.val_loss[history.best_epoch]


def test_penalty_shrinks_the_weights():
    X, y = data.moons(30, noise=0.1, seed=0)
    plain, penalised = MLP(2, [6, 1], seed=0), MLP(2, [6, 1], seed=0)
    fit(plain, X, y, optimizer=optim.Adam(plain, lr=0.05), epochs=15, progress=False)
    fit(penalised, X, y, optimizer=optim.Adam(penalised, lr=0.05), epochs=15, progress=False,
        penalty=lambda m: 0.5 * losses.l2(m))
    assert losses.l2(penalised).data < 0.8 * losses.l2(plain).data


def test_gradient_clipping_inside_fit_bounds_every_step():
    norms = []

    class Watching(optim.SGD):
        def step(self):
            norms.append(math.sqrt(sum(p.grad ** 2 for p in self.params)))
            super().step()

    X = [[3.0, -2.0], [10.0, 4.0]]
    net = MLP(2, [4, 1], seed=0)
    fit(net, X, [50.0, -80.0], optimizer=Watching(net, lr=0.001), epochs=5, clip_norm=0.5,
        progress=False)
    assert len(norms) == 5 and max(norms) <= 0.5 * (1 + 1e-12)


def test_the_garbage_collector_is_paused_per_step_only():
    seen = []

    def watching_loss(outputs, targets):
        seen.append(gc.isenabled())
        return losses.binary_cross_entropy_with_logits(outputs, targets)

    X, y = data.xor()
    assert gc.isenabled()
    fit(MLP(2, [3, 1]), X, y, loss=watching_loss, epochs=3, val=(X, y), progress=False)
    # three training steps with the collector paused, three validations with it running
    assert seen == [False, True, False, True, False, True]
    assert gc.isenabled()


def test_progress_bar_on_request_and_for_long_runs_only(capsys):
    X, y = data.xor()
    fit(MLP(2, [3, 1]), X, y, epochs=3, progress=True)
    assert "fit" in capsys.readouterr().err
    fit(MLP(2, [3, 1]), X, y, epochs=3)  # "auto": 12 samples seen, far from long
    assert capsys.readouterr().err == ""


def test_dropout_is_on_while_training_and_off_for_predictions():
    X, y = data.moons(20, seed=0)
    net = MLP(2, [8, 1], dropout=0.5, seed=0)
    fit(net, X, y, epochs=2, progress=False)
    assert net.training                                  # fit gives the mode back
    assert predict(net, X) == predict(net, X)            # eval mode: deterministic
    assert net.training


def test_predict_and_labels():
    net = MLP(2, [3], seed=0, output_activation="linear")
    outs = predict(net, [[0.1, 0.2], [1.0, -1.0]])
    assert all(isinstance(o, list) and len(o) == 3 for o in outs)
    assert predict_labels(net, [[0.1, 0.2]]) == [max(range(3), key=outs[0].__getitem__)]
    one = MLP(2, [1], output_activation="sigmoid", seed=0)
    p = predict(one, [[0.1, 0.2]])[0]
    assert predict_labels(one, [[0.1, 0.2]], loss=losses.binary_cross_entropy) == [int(p > 0.5)]


@pytest.mark.parametrize("kwargs, error, message", [
    (dict(epochs=0), ValueError, "epochs must be"),
    (dict(batch_size=-2), ValueError, "batch_size"),
    (dict(early_stopping=3), ValueError, "pass val="),
    (dict(val=([[0.0, 1.0]],)), ValueError, "pair"),
    (dict(progress="yes"), ValueError, "progress"),
    (dict(loss=losses.cross_entropy), ValueError, "k ≥ 2 logits"),
])
def test_fit_rejects_bad_settings(kwargs, error, message):
    X, y = data.xor()
    with pytest.raises(error, match=message):
        fit(MLP(2, [3, 1]), X, y, **kwargs)


def test_fit_rejects_bad_data_at_the_start():
    net = MLP(2, [3, 1])
    with pytest.raises(TypeError, match=r"X\[1\]\[0\] needs a real number.*str"):
        fit(net, [[0.0, 1.0], ["a", 1.0]], [0, 1])
    with pytest.raises(ValueError, match="2 samples but y has 3"):
        fit(net, [[0.0, 1.0], [1.0, 1.0]], [0, 1, 1])
    with pytest.raises(ValueError, match=r"y\[1\] \(a class of 3\) .* from 0 to 2, got 4"):
        fit(MLP(2, [3]), [[0.0, 1.0], [1.0, 1.0]], [0, 4], loss=losses.cross_entropy)


def test_divergence_is_reported_not_hidden():
    X = [[1.0], [2.0]]
    net = MLP(1, [4, 1], seed=0)
    with pytest.raises((FloatingPointError, ArithmeticError)):
        fit(net, X, [1e150, -1e150], optimizer=optim.SGD(net, lr=1e10), epochs=20,
            progress=False)
    assert gc.isenabled()


# ---------------------------------------------------------------- one step, the loop body
def test_step_is_one_sgd_step_as_pytorch_takes_it():
    """Forward, softmax cross-entropy + λ·L2, backward, clip by norm, SGD: the same weights as
    PyTorch's loop body on the same network."""
    torch = pytest.importorskip("torch")
    from tinygrad_edu.bridge import to_torch
    X, y = data.make("spirals", n=12, seed=1)
    net = MLP(2, [5, 3], seed=2)
    twin = to_torch(net)
    result = step(net, X, y, losses.cross_entropy, optim.SGD(net, lr=0.3),
                  penalty=lambda m: 0.01 * losses.l2(m), clip_norm=0.5)

    opt = torch.optim.SGD(twin.parameters(), lr=0.3)
    logits = twin(torch.tensor(X, dtype=torch.float64))
    data_loss = torch.nn.functional.cross_entropy(logits, torch.tensor(y))
    weights = [m.weight for m in twin if isinstance(m, torch.nn.Linear)]
    objective = data_loss + 0.01 * sum((w * w).sum() for w in weights)
    opt.zero_grad()
    objective.backward()
    torch.nn.utils.clip_grad_norm_(twin.parameters(), 0.5)
    opt.step()

    assert result.loss == pytest.approx(data_loss.item(), rel=1e-12)
    assert result.size == 12
    assert result.correct == int((logits.argmax(1) == torch.tensor(y)).sum())
    assert result.accuracy == result.correct / 12
    ours = [p.data for p in net.parameters()]
    theirs = [v for m in twin if isinstance(m, torch.nn.Linear)
              for row, b in zip(m.weight.tolist(), m.bias.tolist()) for v in row + [b]]
    assert ours == pytest.approx(theirs, rel=1e-10)


def test_step_has_no_accuracy_for_real_valued_targets():
    net = MLP(1, [2, 1], seed=0)
    result = step(net, [[0.5], [1.0]], [0.25, 2.0], losses.mse, optim.SGD(net, lr=0.1))
    assert result.correct is None and result.accuracy is None


def test_step_refuses_a_non_finite_loss_and_changes_nothing():
    net = MLP(1, [2, 1], seed=0)
    before = net.state_dict()
    with pytest.raises(OpOverflow, match="overflows a float"):  # at the op (issue 13, item 6)
        step(net, [[1e200]], [1e200], losses.mse, optim.SGD(net, lr=0.1))
    assert net.state_dict() == before
    assert gc.isenabled()


# ------------------------------------------------------- issue 13: refusals that used to be silent
def test_fit_and_step_refuse_to_run_inside_no_grad():
    """Under no_grad nothing is recorded, so backward reaches no weight: training would
    silently do nothing."""
    X, y = data.xor()
    net = MLP(2, [3, 1], seed=0)
    before = net.state_dict()
    with no_grad():
        with pytest.raises(RuntimeError, match="outside `with no_grad"):
            fit(net, X, y, epochs=2, progress=False)
        with pytest.raises(RuntimeError, match="outside `with no_grad"):
            step(net, X, y, losses.binary_cross_entropy_with_logits, optim.SGD(net, lr=0.1))
    assert net.state_dict() == before


@pytest.mark.parametrize("kwargs, error, message", [
    (dict(min_delta=math.nan), ValueError, "min_delta must be a finite number"),
    (dict(min_delta=math.inf), ValueError, "min_delta must be a finite number"),
    (dict(min_delta=-1.0), ValueError, "min_delta must be ≥ 0"),
    (dict(min_delta=10 ** 400), OverflowError, "too large for a float"),
    (dict(clip_norm=math.nan), ValueError, "clip_norm must be a finite number"),
    (dict(clip_norm=0), ValueError, "clip_norm must be > 0"),
    (dict(clip_value=math.inf), ValueError, "clip_value must be a finite number"),
    (dict(clip_value="1"), TypeError, "clip_value needs a real number"),
    # the seed, as data's and nn's: a whole number (random.Random took 1.5, "1" and None)
    (dict(seed=1.5), ValueError, "fit: seed must be a whole number, got 1.5"),
    (dict(seed="1"), TypeError, "fit: seed needs a whole number"),
    (dict(seed=None), TypeError, "fit: seed needs a whole number"),
])
def test_fit_refuses_non_finite_settings_before_the_first_step(kwargs, error, message):
    X, y = data.xor()
    net = MLP(2, [3, 1], seed=0)
    before = net.state_dict()
    with pytest.raises(error, match=message):
        fit(net, X, y, epochs=2, val=(X, y), early_stopping=2, progress=False, **kwargs)
    assert net.state_dict() == before


def test_fit_names_a_huge_integer_in_X():
    with pytest.raises(OverflowError, match=r"fit: X\[1\]\[0\]: a 401-digit integer is too large"):
        fit(MLP(2, [3, 1]), [[0.0, 1.0], [10 ** 400, 1.0]], [0, 1], progress=False)
    with pytest.raises(OverflowError, match=r"X\[0\]\[1\]: .*too large"):
        predict(MLP(2, [1]), [[0.0, -10 ** 5000]])


def test_evaluate_is_the_loss_and_accuracy_in_eval_mode():
    X, y = data.make("moons", n=30, seed=2)
    net = MLP(2, [6, 1], dropout=0.5, seed=1)
    value, acc = evaluate(net, X, y, losses.binary_cross_entropy_with_logits)
    outs = predict(net, X)                                # eval mode: no unit dropped
    expected = sum(math.log1p(math.exp(z)) - t * z for z, t in zip(outs, y)) / len(y)
    assert value == pytest.approx(expected, rel=1e-12)
    assert acc == accuracy(net, X, y) == sum(int(z > 0) == t for z, t in zip(outs, y)) / 30
    assert net.training
    assert evaluate(net, [[0.0, 1.0]], [0.5], losses.mse)[1] is None


# ---------------------------------------------------------------- fit through the tape
def _run(compiled, make_net, X, y, **kwargs):
    net = make_net()
    history = fit(net, X, y, optimizer=optim.Adam(net, lr=0.05), progress=False,
                  compiled=compiled, **kwargs)
    return history.to_dict(), net.state_dict()


@pytest.mark.parametrize("case", ["softmax", "logistic", "regression"])
def test_compiled_fit_gives_the_engines_losses_and_weights_bit_for_bit(case):
    """One tape per minibatch size (16, and the last batch of 12), replayed with each
    batch's data: every epoch's loss and accuracy and every final weight are the engine's."""
    if case == "softmax":
        X, y = data.make("spirals", n=60, seed=0)
        net = lambda: MLP(2, [8, 8, 3], activation="tanh", seed=1)  # noqa: E731
        kwargs = dict(loss=losses.cross_entropy, penalty=lambda m: 1e-3 * losses.l2(m),
                      clip_norm=1.0, val=(X[:20], y[:20]))
    elif case == "logistic":
        X, y = data.make("moons", n=60, seed=1)
        net = lambda: MLP(2, [6, 1], activation="relu", seed=2)  # noqa: E731
        kwargs = dict(penalty=lambda m: 1e-2 * losses.l1(m), clip_value=0.5)
    else:
        X, _ = data.make("moons", n=60, seed=2)
        y = [a * b for a, b in X]
        net = lambda: MLP(2, [5, 1], activation="sigmoid", seed=3)  # noqa: E731
        kwargs = dict(loss=losses.mse)
    engine = _run(False, net, X, y, epochs=4, batch_size=16, **kwargs)
    compiled = _run(True, net, X, y, epochs=4, batch_size=16, **kwargs)
    assert compiled == engine
    assert engine[0]["loss"][-1] < engine[0]["loss"][0]


@pytest.mark.parametrize("make_net, loss, message", [
    (lambda: MLP(2, [4, 1], dropout=0.2), None, "without dropout"),
    (lambda: MLP(2, [4, 1]), losses.hinge, "depends on its targets"),
    (lambda: MLP(2, [4, 1]), losses.binary_cross_entropy, "depends on its targets"),
])
def test_compiled_fit_refuses_what_a_tape_cannot_replay(make_net, loss, message):
    X, y = data.xor()
    net = make_net()
    before = net.state_dict()
    with pytest.raises(ValueError, match=message):
        fit(net, X, y, loss=loss, epochs=1, progress=False, compiled=True)
    assert net.state_dict() == before


@pytest.mark.slow
def test_digits_reach_95_percent_test_accuracy_through_the_tape():
    """MLP(64, [32, 10]), softmax cross-entropy, Adam(lr=0.01), minibatches of 32, 10 epochs
    on scikit-learn's 8×8 digits, seed 0: at least 95% of the held-out images right."""
    pytest.importorskip("sklearn")
    X, y = data.digits("train", seed=0)
    X_test, y_test = data.digits("test", seed=0)
    net = MLP(64, [32, 10], seed=0)
    history = fit(net, X, y, loss=losses.cross_entropy, optimizer=optim.Adam(net, lr=0.01),
                  epochs=10, batch_size=32, progress=False, compiled=True)
    assert history.loss[-1] < history.loss[0] / 10
    assert accuracy(net, X_test, y_test) >= 0.95


@pytest.mark.parametrize("setting", [{"compiled": "fast"}, {"compiled": 1},
                                     {"compiled": True, "exact": "yes"}, {"exact": None}])
def test_fit_takes_its_tape_switches_as_true_or_false_only(setting):
    X, y = data.moons(8, seed=0)
    model = MLP(2, [3, 1], seed=0)
    before = [p.data for p in model.parameters()]
    with pytest.raises(TypeError, match=r"fit: (compiled|exact) must be True or False, got"):
        fit(model, X, y, epochs=1, **setting)
    assert [p.data for p in model.parameters()] == before


def test_fit_refuses_the_fast_tape_without_the_tape():
    X, y = data.moons(8, seed=0)
    with pytest.raises(ValueError, match=r"exact=False chooses the fast tape, so it needs "
                                         r"compiled=True"):
        fit(MLP(2, [3, 1], seed=0), X, y, epochs=1, exact=False)


@pytest.mark.parametrize("how", [{}, {"compiled": True}, {"compiled": True, "exact": False}])
def test_boolean_labels_train_and_count_as_0_and_1(how):
    # the one policy: True and False are 1 and 0 (fit reported no accuracy for them)
    X, y = data.xor(40, seed=1)
    runs = []
    for labels in (y, [bool(t) for t in y]):
        model = MLP(2, [4, 1], activation="tanh", seed=2)
        history = fit(model, X, labels, epochs=3, batch_size=8, progress=False, **how)
        runs.append((history.loss, history.accuracy))
    assert runs[1] == runs[0] and runs[0][1][-1] is not None
