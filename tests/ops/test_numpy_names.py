"""The ops with numpy's names compute what numpy computes, and the few behaviours the
registry-driven gradchecks cannot see (operators, lists of outputs, errors) work."""

import numpy as np
import pytest

import tinygrad_lr as tg
from tinygrad_lr.registry import registered_ops

# numpy functions that take a sequence of arrays rather than arrays as arguments.
SEQUENCE_ARGUMENT = {"concatenate", "stack", "hstack", "vstack", "dstack", "column_stack",
                     "row_stack"}


def numpy_counterpart(name):
    for namespace in (np, np.linalg):
        found = getattr(namespace, name, None)
        if callable(found) and name not in ("astype", "einsum", "flatten", "logabsdet"):
            return found
    return None


WITH_NUMPY = sorted(name for name in registered_ops() if numpy_counterpart(name) is not None)


def _inputs(found, shapes, rng):
    domains = found.domain if not found.variadic else found.domain * len(shapes)
    return [d.sample(rng, s) for d, s in zip(domains, shapes)]


@pytest.mark.parametrize("name", WITH_NUMPY)
def test_op_agrees_with_numpy_on_its_cases(name):
    found, reference = tg.get_op(name), numpy_counterpart(name)
    rng = np.random.default_rng(11)
    cases = (found.cases(shape) for shape in [(), (3,), (2, 3)]) if found.cases else [
        [(((),) * found.n_inputs, {}), (((2, 3),) * found.n_inputs, {})]]
    for shapes, params in (case for group in cases for case in group):
        arrays = _inputs(found, shapes, rng)
        if name == "norm" and not shapes[0]:
            continue  # np.linalg.norm refuses 0-d input
        expected = (reference(arrays, **params) if name in SEQUENCE_ARGUMENT
                    else reference(*arrays, **params))
        got = found(*[tg.Tensor(a) for a in arrays], **params)
        np.testing.assert_allclose(got.data, expected, rtol=1e-12, atol=1e-12,
                                   err_msg=f"{name} {shapes} {params}")
        assert got.shape == np.shape(expected)


def test_numpy_names_cover_the_issue_list():
    wanted = """sin cos tan arcsin arccos arctan arctan2 sinh cosh arcsinh arccosh arctanh log1p
    expm1 log2 log10 exp2 square reciprocal sign floor ceil round rint mod remainder logaddexp
    logaddexp2 fmax fmin hypot sinc deg2rad rad2deg prod var std cumsum cumprod logsumexp norm
    dot vdot inner outer tensordot einsum trace diag diagonal kron cross inv det solve cholesky
    ravel flatten squeeze expand_dims moveaxis swapaxes flip fliplr flipud roll rot90 tril triu
    repeat tile broadcast_to hstack vstack dstack column_stack pad atleast_1d atleast_2d
    atleast_3d sort""".split()
    assert not [name for name in wanted if name not in registered_ops()]
    for name in ("split", "array_split", "hsplit", "vsplit"):
        assert callable(getattr(tg, name))
    for name in ("inv", "det", "slogdet", "solve", "cholesky", "norm"):
        assert callable(getattr(tg.linalg, name))


def test_abs_method_and_the_remainder_operator():
    x = tg.Tensor([-2.5, 1.5], requires_grad=True)
    assert x.abs().tolist() == [2.5, 1.5]
    b = tg.Tensor([2.0, -1.0], requires_grad=True)
    r = x % b
    np.testing.assert_array_equal(r.data, np.mod(x.data, b.data))
    assert (7 % tg.Tensor(3.0)).item() == 1.0 and (tg.Tensor(7.0) % 3).item() == 1.0
    r.sum().backward()
    np.testing.assert_array_equal(x.grad.data, [1.0, 1.0])
    np.testing.assert_array_equal(b.grad.data, -np.floor(x.data / b.data))  # [2, 1]


def test_split_parts_are_slices_that_carry_gradients():
    x = tg.Tensor(np.arange(12.0).reshape(3, 4), requires_grad=True)
    left, right = tg.hsplit(x, 2)
    assert left.shape == right.shape == (3, 2)
    (left * 2 + right.sum()).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [[2, 2, 6, 6]] * 3)  # right.sum() is used 6 times
    for ours, theirs in zip(tg.array_split(x, 2, axis=1), np.array_split(x.data, 2, axis=1)):
        np.testing.assert_array_equal(ours.data, theirs)
    assert [p.shape for p in tg.vsplit(x, [1, 2])] == [(1, 4), (1, 4), (1, 4)]
    with pytest.raises(ValueError, match="does not split into 3 equal parts; use array_split"):
        tg.split(x, 3, axis=1)


def test_slogdet_det_and_solve_match_closed_forms():
    a = np.array([[3.0, 1.0], [2.0, -4.0]])
    A = tg.Tensor(a, requires_grad=True)
    sign, value = tg.linalg.slogdet(A)
    assert sign.item() == -1.0 and value.item() == pytest.approx(np.log(14.0))
    tg.linalg.det(A).backward()
    np.testing.assert_allclose(A.grad.data, np.linalg.det(a) * np.linalg.inv(a).T)
    b = tg.Tensor([1.0, 2.0], requires_grad=True)
    x = tg.linalg.solve(A, b)
    np.testing.assert_allclose(x.data, np.linalg.solve(a, b.data))
    (gb,) = tg.grad(x.sum(), b)
    np.testing.assert_allclose(gb.data, np.linalg.solve(a.T, np.ones(2)))


