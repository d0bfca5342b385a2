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
from collections.abc import Callable
from typing import Any

import numpy as np

from .. import nn
from ..grad_mode import no_grad
from ..tensor import Tensor
from .base import BaseEstimator, available_if
from .chunked import check_features
from .conventions import check_penalty
from .dask_data import is_dask_collection
from .dask_fit import dask_source
from .distributed import predict_dask, score_dask
from .objective import n_outputs, pack
from .sources import array_source, codes_of, row_weights, stream_source
from .training import (
    EXACT_SOLVERS,
    TEACHING_SOLVERS,
    StreamState,
    TrainingSettings,
    fitted_attributes,
    stream_epoch,
    train,
    training_objective,
)
from .validation import (
    check_is_fitted,
    check_labels,
    check_random_state,
    check_sample_weight,
)

SOLVERS = ("auto", *EXACT_SOLVERS, *TEACHING_SOLVERS)
STREAMING_SOLVERS = TEACHING_SOLVERS
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
    # Fitted attributes (training.fitted_attributes): declared for type checkers; they exist
    # only after fit, as scikit-learn's do.
    classes_: np.ndarray
    coef_: np.ndarray
    intercept_: np.ndarray
    n_iter_: np.ndarray
    history_: list[float]
    n_features_in_: int
    feature_names_in_: np.ndarray
    solver_: str

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
        workers (:mod:`tinygrad_lr.models.sources`, :mod:`tinygrad_lr.models.dask_fit`; the
        training itself is :mod:`tinygrad_lr.models.training`'s).
        """
        settings = self._checked_settings()
        name = type(self).__name__
        if is_dask_collection(X):  # data-parallel: per-block sums on the workers
            source = dask_source(X, y, sample_weight, self.class_weight, name,
                                 batch_size=settings.batch_size)
        else:  # a memory map is read one block at a time, never copied
            source = array_source(X, y, sample_weight, self.class_weight, name)
        trained = train(source, settings, self._starting_point(source, settings), callback)
        # Set only once training succeeded, so a failed fit leaves no half-fitted state.
        self._set_fitted(fitted_attributes(source, trained, trained.history))
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
        the parameters and optimizer state of the previous one (each call is one
        :func:`~tinygrad_lr.models.training.stream_epoch`; the penalty is that of a fit on
        every row seen so far). As scikit-learn's ``available_if`` does, the
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
        settings = self._checked_settings()
        if settings.solver not in STREAMING_SOLVERS:
            raise ValueError(
                f"partial_fit needs a mini-batch solver ({', '.join(STREAMING_SOLVERS)}), "
                f"got solver={settings.solver!r}; the exact solvers need every row at every "
                "step: fit them on a memory map or a Dask array instead"
            )
        fitted = hasattr(self, "coef_")
        source = stream_source(X, y, classes, sample_weight, self.class_weight,
                               estimator=type(self).__name__,
                               fitted_classes=getattr(self, "classes_", None),
                               n_features=getattr(self, "n_features_in_", None))
        state = getattr(self, "_stream_state", None)
        if (state is None or state.coef is not getattr(self, "coef_", None)
                or getattr(self, "solver_", None) != settings.solver):
            start = (pack(self.coef_, self.intercept_, settings.fit_intercept) if fitted
                     else self._starting_point(source, settings, warm=False))
            state = StreamState(settings, settings.solver, start)
        trained = stream_epoch(state, source, settings)
        self._set_fitted(fitted_attributes(source, trained,
                                           [*getattr(self, "history_", []), *trained.history]))
        state.coef = self.coef_
        self._stream_state = state
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
        return TrainingSettings(
            solver=solver, tol=float(self.tol),
            max_iter=None if self.max_iter is None else int(self.max_iter),
            batch_size=self.batch_size, fit_intercept=bool(self.fit_intercept),
            lr=None if self.lr is None else float(self.lr), C=float(self.C),
            l2=None if self.l2 is None else float(self.l2), penalized=self.penalty is not None,
            random_state=self.random_state, verbose=self.verbose, name=type(self).__name__)

    def _starting_point(self, source, settings: TrainingSettings, warm: bool = True
                        ) -> np.ndarray:
        """θ to start from: zero, or the previous solution with ``warm_start``."""
        classes, d = source.classes, source.n_features
        if (warm and self.warm_start and hasattr(self, "coef_") and self.n_features_in_ == d
                and len(self.classes_) == len(classes)
                and np.array_equal(self.classes_, classes)):
            return pack(self.coef_, self.intercept_, settings.fit_intercept)
        return np.zeros(n_outputs(len(classes)) * (d + settings.fit_intercept))

    def _set_fitted(self, attributes: dict) -> None:
        for name, value in attributes.items():
            if value is not None:
                setattr(self, name, value)
            elif hasattr(self, name):  # e.g. feature names of an earlier DataFrame
                delattr(self, name)

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
        codes = codes_of(labels, self.classes_, "seen in fit")
        weights = row_weights(self.class_weight, self.classes_, codes, weights)
        coef = np.asarray(self.coef_, dtype=np.float64)
        fit_intercept = bool(self.fit_intercept)
        model = nn.Linear(self.n_features_in_, len(coef), bias=fit_intercept)
        state = {"weight": coef}
        if fit_intercept:
            state["bias"] = np.asarray(self.intercept_, dtype=np.float64)
        model.load_state_dict(state)
        settings = self._checked_settings()
        alpha = settings.alpha(len(X) if weights is None else float(weights.sum()))
        objective = training_objective(model, Tensor(X, name="X"), codes, weights,
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
