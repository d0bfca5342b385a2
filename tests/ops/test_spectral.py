"""eigh, eig, svd and pinv: numpy's results, numpy's calling conventions (several results,
through np.linalg too), gradients against float64 finite differences of numpy's own
functions, and clear errors where the gradient does not exist."""

import numpy as np
import pytest

import tinygrad_lr as tg
from tinygrad_lr.ops.spectral import REAL_SPECTRUM, SEPARATED, SYMMETRIC


def sample(domain, shape, seed=0):
    return domain.sample(np.random.default_rng(seed), shape)


def numeric_gradient(function, values, weights, eps=1e-6):
    """d(Σ weights · function(values)) by central differences, entry by entry."""
    grad = np.zeros_like(values)
    for index in np.ndindex(values.shape):
        step = np.zeros_like(values)
        step[index] = eps
        grad[index] = (np.sum(weights * function(values + step))
                       - np.sum(weights * function(values - step))) / (2 * eps)
    return grad


def check_factor(make, reference, values):
    """The factor's value is numpy's; its gradient is that of numpy's function."""
    x = tg.Tensor(values, requires_grad=True)
    out = make(x)
    np.testing.assert_allclose(out.data, reference(values), rtol=1e-10, atol=1e-12)
    weights = np.random.default_rng(1).standard_normal(out.shape)
    (out * weights).sum().backward()
    np.testing.assert_allclose(x.grad.data, numeric_gradient(reference, values, weights),
                               rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("uplo", ["L", "U"])
def test_eigh_values_vectors_and_gradients(uplo):
    values = sample(SYMMETRIC, (3, 3))
    check_factor(lambda x: np.linalg.eigh(x, UPLO=uplo).eigenvalues,
                 lambda a: np.linalg.eigh(a, UPLO=uplo)[0], values)
    check_factor(lambda x: np.linalg.eigh(x, UPLO=uplo).eigenvectors,
                 lambda a: np.linalg.eigh(a, UPLO=uplo)[1], values)
    result = tg.linalg.eigh(values, UPLO=uplo)
    assert type(result).__name__ == "EighResult"


def test_eig_for_real_spectra():
    values = sample(REAL_SPECTRUM, (3, 3))
    check_factor(lambda x: np.linalg.eig(x)[0], lambda a: np.linalg.eig(a)[0], values)
    check_factor(lambda x: tg.linalg.eig(x).eigenvectors, lambda a: np.linalg.eig(a)[1], values)
    check_factor(lambda x: np.linalg.eigvals(x), np.linalg.eigvals, values)
    with pytest.raises(ValueError, match="complex eigenvalues"):
        np.linalg.eig(tg.Tensor([[0.0, -1.0], [1.0, 0.0]]))


@pytest.mark.parametrize("shape", [(3, 2), (2, 3), (2, 2), (2, 3, 2)])
def test_svd_factors(shape):
    values = sample(SEPARATED, shape)
    for position in range(3):
        check_factor(lambda x, p=position: np.linalg.svd(x, full_matrices=False)[p],
                     lambda a, p=position: np.linalg.svd(a, full_matrices=False)[p], values)
    check_factor(lambda x: np.linalg.svd(x, compute_uv=False),
                 lambda a: np.linalg.svd(a, compute_uv=False), values)
    check_factor(np.linalg.pinv, np.linalg.pinv, values)


def test_svd_full_matrices():
    values = sample(SEPARATED, (3, 2))
    full = np.linalg.svd(tg.Tensor(values))
    for found, expected in zip(full, np.linalg.svd(values)):
        np.testing.assert_allclose(found.data, expected)
    check_factor(lambda x: np.linalg.svd(x)[2], lambda a: np.linalg.svd(a)[2], values)
    x = tg.Tensor(values, requires_grad=True)
    with pytest.raises(ValueError, match="full_matrices=True is not defined"):
        tg.linalg.svd(x).U.sum().backward()
    with pytest.raises(ValueError, match="hermitian"):
        np.linalg.svd(tg.Tensor(values), hermitian=True)


@pytest.mark.parametrize("order", [2, -2, "nuc"])
def test_spectral_norms(order):
    values = sample(SEPARATED, (2, 3, 2))
    check_factor(lambda x: np.linalg.norm(x, ord=order, axis=(1, 2)),
                 lambda a: np.linalg.norm(a, ord=order, axis=(1, 2)), values)


def test_second_derivatives_of_the_factors():
    symmetric, general = sample(SYMMETRIC, (3, 3)), sample(SEPARATED, (3, 2))
    for function, values in [(lambda a: tg.linalg.eigh(a).eigenvectors, symmetric),
                             (lambda a: tg.linalg.svd(a, full_matrices=False).U, general),
                             (lambda a: tg.linalg.svd(a, full_matrices=False).Vh, general),
                             (tg.linalg.pinv, general)]:
        assert tg.gradgradcheck(function, [tg.Tensor(values, requires_grad=True)])


def test_pinv_of_a_rank_deficient_matrix():
    values = np.array([[1.0, 2.0], [2.0, 4.0], [0.0, 0.0]])
    np.testing.assert_allclose(tg.linalg.pinv(tg.Tensor(values)).data, np.linalg.pinv(values))
    x = tg.Tensor(values, requires_grad=True)
    with pytest.raises(ValueError, match="rank-deficient"):
        tg.linalg.pinv(x).sum().backward()


@pytest.mark.parametrize("factor", [lambda a: tg.linalg.eigh(a).eigenvectors,
                                    lambda a: tg.linalg.eig(a).eigenvectors,
                                    lambda a: tg.linalg.svd(a).Vh])
def test_repeated_values_are_named_not_infinite(factor):
    x = tg.Tensor(np.diag([2.0, 2.0, 1.0]), requires_grad=True)
    with pytest.raises(ValueError, match="needs distinct (eigenvalues|singular values)"):
        factor(x).sum().backward()
    x.grad = None
    tg.linalg.eigvalsh(x).sum().backward()  # the eigenvalues' gradient is defined there
    np.testing.assert_allclose(x.grad.data, np.eye(3))


def test_rank_deficient_rectangular_vectors_are_named():
    x = tg.Tensor([[1.0, 0.0], [0.0, 0.0], [0.0, 0.0]], requires_grad=True)
    with pytest.raises(ValueError, match="non-zero singular values"):
        (tg.linalg.svd(x, full_matrices=False).U * np.arange(6.0).reshape(3, 2)).sum().backward()


def test_linalg_namespace_lists_the_new_functions():
    for name in ("eigh", "eig", "eigvalsh", "eigvals", "svd", "svdvals", "pinv"):
        assert callable(getattr(tg.linalg, name))
