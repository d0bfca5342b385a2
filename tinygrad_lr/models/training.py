"""The training core of logistic regression: one set of solvers for every data source.

**How fit flows.** :meth:`LogisticRegression.fit <tinygrad_lr.models.LogisticRegression.fit>`
reads top to bottom: it checks its hyper-parameters into a :class:`TrainingSettings`, makes a
*data source* for X (:mod:`tinygrad_lr.models.sources` for numpy arrays and memory maps,
:mod:`tinygrad_lr.models.dask_fit` for Dask arrays and DataFrames), hands both to
:func:`train`, and sets its fitted attributes from the :class:`TrainedModel` it gets back
(:func:`fitted_attributes`). :func:`train` resolves ``solver='auto'``, the penalty α and the
starting point, then runs either an exact solver (:func:`tinygrad_lr.models.solvers.newton`,
:func:`~tinygrad_lr.models.solvers.lbfgs`) on the source's ``evaluate(theta, need_hessian)``,
or the lecture's first-order loop (:func:`first_order`: gd, sgd with momentum, Adam) on the
source's gradients, full batch or in mini-batches. ``partial_fit`` runs one
:func:`stream_epoch` of that loop per call.

A data source (:class:`DataSource`) knows its rows and nothing of the estimator: the
classes and per-row class codes and weights it was built from, an ``evaluator`` of the
penalized objective J over all its rows, and, where it can, mini-batches of rows.

To add a solver, add a branch to :func:`train` that minimises the source's ``evaluate``;
to add a data source, write a class with :class:`DataSource`'s members.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, NamedTuple, Protocol

import numpy as np

from .. import functional as F
from .. import nn, optim
from ..tensor import Tensor
from . import objective as objective_terms
from . import solvers
from .conventions import sklearn_n_iter
from .exceptions import ConvergenceWarning, sklearn_compatible
from .validation import check_random_state

EXACT_SOLVERS = ("newton", "lbfgs")
TEACHING_SOLVERS = ("gd", "sgd", "adam")
DEFAULT_LR = {"gd": 0.5, "sgd": 0.05, "adam": 0.01, "newton": 1.0}
"""Learning rate used when ``lr=None`` (the lecture's α for gd); tuned for standardized
features. For ``'newton'`` it is the first step length tried by the line search."""
DEFAULT_MAX_ITER = {"newton": 100, "lbfgs": 1000, "gd": 1000, "sgd": 1000, "adam": 1000}
"""``max_iter=None`` means this many Newton/L-BFGS iterations or epochs."""
AUTO_NEWTON_MAX_PARAMETERS = 1000
"""``solver='auto'`` uses Newton up to this many parameters (or always, without scipy);
beyond, one Hessian costs more than the many cheap L-BFGS iterations it saves."""
N_ITER_NO_CHANGE = 5
"""Mini-batch training stops after this many epochs in a row without an improvement > tol."""
SGD_MOMENTUM = 0.9


@dataclass(frozen=True)
class TrainingSettings:
    """The checked hyper-parameters the training core reads (the estimator checks them).

    ``l2`` is the lecture's λ (or None: use ``C``); ``penalized`` False means no penalty.
    ``name`` names the estimator in warnings; ``verbose`` prints J after every step.
    """

    solver: str
    tol: float
    max_iter: int | None
    batch_size: int | None
    fit_intercept: bool
    lr: float | None = None
    C: float = 1.0
    l2: float | None = None
    penalized: bool = True
    random_state: Any = None
    verbose: int = 0
    name: str = "LogisticRegression"

    def alpha(self, weight_sum: float) -> float:
        """Penalty strength α on the weighted mean loss: l2, or 1/(C·S).

        >>> TrainingSettings("gd", 1e-4, None, None, True, C=2.0).alpha(100.0)
        0.005
        """
        if not self.penalized:
            return 0.0
        if self.l2 is not None:
            return float(self.l2)
        return 0.0 if np.isinf(self.C) else objective_terms.alpha_from_C(float(self.C),
                                                                         weight_sum)

    def learning_rate(self, solver: str) -> float:
        """``lr``, or the solver's :data:`DEFAULT_LR`."""
        return DEFAULT_LR[solver] if self.lr is None else float(self.lr)


class Batch(NamedTuple):
    """Some rows of a source: X (rows, d), class codes (rows,), row weights or None."""

    X: np.ndarray
    codes: np.ndarray
    weights: np.ndarray | None


class DataSource(Protocol):
    """What the training core needs from the data, however it is stored.

    ``classes`` (K,) sorted labels; ``n_rows``, ``n_features``; ``weight_sum`` S = Σᵢ sᵢ
    (sample weight times class weight); ``feature_names`` (column names, or None).
    """

    classes: np.ndarray
    n_rows: int
    n_features: int
    weight_sum: float
    feature_names: np.ndarray | None

    def evaluator(self, *, alpha: float, fit_intercept: bool
                  ) -> Callable[[np.ndarray, bool], objective_terms.Evaluation]:
        """``evaluate(theta, need_hessian) -> (J, ∇J, ∇²J or None)`` over every row."""

    def mini_batches(self, batch_size: int, rng: np.random.Generator) -> Iterator[Batch]:
        """The rows in shuffled batches of ``batch_size`` (one epoch), or a ValueError
        saying why this source cannot."""

    def running(self) -> AbstractContextManager:
        """A context the training runs in (e.g. to explain lost Dask data)."""

    def describe(self, evaluate: Callable, theta: np.ndarray) -> str | None:
        """A line a verbose fit prints about the data, or None."""


class TrainedModel(NamedTuple):
    """What :func:`train` returns: θ's parts, J after each step, the solver run."""

    coef: np.ndarray
    intercept: np.ndarray
    history: list
    solver: str


def resolve_solver(solver: str, n_classes: int, n_features: int, fit_intercept: bool) -> str:
    """What ``solver="auto"`` means for this problem: Newton up to
    :data:`AUTO_NEWTON_MAX_PARAMETERS` parameters (or without scipy), else L-BFGS.

    >>> resolve_solver("auto", 2, 30, True), resolve_solver("gd", 2, 30, True)
    ('newton', 'gd')
    """
    if solver != "auto":
        return solver
    n_parameters = objective_terms.n_outputs(n_classes) * (n_features + fit_intercept)
    if n_parameters <= AUTO_NEWTON_MAX_PARAMETERS or not solvers.scipy_available():
        return "newton"
    return "lbfgs"


def warn_convergence(name: str, message: str, stacklevel: int = 4) -> None:
    """A scikit-learn-compatible ``ConvergenceWarning`` naming the estimator."""
    warnings.warn(f"{name} {message}", sklearn_compatible(ConvergenceWarning),
                  stacklevel=stacklevel)


def report(settings: TrainingSettings, callback: Callable | None, step: int,
           loss: float) -> None:
    """Print J after a step when verbose, and call the user's ``callback(step, loss)``."""
    if settings.verbose:
        print(f"epoch {step}: loss {loss:.6f}")
    if callback is not None:
        callback(step, loss)


def train(source: DataSource, settings: TrainingSettings, start: np.ndarray | None = None,
          callback: Callable | None = None) -> TrainedModel:
    """Minimise J over the source's rows from θ = ``start`` (zeros if None)."""
    K, d = len(source.classes), source.n_features
    fit_intercept = settings.fit_intercept
    alpha = settings.alpha(source.weight_sum)
    solver = resolve_solver(settings.solver, K, d, fit_intercept)
    max_iter = settings.max_iter or DEFAULT_MAX_ITER[solver]
    if start is None:
        start = np.zeros(objective_terms.n_outputs(K) * (d + fit_intercept))
    with source.running():
        evaluate = source.evaluator(alpha=alpha, fit_intercept=fit_intercept)
        line = source.describe(evaluate, start) if settings.verbose else None
        if line:
            print(line)
        on_step = lambda step, loss: report(settings, callback, step, loss)  # noqa: E731
        if solver == "newton":
            result = solvers.newton(
                evaluate, start, tol=settings.tol, max_iter=max_iter,
                first_step=settings.learning_rate("newton"),
                flat_directions=flat_directions(K, d, fit_intercept, penalized=alpha > 0),
                callback=on_step)
        elif solver == "lbfgs":
            result = solvers.lbfgs(evaluate, start, tol=settings.tol, max_iter=max_iter,
                                   callback=on_step)
        else:
            theta, history = first_order(source, evaluate, settings, solver, alpha, start,
                                         max_iter, on_step)
            result = solvers.SolverResult(theta, len(history), history, True)
    if not result.converged:
        what = "Newton's method" if solver == "newton" else "L-BFGS"
        warn_convergence(settings.name, f"{what} did not converge in max_iter={max_iter} "
                         f"steps (tol={settings.tol}); raise max_iter or standardize X")
    coef, intercept = objective_terms.unpack(result.theta, K, d, fit_intercept)
    return TrainedModel(coef, intercept, result.history, solver)


def batch_evaluation(theta, batch: Batch, *, n_classes: int, alpha: float,
                     fit_intercept: bool) -> objective_terms.Evaluation:
    """(J, ∇J, None) of the penalized objective over one batch of rows."""
    sums = objective_terms.block_sums(theta, batch.X, batch.codes, batch.weights,
                                      n_classes=n_classes, fit_intercept=fit_intercept)
    return objective_terms.penalized(sums, theta, alpha=alpha, n_classes=n_classes,
                                     n_features=batch.X.shape[1], fit_intercept=fit_intercept)


def first_order(source: DataSource, evaluate: Callable, settings: TrainingSettings,
                solver: str, alpha: float, start: np.ndarray, max_iter: int,
                on_step: Callable) -> tuple[np.ndarray, list]:
    """The lecture's loop: θ := the optimizer's update from ∇J, for ``max_iter`` epochs.

    Full batch (``batch_size`` None or ≥ the rows): one step per epoch with the gradient
    over every row, stopping once every gradient entry is at most ``tol``; the gradient
    at the new θ is the next step's. Mini-batches: one step per batch of the source's
    shuffled rows, stopping after :data:`N_ITER_NO_CHANGE` epochs in a row without the
    epoch's J improving on its best by more than ``tol·max(1, J)``.
    """
    lr = settings.learning_rate(solver)
    tol = settings.tol
    n = source.n_rows
    batch_size = n if settings.batch_size is None else min(settings.batch_size, n)
    mini_batches = batch_size < n
    rng = check_random_state(settings.random_state)
    theta = Tensor(np.array(start, dtype=np.float64), requires_grad=True, name="theta")
    optimizer = make_optimizer(solver, [theta], lr)
    start_loss, gradient, _ = evaluate(theta.data, False)
    history: list[float] = []
    best, stale = start_loss, 0
    options = {"n_classes": len(source.classes), "alpha": alpha,
               "fit_intercept": settings.fit_intercept}
    for epoch in range(1, max_iter + 1):
        if mini_batches:
            for batch in source.mini_batches(batch_size, rng):
                if batch.weights is not None and not batch.weights.sum() > 0:
                    continue  # every row of this batch has weight 0: nothing to learn
                theta.grad = Tensor(batch_evaluation(theta.data, batch, **options)[1])
                optimizer.step()
            loss = evaluate(theta.data, False)[0]
            stale = stale + 1 if loss > best - tol * max(1.0, abs(best)) else 0
            best = min(best, loss)
            converged = stale >= N_ITER_NO_CHANGE
        else:
            theta.grad = Tensor(gradient)
            optimizer.step()
            loss, gradient, _ = evaluate(theta.data, False)
            converged = np.abs(gradient).max() <= tol
        if not (np.isfinite(loss) and np.isfinite(theta.data).all()):
            raise FloatingPointError(
                f"training diverged in epoch {epoch}: the loss became {loss}; lower lr "
                f"(it is {lr}) or standardize X"
            )
        history.append(loss)
        on_step(epoch, loss)
        if converged:
            break
    else:
        warn_convergence(settings.name, f"did not converge in max_iter={max_iter} epochs "
                         f"(tol={tol}); raise max_iter or lr", stacklevel=5)
    if history[-1] > start_loss:
        warn_convergence(settings.name,
                         f"training made the loss worse ({start_loss:.6g} -> "
                         f"{history[-1]:.6g}); lr={lr} is probably too large for these "
                         "features (standardize X or lower lr)", stacklevel=5)
    return theta.data.copy(), history


class StreamState:
    """What ``partial_fit`` carries from one call to the next: θ, the optimizer (momentum,
    Adam's moments), the batch order's generator and the weight of the rows seen so far."""

    def __init__(self, settings: TrainingSettings, solver: str, start: np.ndarray) -> None:
        self.theta = Tensor(np.array(start, dtype=np.float64), requires_grad=True,
                            name="theta")
        self.lr = settings.learning_rate(solver)
        self.optimizer = make_optimizer(solver, [self.theta], self.lr)
        self.rng = check_random_state(settings.random_state)
        self.weight_seen = 0.0
        self.coef = None  # the coef_ this state last produced: a later fit makes it stale


def stream_epoch(state: StreamState, source: DataSource, settings: TrainingSettings
                 ) -> TrainedModel:
    """One epoch of the first-order solver over a piece of the data, continuing ``state``.

    The penalty is that of a fit on every row seen so far (α from their total weight);
    the history entry is the mean of the batches' J, each taken before its step.
    """
    K, d = len(source.classes), source.n_features
    state.weight_seen += source.weight_sum
    options = {"n_classes": K, "alpha": settings.alpha(state.weight_seen),
               "fit_intercept": settings.fit_intercept}
    n = source.n_rows
    batch_size = n if settings.batch_size is None else min(settings.batch_size, n)
    losses = []
    for batch in source.mini_batches(batch_size, state.rng):
        if batch.weights is not None and not batch.weights.sum() > 0:
            continue
        loss, gradient, _ = batch_evaluation(state.theta.data, batch, **options)
        state.theta.grad = Tensor(gradient)
        state.optimizer.step()
        losses.append(loss)
    if not (np.isfinite(losses).all() and np.isfinite(state.theta.data).all()):
        raise FloatingPointError(
            f"partial_fit diverged: the loss became {losses[-1]}; lower lr (it is "
            f"{state.lr}) or standardize X"
        )
    coef, intercept = objective_terms.unpack(state.theta.data, K, d, settings.fit_intercept)
    return TrainedModel(coef, intercept, [float(np.mean(losses))], settings.solver)


def fitted_attributes(source: DataSource, trained: TrainedModel, history: list) -> dict:
    """scikit-learn's fitted attributes: ``classes_``, ``n_features_in_``, ``coef_``,
    ``intercept_``, ``history_``, ``n_iter_`` (int32, shape (1,)), ``solver_`` and
    ``feature_names_in_`` (None: the attribute is removed)."""
    return {"classes_": source.classes, "n_features_in_": source.n_features,
            "coef_": trained.coef, "intercept_": trained.intercept, "history_": history,
            "n_iter_": sklearn_n_iter(len(history)), "solver_": trained.solver,
            "feature_names_in_": source.feature_names}


def flat_directions(n_classes: int, n_features: int, fit_intercept: bool = True,
                    penalized: bool = True) -> np.ndarray | None:
    """Orthonormal directions in θ along which the softmax objective is constant.

    Adding one number to every class's intercept (and, without a penalty, one vector to
    every class's weights) changes no probability. None for two classes.

    >>> flat_directions(3, 1).round(4).tolist()
    [[0.0], [0.5774], [0.0], [0.5774], [0.0], [0.5774]]
    """
    if n_classes == 2:
        return None
    p = n_features + bool(fit_intercept)
    columns = range(n_features if penalized else 0, p)
    directions = []
    for column in columns:
        direction = np.zeros((n_classes, p))
        direction[:, column] = 1 / np.sqrt(n_classes)
        directions.append(direction.ravel())
    return np.column_stack(directions) if directions else None


def training_objective(model: nn.Linear, inputs: Tensor, codes, weights, n_classes: int,
                       alpha: float) -> Tensor:
    """J = (1/S)·Σ sᵢLᵢ + α/2·‖W‖² for an ``nn.Linear`` model, as the lecture's graph
    (one mean loss node when every row weighs 1)."""
    Z = model(inputs)
    if n_classes == 2:
        Z = Z.reshape(-1)
    if weights is None:
        loss = (F.binary_cross_entropy_with_logits(Z, Tensor(codes.astype(np.float64), name="y"))
                if n_classes == 2 else F.cross_entropy(Z, codes))
    else:
        loss = objective_terms.weighted_loss_sum(Z, codes, weights, n_classes) / float(
            weights.sum())
    if alpha:
        loss = loss + (alpha / 2) * (model.weight * model.weight).sum()
    return loss


def make_optimizer(solver: str, parameters, lr: float) -> optim.Optimizer:
    """The engine's optimizer of a first-order solver: gd is plain SGD, sgd has momentum
    :data:`SGD_MOMENTUM`, adam is Adam."""
    if solver == "gd":
        return optim.SGD(parameters, lr=lr)
    if solver == "sgd":
        return optim.SGD(parameters, lr=lr, momentum=SGD_MOMENTUM)
    return optim.Adam(parameters, lr=lr)
