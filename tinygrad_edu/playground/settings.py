"""The playground's settings: what a user may choose, the limits, and the checks.

Every setting the page sends is checked here before anything is built, so a bad value is
refused with a message naming the setting and the allowed range, and the run that was
going on is left as it was. The limits keep one run small enough that a scalar engine
trains it live; the session limit (see ``session``) bounds how many train at once.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields

from .. import checks, data, nn, optim
from ..checks import short_repr

__all__ = ["Settings", "SettingsError", "LIMITS", "MENUS", "CHOICES", "DEFAULTS",
           "check_settings", "options"]

MULTICLASS = tuple(name for name, d in data.DATASETS.items() if d.multiclass)
ACTIVATION_LABELS = {"relu": "ReLU", "leaky_relu": "leaky ReLU", "linear": "linear (none)"}
MENUS = {
    "dataset": {name: ("XOR" if name == "xor" else name, d.description)
                for name, d in data.DATASETS.items()},
    "activation": {name: (ACTIVATION_LABELS.get(name, name), "") for name in nn.ACTIVATIONS},
    "output": {"sigmoid_bce": ("sigmoid + BCE", "sigmoid + binary cross-entropy (one output)"),
               "softmax_ce": ("softmax + CE", "softmax + cross-entropy (one output per class)"),
               "hinge": ("hinge (SVM)", "hinge / SVM margin loss"),
               "mse": ("squared error", "squared error on the 0/1 label (one output)")},
    "optimizer": {name: (c.label, c.description) for name, c in optim.OPTIMIZERS.items()},
    "decay": {"none": ("none", "constant η"), "exponential": ("exponential", "η₀·exp(−κ·epoch)"),
              "inverse": ("1 / (1 + κt)", "η₀ / (1 + κ·epoch)")},
    "regularization": {"none": ("none", "none"), "l1": ("L1", "L1: λ·Σ|w|"),
                       "l2": ("L2", "L2: λ·Σw²")},
}
"""Each menu of the page: choice → (its short name in the menu, its tooltip). The data
sets, activations and optimizers are the library's own (``data``, ``nn``, ``optim``)."""
CHOICES = {name: tuple(menu) for name, menu in MENUS.items()}

LIMITS = {
    "samples": (20, 1000),          # points in the data set (train + validation)
    "noise": (0.0, 1.0),
    "classes": (2, 5),              # spirals and blobs only; the others have 2
    "val_fraction": (0.1, 0.9),
    "hidden_layers": (0, 6),        # 0 hidden layers: a linear model (it cannot learn XOR)
    "width": (1, 16),               # neurons in one hidden layer
    "neurons": (0, 64),             # neurons in all hidden layers together
    "lr": (0.0, 10.0),              # 0 < lr ≤ 10
    "decay_rate": (0.0, 1.0),
    "reg_strength": (0.0, 1.0),
    "batch_size": (1, 1000),
    "seed": (0, 2**31 - 1),
}


@dataclass
class Settings:
    """One run's choices; ``to_dict`` is what the page and the exported model see."""

    dataset: str = "moons"
    samples: int = 200
    noise: float = 0.1
    classes: int = 2
    val_fraction: float = 0.3
    hidden: list = field(default_factory=lambda: [6, 6])
    activation: str = "tanh"
    output: str = "sigmoid_bce"
    optimizer: str = "adam"
    lr: float = 0.03
    decay: str = "none"
    decay_rate: float = 0.01
    regularization: str = "none"
    reg_strength: float = 0.001
    batch_size: int = 10
    seed: int = 0

    @property
    def num_classes(self) -> int:
        return self.classes if self.dataset in MULTICLASS else 2

    @property
    def n_train(self) -> int:
        """Training points: the samples less the validation share (``data.training_size``)."""
        return data.training_size(self.samples, self.val_fraction)

    @property
    def outputs(self) -> int:
        """Output units: one per class for softmax (and multi-class hinge), else one."""
        if self.output == "softmax_ce" or (self.output == "hinge" and self.num_classes > 2):
            return self.num_classes
        return 1

    def to_dict(self) -> dict:
        return asdict(self)


DEFAULTS = Settings().to_dict()


