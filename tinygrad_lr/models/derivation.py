"""The lecture's hand-derived gradients of logistic regression, checked against the engine.

One example with features x, weights w and bias b::

    z = w·x + b        a = σ(z)        L(a, y) = −(y·log a + (1 − y)·log(1 − a))
    da = −y/a + (1 − y)/(1 − a)        dz = a − y        dw_i = x_i·dz        db = dz

m examples as the rows of X (m, n), labels Y (m,), cost J = mean of the losses::

    Z = X·w + b        A = σ(Z)        dZ = A − Y        dw = Xᵀ·dZ / m        db = mean(dZ)

(``dA``, ``dZ`` are per-example derivatives ∂L_i/∂·; the engine differentiates J, so its
gradients on A and Z are these divided by m.)

K classes (softmax regression, :func:`check_softmax`): W (n, K), b (K,), Y one-hot (m, K)::

    Z = X·W + b        A = softmax(Z)        J = mean(−Σ_k Y_k log A_k)
    dZ = A − Y         dW = Xᵀ·dZ / m        db = mean(dZ, over the rows)

The same formulas: for K = 2, ``A[:, 1] = σ(Z[:, 1] − Z[:, 0])``, so the binary model is
the softmax one with ``w = W[:, 1] − W[:, 0]``, and column 1 of ``dZ`` is the binary
``a − y`` (column 0 is its negative).

The formulas below are written out by hand in numpy. :func:`check_example` and
:func:`check_batch` build the same computation with the engine, run ``backward`` and
return a :class:`GradientTable` of both side by side. Two loss forms: ``"sigmoid"`` (the
lecture's graph, ``L(σ(z), y)`` with an explicit ``a`` node) and ``"logits"`` (the fused
``binary_cross_entropy_with_logits(z, y)`` used for training).

>>> table = check_example(**LECTURE_EXAMPLE)
>>> [row.quantity for row in table]
['z', 'a', 'L', 'da', 'dz', 'dw1', 'dw2', 'db']
>>> table.max_abs_diff < 1e-12
True
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .. import functional as F
from ..ops.losses import probability_bounds
from ..tensor import Tensor

LECTURE_EXAMPLE = {"x": [1.0, 2.0], "w": [0.5, -0.2], "b": 0.1, "y": 1.0}
"""The single example used throughout the docs and by ``tinygrad-lr check``."""

LOSS_FORMS = ("sigmoid", "logits")

SOFTMAX_EXAMPLE = {"x": [1.0, 2.0], "W": [[0.5, -0.3, 0.1], [-0.2, 0.4, 0.2]],
                   "b": [0.1, 0.0, -0.1], "y": 2}
"""One example with three classes, for :func:`check_softmax` and ``tinygrad-lr check
--softmax``: the lecture's x, W (features × classes), b and the class index y."""


# ---------------------------------------------------------------- hand-derived
def sigmoid(z):
    """σ(z) = 1/(1 + e^(−z)) in numpy, without overflow for large |z|.

    >>> float(sigmoid(0.0))
    0.5
    """
    z = np.asarray(z, dtype=np.float64)
    return np.exp(-np.logaddexp(0.0, -z))


def clip_probability(a):
    """``a`` clipped to the interval the loss op uses, so ``log a``, ``1/a`` stay finite.

    >>> float(clip_probability(1.0)) < 1.0
    True
    """
    low, high = probability_bounds(np.float64)
    return np.clip(np.asarray(a, dtype=np.float64), low, high)


def loss_from_logit(z, y):
    """L(σ(z), y) written with log(1 + e^±z): exact where σ(z) rounds to 0 or 1.

    >>> round(float(loss_from_logit(40.0, 0.0)), 6)
    40.0
    """
    z = np.asarray(z, dtype=np.float64)
    return y * np.logaddexp(0.0, -z) + (1 - y) * np.logaddexp(0.0, z)