def test_cholesky_gradient_of_a_symmetric_function_matches_the_closed_form():
    # d/dA of log det A = 2 Σ log diag(L) is A⁻¹; read on the lower triangle (numpy reads
    # only that one) it is 2A⁻¹ below the diagonal, A⁻¹ on it and 0 above.
    a = np.array([[4.0, 1.0, 0.5], [1.0, 3.0, 0.2], [0.5, 0.2, 2.0]])
    A = tg.Tensor(a, requires_grad=True)
    L = tg.linalg.cholesky(A)
    (2 * L.diagonal().log().sum()).backward()
    inverse = np.linalg.inv(a)
    np.testing.assert_allclose(A.grad.data, np.tril(2 * inverse) - np.diag(np.diag(inverse)))
    with pytest.raises(ValueError, match="positive definite"):
        tg.linalg.cholesky(tg.Tensor([[1.0, 2.0], [2.0, 1.0]]))


def test_einsum_takes_numpy_order_and_names_bad_subscripts():
    a, b = np.ones((2, 3)), np.arange(12.0).reshape(3, 4)
    np.testing.assert_array_equal(tg.einsum("ij,jk", tg.Tensor(a), b).data, a @ b)
    np.testing.assert_array_equal(tg.einsum("...j,jk->...k", tg.Tensor(a), b).data, a @ b)
    with pytest.raises(ValueError, match="name 2 operand"):
        tg.einsum("ij,jk", tg.Tensor(a))
    with pytest.raises(ValueError, match="does not fit an operand of shape"):
        tg.einsum("i,jk", tg.Tensor(a), b)


def test_logsumexp_weights_and_their_errors():
    x = tg.Tensor([0.5, 1.0, -2.0], requires_grad=True)
    b = np.array([0.5, 2.0, 1.0])
    y = x.logsumexp(b=b)
    assert y.item() == pytest.approx(np.log(np.sum(b * np.exp(x.data))))
    y.backward()
    np.testing.assert_allclose(x.grad.data, b * np.exp(x.data) / np.sum(b * np.exp(x.data)))
    with pytest.raises(TypeError, match="constants and get no gradient"):
        x.logsumexp(b=tg.Tensor(b, requires_grad=True))
    with pytest.raises(ValueError, match=r"weights b of shape \(2,\) do not broadcast"):
        x.logsumexp(b=[1.0, 2.0])


def test_clear_errors_for_unsupported_settings():
    m = tg.Tensor(np.eye(2))
    with pytest.raises(ValueError, match="invalid matrix norm order 3"):
        tg.linalg.norm(m, ord=3)
    with pytest.raises(ValueError, match="ddof=3 leaves no degrees of freedom"):
        tg.var(tg.Tensor([1.0, 2.0, 3.0]), ddof=3)
    with pytest.raises(ValueError, match="only mode='constant'"):
        tg.pad(m, pad_width=1, mode="reflect")
    with pytest.raises(ValueError, match="cross: needs vectors of 3 components"):
        tg.cross(tg.ones(2), tg.ones(2))
    with pytest.raises(ValueError, match="inv needs square matrices"):
        tg.linalg.inv(tg.ones(2, 3))


def test_sinc_is_smooth_at_zero():
    x = tg.Tensor([0.0, 0.5], requires_grad=True)
    x.sinc().sum().backward()
    assert x.grad.data[0] == 0.0 and np.isfinite(x.grad.data).all()


def test_a_composite_renders_as_one_node(tmp_path):
    viz = pytest.importorskip("tinygrad_lr.viz")
    x = tg.Tensor([1.0, 2.0, 4.0], requires_grad=True, name="x")
    source = viz.to_dot(x.var(ddof=1), formulas=True)
    assert "var ddof=1" in source and "Σ(x − x̄)² / (n − ddof)" in source
    assert source.count(" -> ") == 1  # x → var, nothing inside it


def test_norms_std_and_hypot_have_a_zero_subgradient_at_zero():
    for f in (lambda t: tg.linalg.norm(t), lambda t: tg.norm(t, ord=3, axis=0),
              lambda t: t.std(), lambda t: tg.hypot(t, 0.0).sum(),
              lambda t: tg.norm(t.reshape(1, 2), ord="fro")):
        x = tg.Tensor([0.0, 0.0], requires_grad=True)
        (g,) = tg.grad(f(x), x, create_graph=True)
        np.testing.assert_array_equal(g.data, [0.0, 0.0])
        (h,) = tg.grad(g.sum(), x, allow_unused=True)
        assert h is None or np.isfinite(h.data).all()
    x = tg.Tensor([3.0, 3.0, 3.0], requires_grad=True)
    x.std(ddof=1).backward()
    np.testing.assert_array_equal(x.grad.data, [0.0, 0.0, 0.0])
