"""Losses against closed forms; stability at extreme inputs; clear errors."""

import numpy as np
import pytest

import tinygrad_lr as tg
import tinygrad_lr.functional as F


def bce(a, y):
    return -(y * np.log(a) + (1 - y) * np.log(1 - a))


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_binary_cross_entropy_values_and_lecture_gradient(reduction):
    a_values = np.array([0.2, 0.6, 0.9])
    y = np.array([0.0, 1.0, 1.0])
    a = tg.Tensor(a_values, requires_grad=True)
    loss = F.binary_cross_entropy(a, y, reduction=reduction)
    per = bce(a_values, y)
    expected = {"mean": per.mean(), "sum": per.sum(), "none": per}[reduction]
    np.testing.assert_allclose(loss.data, expected, rtol=1e-12)
    assert loss.op.name == "binary_cross_entropy"  # one node: L(a, y)
    (loss if reduction != "none" else loss.sum()).backward()
    da = -y / a_values + (1 - y) / (1 - a_values)
    np.testing.assert_allclose(a.grad.data, da / 3 if reduction == "mean" else da, rtol=1e-12)


def test_binary_cross_entropy_is_finite_at_zero_and_one():
    a = tg.Tensor([0.0, 1.0, 0.0, 1.0], requires_grad=True)
    loss = F.binary_cross_entropy(a, [0.0, 1.0, 1.0, 0.0])
    loss.backward()
    assert np.isfinite(loss.item()) and np.isfinite(a.grad.data).all()
    assert loss.item() > 8  # the wrong confident predictions cost a lot, but finitely


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_with_logits_backward_is_sigmoid_minus_y_over_m(reduction):
    z_values = np.array([-800.0, -2.0, 0.0, 3.0, 800.0])
    y = np.array([1.0, 0.0, 1.0, 1.0, 0.0])
    z = tg.Tensor(z_values, requires_grad=True)
    loss = F.binary_cross_entropy_with_logits(z, y, reduction=reduction)
    assert np.isfinite(loss.data).all()
    per = np.logaddexp(0, z_values) - y * z_values
    expected = {"mean": per.mean(), "sum": per.sum(), "none": per}[reduction]
    np.testing.assert_allclose(loss.data, expected, rtol=1e-12)
    (loss if reduction != "none" else loss.sum()).backward()
    dz = 1 / (1 + np.exp(-z_values)) - y
    np.testing.assert_allclose(z.grad.data, dz / 5 if reduction == "mean" else dz, atol=1e-15)


def test_with_logits_matches_bce_on_sigmoid():
    z = tg.Tensor(np.linspace(-4, 4, 9), requires_grad=True)
    y = (np.arange(9) % 2).astype(float)
    a = F.binary_cross_entropy_with_logits(z, y)
    b = F.binary_cross_entropy(z.sigmoid(), y)
    assert a.item() == pytest.approx(b.item(), rel=1e-12)


def test_sigmoid_and_softplus_are_stable_for_any_input():
    z = tg.Tensor([-1e308, -1000.0, 0.0, 1000.0, 1e308], requires_grad=True)
    s = z.sigmoid()
    np.testing.assert_allclose(s.data, [0, 0, 0.5, 1, 1], atol=1e-300)
    sp = z.softplus()
    assert np.isfinite(sp.data[:4]).all() and sp.data[0] == 0
    (s.sum() + sp[:4].sum()).backward()
    assert np.isfinite(z.grad.data).all()
    assert z.logsumexp().item() == pytest.approx(1e308)
    big = tg.Tensor([1000.0, 1000.0])
    np.testing.assert_allclose(big.softmax().data, [0.5, 0.5])
    assert np.isfinite(big.log_softmax().data).all()


def test_mse_loss():
    p = tg.Tensor([1.0, 2.0, 4.0], requires_grad=True)
    t = np.array([0.0, 2.0, 1.0])
    loss = F.mse_loss(p, t)
    assert loss.item() == pytest.approx((1 + 0 + 9) / 3)
    loss.backward()
    np.testing.assert_allclose(p.grad.data, 2 * (p.data - t) / 3)
    assert F.mse_loss(p, t, reduction="sum").item() == pytest.approx(10)


def test_cross_entropy_with_indices_and_probabilities():
    logits_values = np.array([[2.0, 0.5, -1.0], [0.0, 1.0, 3.0]])
    logits = tg.Tensor(logits_values, requires_grad=True)
    log_p = logits_values - np.log(np.exp(logits_values).sum(1, keepdims=True))
    loss = F.cross_entropy(logits, np.array([0, 2]))
    assert loss.item() == pytest.approx(-(log_p[0, 0] + log_p[1, 2]) / 2, rel=1e-12)
    loss.backward()
    probs = np.exp(log_p)
    onehot = np.eye(3)[[0, 2]]
    np.testing.assert_allclose(logits.grad.data, (probs - onehot) / 2, atol=1e-15)
    soft = F.cross_entropy(logits_values, onehot, reduction="none")
    np.testing.assert_allclose(soft.data, -(log_p * onehot).sum(1))


def test_loss_input_errors_name_the_problem():
    a = tg.Tensor([0.5, 0.5])
    with pytest.raises(ValueError, match=r"same shape, got \(2,\) and \(2, 1\)"):
        F.binary_cross_entropy(a, np.ones((2, 1)))
    with pytest.raises(ValueError, match="probabilities in \\[0, 1\\].*with_logits"):
        F.binary_cross_entropy(tg.Tensor([2.0]), [1.0])
    with pytest.raises(ValueError, match="reduction must be one of"):
        F.binary_cross_entropy_with_logits(a, [1.0, 0.0], reduction="avg")
    with pytest.raises(ValueError, match=r"class indices must be in \[0, 2\)"):
        F.cross_entropy(np.zeros((2, 2)), np.array([0, 5]))
    with pytest.raises(ValueError, match=r"shape \(n, classes\)"):
        F.cross_entropy(np.zeros(3), np.array([0]))
    with pytest.raises(ValueError, match="same shape"):
        F.mse_loss(a, np.ones(3))


def test_functional_exposes_every_registered_op():
    assert F.sigmoid is tg.get_op("sigmoid")
    assert "binary_cross_entropy" in dir(F)
    with pytest.raises(AttributeError):
        F.no_such_op  # noqa: B018


@pytest.mark.parametrize("z_value", [-40.0, -300.0, -700.0])
def test_bce_on_sigmoid_keeps_the_gradient_of_confident_wrong_predictions(z_value):
    z = tg.Tensor(z_value, requires_grad=True)
    F.binary_cross_entropy(z.sigmoid(), 1.0).backward()
    assert z.grad.item() == pytest.approx(-1.0, rel=1e-9)  # dz = a − y with a ≈ 0


def test_bce_on_sigmoid_loses_the_gradient_only_where_sigmoid_rounds_to_one():
    z = tg.Tensor([30.0, 40.0], requires_grad=True)
    F.binary_cross_entropy(z.sigmoid(), [0.0, 0.0], reduction="sum").backward()
    assert z.grad.data[0] == pytest.approx(1.0, rel=1e-6)  # σ(30) < 1: still exact-ish
    assert z.grad.data[1] == 0.0  # σ(40) == 1.0 exactly: nothing left to differentiate
    z2 = tg.Tensor(40.0, requires_grad=True)
    F.binary_cross_entropy_with_logits(z2, 0.0).backward()
    assert z2.grad.item() == 1.0  # the fused loss has no such limit