def saturated(a, y) -> bool:
    """True where σ(z) has rounded onto the wrong label's side of the clip interval.

    There the probability form cannot carry ``a − y`` back to z (σ(40) and σ(50) are both
    exactly 1 in float64), so its engine gradient differs from the formula; the with-logits
    form does not have this limit.

    >>> saturated(1.0, 0.0), saturated(1.0, 1.0), saturated(0.3, 0.0)
    (True, False, False)
    """
    low, high = probability_bounds(np.float64)
    a, y = np.asarray(a, dtype=np.float64), np.asarray(y, dtype=np.float64)
    return bool(np.any(((a >= high) & (y < 1)) | ((a <= low) & (y > 0))))


def forward_example(x, w, b, y) -> dict:
    """The lecture's forward pass for one example: ``{"z", "a", "L"}``.

    >>> {k: round(float(v), 6) for k, v in forward_example([1, 2], [0.5, -0.2], 0.1, 1).items()}
    {'z': 0.2, 'a': 0.549834, 'L': 0.598139}
    """
    z = float(np.dot(w, x) + b)
    a = float(sigmoid(z))
    clipped = clip_probability(a)
    return {"z": z, "a": a, "L": float(-(y * np.log(clipped) + (1 - y) * np.log1p(-clipped)))}


def backward_example(x, w, b, y) -> dict:
    """The lecture's hand-derived derivatives for one example.

    ``da = −y/a + (1−y)/(1−a)``, ``dz = a − y``, ``dw = x·dz`` (array), ``db = dz``.

    >>> grads = backward_example([1.0, 2.0], [0.5, -0.2], 0.1, 1.0)
    >>> round(grads["dz"], 6), grads["dw"].round(6).tolist()
    (-0.450166, [-0.450166, -0.900332])
    """
    a = forward_example(x, w, b, y)["a"]
    clipped = clip_probability(a)
    da = float(-y / clipped + (1 - y) / (1 - clipped))
    dz = a - y
    return {"da": da, "dz": dz, "dw": np.asarray(x, dtype=np.float64) * dz, "db": dz}


def forward_batch(X, w, b, Y) -> dict:
    """The vectorised forward pass: ``{"Z", "A", "J"}`` with J the mean loss.

    >>> import numpy as np
    >>> from tinygrad_lr.models.derivation import forward_batch
    >>> out = forward_batch([[1.0, 2.0], [0.0, -1.0]], [0.5, -0.2], 0.1, [1.0, 0.0])
    >>> out["Z"].round(6).tolist(), round(out["J"], 6)
    ([0.2, 0.3], 0.726247)
    """
    Y = np.asarray(Y, dtype=np.float64)
    Z = np.asarray(X, dtype=np.float64) @ np.asarray(w, dtype=np.float64) + b
    A = sigmoid(Z)
    clipped = clip_probability(A)
    J = float(np.mean(-(Y * np.log(clipped) + (1 - Y) * np.log1p(-clipped))))
    return {"Z": Z, "A": A, "J": J}


def backward_batch(X, w, b, Y) -> dict:
    """The vectorised hand-derived derivatives for m examples (rows of X).

    ``dA = −Y/A + (1−Y)/(1−A)``, ``dZ = A − Y``, ``dw = Xᵀ·dZ / m``, ``db = mean(dZ)``.

    >>> grads = backward_batch([[1.0, 2.0], [0.0, -1.0]], [0.5, -0.2], 0.1, [1.0, 0.0])
    >>> grads["dw"].round(6).tolist()
    [-0.225083, -0.737387]
    """
    X = np.asarray(X, dtype=np.float64)
    Y = np.asarray(Y, dtype=np.float64)
    A = forward_batch(X, w, b, Y)["A"]
    clipped = clip_probability(A)
    dA = -Y / clipped + (1 - Y) / (1 - clipped)
    dZ = A - Y
    return {"dA": dA, "dZ": dZ, "dw": X.T @ dZ / len(X), "db": float(np.mean(dZ))}


