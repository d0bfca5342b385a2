"""The lecture's logistic-regression graph: engine gradients equal the hand-derived ones."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_lr as tg
import tinygrad_lr.functional as F

finite = st.floats(-3, 3, allow_nan=False)


def single_example(x1, x2, w1, w2, b, y, with_logits=False):
    W1 = tg.Tensor(w1, requires_grad=True, name="w1")
    W2 = tg.Tensor(w2, requires_grad=True, name="w2")
    B = tg.Tensor(b, requires_grad=True, name="b")
    z = W1 * x1 + W2 * x2 + B
    if with_logits:
        a = z.sigmoid()
        loss = F.binary_cross_entropy_with_logits(z, y)
    else:
        a = z.sigmoid()
        loss = F.binary_cross_entropy(a, y)
    loss.backward(retain_grads=True)
    return W1, W2, B, z, a, loss


def hand_derived(x1, x2, w1, w2, b, y):
    z = w1 * x1 + w2 * x2 + b
    a = 1 / (1 + np.exp(-z))
    # L = -(y log a + (1-y) log(1-a)), written with log(1 + e^±z) so that it stays
    # accurate where a is within rounding of 0 or 1.
    loss = y * np.logaddexp(0, -z) + (1 - y) * np.logaddexp(0, z)
    da = -y / a + (1 - y) / (1 - a)
    dz = a - y
    return dict(z=z, a=a, L=loss, da=da, dz=dz, dw1=x1 * dz, dw2=x2 * dz, db=dz)


def test_lecture_example_matches_hand_derived_formulas():
    x1, x2, w1, w2, b, y = 1.0, 2.0, 0.5, -0.2, 0.1, 1.0
    W1, W2, B, z, a, loss = single_example(x1, x2, w1, w2, b, y)
    hand = hand_derived(x1, x2, w1, w2, b, y)
    assert z.item() == pytest.approx(hand["z"], abs=1e-12)
    assert a.item() == pytest.approx(hand["a"], abs=1e-12)
    assert loss.item() == pytest.approx(hand["L"], abs=1e-12)
    assert abs(a.grad.item() - hand["da"]) < 1e-12
    assert abs(z.grad.item() - hand["dz"]) < 1e-12
    assert abs(W1.grad.item() - hand["dw1"]) < 1e-12
    assert abs(W2.grad.item() - hand["dw2"]) < 1e-12
    assert abs(B.grad.item() - hand["db"]) < 1e-12


@settings(max_examples=40, deadline=None)
@given(x1=finite, x2=finite, w1=finite, w2=finite, b=finite, y=st.sampled_from([0.0, 1.0]),
       with_logits=st.booleans())
def test_single_example_any_values(x1, x2, w1, w2, b, y, with_logits):
    W1, W2, B, z, a, loss = single_example(x1, x2, w1, w2, b, y, with_logits)
    hand = hand_derived(x1, x2, w1, w2, b, y)
    if with_logits:
        assert loss.item() == pytest.approx(hand["L"], rel=1e-9, abs=1e-12)
    else:
        # From a probability, log(1-a) can only be as exact as a itself: an error of one
        # rounding in a moves the loss by about eps / min(a, 1-a).
        a_value = a.item()
        conditioning = np.finfo(float).eps / min(a_value, 1 - a_value)
        assert loss.item() == pytest.approx(hand["L"], rel=1e-9, abs=4 * conditioning)
    if not with_logits:
        assert a.grad.item() == pytest.approx(hand["da"], rel=1e-10, abs=1e-12)
    assert abs(z.grad.item() - hand["dz"]) < 1e-12
    assert abs(W1.grad.item() - hand["dw1"]) < 1e-12
    assert abs(W2.grad.item() - hand["dw2"]) < 1e-12
    assert abs(B.grad.item() - hand["db"]) < 1e-12


@pytest.mark.parametrize("with_logits", [False, True])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_batch_form_dw_equals_xt_dz_over_m(with_logits, seed):
    rng = np.random.default_rng(seed)
    m, d = 50, 4
    X = rng.standard_normal((m, d))
    Y = (rng.random(m) < 0.5).astype(float)
    w = tg.Tensor(rng.standard_normal(d), requires_grad=True)
    b = tg.Tensor(0.3, requires_grad=True)
    Z = X @ w + b
    if with_logits:
        loss = F.binary_cross_entropy_with_logits(Z, Y)
    else:
        loss = F.binary_cross_entropy(Z.sigmoid(), Y)
    loss.backward()
    A = 1 / (1 + np.exp(-(X @ w.data + b.data)))
    dZ = A - Y
    np.testing.assert_allclose(w.grad.data, X.T @ dZ / m, rtol=0, atol=1e-12)
    assert abs(b.grad.item() - dZ.mean()) < 1e-12


def test_hessian_of_logistic_loss_is_xt_diag_a_one_minus_a_x_over_m():
    rng = np.random.default_rng(3)
    m, d = 40, 3
    X = rng.standard_normal((m, d))
    Y = (rng.random(m) < 0.5).astype(float)
    w0 = rng.standard_normal(d)
    H = tg.hessian(lambda w: F.binary_cross_entropy_with_logits(X @ w, Y), w0)
    A = 1 / (1 + np.exp(-(X @ w0)))
    expected = X.T @ np.diag(A * (1 - A)) @ X / m
    np.testing.assert_allclose(H.data, expected, rtol=1e-10, atol=1e-13)
    H_sigmoid = tg.hessian(lambda w: F.binary_cross_entropy((X @ w).sigmoid(), Y), w0)
    np.testing.assert_allclose(H_sigmoid.data, expected, rtol=1e-8, atol=1e-12)


def test_grad_of_intermediate_nodes_without_touching_dot_grad():
    w = tg.Tensor([0.5, -0.2], requires_grad=True)
    x = tg.Tensor([1.0, 2.0])
    z = w @ x + 0.1
    a = z.sigmoid()
    loss = F.binary_cross_entropy(a, 1.0)
    da, dz = tg.grad(loss, [a, z])
    av = a.item()
    assert da.item() == pytest.approx(-1 / av, abs=1e-12)
    assert dz.item() == pytest.approx(av - 1, abs=1e-12)
    assert w.grad is None
