"""An op used in the forward and again inside another op's backward traces into one
program (the merged step runs in the forward) and gives eager's answer."""

import numpy as np
import pytest

import tinygrad_lr as tg

CASES = {
    "inv and slogdet": lambda a: tg.linalg.inv(a).sum() + tg.linalg.slogdet(a)[1],
    "svd factors and svdvals": lambda a: tg.linalg.svd(a)[0].sum() + tg.linalg.svdvals(a).sum(),
    "inv and det": lambda a: tg.linalg.inv(a).sum() * tg.linalg.det(a),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_shared_op_compiles_to_eager_answer(name):
    fn = CASES[name]
    rng = np.random.default_rng(3)
    step = tg.value_and_grad(fn)
    for _ in range(3):
        a = rng.standard_normal((3, 3)) + 3 * np.eye(3)
        value, grad = step(a)
        t = tg.Tensor(a, requires_grad=True)
        expected = fn(t)
        (expected_grad,) = tg.grad(expected, [t])
        assert float(value) == expected.item()
        np.testing.assert_array_equal(grad, expected_grad.numpy())
    assert step.traces == 1