# ------------------------------------------------------------------ comparison
class Row(NamedTuple):
    """One line of a :class:`GradientTable`.

    >>> from tinygrad_lr.models.derivation import LECTURE_EXAMPLE, check_example
    >>> row = check_example(**LECTURE_EXAMPLE)["dz"]
    >>> row.quantity, row.formula, round(float(row.hand_derived), 6), row.abs_diff < 1e-12
    ('dz', 'dz = a − y', -0.450166, True)
    """

    quantity: str
    hand_derived: np.ndarray
    engine: np.ndarray
    abs_diff: float
    formula: str = ""


class GradientTable:
    """Hand-derived values beside the engine's, one :class:`Row` per quantity.

    Iterate over it for the rows; ``max_abs_diff`` is the largest difference; ``str()``
    formats it as a table (arrays are summarised by their largest absolute entry).

    >>> from tinygrad_lr.models.derivation import LECTURE_EXAMPLE, check_example
    >>> table = check_example(**LECTURE_EXAMPLE, loss="logits")
    >>> len(table), table["dw2"].formula, table.max_abs_diff < 1e-12
    (6, 'dw2 = x2·dz', True)
    >>> print(str(table).splitlines()[1])
    quantity  formula  hand-derived  engine  abs diff
    """

    def __init__(self, rows: list[Row], title: str = "", note: str = "") -> None:
        self.rows = list(rows)
        self.title = title
        self.note = note

    def __iter__(self):
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, quantity: str) -> Row:
        for row in self.rows:
            if row.quantity == quantity:
                return row
        raise KeyError(f"no row {quantity!r}; rows are {[r.quantity for r in self.rows]}")

    @property
    def max_abs_diff(self) -> float:
        """The largest absolute difference between hand-derived and engine values."""
        return float(np.max([row.abs_diff for row in self.rows]))  # NaN stays NaN

    def __str__(self) -> str:
        def show(value) -> str:
            value = np.asarray(value)
            if value.size == 1:
                return f"{value.item():.12f}"
            return f"max|·| {np.abs(value).max():.6f} ({value.size})"

        header = ("quantity", "formula", "hand-derived", "engine", "abs diff")
        cells = [(r.quantity, r.formula, show(r.hand_derived), show(r.engine),
                  f"{r.abs_diff:.1e}") for r in self.rows]
        widths = [max(len(line[i]) for line in [header, *cells]) for i in range(5)]
        def join(line) -> str:
            return "  ".join(cell.rjust(w) if i > 1 else cell.ljust(w)
                             for i, (cell, w) in enumerate(zip(line, widths))).rstrip()

        lines = [self.title] if self.title else []
        lines.append(join(header))
        backward_started = False
        for row, line in zip(self.rows, cells):
            if row.quantity.startswith("d") and not backward_started:
                lines.append("  backward: the chain rule, from the loss back to the inputs")
                backward_started = True
            elif row is self.rows[0]:
                lines.append("  forward")
            lines.append(join(line))
        lines.append(f"max abs diff: {self.max_abs_diff:.1e}")
        if self.note:
            lines.append(self.note)
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"GradientTable({len(self.rows)} rows, max_abs_diff={self.max_abs_diff:.1e})"


def _row(quantity, hand, engine, formula) -> Row:
    hand = np.asarray(hand, dtype=np.float64)
    engine = np.asarray(engine, dtype=np.float64)
    return Row(quantity, hand, engine, float(np.max(np.abs(hand - engine))), formula)


def _check_loss_form(loss: str) -> None:
    if loss not in LOSS_FORMS:
        raise ValueError(f"loss must be one of {LOSS_FORMS}, got {loss!r}")


def _finite(name: str, value, shape=None) -> np.ndarray:
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be numbers, got {value!r}") from None
    if shape is not None and array.shape != shape:
        raise ValueError(f"{name} must have shape {shape}, got {array.shape}")
    if not np.isfinite(array).all():
        raise ValueError(f"{name} contains NaN or infinity: {array}")
    return array


