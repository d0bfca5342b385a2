"""Binary cross-entropy at the extremes, against closed forms: dz = a − y through the
sigmoid however confident the prediction, NaN probabilities refused (as PyTorch does),
and the with-logits loss at infinite logits equal to its limit (PyTorch: inf)."""

import warnings

import numpy as np
import pytest

import tinygrad_lr as tg
from tinygrad_lr.ops.losses import probability_bounds


def exact_sigmoid(z):
    """σ(z) = exp(−log(1 + e^−z)), accurate (to subnormals) for any z."""
    return np.exp(-np.logaddexp(0.0, -np.asarray(z, dtype=np.float64)))


def dz_through_sigmoid(z_values, y, dtype=np.float64):
    """The loss, dz and the engine's a = σ(z) on the lecture's graph σ → L(a, y)."""
    z = tg.Tensor(np.asarray(z_values, dtype=dtype), requires_grad=True)
    a = z.sigmoid()
    loss = tg.binary_cross_entropy(a, y, reduction="sum")
    loss.backward()
    return loss.data, z.grad.data, a.data


Z_NEGATIVE = np.array([-1e308, -1e30, -1000.0, -800.0, -745.5, -720.0, -709.0, -708.5,
                       -708.0, -700.0, -100.0, -30.0, -1.0, 0.0])


def test_a_confident_wrong_prediction_keeps_dz_equal_to_a_minus_y():
    """For z ≤ −709 this used to give dz = −0.68 instead of a − y = −1 (and 0 below −745)."""
    loss, dz, a = dz_through_sigmoid(Z_NEGATIVE, np.ones(Z_NEGATIVE.size))
    np.testing.assert_allclose(dz, exact_sigmoid(Z_NEGATIVE) - 1.0, rtol=1e-14, atol=0)
    np.testing.assert_allclose(dz, a - 1.0, rtol=1e-14, atol=0)
    assert np.all(dz[:9] == -1.0)
    assert np.isfinite(loss) and loss > 700 * 8  # -log of a subnormal, never inf


def test_the_right_label_at_the_same_logits_has_dz_equal_to_a():
    _, dz, a = dz_through_sigmoid(Z_NEGATIVE, np.zeros(Z_NEGATIVE.size))
    # a in the subnormal range carries fewer digits; an absolute bound covers those
    np.testing.assert_allclose(dz, a, rtol=1e-12, atol=1e-320)
    # the engine's σ stops at its floor (below 2e-308) where the exact value is smaller
    np.testing.assert_allclose(a, exact_sigmoid(Z_NEGATIVE), rtol=1e-12, atol=2e-308)


def test_float32_keeps_dz_as_well():
    z = np.array([-1e30, -200.0, -104.0, -88.0, -87.0, -10.0], dtype=np.float32)
    _, dz, _ = dz_through_sigmoid(z, np.ones(z.size, dtype=np.float32), dtype=np.float32)
    assert dz.dtype == np.float32
    np.testing.assert_allclose(dz, exact_sigmoid(z) - 1.0, rtol=1e-6, atol=0)


def test_the_clip_floor_is_the_sigmoids_own_floor():
    for dtype in (np.float64, np.float32):
        low, high = probability_bounds(dtype)
        floor = tg.Tensor(np.array(-np.inf, dtype=dtype)).sigmoid().item()
        assert low == floor and 0 < low <= np.finfo(dtype).tiny
        assert np.isfinite(np.array(1, dtype) / np.array(low, dtype))
        assert high == 1 - np.finfo(dtype).eps


def test_loss_values_match_the_closed_form():
    # (for large positive z the probability form loses digits in 1 − a: not tested here)
    z = np.array([-708.0, -300.0, -5.0, 0.0, 5.0, 8.0])
    y = np.array([1.0, 1.0, 0.0, 1.0, 1.0, 0.0])
    loss = tg.binary_cross_entropy(tg.Tensor(z).sigmoid(), y, reduction="none").data
    expected = y * np.logaddexp(0, -z) + (1 - y) * np.logaddexp(0, z)
    np.testing.assert_allclose(loss, expected, rtol=1e-12)


@pytest.mark.parametrize("a", [np.nan, [0.2, np.nan, 0.9], [[0.5], [np.nan]]])
def test_nan_probabilities_are_refused(a):
    """binary_cross_entropy(nan, y) used to return NaN; PyTorch raises on it."""
    shape = np.shape(a)
    with pytest.raises(ValueError, match=r"needs probabilities in \[0, 1\], got NaN at position"):
        tg.binary_cross_entropy(tg.Tensor(a), np.zeros(shape))


def test_out_of_range_message_is_unchanged():
    with pytest.raises(ValueError, match=r"got values from -0.5 to 0.5; for raw scores use"):
        tg.binary_cross_entropy(tg.Tensor([-0.5, 0.5]), [0.0, 1.0])


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.float16])
def test_every_probability_passes_the_range_check_and_nothing_else_does(dtype):
    info = np.finfo(dtype)
    edges = np.array([0.0, info.smallest_subnormal, info.tiny, 0.5, 1 - info.epsneg, 1.0],
                     dtype=dtype)
    for good in (edges, np.append(edges, dtype(-0.0))):  # −0.0 is a valid 0
        loss = tg.binary_cross_entropy(tg.Tensor(good), np.ones(good.size, dtype),
                                       reduction="none").numpy()
        assert np.all(np.isfinite(loss)) and loss[5] == 0
    for bad in (-info.smallest_subnormal, -1.0, np.nextafter(dtype(1), dtype(2)), np.inf,
                -np.inf):
        values = edges.copy()
        values[3] = bad
        with pytest.raises(ValueError, match=r"needs probabilities in \[0, 1\], got values"):
            tg.binary_cross_entropy(tg.Tensor(values), np.ones(values.size, dtype))
    for nan in (np.nan, -np.nan):
        values = edges.copy()
        values[3] = nan
        with pytest.raises(ValueError, match=r"got NaN at position \(3,\)"):
            tg.binary_cross_entropy(tg.Tensor(values), np.ones(values.size, dtype))


def test_with_logits_at_infinite_logits_is_the_limit():
    """binary_cross_entropy_with_logits(+inf, 0) used to be NaN (PyTorch: inf)."""
    z = np.array([np.inf, np.inf, np.inf, -np.inf, -np.inf, -np.inf, 3.0])
    y = np.array([0.0, 1.0, 0.25, 0.0, 1.0, 0.25, 1.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no 'invalid value' RuntimeWarning either
        z_tensor = tg.Tensor(z, requires_grad=True)
        loss = tg.binary_cross_entropy_with_logits(z_tensor, y, reduction="none")
        loss.sum().backward()
    assert loss.data[:6].tolist() == [np.inf, 0.0, np.inf, 0.0, np.inf, np.inf]
    assert loss.data[6] == pytest.approx(np.logaddexp(0, -3.0), rel=1e-14)
    # the gradient is σ(z) − y, finite at ±inf
    np.testing.assert_allclose(z_tensor.grad.data[:6], [1.0, 0.0, 0.75, 0.0, -1.0, -0.25],
                               rtol=0, atol=1e-300)  # σ(−inf) is the sigmoid's floor
    assert tg.binary_cross_entropy_with_logits(tg.Tensor(np.inf), 0.0).item() == np.inf
    assert tg.binary_cross_entropy_with_logits(tg.Tensor([np.inf, 0.0]), 1.0).item() == (
        pytest.approx(np.log(2) / 2))
    assert np.isnan(tg.binary_cross_entropy_with_logits(tg.Tensor(np.nan), 1.0).item())
