"""The lecture's m-example board: the for-loop over the examples, then the vectorised board.

The lecture first sums over the examples one at a time (``J += L⁽ⁱ⁾``,
``dw1 += x1⁽ⁱ⁾·dz⁽ⁱ⁾``, ``db += dz⁽ⁱ⁾``, then divides by m) and then writes the same
computation with matrices (``Z = wᵀX + b``, ``dZ = A − Y``, ``dw = (1/m)·X·dZᵀ``). Both
parts run through the engine; the loop's last frame and the vectorised board end at the
same numbers.
"""

from __future__ import annotations

from html import escape

import numpy as np

from ..registry import get_op
from ..tensor import Tensor
from .api import backprop
from .board import BoardFrame, fmt
from .dot import wrap
from .lecture import lecture_example, lecture_footer, lecture_lines
from .options import make_options
from .steps import Frame, StepThrough, backward_frames, same_layout

MAX_FEATURES = 4  # one weight box per feature in the loop's board
MAX_EXAMPLES = 12  # a board writes X in full


def batch_example(X, Y, w=None, b: float = 0.1, columns: bool = True,
                  backward: bool = True) -> dict:
    """Build the lecture's m-example graph ``Z = wᵀX + b`` (``columns=True``, examples as
    columns, as the lecture writes it) or ``Z = X@w + b`` (examples as rows), ``A = σ(Z)``,
    ``J = (1/m)·Σ L(A, Y)``.

    ``X`` holds one example per row (m × n), ``Y`` the m labels in [0, 1], ``w`` the n
    weights (default 0.5, −0.2, 0, …). Returns the named tensors ``"X" "Y" "w" "b" "Z" "A"
    "J"``; with ``backward=True`` it also runs backward, keeping every gradient.

    >>> t = batch_example([[1.0, 2.0], [0.5, -1.0]], [1.0, 0.0])
    >>> t["Z"].shape, round(t["J"].item(), 4)
    ((1, 2), 0.8018)
    """
    X, Y, w = checked_examples(X, Y, w)
    bias = Tensor(float(b), requires_grad=True, name="b")
    if columns:
        data = Tensor(X.T.copy(), name="X")
        weights = Tensor(w[:, None].copy(), requires_grad=True, name="w")
        z = weights.T @ data + bias
        labels = Tensor(Y[None, :].copy(), name="Y")
    else:
        data = Tensor(X.copy(), name="X")
        weights = Tensor(w.copy(), requires_grad=True, name="w")
        z = data @ weights + bias
        labels = Tensor(Y.copy(), name="Y")
    z.name = "Z"
    a = z.sigmoid()
    a.name = "A"
    cost = get_op("binary_cross_entropy")(a, labels)
    cost.name = "J"
    if backward:
        backprop(cost)
    return {"X": data, "Y": labels, "w": weights, "b": bias, "Z": z, "A": a, "J": cost}


