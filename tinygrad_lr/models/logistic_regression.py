"""Logistic regression as one model on the engine, with scikit-learn's estimator interface.

The model is ``nn.Linear(d, 1)`` followed by the sigmoid; training minimises

    J(w, b) = mean_i BCE(σ(x_i·w + b), y_i) + l2/2 · ||w||²

with gradients from ``backward`` (first-order solvers) or with Newton steps whose Hessian
comes from double backward (``tg.hessian``). Nothing here differentiates by hand.
"""

from __future__ import annotations

import numbers
import warnings

import numpy as np

from .. import functional as F
from .. import nn, optim
from ..autograd import grad
from ..derivatives import hessian
from ..grad_mode import no_grad
from ..tensor import Tensor
from .base import BaseEstimator
from .exceptions import ConvergenceWarning, sklearn_compatible
from .validation import (
    check_array,
    check_is_fitted,
    check_labels,
    encode_binary,
    label_text,
)

SOLVERS = ("gd", "sgd", "adam", "newton")
DEFAULT_LR = {"gd": 0.5, "sgd": 0.05, "adam": 0.01, "newton": 1.0}
"""Learning rate used when ``lr=None``; tuned for standardized features."""
N_ITER_NO_CHANGE = 5
"""Mini-batch training stops after this many epochs in a row without an improvement > tol."""
SGD_MOMENTUM = 0.9


def penalized_loss(logits: Tensor, targets, weight: Tensor, l2: float) -> Tensor:
    """The training objective: mean binary cross-entropy on logits plus ``l2/2·||w||²``.

    >>> import tinygrad_lr as tg
    >>> w = tg.Tensor([[2.0]], requires_grad=True)
    >>> round(penalized_loss(tg.Tensor([0.0]), [1.0], w, l2=0.5).item(), 6)  # log 2 + 1
    1.693147
    """
    loss = F.binary_cross_entropy_with_logits(logits, targets)
    if l2:
        loss = loss + (l2 / 2) * (weight * weight).sum()
    return loss


