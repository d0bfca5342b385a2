"""Grad mode and anomaly mode are per thread, as in PyTorch.

Each test runs work in two threads at once with a tiny GIL switch interval, so the threads
interleave every few ops: a module-global switch would leak from one thread into the other.
"""

from __future__ import annotations

import sys
import threading

import numpy as np
import pytest
from thread_helpers import run_together

import tinygrad_lr as tg
from tinygrad_lr import grad_mode
from tinygrad_lr.models import LogisticRegression


@pytest.fixture(autouse=True)
def fast_thread_switches():
    previous = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)
    yield
    sys.setswitchinterval(previous)


def test_the_modes_live_on_one_thread_local_object():
    assert isinstance(grad_mode.state, threading.local)
    assert type(grad_mode.state).enabled is True and type(grad_mode.state).anomaly is False
    seen = {}

    def child():
        seen["enabled"], seen["anomaly"] = tg.is_grad_enabled(), grad_mode.state.anomaly

    with tg.no_grad(), tg.detect_anomaly():
        thread = threading.Thread(target=child)
        thread.start()
        thread.join()
        assert not tg.is_grad_enabled() and grad_mode.state.anomaly
    assert seen == {"enabled": True, "anomaly": False}  # a new thread starts with the defaults
    assert tg.is_grad_enabled() and not grad_mode.state.anomaly


def test_no_grad_loop_beside_training_loses_nothing():
    steps = 10_000
    counts = {"recorded_under_no_grad": 0, "unrecorded_training_steps": 0, "wrong_grads": 0}
    x = tg.Tensor([1.0, 2.0, 3.0])

    def inference():
        w = tg.Tensor([0.5, 0.5, 0.5], requires_grad=True)
        for _ in range(steps):
            with tg.no_grad():
                y = (w * x).sum()
            counts["recorded_under_no_grad"] += y.requires_grad

    def training():
        w = tg.Tensor([0.5, -0.5, 0.25], requires_grad=True)
        for _ in range(steps):
            loss = (w * x).sum()
            if not loss.requires_grad:
                counts["unrecorded_training_steps"] += 1
                continue
            w.grad = None
            loss.backward()
            counts["wrong_grads"] += not np.array_equal(w.grad.data, x.data)

    run_together(inference, training)
    assert counts == {"recorded_under_no_grad": 0, "unrecorded_training_steps": 0,
                      "wrong_grads": 0}
    assert tg.is_grad_enabled()  # and recording is still on afterwards


def test_hessian_beside_a_backward_in_another_thread():
    point = np.array([0.5, -1.0, 2.0])
    expected = np.diag(6 * point)  # d²/dx² Σx³ = diag(6x)
    results = []

    def hessians():
        for _ in range(200):
            results.append(tg.hessian(lambda x: (x ** 3).sum(), tg.Tensor(point)).data)

    def backwards():
        w = tg.Tensor([1.0, 2.0], requires_grad=True)
        for _ in range(3000):
            w.grad = None
            (w * w).sum().backward()

    run_together(hessians, backwards)
    assert len(results) == 200
    for hessian in results:
        np.testing.assert_allclose(hessian, expected, rtol=1e-12)


@pytest.mark.filterwarnings("ignore::tinygrad_lr.models.ConvergenceWarning")
def test_two_fits_in_two_threads_match_the_single_thread_answer(cancer):
    X_train, _, y_train, _ = cancer
    X_train, y_train = X_train[:200], y_train[:200]

    def fit():
        return LogisticRegression(max_iter=60, tol=0).fit(X_train, y_train)

    alone = fit()
    fitted = [None, None]

    def fit_into(slot):
        def target():
            fitted[slot] = fit()
        return target

    run_together(fit_into(0), fit_into(1))
    for model in fitted:
        np.testing.assert_array_equal(model.coef_, alone.coef_)
        np.testing.assert_array_equal(model.intercept_, alone.intercept_)


def test_anomaly_mode_in_one_thread_does_not_check_another():
    done = threading.Event()
    ready = threading.Event()
    produced = []

    def anomalous():
        with tg.detect_anomaly():
            ready.set()
            done.wait(timeout=10)

    def plain():
        ready.wait(timeout=10)
        with np.errstate(invalid="ignore"):
            produced.append(tg.Tensor(-1.0).log().item())  # NaN, but this thread is not checking
        done.set()

    run_together(anomalous, plain)
    assert np.isnan(produced[0])


def test_the_counts_behind_the_shortcut_stay_exact():
    base = grad_mode.threads_without_grad  # 0 unless a thread died with recording off
    w = tg.Tensor(1.0, requires_grad=True)
    recorded = []

    def switch_off_by_assignment():
        grad_mode.state.enabled = False  # not through no_grad(): still honoured
        recorded.append((w * 2).requires_grad)
        grad_mode.state.enabled = True
        recorded.append((w * 2).requires_grad)

    with tg.no_grad():
        with tg.no_grad():
            assert grad_mode.threads_without_grad == base + 1  # one thread, however deep
        run_together(switch_off_by_assignment)
        assert grad_mode.threads_without_grad == base + 1
    assert recorded == [False, True]
    assert grad_mode.threads_without_grad == base
    (w * w).backward()  # backward switches recording off for itself, then back on
    assert grad_mode.threads_without_grad == base
    with tg.detect_anomaly():
        assert grad_mode.threads_with_anomaly >= 1