def checked_examples(X, Y, w=None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``X`` (m × n), ``Y`` (m,) and ``w`` (n,) as float arrays, or a clear error."""
    X = np.array(X, dtype=float)
    Y = np.array(Y, dtype=float).reshape(-1)
    if X.ndim != 2 or not (2 <= X.shape[0] <= MAX_EXAMPLES) or not (
            1 <= X.shape[1] <= MAX_FEATURES):
        raise ValueError(f"X must hold 2 to {MAX_EXAMPLES} examples of 1 to {MAX_FEATURES} "
                         f"features (one example per row), got shape {X.shape}")
    if Y.shape != (X.shape[0],):
        raise ValueError(f"Y must hold one label per example ({X.shape[0]}), got {Y.size}")
    if not (np.isfinite(X).all() and np.isfinite(Y).all()):
        raise ValueError("X and Y must be finite numbers")
    if ((Y < 0) | (Y > 1)).any():
        raise ValueError("the labels Y must be in [0, 1]")
    if w is None:
        w = np.zeros(X.shape[1])
        w[:2] = [0.5, -0.2][: X.shape[1]]
    w = np.array(w, dtype=float).reshape(-1)
    if w.shape != (X.shape[1],) or not np.isfinite(w).all():
        raise ValueError(f"w must hold {X.shape[1]} finite weights, one per feature")
    return X, Y, w


def lecture_examples(m: int) -> tuple[np.ndarray, np.ndarray]:
    """``m`` examples of two features for the board: the lecture's (1, 2) with label 1
    first, then small numbers with one decimal, labels alternating (no randomness)."""
    if not isinstance(m, int) or isinstance(m, bool) or not 2 <= m <= MAX_EXAMPLES:
        raise ValueError(f"m must be an int from 2 to {MAX_EXAMPLES}, got {m!r}")
    rng = np.random.default_rng(0)
    X = np.round(rng.uniform(-2, 2, size=(m, 2)), 1)
    X[0] = [1.0, 2.0]
    Y = np.array([1.0 - (i % 2) for i in range(m)])
    return X, Y


def loop_frames(X, Y, w, b: float, precision: int = 4) -> list:
    """The for-loop over the examples as frames: example i's board, what it adds to J and
    to each gradient, and a last frame dividing by m."""
    X, Y, w = checked_examples(X, Y, w)
    m, n = X.shape
    opts = make_options(view="lecture", legend=False, precision=precision)
    sums = {"J": 0.0, **{f"dw{j + 1}": 0.0 for j in range(n)}, "db": 0.0}
    frames = []
    p = precision
    for i in range(m):
        tensors = _one_example(X[i], Y[i], w, b)
        loss = tensors["L"]
        backprop(loss)
        dz = float(tensors["z"].grad.item())
        sums["J"] += float(loss.item())
        adds = [f"J += L⁽{i + 1}⁾ = {fmt(loss.item(), p)}"]
        for j in range(n):
            sums[f"dw{j + 1}"] += X[i, j] * dz
            adds.append(f"dw{j + 1} += x{j + 1}⁽{i + 1}⁾·dz⁽{i + 1}⁾ = "
                        f"{fmt(X[i, j], p)}·{_paren(fmt(dz, p))}")
        sums["db"] += dz
        adds.append(f"db += dz⁽{i + 1}⁾ = {fmt(dz, p)}")
        frame = BoardFrame(compact=True)
        frames.append(Frame(len(frames), f"For-loop, example {i + 1} of {m}: " + "; ".join(adds),
                            wrap(lecture_lines(loss, opts, frame)), "loop"))
        frames[-1].aside = _sums_table(sums, f"after example {i + 1} of {m}", p)
    averaged = {k: v / m for k, v in sums.items()}
    last = frames[-1]
    frames.append(Frame(len(frames), "After the loop, divide by m = "
                        f"{m}: " + ", ".join(f"{k} = {fmt(v, p)}" for k, v in averaged.items())
                        + ". The vectorised board next gives the same numbers.",
                        last.dot, "loop"))
    frames[-1].aside = _sums_table(averaged, f"÷ m = {m}", p)
    return same_layout(frames)


def batch_steps(X, Y, w=None, b: float = 0.1, columns: bool = True, lr: float | None = 0.1,
                loop: bool = True, precision: int = 4,
                title: str | None = None) -> StepThrough:
    """The m-example lecture as one page: the for-loop frames (``loop=True``), then the
    vectorised board step by step with the update (``lr``).

    >>> from tinygrad_lr import viz
    >>> page = viz.batch_steps([[1.0, 2.0], [0.5, -1.0]], [1.0, 0.0])
    >>> [f.kind for f in page.frames].count("loop"), page.frames[2].caption.split(":")[0]
    (3, 'After the loop, divide by m = 2')
    """
    X, Y, w = checked_examples(X, Y, w)
    tensors = batch_example(X, Y, w, b, columns=columns, backward=False)
    frames = loop_frames(X, Y, w, b, precision) if loop else []
    vectorised = backward_frames(tensors["J"], view="lecture", lr=lr, precision=precision)
    for frame in vectorised:
        frame.step += len(frames)
    frames += vectorised
    layout = "examples as columns" if columns else "examples as rows"
    return StepThrough(frames, title or f"The m-example board, m = {len(Y)} ({layout})",
                       lecture_footer(tensors["J"], update=lr is not None))


def _one_example(x, y, w, b):
    named = {f"x{j + 1}": float(v) for j, v in enumerate(x)}
    if len(x) == 2:
        return lecture_example(x1=named["x1"], x2=named["x2"], y=float(y), w1=float(w[0]),
                               w2=float(w[1]), b=float(b), backward=False)
    t = {k: Tensor(v, name=k) for k, v in named.items()}
    t["y"] = Tensor(float(y), name="y")
    z = Tensor(float(b), requires_grad=True, name="b")
    t["b"] = z
    for j in range(len(x)):
        weight = Tensor(float(w[j]), requires_grad=True, name=f"w{j + 1}")
        t[weight.name] = weight
        z = weight * t[f"x{j + 1}"] + z
    z.name = "z"
    a = z.sigmoid()
    a.name = "a"
    t["L"] = get_op("binary_cross_entropy")(a, t["y"])
    t["L"].name = "L"
    t.update(z=z, a=a)
    return t


def _paren(text: str) -> str:
    return f"({text})" if text.startswith("−") else text


def _sums_table(sums: dict, heading: str, precision: int) -> str:
    rows = "".join(
        f'<text x="12" y="{70 + 42 * k}" font-size="26">{escape(name)} = '
        f"{escape(fmt(value, precision))}</text>" for k, (name, value) in enumerate(sums.items()))
    height = 90 + 42 * len(sums)
    return (f'<svg class="chart" viewBox="0 0 300 {height}" xmlns="http://www.w3.org/2000/svg" '
            'font-family="Helvetica,Arial,sans-serif"><text x="12" y="30" font-size="20" '
            f'font-weight="bold">{escape(heading)}</text>{rows}</svg>')