def _labels(name: str, value, shape) -> np.ndarray:
    labels = _finite(name, value, shape)
    if ((labels < 0) | (labels > 1)).any():
        raise ValueError(f"{name} must lie in [0, 1] (class labels 0/1), got {labels}")
    return labels


def check_example(x, w, b, y, loss: str = "sigmoid") -> GradientTable:
    """Compare the lecture's formulas with the engine on one example.

    Builds ``z = w1·x1 + w2·x2 + ... + b`` from scalar tensors (the lecture's graph), then
    ``L`` with ``loss="sigmoid"`` (``a = σ(z)`` then ``L(a, y)``) or ``loss="logits"``
    (``L`` straight from ``z``), runs ``backward(retain_grads=True)`` and tabulates the
    forward values z, (a), L and the derivatives (da), dz, dw1..dwn, db.

    >>> print(check_example(**LECTURE_EXAMPLE).max_abs_diff < 1e-12)
    True
    """
    _check_loss_form(loss)
    x = _finite("x", x)
    if x.ndim != 1 or x.size == 0:
        raise ValueError(f"x must be a non-empty 1-D list of features, got shape {x.shape}")
    w = _finite("w", w, x.shape)
    b = float(_finite("b", b, ()))
    y = float(_labels("y", y, ()))

    weights = [Tensor(v, requires_grad=True, name=f"w{i}") for i, v in enumerate(w, 1)]
    bias = Tensor(b, requires_grad=True, name="b")
    z = bias
    for i, (weight, feature) in enumerate(zip(weights, x), 1):
        z = Tensor(feature, name=f"x{i}") * weight + z
    z.name = "z"
    if loss == "sigmoid":
        a = z.sigmoid()
        a.name = "a"
        L = F.binary_cross_entropy(a, y)
    else:
        L = F.binary_cross_entropy_with_logits(z, y)
    L.name = "L"
    L.backward(retain_grads=True)

    forward = forward_example(x, w, b, y)
    hand = backward_example(x, w, b, y)
    rows = [_row("z", forward["z"], z.data, "z = w·x + b")]
    if loss == "sigmoid":
        rows.append(_row("a", forward["a"], a.data, "a = σ(z)"))
    hand_loss = forward["L"] if loss == "sigmoid" else loss_from_logit(forward["z"], y)
    rows.append(_row("L", hand_loss, L.data, "L = −(y log a + (1−y) log(1−a))"))
    if loss == "sigmoid":
        rows.append(_row("da", hand["da"], a.grad.data, "da = −y/a + (1−y)/(1−a)"))
    rows.append(_row("dz", hand["dz"], z.grad.data, "dz = a − y"))
    for i, weight in enumerate(weights, 1):
        rows.append(_row(f"dw{i}", hand["dw"][i - 1], weight.grad.data, f"dw{i} = x{i}·dz"))
    rows.append(_row("db", hand["db"], bias.grad.data, "db = dz"))
    return GradientTable(rows, title=f"one example, loss form '{loss}'",
                         note=_saturation_note(loss, forward["a"], y))