class SettingsError(ValueError):
    """A refused setting: ``field`` names it, the message says what is allowed."""

    def __init__(self, field_name: str, message: str):
        super().__init__(message)
        self.field = field_name


NAMES = {"samples": "number of samples", "classes": "number of classes",
         "val_fraction": "validation fraction", "lr": "learning rate",
         "decay_rate": "decay rate κ", "reg_strength": "regularisation strength λ",
         "batch_size": "batch size"}
"""How the messages name a setting (the others by their own name)."""


def _checked(name: str, value, kind: str):
    """One setting's value, checked by ``tinygrad_edu.checks``' policy (a boolean is 1 or 0,
    8.0 a whole number: JSON from a page) within ``LIMITS``; ``kind`` is its type in
    ``Settings``."""
    label = NAMES.get(name, name)
    if name == "hidden":
        return _hidden(value)
    if name in CHOICES:
        return _refused(name, checks.one_of, value, CHOICES[name], label)
    if kind == "int":
        return _refused(name, checks.whole, value, label, *LIMITS[name])
    return _refused(name, checks.in_range, value, label, *LIMITS[name],
                    low_open=name == "lr")  # 0 < lr: a step is taken


def _refused(name: str, check, *args, **options):
    """``check(*args, **options)``, a ``checks`` helper; its refusal a SettingsError."""
    try:
        return check(*args, **options)
    except (TypeError, ValueError, OverflowError) as err:
        raise SettingsError(name, str(err)) from None


def _hidden(value) -> list:
    if not isinstance(value, (list, tuple)):
        raise SettingsError("hidden", f"hidden must be a list of layer widths, e.g. [6, 6], "
                                      f"got {short_repr(value)}")
    high = LIMITS["hidden_layers"][1]
    if len(value) > high:
        raise SettingsError("hidden", f"at most {high} hidden layers, got {len(value)}")
    widths = [_refused("hidden", checks.whole, w, f"hidden layer {i} width", *LIMITS["width"])
              for i, w in enumerate(value, start=1)]
    total = sum(widths)
    if total > LIMITS["neurons"][1]:
        raise SettingsError("hidden", f"at most {LIMITS['neurons'][1]} hidden neurons in all, "
                                      f"got {total}")
    return widths


def check_settings(changes: dict, base: Settings | None = None) -> Settings:
    """``base`` (default: the defaults) with ``changes`` applied, every value checked.

    Unknown names, wrong types, values out of range and combinations that cannot work
    (one sigmoid output for three classes, a batch larger than the training set) raise
    :class:`SettingsError`; nothing is half-applied.
    """
    if not isinstance(changes, dict):
        raise SettingsError("", f"settings must be a JSON object, got {type(changes).__name__}")
    merged = (base or Settings()).to_dict()
    unknown = [k for k in changes if k not in merged]
    if unknown:
        raise SettingsError(str(unknown[0]), f"unknown setting {unknown[0]!r}; the settings are "
                                             f"{', '.join(merged)}")
    merged.update(changes)
    s = Settings(**{f.name: _checked(f.name, merged[f.name], f.type) for f in fields(Settings)})
    k = s.num_classes
    if k > 2 and s.output in ("sigmoid_bce", "mse"):
        raise SettingsError("output", f"{s.dataset} with {k} classes needs one output per "
                                      f"class: choose softmax + cross-entropy or hinge "
                                      f"({MENUS['output'][s.output][0]} has a single output, "
                                      f"which separates only two classes)")
    if s.batch_size > s.n_train:
        raise SettingsError("batch_size", f"batch size {s.batch_size} is larger than the "
                                          f"training set ({s.n_train} points); choose at most "
                                          f"{s.n_train}")
    return s


def options() -> dict:
    """Everything the page needs to build its form: choices, their descriptions, limits."""
    return {
        "choices": {k: list(v) for k, v in CHOICES.items()},
        "labels": {k: {c: label for c, (label, _) in menu.items()} for k, menu in MENUS.items()},
        "descriptions": {k: {c: tip for c, (_, tip) in menu.items()} for k, menu in MENUS.items()},
        "multiclass": list(MULTICLASS),
        "limits": {k: list(v) for k, v in LIMITS.items()},
        "defaults": DEFAULTS,
    }
