"""Edge cases of the elementwise ops (ops/elementwise.py): their second and third
derivatives against closed forms."""

import numpy as np
import pytest

import tinygrad_lr as tg


def sig(x):
    return 1 / (1 + np.exp(-x))


# name: (function on tensors, domain sampler, f', f'', f''')
CLOSED_FORMS = {
    "exp": (lambda t: t.exp(), (-2, 2),
            np.exp, np.exp, np.exp),
    "log": (lambda t: t.log(), (0.3, 3),
            lambda x: 1 / x, lambda x: -1 / x**2, lambda x: 2 / x**3),
    "sigmoid": (lambda t: t.sigmoid(), (-3, 3),
                lambda x: sig(x) * (1 - sig(x)),
                lambda x: sig(x) * (1 - sig(x)) * (1 - 2 * sig(x)),
                lambda x: sig(x) * (1 - sig(x)) * (1 - 6 * sig(x) + 6 * sig(x) ** 2)),
    "tanh": (lambda t: t.tanh(), (-2, 2),
             lambda x: 1 - np.tanh(x) ** 2,
             lambda x: -2 * np.tanh(x) * (1 - np.tanh(x) ** 2),
             lambda x: -2 * (1 - np.tanh(x) ** 2) * (1 - 3 * np.tanh(x) ** 2)),
    "sqrt": (lambda t: t.sqrt(), (0.3, 3),
             lambda x: 0.5 * x**-0.5, lambda x: -0.25 * x**-1.5, lambda x: 0.375 * x**-2.5),
    "softplus": (lambda t: t.softplus(), (-3, 3),
                 sig, lambda x: sig(x) * (1 - sig(x)),
                 lambda x: sig(x) * (1 - sig(x)) * (1 - 2 * sig(x))),
    "cube": (lambda t: t ** 3, (-2, 2),
             lambda x: 3 * x**2, lambda x: 6 * x, lambda x: 6 + 0 * x),
    "reciprocal": (lambda t: 1 / t, (0.3, 3),
                   lambda x: -1 / x**2, lambda x: 2 / x**3, lambda x: -6 / x**4),
    "x_times_x": (lambda t: t * t, (-2, 2),
                  lambda x: 2 * x, lambda x: 2 + 0 * x, lambda x: 0 * x),
    "exp_base": (lambda t: 2.0 ** t, (-2, 2),
                 lambda x: np.log(2) * 2**x, lambda x: np.log(2) ** 2 * 2**x,
                 lambda x: np.log(2) ** 3 * 2**x),
    "relu": (lambda t: t.relu(), (-2, 2),
             lambda x: (x > 0) * 1.0, lambda x: 0 * x, lambda x: 0 * x),
    "abs": (lambda t: abs(t), (-2, 2),
            np.sign, lambda x: 0 * x, lambda x: 0 * x),
}


@pytest.mark.parametrize("name", sorted(CLOSED_FORMS))
def test_first_second_third_derivatives(name):
    f, (low, high), d1, d2, d3 = CLOSED_FORMS[name]
    x_values = np.linspace(low, high, 7)
    x_values = x_values[np.abs(x_values) > 1e-3]
    x = tg.Tensor(x_values, requires_grad=True)
    (g1,) = tg.grad(f(x).sum(), x, create_graph=True)
    np.testing.assert_allclose(g1.data, d1(x_values), rtol=1e-12, atol=1e-12)
    g2 = None
    if g1.requires_grad:  # otherwise the first derivative is piecewise constant in x
        (g2,) = tg.grad(g1.sum(), x, create_graph=True, allow_unused=True)
    if g2 is None:
        g2 = tg.zeros_like(x)
    np.testing.assert_allclose(g2.data, d2(x_values), rtol=1e-12, atol=1e-12)
    if not g2.requires_grad:
        g3 = np.zeros_like(x_values)
    else:
        (g3,) = tg.grad(g2.sum(), x, allow_unused=True)
        g3 = np.zeros_like(x_values) if g3 is None else g3.data
    np.testing.assert_allclose(g3, d3(x_values), rtol=1e-11, atol=1e-12)


def test_jacobian_of_softmax_is_diag_s_minus_s_st():
    x = np.array([0.1, -1.2, 2.0])
    J = tg.jacobian(lambda t: t.softmax(), x).data
    s = np.exp(x) / np.exp(x).sum()
    np.testing.assert_allclose(J, np.diag(s) - np.outer(s, s), rtol=1e-12, atol=1e-14)


def test_hessian_of_quadratic_form():
    A = np.array([[2.0, 1.0], [0.5, 3.0]])
    H = tg.hessian(lambda w: w @ (A @ w), np.array([0.3, -0.7])).data
    np.testing.assert_allclose(H, A + A.T, atol=1e-13)


def test_hessian_input_checks():
    with pytest.raises(ValueError, match="single-element"):
        tg.hessian(lambda w: w * 2, np.ones(2))
    with pytest.raises(TypeError, match="floating"):
        tg.jacobian(lambda w: w, tg.Tensor(np.array([1, 2])))
