"""Exact solvers for a smooth convex objective given only as ``evaluate(theta, need_hessian)``.

They never see the data: ``evaluate`` (see :mod:`tinygrad_lr.models.objective`) returns the
objective J, its gradient and, when asked, its Hessian, however the rows are stored.

- :func:`newton`: Newton's method with a backtracking line search; one Hessian per step.
- :func:`lbfgs`: scipy's L-BFGS-B (``pip install "tinygrad-lr[scipy]"``); gradients only,
  for many parameters, where a Hessian of (n_parameters)² entries is too costly.

>>> import numpy as np
>>> evaluate = lambda t, h: (float((t - 3) @ (t - 3)), 2 * (t - 3), 2 * np.eye(2) if h else None)
>>> newton(evaluate, np.zeros(2), tol=1e-8, max_iter=10).theta.tolist()
[3.0, 3.0]
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np

ARMIJO = 1e-4
"""Sufficient decrease a line-search step must achieve, as a fraction of the predicted one."""
GTOL_FACTOR = 1e-6
""":func:`lbfgs` stops once every gradient entry is at most ``tol·GTOL_FACTOR``."""


class SolverResult(NamedTuple):
    """``theta`` found, ``n_iter`` steps taken, ``history`` (J after each step) and whether
    the stopping test was met (``converged``; ``False`` means ``max_iter`` was reached)."""

    theta: np.ndarray
    n_iter: int
    history: list
    converged: bool


def scipy_available() -> bool:
    """Whether scipy (needed by :func:`lbfgs`) can be imported.

    >>> isinstance(scipy_available(), bool)
    True
    """
    try:
        import scipy.optimize  # noqa: F401
    except ImportError:
        return False
    return True


def _solve(matrix: np.ndarray, vector: np.ndarray) -> np.ndarray:
    """``matrix⁻¹·vector``, by least squares when the matrix is singular."""
    try:
        solution = np.linalg.solve(matrix, vector)
        if np.isfinite(solution).all():
            return solution
    except np.linalg.LinAlgError:
        pass
    try:
        return np.linalg.lstsq(matrix, vector, rcond=None)[0]
    except np.linalg.LinAlgError:
        raise FloatingPointError("the Newton step could not be solved (its least-squares "
                                 "SVD did not converge); check X for huge values "
                                 "(standardize it)") from None


def _check_finite(loss: float, step: int, what: str = "the objective") -> None:
    if not np.isfinite(loss):
        raise FloatingPointError(
            f"{what} became {loss} at step {step}; check X for huge values "
            "(standardize it)"
        )


def newton(evaluate: Callable, theta0, *, tol: float, max_iter: int,
           flat_directions: np.ndarray | None = None, first_step: float = 1.0,
           callback: Callable | None = None) -> SolverResult:
    """Minimise by Newton steps ``θ := θ − t·H⁻¹g``, ``t`` from ``first_step`` halved until
    J decreases enough (Armijo).

    Stops after a step that moved no parameter by more than ``tol·max(1, max|θ|)``: near
    the optimum the error left after a Newton step is of the order of that step squared.
    ``flat_directions`` (columns, orthonormal) are directions along which J is constant
    (the softmax is unchanged by adding one number to every class's intercept); steps are
    kept orthogonal to them, so the solution is the one nearest ``theta0``.
    ``callback(step, loss)`` is called after every step.
    """
    theta = np.array(theta0, dtype=np.float64)
    U = flat_directions
    history: list[float] = []
    for step_number in range(1, max_iter + 1):
        loss, gradient, hessian = evaluate(theta, True)
        _check_finite(loss, step_number - 1)
        if U is not None:
            hessian = hessian + U @ U.T  # curvature 1 where J is flat: the solve is regular
            gradient = gradient - U @ (U.T @ gradient)
        if not (np.isfinite(hessian).all() and np.isfinite(gradient).all()):
            # LAPACK on inf/NaN hangs (lstsq) or fails with its own noise (SVD)
            _check_finite(np.inf, step_number - 1, "the Hessian or gradient")
        step = _solve(hessian, gradient)
        if U is not None:
            step -= U @ (U.T @ step)
        decrease = float(gradient @ step)
        if not decrease > 0:  # not a descent direction: fall back to the gradient
            step, decrease = gradient, float(gradient @ gradient)
        if decrease == 0.0:  # the gradient is exactly zero
            history.append(loss)
            return SolverResult(theta, step_number, history, True)
        length = first_step
        # Rounding makes J noisy at the level of a few ulps: do not ask for less than that.
        slack = 16 * np.finfo(np.float64).eps * max(1.0, abs(loss))
        while True:
            candidate = theta - length * step
            new_loss = evaluate(candidate, False)[0]
            if new_loss <= loss - ARMIJO * length * decrease + slack:
                break
            length /= 2
            if length < 1e-10:
                break
        if new_loss > loss + slack:  # the line search failed: stay put
            history.append(loss)
            return SolverResult(theta, step_number, history, False)
        _check_finite(new_loss, step_number)
        theta = candidate
        history.append(new_loss)
        if callback is not None:
            callback(step_number, new_loss)
        if length * np.abs(step).max() <= tol * max(1.0, np.abs(theta).max()):
            return SolverResult(theta, step_number, history, True)
    return SolverResult(theta, max_iter, history, False)


def lbfgs(evaluate: Callable, theta0, *, tol: float, max_iter: int,
          callback: Callable | None = None) -> SolverResult:
    """Minimise with scipy's L-BFGS-B from gradients only.

    Stops once every entry of the gradient of J is at most ``tol·GTOL_FACTOR`` (10⁻¹⁰ at
    the default tol 10⁻⁴) or J stops decreasing in float64: L-BFGS converges linearly, so
    a gradient of 10⁻⁴ would leave probabilities ~10⁻³ from the optimum. Needs scipy.

    >>> import numpy as np
    >>> evaluate = lambda t, h: (float((t - 3) @ (t - 3)), 2 * (t - 3), None)
    >>> np.round(lbfgs(evaluate, np.zeros(2), tol=1e-4, max_iter=50).theta, 6).tolist()
    [3.0, 3.0]
    """
    try:
        from scipy.optimize import minimize
    except ImportError:
        raise ImportError(
            "solver='lbfgs' needs scipy: pip install \"tinygrad-lr[scipy]\" (or use "
            "solver='newton')"
        ) from None
    history: list[float] = []
    last = {}

    def value_and_gradient(theta):
        loss, gradient, _ = evaluate(theta, False)
        last["loss"] = loss
        return loss, gradient

    def after_step(theta):
        _check_finite(last["loss"], len(history) + 1)
        history.append(last["loss"])
        if callback is not None:
            callback(len(history), last["loss"])

    result = minimize(value_and_gradient, np.array(theta0, dtype=np.float64), jac=True,
                      method="L-BFGS-B", callback=after_step,
                      options={"maxiter": max_iter, "gtol": tol * GTOL_FACTOR, "maxls": 50,
                               "ftol": 0.0})
    _check_finite(float(result.fun), len(history))
    if not history:  # converged at the start
        history.append(float(result.fun))
    converged = bool(result.success) or np.abs(result.jac).max() <= tol * GTOL_FACTOR
    return SolverResult(np.asarray(result.x, dtype=np.float64), max(int(result.nit), 1),
                        history, converged)