def check_batch(X, w, b, Y, loss: str = "sigmoid") -> GradientTable:
    """Compare the vectorised formulas with the engine on m examples (the rows of X).

    The engine computes ``J = mean(L(σ(X@w + b), Y))`` (or the with-logits form) and
    ``backward``; its gradients on A and Z are multiplied by m to compare them with the
    per-example ``dA`` and ``dZ``.

    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> table = check_batch(rng.normal(size=(8, 3)), rng.normal(size=3), 0.2,
    ...                     rng.integers(0, 2, 8), loss="logits")
    >>> [row.quantity for row in table], table.max_abs_diff < 1e-12
    (['Z', 'J', 'dZ', 'dw', 'db'], True)
    """
    _check_loss_form(loss)
    X = _finite("X", X)
    if X.ndim != 2 or X.size == 0:
        raise ValueError(f"X must be a non-empty 2-D array (m, n), got shape {X.shape}")
    m, n = X.shape
    w = _finite("w", w, (n,))
    b = float(_finite("b", b, ()))
    Y = _labels("Y", Y, (m,))

    weight = Tensor(w.copy(), requires_grad=True, name="w")
    bias = Tensor(b, requires_grad=True, name="b")
    Z = Tensor(X, name="X") @ weight + bias
    if loss == "sigmoid":
        A = Z.sigmoid()
        J = F.binary_cross_entropy(A, Y)
    else:
        J = F.binary_cross_entropy_with_logits(Z, Y)
    J.backward(retain_grads=True)

    forward = forward_batch(X, w, b, Y)
    hand = backward_batch(X, w, b, Y)
    rows = [_row("Z", forward["Z"], Z.data, "Z = X·w + b")]
    if loss == "sigmoid":
        rows.append(_row("A", forward["A"], A.data, "A = σ(Z)"))
    hand_cost = forward["J"]
    if loss == "logits":
        hand_cost = float(np.mean(loss_from_logit(forward["Z"], Y)))
    rows.append(_row("J", hand_cost, J.data, "J = mean(L(A, Y))"))
    if loss == "sigmoid":
        rows.append(_row("dA", hand["dA"], m * A.grad.data, "dA = −Y/A + (1−Y)/(1−A)"))
    rows.append(_row("dZ", hand["dZ"], m * Z.grad.data, "dZ = A − Y"))
    rows.append(_row("dw", hand["dw"], weight.grad.data, "dw = Xᵀ·dZ / m"))
    rows.append(_row("db", hand["db"], bias.grad.data, "db = mean(dZ)"))
    return GradientTable(rows, title=f"{m} examples, loss form '{loss}'",
                         note=_saturation_note(loss, forward["A"], Y))


def _saturation_note(loss: str, a, y) -> str:
    if loss != "sigmoid" or not saturated(a, y):
        return ""
    return ("note: σ(z) rounded to exactly 1 (z > 36.7) or below the smallest float (z < −708) "
            "against its label; there a probability cannot carry dz = a − y back to z "
            "(the engine's gradient is right for the rounded a). The 'logits' form has no "
            "such limit.")


# ------------------------------------------------------------------- softmax
def softmax(Z):
    """exp(Z) / Σ exp(Z) along the last axis in numpy, without overflow.

    >>> softmax([0.0, 0.0]).tolist()
    [0.5, 0.5]
    """
    Z = np.asarray(Z, dtype=np.float64)
    shifted = np.exp(Z - Z.max(axis=-1, keepdims=True))
    return shifted / shifted.sum(axis=-1, keepdims=True)


def one_hot(Y, n_classes: int) -> np.ndarray:
    """Class indices (m,) as rows of an (m, n_classes) identity.

    >>> one_hot([2, 0], 3).tolist()
    [[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]]
    """
    return np.eye(n_classes)[np.asarray(Y, dtype=np.intp)]


def forward_softmax(X, W, b, Y) -> dict:
    """Softmax regression forward in numpy: ``{"Z", "A", "J"}``, J the mean cross-entropy.

    >>> out = forward_softmax([[1.0, 2.0]], SOFTMAX_EXAMPLE["W"], SOFTMAX_EXAMPLE["b"], [2])
    >>> out["Z"].round(6).tolist(), round(out["J"], 6)
    ([[0.2, 0.5, 0.4]], 1.072919)
    """
    X = np.asarray(X, dtype=np.float64)
    Z = X @ np.asarray(W, dtype=np.float64) + np.asarray(b, dtype=np.float64)
    A = softmax(Z)
    log_A = Z - Z.max(axis=1, keepdims=True)
    log_A = log_A - np.log(np.exp(log_A).sum(axis=1, keepdims=True))
    J = float(-np.mean((one_hot(Y, Z.shape[1]) * log_A).sum(axis=1)))
    return {"Z": Z, "A": A, "J": J}


