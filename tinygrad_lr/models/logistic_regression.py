"""Logistic regression as one model on the engine, with scikit-learn's estimator interface.

Two classes: one logit ``z = x·w + b`` and the sigmoid. K ≥ 3 classes: K logits and the
softmax (multinomial). Training minimises scikit-learn's objective

    C·Σᵢ sᵢ·Lᵢ + ½·‖W‖²      scaled by 1/(C·S):      J = (1/S)·Σᵢ sᵢ·Lᵢ + (α/2)·‖W‖²

(Lᵢ the cross-entropy of row i, sᵢ its sample weight times its class weight, S = Σᵢ sᵢ,
α = 1/(C·S) or the lecture's λ given as ``l2``; intercepts unpenalized). Gradients come
from ``backward``; Newton's Hessian from double backward; nothing is differentiated by hand.
"""

from __future__ import annotations

import numbers
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from .. import functional as F
from .. import nn, optim
from ..autograd import grad
from ..grad_mode import no_grad
from ..tensor import Tensor
from . import objective as objective_terms
from . import solvers
from .base import BaseEstimator, available_if
from .blocks import check_features, evaluator_for
from .conventions import check_penalty, sklearn_n_iter
from .dask_data import is_dask_collection
from .dask_fit import fit_dask
from .distributed import predict_dask, score_dask
from .exceptions import ConvergenceWarning, sklearn_compatible
from .validation import (
    check_is_fitted,
    check_labels,
    check_random_state,
    check_sample_weight,
    class_weights,
    encode_labels,
    label_text,
)

SOLVERS = ("auto", "newton", "lbfgs", "gd", "sgd", "adam")
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
STREAMING_SOLVERS = ("gd", "sgd", "adam")
"""The solvers ``partial_fit`` exists for: the exact ones need every row at every step."""