class LogisticRegression(BaseEstimator):
    """Binary logistic regression trained by the autodiff engine.

    Follows scikit-learn's conventions (``fit``/``predict``/``predict_proba``, fitted
    attributes ending in ``_``, ``get_params``/``set_params``), so it works with
    ``sklearn.base.clone``, ``Pipeline``, ``cross_val_score`` and ``GridSearchCV`` when
    scikit-learn is installed; scikit-learn is never required.

    Args:
        lr: learning rate (for ``'newton'``: the first step length tried by the line
            search). ``None`` picks a default per solver that works on standardized
            features: gd 0.5, sgd 0.05, adam 0.01, newton 1.0.
        max_iter: maximum number of epochs (passes over the data; Newton steps for
            ``'newton'``).
        batch_size: rows per gradient step; ``None`` uses the full batch. Mini-batches are
            reshuffled every epoch. ``'newton'`` always uses the full batch.
        solver: ``'gd'`` gradient descent ``w := w − lr·dw`` (the lecture's update);
            ``'sgd'`` the same with momentum 0.9 (stochastic when ``batch_size`` is set);
            ``'adam'`` Adam; ``'newton'`` Newton's method with the Hessian from double
            backward and a backtracking line search.
        l2: strength of the penalty ``l2/2·||w||²`` added to the *mean* cross-entropy (the
            intercept is not penalised). It matches scikit-learn's ``C`` through
            ``C = 1 / (l2 · n_samples)``; ``l2=0`` means no penalty.
        tol: with the full batch, training stops once every entry of the gradient of J is
            at most ``tol`` in absolute value. With mini-batches, whose noisy steps never
            make the gradient small, it stops once the epoch loss has not improved on its
            best by more than ``tol·max(1, loss)`` for 5 epochs in a row. ``'newton'`` stops
            after a step that moved no parameter by more than ``tol·max(1, max|θ|)``.
        random_state: seed (int or ``np.random.Generator``) for the mini-batch order.
        verbose: print the loss after every epoch.

    Fitted attributes: ``coef_`` (1, d), ``intercept_`` (1,), ``classes_`` (2,),
    ``n_features_in_``, ``n_iter_`` (epochs or Newton steps run), ``history_`` (the
    training objective after each epoch).

    >>> import numpy as np
    >>> X = np.array([[-2.0], [-1.0], [1.0], [2.0]])
    >>> model = LogisticRegression(solver="newton", l2=0.1).fit(X, ["no", "no", "yes", "yes"])
    >>> model.predict([[-3.0], [3.0]]).tolist()
    ['no', 'yes']
    >>> model.predict_proba([[0.0]]).round(6).tolist()
    [[0.5, 0.5]]
    """

    _estimator_type = "classifier"

    def __init__(self, lr=None, max_iter=1000, batch_size=None, solver="gd", l2=1e-2,
                 tol=1e-4, random_state=None, verbose=0):
        self.lr = lr
        self.max_iter = max_iter
        self.batch_size = batch_size
        self.solver = solver
        self.l2 = l2
        self.tol = tol
        self.random_state = random_state
        self.verbose = verbose

    # ------------------------------------------------------------------ fitting
    def fit(self, X, y, *, callback=None):
        """Train on ``X`` (n_samples, n_features) and labels ``y`` (any two classes).

        ``callback(epoch, loss)``, if given, is called after every epoch (or Newton step)
        with the epoch number (from 1) and the training objective. Returns ``self``.
        Neither ``X`` nor ``y`` is modified.
        """
        settings = self._checked_settings()
        X = check_array(X, estimator=type(self).__name__)
        labels = check_labels(y, len(X), type(self).__name__)
        classes, targets = encode_binary(labels)
        if settings["solver"] == "newton":
            weight, bias, history = self._fit_newton(X, targets, settings, callback)
        else:
            weight, bias, history = self._fit_first_order(X, targets, settings, callback)
        # Set only once training succeeded, so a failed fit leaves no half-fitted state.
        self.classes_ = classes
        self.n_features_in_ = X.shape[1]
        self.coef_ = weight
        self.intercept_ = bias
        self.history_ = history
        self.n_iter_ = len(history)
        return self

    def _checked_settings(self) -> dict:
        """The hyper-parameters after checking them (done in fit, as scikit-learn does)."""
        if self.solver not in SOLVERS:
            raise ValueError(f"solver must be one of {SOLVERS}, got {self.solver!r}")
        lr = DEFAULT_LR[self.solver] if self.lr is None else self.lr
        _check_number("lr", lr, positive=True)
        _check_number("l2", self.l2)
        _check_number("tol", self.tol)
        _check_count("max_iter", self.max_iter)
        if self.batch_size is not None:
            _check_count("batch_size", self.batch_size)
            if self.solver == "newton":
                raise ValueError(
                    "solver='newton' always uses the full batch; leave batch_size=None "
                    f"(got {self.batch_size})"
                )
        return {"solver": self.solver, "lr": float(lr), "l2": float(self.l2),
                "tol": float(self.tol), "max_iter": int(self.max_iter),
                "batch_size": self.batch_size}

    def _fit_first_order(self, X, targets, settings, callback):
        n, d = X.shape
        model = nn.Linear(d, 1)
        model.load_state_dict({"weight": np.zeros((1, d)), "bias": np.zeros(1)})
        optimizer = _make_optimizer(settings["solver"], model.parameters(), settings["lr"])
        inputs = Tensor(X)
        l2, tol = settings["l2"], settings["tol"]
        batch_size = n if settings["batch_size"] is None else min(settings["batch_size"], n)
        mini_batches = batch_size < n
        rng = np.random.default_rng(self.random_state)

        def objective(rows=None):
            batch = inputs if rows is None else Tensor(X[rows])
            batch_targets = targets if rows is None else targets[rows]
            return penalized_loss(model(batch).reshape(-1), batch_targets, model.weight, l2)

        with no_grad():
            start = objective().item()
        history: list[float] = []
        best, stale, converged = start, 0, False
        for epoch in range(1, settings["max_iter"] + 1):
            order = rng.permutation(n) if mini_batches else None
            for first in range(0, n, batch_size):
                rows = None if order is None else order[first:first + batch_size]
                optimizer.zero_grad()
                objective(rows).backward()
                optimizer.step()
            if mini_batches:
                with no_grad():
                    loss = objective().item()
                stale = stale + 1 if loss > best - tol * max(1.0, abs(best)) else 0
                best = min(best, loss)
                converged = stale >= N_ITER_NO_CHANGE
            else:
                full = objective()
                gradients = grad(full, [model.weight, model.bias])
                loss = full.item()
                converged = max(np.abs(g.data).max() for g in gradients) <= tol
            if not (np.isfinite(loss) and np.isfinite(model.weight.data).all()):
                raise FloatingPointError(
                    f"training diverged in epoch {epoch}: the loss became {loss}; lower lr "
                    f"(it is {settings['lr']}) or standardize X"
                )
            history.append(loss)
            self._report(epoch, loss, callback)
            if converged:
                break
        else:
            self._warn(f"did not converge in max_iter={settings['max_iter']} epochs "
                       f"(tol={tol}); raise max_iter or lr")
        if history[-1] > start:
            self._warn(f"training made the loss worse ({start:.6g} -> {history[-1]:.6g}); "
                       f"lr={settings['lr']} is probably too large for these features "
                       "(standardize X or lower lr)")
        return model.weight.data.copy(), model.bias.data.copy(), history

    def _fit_newton(self, X, targets, settings, callback):
        n, d = X.shape
        inputs = Tensor(X)
        l2, tol = settings["l2"], settings["tol"]

        def objective(theta):
            weight = theta[:d].reshape(1, d)
            return penalized_loss((inputs @ weight.T).reshape(-1) + theta[d], targets, weight,
                                  l2)

        theta = Tensor(np.zeros(d + 1), requires_grad=True, name="theta")
        history: list[float] = []
        for step_number in range(1, settings["max_iter"] + 1):
            loss = objective(theta)
            (gradient,) = grad(loss, theta)
            g = gradient.data
            step = _solve(hessian(objective, theta).data, g)
            decrease = float(g @ step)
            if not decrease > 0:  # not a descent direction: fall back to the gradient
                step, decrease = g, float(g @ g)
            length = settings["lr"]
            with no_grad():
                while True:
                    candidate = theta.data - length * step
                    new_loss = objective(Tensor(candidate)).item()
                    if new_loss <= loss.item() - 1e-4 * length * decrease or length < 1e-10:
                        break
                    length /= 2
            theta = Tensor(candidate, requires_grad=True, name="theta")
            history.append(new_loss)
            self._report(step_number, new_loss, callback)
            # Near the optimum the error left after a Newton step is of the order of the
            # step squared, so a step this small means the optimum is reached.
            if length * np.abs(step).max() <= tol * max(1.0, np.abs(candidate).max()):
                break
        else:
            self._warn(f"Newton's method did not converge in max_iter={settings['max_iter']} "
                       f"steps (tol={tol})")
        return theta.data[:d].reshape(1, d).copy(), theta.data[d:].copy(), history

    def _report(self, epoch, loss, callback) -> None:
        if self.verbose:
            print(f"epoch {epoch}: loss {loss:.6f}")
        if callback is not None:
            callback(epoch, loss)

    def _warn(self, message: str) -> None:
        warnings.warn(f"{type(self).__name__} {message}", sklearn_compatible(ConvergenceWarning),
                      stacklevel=4)

    # --------------------------------------------------------------- predicting
    def _checked_input(self, X, method: str) -> np.ndarray:
        check_is_fitted(self, method)
        return check_array(X, estimator=type(self).__name__, n_features=self.n_features_in_)

    def _logits(self, X, method: str) -> Tensor:
        X = self._checked_input(X, method)
        with no_grad():
            return (Tensor(X) @ Tensor(self.coef_).T).reshape(-1) + self.intercept_

    def decision_function(self, X) -> np.ndarray:
        """The logit ``x·w + b`` of every row, shape (n_samples,); > 0 means ``classes_[1]``."""
        return self._logits(X, "decision_function").data

    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities, shape (n_samples, 2): columns follow ``classes_``."""
        z = self._logits(X, "predict_proba")
        with no_grad():
            return np.column_stack([(-z).sigmoid().data, z.sigmoid().data])

    def predict_log_proba(self, X) -> np.ndarray:
        """Logarithm of :meth:`predict_proba`, computed without underflow."""
        z = self._logits(X, "predict_log_proba").data
        return -np.column_stack([np.logaddexp(0, z), np.logaddexp(0, -z)])

    def predict(self, X) -> np.ndarray:
        """The predicted class of every row (labels taken from ``classes_``)."""
        positive = self._logits(X, "predict").data > 0
        return self.classes_[positive.astype(np.intp)]

    def score(self, X, y) -> float:
        """Accuracy: the fraction of rows whose predicted class equals ``y``."""
        predicted = self.predict(X)
        labels = check_labels(y, len(predicted))
        return float(np.mean(predicted == labels))

    def objective(self, X, y) -> Tensor:
        """The training objective at the fitted parameters, as a Tensor with its graph.

        The graph reaches two Parameters named ``weight`` and ``bias`` (an
        ``nn.Linear(d, 1)`` rebuilt from ``coef_`` and ``intercept_``): call ``backward``
        on it to see the gradients, or render it with :mod:`tinygrad_lr.viz`.
        """
        X = self._checked_input(X, "objective")
        labels = check_labels(y, len(X))
        unknown = ~np.isin(labels, self.classes_)
        if unknown.any():
            raise ValueError(
                f"y holds label {label_text(labels[unknown][0])}, which is not one of the classes "
                f"{self.classes_.tolist()} seen in fit"
            )
        model = nn.Linear(self.n_features_in_, 1)
        model.load_state_dict({"weight": self.coef_, "bias": self.intercept_})
        targets = Tensor((labels == self.classes_[1]).astype(np.float64), name="y")
        objective = penalized_loss(model(Tensor(X, name="X")).reshape(-1), targets,
                                   model.weight, float(self.l2))
        objective.name = "J"
        return objective

    # ------------------------------------------------------ scikit-learn hooks
    def __sklearn_is_fitted__(self) -> bool:
        return hasattr(self, "coef_")

    def __sklearn_tags__(self):
        """Tags for scikit-learn (imported only when scikit-learn asks for them)."""
        from sklearn.utils import ClassifierTags, InputTags, Tags, TargetTags

        return Tags(estimator_type="classifier", target_tags=TargetTags(required=True),
                    classifier_tags=ClassifierTags(multi_class=False),
                    input_tags=InputTags())


def _make_optimizer(solver: str, parameters, lr: float) -> optim.Optimizer:
    if solver == "gd":
        return optim.SGD(parameters, lr=lr)
    if solver == "sgd":
        return optim.SGD(parameters, lr=lr, momentum=SGD_MOMENTUM)
    return optim.Adam(parameters, lr=lr)


def _solve(matrix: np.ndarray, vector: np.ndarray) -> np.ndarray:
    """``matrix⁻¹·vector``, by least squares when the matrix is singular."""
    try:
        solution = np.linalg.solve(matrix, vector)
        if np.isfinite(solution).all():
            return solution
    except np.linalg.LinAlgError:
        pass
    return np.linalg.lstsq(matrix, vector, rcond=None)[0]


def _check_number(name: str, value, positive: bool = False) -> None:
    if (isinstance(value, bool) or not isinstance(value, numbers.Real) or not np.isfinite(value)
            or value < 0 or (positive and value == 0)):
        bound = "> 0" if positive else ">= 0"
        raise ValueError(f"{name} must be a finite number {bound}, got {value!r}")


def _check_count(name: str, value) -> None:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"{name} must be a positive int, got {value!r}")