def backward_softmax(X, W, b, Y) -> dict:
    """The hand-derived softmax derivatives: ``dZ = A − Y`` (Y one-hot), ``dW = Xᵀ·dZ/m``,
    ``db = mean(dZ)`` over the rows.

    >>> grads = backward_softmax([[1.0, 2.0]], SOFTMAX_EXAMPLE["W"], SOFTMAX_EXAMPLE["b"], [2])
    >>> grads["dZ"].round(6).tolist()
    [[0.280013, 0.377978, -0.657991]]
    """
    X = np.asarray(X, dtype=np.float64)
    A = forward_softmax(X, W, b, Y)["A"]
    dZ = A - one_hot(Y, A.shape[1])
    return {"dZ": dZ, "dW": X.T @ dZ / len(X), "db": dZ.mean(axis=0)}


def check_softmax(X, W, b, Y) -> GradientTable:
    """Compare the softmax formulas with the engine on m examples with K classes.

    The engine computes ``Z = X@W + b`` and ``J = cross_entropy(Z, Y)`` (log-softmax, one
    graph) and runs ``backward``; its gradient on Z is multiplied by m to compare with the
    per-example ``dZ = A − Y``. With one example every entry gets its own row (z1, a1, dz1,
    dw11 = ∂L/∂W[0, 0], ...); with more, one row per matrix.

    >>> table = check_softmax([SOFTMAX_EXAMPLE["x"]], SOFTMAX_EXAMPLE["W"], SOFTMAX_EXAMPLE["b"],
    ...                       [SOFTMAX_EXAMPLE["y"]])
    >>> [row.quantity for row in table][:7], table.max_abs_diff < 1e-12
    (['z1', 'z2', 'z3', 'a1', 'a2', 'a3', 'L'], True)
    """
    X = _finite("X", X)
    if X.ndim != 2 or X.size == 0:
        raise ValueError(f"X must be a non-empty 2-D array (m, n), got shape {X.shape}")
    m, n = X.shape
    W = _finite("W", W)
    if W.ndim != 2 or W.shape[0] != n or W.shape[1] < 2:
        raise ValueError(f"W must have shape ({n}, K) with K >= 2 classes, got {W.shape}")
    K = W.shape[1]
    b = _finite("b", b, (K,))
    Y = _finite("Y", Y, (m,))
    if (Y != np.round(Y)).any() or (Y < 0).any() or (Y >= K).any():
        raise ValueError(f"Y must hold class indices 0..{K - 1}, got {Y}")
    Y = Y.astype(np.intp)

    weight = Tensor(W.copy(), requires_grad=True, name="W")
    bias = Tensor(b.copy(), requires_grad=True, name="b")
    Z = Tensor(X, name="X") @ weight + bias
    J = F.cross_entropy(Z, Y)
    J.backward(retain_grads=True)
    A = Z.softmax(axis=-1)

    forward = forward_softmax(X, W, b, Y)
    hand = backward_softmax(X, W, b, Y)
    quantities = [("Z", "z", forward["Z"], Z.data, "Z = X·W + b"),
                  ("A", "a", forward["A"], A.data, "A = softmax(Z)"),
                  ("J", "L", forward["J"], J.data, "J = mean(−Σ Y log A)"),
                  ("dZ", "dz", hand["dZ"], m * Z.grad.data, "dZ = A − Y"),
                  ("dW", "dw", hand["dW"], weight.grad.data, "dW = Xᵀ·dZ / m"),
                  ("db", "db", hand["db"], bias.grad.data, "db = mean(dZ)")]
    rows = []
    for name, symbol, hand_value, engine_value, formula in quantities:
        if m > 1 or np.ndim(hand_value) == 0:
            rows.append(_row(name if m > 1 else symbol, hand_value, engine_value, formula))
            continue
        hand_value = np.asarray(hand_value).reshape(np.shape(engine_value))
        for index in np.ndindex(np.shape(hand_value)):
            position = index[1:] if name in ("Z", "A", "dZ") else index
            label = symbol + "".join(str(i + 1) for i in position)
            rows.append(_row(label, hand_value[index], engine_value[index], formula))
    return GradientTable(rows, title=f"{m} example{'s' if m > 1 else ''}, {K} classes, softmax")