class LogisticRegression(BaseEstimator):
    """Logistic regression (binary, or multinomial for three or more classes) trained by
    the autodiff engine, with scikit-learn's parameters, defaults and answers.

    ``LogisticRegression()`` minimises the same objective as scikit-learn's
    ``LogisticRegression()`` and converges to its optimum. It follows scikit-learn's
    conventions, so it works with ``clone``, ``Pipeline``, ``cross_val_score`` and
    ``GridSearchCV``; scikit-learn is never required.

    Args:
        penalty: deprecated, as in scikit-learn 1.8: ``'l2'`` is ``l1_ratio=0`` and
            ``None`` is ``C=np.inf``; anything but the default warns (``FutureWarning``).
        C: inverse regularisation strength, as scikit-learn's: the objective is
            ``C·Σᵢ sᵢ·Lᵢ + ½‖W‖²``; smaller C, stronger penalty. ``C=np.inf`` is no penalty.
        l1_ratio: the L1 share of the penalty, scikit-learn's: ``0`` (default) is the L2
            penalty ``½‖W‖²``. No solver here handles an L1 part (it is not smooth: Newton,
            L-BFGS and the gradient solvers need a gradient everywhere), so a ratio above 0
            with a finite C is a ``ValueError``; with ``C=np.inf`` there is no penalty and
            the ratio does not matter.
        l2: the lecture's λ instead of C: the penalty ``λ/2·‖W‖²`` on the *mean* loss
            (λ = 1/(C·n) for n unit-weight rows). ``None`` (default) uses C; give one of
            the two.
        fit_intercept: learn the intercept b (else b = 0).
        tol: stopping tolerance. Newton: stop after a step that moved no parameter by more
            than ``tol·max(1, max|θ|)`` (the error left is of the order of that step
            squared); L-BFGS: once every gradient entry is at most ``tol·10⁻⁶``; gd/sgd/adam
            with the full batch: once every gradient entry is at most ``tol``; with
            mini-batches: once the epoch loss has not improved on its best by more than
            ``tol·max(1, loss)`` for 5 epochs in a row.
        max_iter: maximum Newton steps / L-BFGS iterations / epochs; ``None`` picks 100
            for Newton and 1000 for the others. scikit-learn's default is ``max_iter=100``
            for every solver; here a Newton step does far more than an L-BFGS iteration or
            an epoch, hence one default per solver.
        class_weight: ``None``, ``'balanced'`` (n_samples / (n_classes · count of the
            class)) or a dict {label: weight}; multiplies each row's sample weight.
        warm_start: start ``fit`` from the previous solution (if it has the same classes
            and features) instead of from zero.
        random_state: seed (None, an int >= 0, a numpy Generator or RandomState) for the
            mini-batch order of sgd/adam/gd with ``batch_size``.
        solver: ``'auto'`` (default; scikit-learn's default is ``'lbfgs'``, which this
            picks for large problems): Newton up to 1000 parameters (n_outputs·(d+1)), else
            L-BFGS when scipy is installed. ``'newton'``: Newton's method with the engine's
            Hessian (double backward) and a line search. ``'lbfgs'``: scipy's L-BFGS-B on
            the engine's gradients (``pip install "tinygrad-lr[scipy]"``). The lecture's
            teaching solvers: ``'gd'`` gradient descent ``w := w − lr·dw``, ``'sgd'`` the
            same with momentum 0.9, ``'adam'`` Adam.
        lr: learning rate of gd/sgd/adam (``None``: 0.5, 0.05, 0.01, tuned for
            standardized features); for Newton the first step length tried (1.0).
        batch_size: rows per gd/sgd/adam step; ``None`` = full batch.
        verbose: print the objective after every step/epoch.

    Fitted attributes: ``classes_`` (K,), ``coef_`` (1, d) for two classes or (K, d),
    ``intercept_`` (1,) or (K,), ``n_features_in_``, ``n_iter_`` (steps or epochs run, an
    int32 array of shape (1,), as scikit-learn's since its multinomial fit is one problem),
    ``history_`` (the objective J after each), ``solver_`` (the solver used).

    >>> import numpy as np
    >>> X = np.array([[-2.0], [-1.0], [1.0], [2.0]])
    >>> model = LogisticRegression().fit(X, ["no", "no", "yes", "yes"])
    >>> model.predict([[-3.0], [3.0]]).tolist()
    ['no', 'yes']
    >>> model.predict_proba([[0.0]]).round(6).tolist()
    [[0.5, 0.5]]
    >>> three = LogisticRegression().fit([[0.0], [1.0], [2.0], [3.0], [4.0], [5.0]],
    ...                                  ["a", "a", "b", "b", "c", "c"])
    >>> three.coef_.shape, three.predict([[0.2], [2.5], [4.8]]).tolist()
    ((3, 1), ['a', 'b', 'c'])
    """

    _estimator_type = "classifier"

    def __init__(self, penalty: str | None = "deprecated", *, C: float = 1.0,
                 l1_ratio: float = 0.0, l2: float | None = None, fit_intercept: bool = True,
                 tol: float = 1e-4, max_iter: int | None = None, class_weight: Any = None,
                 warm_start: bool = False, random_state: Any = None, solver: str = "auto",
                 lr: float | None = None, batch_size: int | None = None,
                 verbose: int = 0) -> None:
        self.penalty = penalty
        self.C = C
        self.l1_ratio = l1_ratio
        self.l2 = l2
        self.fit_intercept = fit_intercept
        self.tol = tol
        self.max_iter = max_iter
        self.class_weight = class_weight
        self.warm_start = warm_start
        self.random_state = random_state
        self.solver = solver
        self.lr = lr
        self.batch_size = batch_size
        self.verbose = verbose

    # ------------------------------------------------------------------ fitting
    def fit(self, X: Any, y: Any, sample_weight: Any = None, *,
            callback: Callable[[int, float], object] | None = None) -> LogisticRegression:
        """Train on ``X`` (n_samples, n_features) and labels ``y`` (two or more classes).

        ``sample_weight`` (n_samples,): how much each row counts (a row of weight 2 counts
        as that row twice). ``callback(step, loss)``, if given, is called after every
        epoch or Newton/L-BFGS step with its number (from 1) and the objective J.
        Returns ``self``. Neither ``X``, ``y`` nor ``sample_weight`` is modified.

        ``X`` may also be a memory map (``np.load(path, mmap_mode="r")``), read one block
        of rows at a time and never copied, or a Dask array, fitted data-parallel on its
        workers (:mod:`tinygrad_lr.models.blocks`, :mod:`tinygrad_lr.models.distributed`).
        """
        if is_dask_collection(X):  # data-parallel: per-block sums on the workers
            fit_dask(self, X, y, sample_weight, callback)
            self.n_iter_ = sklearn_n_iter(self.n_iter_)
            return self
        settings = self._checked_settings()
        X = check_features(X, estimator=type(self).__name__)  # a memory map is not copied
        labels = check_labels(y, len(X), type(self).__name__)
        weights = check_sample_weight(sample_weight, len(X))
        classes, codes = encode_labels(labels)
        per_class = class_weights(self.class_weight, classes, codes, weights)
        if per_class is not None:
            weights = per_class[codes] if weights is None else weights * per_class[codes]
            if not weights.sum() > 0:
                raise ValueError("class_weight and sample_weight leave every row with weight 0")
        n, d = X.shape
        K = len(classes)
        fit_intercept = settings["fit_intercept"]
        alpha = self._alpha(n if weights is None else float(weights.sum()))
        solver = self._resolved_solver(settings["solver"], K, d, fit_intercept)
        max_iter = settings["max_iter"] or DEFAULT_MAX_ITER[solver]
        start = self._starting_point(classes, d, fit_intercept)
        if solver in EXACT_SOLVERS:
            theta, history = self._fit_exact(solver, X, codes, weights, K, alpha, start,
                                             settings, max_iter, callback)
            coef, intercept = objective_terms.unpack(theta, K, d, fit_intercept)
        else:
            coef, intercept, history = self._fit_first_order(
                solver, X, codes, weights, K, alpha, start, settings, max_iter, callback)
        # Set only once training succeeded, so a failed fit leaves no half-fitted state.
        self.classes_ = classes
        self.n_features_in_ = d
        self.coef_ = coef
        self.intercept_ = intercept
        self.history_ = history
        self.n_iter_ = sklearn_n_iter(len(history))
        self.solver_ = solver
        return self

    def _can_stream(self) -> bool:
        if self.solver not in STREAMING_SOLVERS:
            raise AttributeError(
                f"partial_fit is available for solver in {STREAMING_SOLVERS}, not "
                f"solver={self.solver!r}: the exact solvers need every row at every step "
                "(fit them on a memory map or a Dask array instead)"
            )
        return True

    @available_if(_can_stream)
    def partial_fit(self, X: Any, y: Any, classes: Any = None,
                    sample_weight: Any = None) -> LogisticRegression:
        """One epoch of the mini-batch solver (gd, sgd, adam) over a piece of the data;
        returns ``self``.

        scikit-learn's ``SGDClassifier.partial_fit`` conventions: ``classes`` (every
        class of the whole data) is required on the first call; later calls continue from
        the parameters and optimizer state of the previous one. See
        :mod:`tinygrad_lr.models.streaming`. As scikit-learn's ``available_if`` does, the
        method exists only for those solvers (``hasattr`` is False for the exact ones,
        which need every row at every step).

        >>> import numpy as np
        >>> model = LogisticRegression(solver="sgd", C=10.0, batch_size=2, random_state=0)
        >>> X, y = np.array([[-2.0], [-1.0], [1.0], [2.0]]), np.array([0, 0, 1, 1])
        >>> for _ in range(20):
        ...     model = model.partial_fit(X, y, classes=[0, 1])
        >>> model.predict([[-3.0], [3.0]]).tolist(), model.n_iter_.tolist()
        ([0, 1], [20])
        >>> hasattr(LogisticRegression(solver="newton"), "partial_fit")
        False
        """
        from .streaming import partial_fit  # streaming builds on this estimator

        partial_fit(self, X, y, classes=classes, sample_weight=sample_weight)
        self.n_iter_ = sklearn_n_iter(self.n_iter_)
        return self

    def _checked_settings(self) -> dict:
        """The hyper-parameters after checking them (done in fit, as scikit-learn does)."""
        if self.solver not in SOLVERS:
            raise ValueError(f"solver must be one of {SOLVERS}, got {self.solver!r}")
        _check_number("C", self.C, positive=True, allow_inf=True)
        check_penalty(self.penalty, self.C, self.l1_ratio, self.solver)
        if self.l2 is not None:
            _check_number("l2", self.l2)
            if self.C != 1.0:
                raise ValueError(
                    f"give either C (scikit-learn's, got {self.C!r}) or l2 (the lecture's "
                    f"λ = 1/(C·n_samples), got {self.l2!r}), not both"
                )
            if self.penalty is None:
                raise ValueError(f"penalty=None contradicts l2={self.l2!r}; leave one out")
        _check_number("tol", self.tol)
        if self.max_iter is not None:
            _check_count("max_iter", self.max_iter)
        _check_flag("fit_intercept", self.fit_intercept)
        _check_flag("warm_start", self.warm_start)
        check_random_state(self.random_state)  # a bad seed is named even when unused
        solver = self.solver
        if self.lr is not None:
            _check_number("lr", self.lr, positive=True)
            if solver in ("auto", "lbfgs"):
                raise ValueError(
                    f"lr is a setting of the gd, sgd, adam and newton solvers; solver="
                    f"{solver!r} does not use it (got lr={self.lr!r})"
                )
        if self.batch_size is not None:
            _check_count("batch_size", self.batch_size)
            if solver not in TEACHING_SOLVERS:
                raise ValueError(
                    f"solver={solver!r} always uses the full batch; batch_size is for gd, "
                    f"sgd and adam (got {self.batch_size})"
                )
        return {"solver": solver, "tol": float(self.tol),
                "max_iter": None if self.max_iter is None else int(self.max_iter),
                "batch_size": self.batch_size, "fit_intercept": bool(self.fit_intercept)}

    @staticmethod
    def _resolved_solver(solver: str, K: int, d: int, fit_intercept: bool) -> str:
        """What ``solver="auto"`` means for this problem: Newton up to
        ``AUTO_NEWTON_MAX_PARAMETERS`` parameters (or without scipy), else L-BFGS."""
        if solver != "auto":
            return solver
        n_parameters = objective_terms.n_outputs(K) * (d + fit_intercept)
        if n_parameters <= AUTO_NEWTON_MAX_PARAMETERS or not solvers.scipy_available():
            return "newton"
        return "lbfgs"

    def _alpha(self, weight_sum: float) -> float:
        """Penalty strength α on the weighted mean loss: l2, or 1/(C·S)."""
        if self.penalty is None:
            return 0.0
        if self.l2 is not None:
            return float(self.l2)
        return 0.0 if np.isinf(self.C) else objective_terms.alpha_from_C(float(self.C),
                                                                         weight_sum)

    def _starting_point(self, classes, d, fit_intercept) -> np.ndarray:
        """θ to start from: zero, or the previous solution with ``warm_start``."""
        n_parameters = objective_terms.n_outputs(len(classes)) * (d + fit_intercept)
        if (self.warm_start and hasattr(self, "coef_") and self.n_features_in_ == d
                and len(self.classes_) == len(classes)
                and np.array_equal(self.classes_, classes)):
            return objective_terms.pack(self.coef_, self.intercept_, fit_intercept)
        return np.zeros(n_parameters)

    def _fit_exact(self, solver, X, codes, weights, K, alpha, start, settings, max_iter,
                   callback):
        d = X.shape[1]
        fit_intercept = settings["fit_intercept"]
        evaluate = evaluator_for(X, codes, weights, n_classes=K, alpha=alpha,
                                 fit_intercept=fit_intercept)
        report = self._reporter(callback)
        if solver == "newton":
            lr = DEFAULT_LR["newton"] if self.lr is None else float(self.lr)
            result = solvers.newton(
                evaluate, start, tol=settings["tol"], max_iter=max_iter, first_step=lr,
                flat_directions=flat_directions(K, d, fit_intercept, penalized=alpha > 0),
                callback=report)
        else:
            result = solvers.lbfgs(evaluate, start, tol=settings["tol"], max_iter=max_iter,
                                   callback=report)
        if not result.converged:
            what = "Newton's method" if solver == "newton" else "L-BFGS"
            self._warn(f"{what} did not converge in max_iter={max_iter} steps "
                       f"(tol={settings['tol']}); raise max_iter or standardize X")
        return result.theta, result.history

    def _fit_first_order(self, solver, X, codes, weights, K, alpha, start, settings,
                         max_iter, callback):
        n, d = X.shape
        fit_intercept = settings["fit_intercept"]
        model = nn.Linear(d, objective_terms.n_outputs(K), bias=fit_intercept)
        coef, intercept = objective_terms.unpack(start, K, d, fit_intercept)
        model.load_state_dict({"weight": coef, "bias": intercept} if fit_intercept
                              else {"weight": coef})
        lr = DEFAULT_LR[solver] if self.lr is None else float(self.lr)
        optimizer = _make_optimizer(solver, model.parameters(), lr)
        inputs = Tensor(X)
        tol = settings["tol"]
        batch_size = n if settings["batch_size"] is None else min(settings["batch_size"], n)
        mini_batches = batch_size < n
        rng = check_random_state(self.random_state)

        def objective(rows=None):
            if rows is None:
                return _training_objective(model, inputs, codes, weights, K, alpha)
            return _training_objective(model, Tensor(X[rows]), codes[rows],
                                       None if weights is None else weights[rows], K, alpha)

        with no_grad():
            start_loss = objective().item()
        history: list[float] = []
        best, stale, converged = start_loss, 0, False
        for epoch in range(1, max_iter + 1):
            order = rng.permutation(n) if mini_batches else None
            for first in range(0, n, batch_size):
                rows = None if order is None else order[first:first + batch_size]
                if rows is not None and weights is not None and not weights[rows].sum() > 0:
                    continue  # every row of this batch has weight 0: nothing to learn
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
                gradients = grad(full, list(model.parameters()))
                loss = full.item()
                converged = max(np.abs(g.data).max() for g in gradients) <= tol
            if not (np.isfinite(loss) and np.isfinite(model.weight.data).all()):
                raise FloatingPointError(
                    f"training diverged in epoch {epoch}: the loss became {loss}; lower lr "
                    f"(it is {lr}) or standardize X"
                )
            history.append(loss)
            self._report(epoch, loss, callback)
            if converged:
                break
        else:
            self._warn(f"did not converge in max_iter={max_iter} epochs "
                       f"(tol={tol}); raise max_iter or lr")
        if history[-1] > start_loss:
            self._warn(f"training made the loss worse ({start_loss:.6g} -> {history[-1]:.6g}); "
                       f"lr={lr} is probably too large for these features "
                       "(standardize X or lower lr)")
        intercept = (model.bias.data.copy() if fit_intercept
                     else np.zeros(objective_terms.n_outputs(K)))
        return model.weight.data.copy(), intercept, history

    def _reporter(self, callback):
        return lambda step, loss: self._report(step, loss, callback)

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
        return check_features(X, estimator=type(self).__name__, n_features=self.n_features_in_)

    def _logits(self, X, method: str) -> np.ndarray:
        """(n,) logits for two classes, (n, K) for more."""
        X = self._checked_input(X, method)
        with no_grad():
            Z = (Tensor(X) @ Tensor(np.asarray(self.coef_)).T + np.asarray(self.intercept_))
        return Z.data.reshape(-1) if len(self.classes_) == 2 else Z.data

    def decision_function(self, X: Any) -> np.ndarray:
        """Two classes: the logit ``x·w + b`` of every row, shape (n_samples,); > 0 means
        ``classes_[1]``. K ≥ 3: the K logits of every row, shape (n_samples, K)."""
        if is_dask_collection(X):
            return predict_dask(self, "decision_function", X)
        return self._logits(X, "decision_function")

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities, shape (n_samples, K): columns follow ``classes_`` (the
        sigmoid for two classes, the softmax of the logits for more)."""
        if is_dask_collection(X):
            return predict_dask(self, "predict_proba", X)
        Z = Tensor(self._logits(X, "predict_proba"))
        with no_grad():
            if len(self.classes_) == 2:
                return np.column_stack([(-Z).sigmoid().data, Z.sigmoid().data])
            return Z.softmax(axis=-1).data

    def predict_log_proba(self, X: Any) -> np.ndarray:
        """Logarithm of :meth:`predict_proba`, computed without underflow."""
        if is_dask_collection(X):
            return predict_dask(self, "predict_log_proba", X)
        Z = self._logits(X, "predict_log_proba")
        if len(self.classes_) == 2:
            return -np.column_stack([np.logaddexp(0, Z), np.logaddexp(0, -Z)])
        with no_grad():
            return Tensor(Z).log_softmax(axis=-1).data

    def predict(self, X: Any) -> np.ndarray:
        """The predicted class of every row (labels taken from ``classes_``)."""
        if is_dask_collection(X):
            return predict_dask(self, "predict", X)
        Z = self._logits(X, "predict")
        index = (Z > 0).astype(np.intp) if Z.ndim == 1 else Z.argmax(axis=1)
        return self.classes_[index]

    def score(self, X: Any, y: Any, sample_weight: Any = None) -> float:
        """Accuracy: the (``sample_weight``-weighted) fraction of rows predicted right."""
        if is_dask_collection(X):  # on the workers: only the two sums reach the client
            return score_dask(self, X, y, sample_weight)
        predicted = self.predict(X)
        labels = check_labels(y, len(predicted))
        weights = check_sample_weight(sample_weight, len(predicted))
        return float(np.average(predicted == labels, weights=weights))

    def objective(self, X: Any, y: Any, sample_weight: Any = None) -> Tensor:
        """The training objective J on (X, y) at the fitted parameters, as a Tensor with
        its graph (class weights and sample weights included, as in ``fit``).

        The graph reaches the Parameters ``weight`` and ``bias`` of an
        ``nn.Linear(d, n_outputs)`` rebuilt from ``coef_`` and ``intercept_``: call
        ``backward`` on it to see the gradients, or render it with :mod:`tinygrad_lr.viz`.
        """
        X = self._checked_input(X, "objective")
        labels = check_labels(y, len(X))
        weights = check_sample_weight(sample_weight, len(X))
        unknown = ~np.isin(labels, self.classes_)
        if unknown.any():
            raise ValueError(
                f"y holds label {label_text(labels[unknown][0])}, which is not one of the classes "
                f"{self.classes_.tolist()} seen in fit"
            )
        codes = np.searchsorted(self.classes_, labels)
        per_class = class_weights(self.class_weight, self.classes_, codes, weights)
        if per_class is not None:
            weights = per_class[codes] if weights is None else weights * per_class[codes]
        coef = np.asarray(self.coef_, dtype=np.float64)
        fit_intercept = bool(self.fit_intercept)
        model = nn.Linear(self.n_features_in_, len(coef), bias=fit_intercept)
        state = {"weight": coef}
        if fit_intercept:
            state["bias"] = np.asarray(self.intercept_, dtype=np.float64)
        model.load_state_dict(state)
        self._checked_settings()
        alpha = self._alpha(len(X) if weights is None else float(weights.sum()))
        objective = _training_objective(model, Tensor(X, name="X"), codes, weights,
                                        len(self.classes_), alpha)
        objective.name = "J"
        return objective

    # ------------------------------------------------------ scikit-learn hooks
    def __sklearn_is_fitted__(self) -> bool:
        return hasattr(self, "coef_")

    def __sklearn_tags__(self):
        """Tags for scikit-learn (imported only when scikit-learn asks for them)."""
        from sklearn.utils import ClassifierTags, InputTags, Tags, TargetTags

        return Tags(estimator_type="classifier", target_tags=TargetTags(required=True),
                    classifier_tags=ClassifierTags(multi_class=True),
                    input_tags=InputTags())


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


def _training_objective(model: nn.Linear, inputs: Tensor, codes, weights, n_classes: int,
                        alpha: float) -> Tensor:
    """J = (1/S)·Σ sᵢLᵢ + α/2·‖W‖² for an ``nn.Linear`` model, as a graph."""
    Z = model(inputs)
    if n_classes == 2:
        Z = Z.reshape(-1)
    if weights is None:  # the lecture's graph: one mean loss node
        loss = (F.binary_cross_entropy_with_logits(Z, Tensor(codes.astype(np.float64), name="y"))
                if n_classes == 2 else F.cross_entropy(Z, codes))
    else:
        loss = objective_terms.weighted_loss_sum(Z, codes, weights, n_classes) / float(
            weights.sum())
    if alpha:
        loss = loss + (alpha / 2) * (model.weight * model.weight).sum()
    return loss


def _make_optimizer(solver: str, parameters, lr: float) -> optim.Optimizer:
    if solver == "gd":
        return optim.SGD(parameters, lr=lr)
    if solver == "sgd":
        return optim.SGD(parameters, lr=lr, momentum=SGD_MOMENTUM)
    return optim.Adam(parameters, lr=lr)


def _check_number(name: str, value, positive: bool = False, allow_inf: bool = False) -> None:
    finite = allow_inf and isinstance(value, numbers.Real) and value == np.inf
    if (isinstance(value, bool) or not isinstance(value, numbers.Real)
            or not (np.isfinite(value) or finite) or value < 0 or (positive and value == 0)):
        bound = "> 0" if positive else ">= 0"
        kind = "a number" if allow_inf else "a finite number"
        raise ValueError(f"{name} must be {kind} {bound}, got {value!r}")


def _check_count(name: str, value) -> None:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"{name} must be a positive int, got {value!r}")


def _check_flag(name: str, value) -> None:
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{name} must be True or False, got {value!r}")
