"""vjp, jvp, vhp, hvp, jacobian and hessian over one input or several, checked against closed
forms and float64 central finite differences."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_lr as tg

RNG = np.random.default_rng(7)
A = RNG.standard_normal((3, 4))
B = RNG.standard_normal((4, 2))
M = RNG.standard_normal((4, 2))


def numeric_jacobian(f, arrays, out_index=0, step=1e-6):
    """∂f(arrays)[out_index]/∂arrays[j] for every j, by central differences in float64."""

    def value(*xs):
        out = f(*[tg.Tensor(x) for x in xs])
        out = out if isinstance(out, tuple) else (out,)
        return out[out_index].data

    blocks = []
    for j, x in enumerate(arrays):
        shape = value(*arrays).shape + x.shape
        block = np.zeros((value(*arrays).size, x.size))
        for k in range(x.size):
            up, down = [a.copy() for a in arrays], [a.copy() for a in arrays]
            up[j].flat[k] += step
            down[j].flat[k] -= step
            block[:, k] = ((value(*up) - value(*down)) / (2 * step)).ravel()
        blocks.append(block.reshape(shape))
    return blocks


def two_outputs(a, b):
    return (a.exp() * (b * b).sum(), (a @ B).tanh() * b.sum())


def test_vjp_and_jvp_match_the_closed_form_jacobian():
    x = tg.Tensor(RNG.standard_normal(4))
    jac = A * (2 * x.data)                        # f(x) = A (x ⊙ x): J = A diag(2x)
    v, u = RNG.standard_normal(3), RNG.standard_normal(4)
    out, vj = tg.vjp(lambda x: tg.Tensor(A) @ (x * x), x, tg.Tensor(v))
    np.testing.assert_allclose(out.data, A @ (x.data ** 2))
    np.testing.assert_allclose(vj.data, v @ jac, rtol=1e-12)
    out, jv = tg.jvp(lambda x: tg.Tensor(A) @ (x * x), x, tg.Tensor(u))
    np.testing.assert_allclose(jv.data, jac @ u, rtol=1e-12)
    assert x.grad is None and not out.requires_grad   # the caller's tensor is untouched


def test_jacobian_over_several_inputs_and_outputs_is_a_tuple_of_tuples():
    a, b = RNG.standard_normal(4), RNG.standard_normal(4)
    jac = tg.jacobian(two_outputs, (tg.Tensor(a), tg.Tensor(b)))
    assert isinstance(jac, tuple) and len(jac) == 2 and all(len(row) == 2 for row in jac)
    for i in range(2):
        expected = numeric_jacobian(two_outputs, [a, b], out_index=i)
        for j in range(2):
            assert jac[i][j].shape == expected[j].shape
            np.testing.assert_allclose(jac[i][j].data, expected[j], rtol=1e-6, atol=1e-8)


def test_jacobian_of_one_output_over_two_inputs_is_a_tuple_over_the_inputs():
    a, b = tg.Tensor([1.0, 2.0]), tg.Tensor([3.0, 5.0])
    da, db = tg.jacobian(lambda a, b: a * b, (a, b))
    np.testing.assert_array_equal(da.data, np.diag(b.data))
    np.testing.assert_array_equal(db.data, np.diag(a.data))
    single = tg.jacobian(lambda x: x * x, tg.Tensor([1.0, 2.0]))  # single input: one tensor
    assert isinstance(single, tg.Tensor) and single.tolist() == [[2.0, 0.0], [0.0, 4.0]]


def test_jvp_and_vjp_over_several_inputs_agree_with_the_jacobian():
    a, b = RNG.standard_normal(4), RNG.standard_normal(4)
    inputs = (tg.Tensor(a), tg.Tensor(b))
    jac = tg.jacobian(two_outputs, inputs)
    va, vb = RNG.standard_normal(4), RNG.standard_normal(4)
    _, jv = tg.jvp(two_outputs, inputs, (tg.Tensor(va), tg.Tensor(vb)))
    for i in range(2):
        flat = [jac[i][j].data.reshape(jac[i][j].shape[:1] + (-1,)) for j in range(2)]
        np.testing.assert_allclose(jv[i].data, flat[0] @ va + flat[1] @ vb, rtol=1e-10)
    w0, w1 = RNG.standard_normal(4), RNG.standard_normal(2)
    _, vj = tg.vjp(two_outputs, inputs, (tg.Tensor(w0), tg.Tensor(w1)))
    for j in range(2):
        np.testing.assert_allclose(vj[j].data, w0 @ jac[0][j].data + w1 @ jac[1][j].data,
                                   rtol=1e-10)


def scalar(a, b):
    return (a * a * b).sum() + a @ tg.Tensor(M) @ b[:2] + (a.exp() * b).sum()


def closed_form_hessian(a, b):
    """∂² of Σ a²b + aᵀM b[:2] + Σ eᵃ b."""
    haa = np.diag(2 * b + np.exp(a) * b)
    hab = np.diag(2 * a + np.exp(a))
    hab[:, :2] += M
    hbb = np.zeros((4, 4))
    return [[haa, hab], [hab.T, hbb]]


def test_hessian_over_two_inputs_matches_the_closed_form():
    a, b = RNG.standard_normal(4), RNG.standard_normal(4)
    hessian = tg.hessian(scalar, (tg.Tensor(a), tg.Tensor(b)))
    expected = closed_form_hessian(a, b)
    for i in range(2):
        for j in range(2):
            np.testing.assert_allclose(hessian[i][j].data, expected[i][j], rtol=1e-10,
                                       atol=1e-12)


def test_hvp_and_vhp_match_the_hessian_times_v():
    a, b = RNG.standard_normal(4), RNG.standard_normal(4)
    va, vb = RNG.standard_normal(4), RNG.standard_normal(4)
    h = closed_form_hessian(a, b)
    inputs, v = (tg.Tensor(a), tg.Tensor(b)), (tg.Tensor(va), tg.Tensor(vb))
    value, hv = tg.hvp(scalar, inputs, v)
    _, vh = tg.vhp(scalar, inputs, v)
    assert value.item() == pytest.approx(scalar(*inputs).item())
    for i in range(2):
        np.testing.assert_allclose(hv[i].data, h[i][0] @ va + h[i][1] @ vb, rtol=1e-10)
        np.testing.assert_allclose(vh[i].data, va @ h[0][i] + vb @ h[1][i], rtol=1e-10)


def test_single_input_hvp_against_finite_differences_of_the_gradient():
    x = RNG.uniform(0.5, 1.5, 3)
    v = RNG.standard_normal(3)

    def f(t):
        return (t.log() * t.sigmoid()).sum() + (t @ t) ** 2

    def gradient(t):
        return tg.grad(f(t), t)[0]

    step = 1e-6
    up = gradient(tg.Tensor(x + step * v, requires_grad=True)).data
    down = gradient(tg.Tensor(x - step * v, requires_grad=True)).data
    _, hv = tg.hvp(f, tg.Tensor(x), tg.Tensor(v))
    np.testing.assert_allclose(hv.data, (up - down) / (2 * step), rtol=1e-6)


def test_create_graph_lets_the_result_be_differentiated_again():
    x = tg.Tensor([1.0, 2.0], requires_grad=True)
    _, jv = tg.jvp(lambda t: t ** 3, x, tg.Tensor([1.0, 1.0]), create_graph=True)
    np.testing.assert_allclose(jv.data, 3 * x.data ** 2)
    jv.sum().backward()
    np.testing.assert_allclose(x.grad.data, 6 * x.data)  # d/dx Σ 3x²


def test_unused_inputs_give_zeros_or_an_error_with_strict():
    a, b = tg.Tensor([1.0, 2.0]), tg.Tensor([3.0])
    _, (ga, gb) = tg.vjp(lambda a, b: (a * a).sum(), (a, b))
    assert ga.tolist() == [2.0, 4.0] and gb.tolist() == [0.0]
    with pytest.raises(RuntimeError, match="does not depend on input 1"):
        tg.vjp(lambda a, b: (a * a).sum(), (a, b), strict=True)


def test_bad_vectors_are_named():
    x = tg.Tensor([1.0, 2.0])
    with pytest.raises(ValueError, match=r"vjp\(\): v is needed"):
        tg.vjp(lambda t: t * 2, x)
    with pytest.raises(ValueError, match=r"jvp\(\): v\[0\] has shape \(3,\) but the input has "
                                         r"shape \(2,\)"):
        tg.jvp(lambda t: t * 2, x, tg.ones(3))
    with pytest.raises(ValueError, match=r"hvp\(\): func must return a single-element Tensor"):
        tg.hvp(lambda t: t * 2, x, tg.ones(2))
    with pytest.raises(TypeError, match="v must be a tuple of 2 tensors"):
        tg.jvp(lambda a, b: a * b, (x, x), tg.ones(2))


def test_the_functional_api_is_the_derivatives_module():
    # (not tg.autograd.functional: autograd is the core's backward walk, and the core
    # imports nothing from the layer above it)
    functional = tg.derivatives
    assert functional.vjp is tg.vjp and functional.hessian is tg.hessian
    assert not hasattr(tg.autograd, "functional")


def test_a_list_is_one_input_and_outputs_must_be_tensors():
    jac = tg.jacobian(lambda x: x * x, [1.0, 3.0])  # an array of numbers, as before
    assert jac.tolist() == [[2.0, 0.0], [0.0, 6.0]]
    with pytest.raises(TypeError, match=r"jacobian\(\): func must return a Tensor or a tuple"):
        tg.jacobian(lambda x: [x, x], tg.ones(2))
