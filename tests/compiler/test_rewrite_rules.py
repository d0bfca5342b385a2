"""Every rewrite rule preserves values: differential tests on random inputs.

Each rule's function is compiled with the rules and without them, and run eagerly; the
answers must agree within the rule's documented tolerance (docs/performance.md, "Rewrite
rules"), with numexpr's fused kernels and with the numpy ones. Where a guard sends a call
to eager's chain (a saturated sigmoid, |z| beyond the limit, NaN, targets outside [0, 1]),
the answer is eager's bit for bit, or eager's error.
"""

import numpy as np
import pytest

import tinygrad_lr as tg
import tinygrad_lr.functional as F
from tinygrad_lr.compiler import fused, rewrite

BACKENDS = [False] + ([True] if fused.numexpr is not None else [])


@pytest.fixture(params=BACKENDS, ids=lambda on: "numexpr" if on else "numpy")
def backend(request):
    before = fused.use_numexpr()
    fused.use_numexpr(request.param)
    yield request.param
    fused.use_numexpr(before)


def _eager(fn, arrays, argnums):
    argnums = (argnums,) if isinstance(argnums, int) else argnums
    tensors = [tg.Tensor(a, requires_grad=i in argnums) for i, a in enumerate(arrays)]
    value = fn(*tensors)
    grads = tg.grad(value, [tensors[i] for i in argnums])
    return value.numpy(), [g.numpy() for g in grads]


def _without_rules(fn, argnums):
    step = tg.value_and_grad(fn, argnums=argnums)

    def call(*arrays):
        rewrite.enabled = False
        try:
            return step(*arrays)
        finally:
            rewrite.enabled = True
    return call


def _within(got, expected, ulp: float) -> bool:
    got, expected = np.asarray(got), np.asarray(expected)
    if got.dtype != expected.dtype or got.shape != expected.shape:
        return False
    if ulp == 0:
        return np.array_equal(got, expected, equal_nan=True)
    with np.errstate(invalid="ignore"):
        close = np.abs(got - expected) <= ulp * np.spacing(np.abs(expected))
    return bool(np.all(close | (got == expected) | (np.isnan(got) & np.isnan(expected))))


def _check(fn, rows, argnums, rule, ulp):
    """Compiled with rules, compiled without, eager: equal within ``ulp`` on every row."""
    step = tg.value_and_grad(fn, argnums=argnums)
    plain = _without_rules(fn, argnums)
    for row in rows:
        value, grads = step(*row)
        grads = grads if isinstance(grads, tuple) else (grads,)
        expected_value, expected_grads = _eager(fn, row, argnums)
        plain_value, plain_grads = plain(*row)
        plain_grads = plain_grads if isinstance(plain_grads, tuple) else (plain_grads,)
        for got, expected in [(value.numpy(), expected_value), (value.numpy(), plain_value.numpy()),
                              *zip(grads, expected_grads), *zip(grads, plain_grads)]:
            assert _within(got, expected, ulp), (rule, row, got, expected)
    assert rule in step.program().stats.get("rewrites", {}), step.program().stats
    assert step.traces == 1


RNG = np.random.default_rng(24)


def test_double_negation_is_exact():
    def fn(x):
        return x.__neg__().__neg__().exp().sum()  # −(−x)
    _check(fn, [(RNG.standard_normal(6),) for _ in range(3)], 0, "double_negation", 0)


def test_transpose_of_transpose_is_exact():
    weights = RNG.standard_normal((3, 4, 2))

    def fn(x):
        return (x.transpose((1, 2, 0)).transpose((2, 0, 1)) * weights).sum()
    _check(fn, [(RNG.standard_normal((3, 4, 2)),) for _ in range(3)], 0,
           "transpose_of_transpose", 0)
    program = tg.value_and_grad(fn).program(RNG.standard_normal((3, 4, 2)))
    assert "transpose" not in program.source


def test_a_transpose_that_does_not_cancel_is_kept():
    def fn(x):
        return (x.transpose((1, 2, 0)).transpose((1, 2, 0)) * np.arange(24.0).reshape(
            (2, 3, 4))).sum()
    x = RNG.standard_normal((3, 4, 2))
    value, grad = tg.value_and_grad(fn)(x)
    expected_value, (expected_grad,) = _eager(fn, [x], [0])
    assert float(value) == float(expected_value)
    np.testing.assert_array_equal(grad, expected_grad)


@pytest.mark.parametrize("shape", [(7, 5), (8, 4), (3, 1, 9)])
def test_sum_of_broadcast_within_log2_n_ulp(shape):
    n = int(np.prod(shape))

    def fn(c, x):
        return c.broadcast_to(shape).sum() * x.sum()
    rows = [(np.asarray(RNG.standard_normal() * 10.0 ** RNG.integers(-3, 4)),
             RNG.standard_normal(3)) for _ in range(6)]
    _check(fn, rows, (0, 1), "sum_of_broadcast", int(np.ceil(np.log2(n))) + 1)


def _bce_rows(dtype, scale):
    rows = []
    for _ in range(4):
        z = (RNG.standard_normal(50_000) * scale).astype(dtype)
        y = (RNG.random(50_000) < 0.5).astype(dtype)
        rows.append((z, y))
    rows.append((rows[0][0], RNG.random(50_000).astype(dtype)))  # soft targets
    z, y = rows[0]
    for odd in (np.zeros_like(z), np.full_like(z, z[0]), np.abs(z), -np.abs(z), z * 1e-12,
                z * 1e6):  # ties, zeros, one sign, tiny and huge logits (the guards' side)
        rows.append((odd.astype(dtype), y))
    return rows


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_sigmoid_then_bce_in_the_logits_form(backend, dtype, reduction):
    def fn(z, y):
        return F.binary_cross_entropy(z.sigmoid(), y, reduction=reduction)
    rows = _bce_rows(dtype, 1.3)
    _check(fn, rows, 0, "sigmoid_bce_loss", fused.LOGITS_FORM_ULP)
    _check(fn, rows, 0, "sigmoid_bce_backward", 4)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_sigmoid_then_bce_beyond_the_guards_is_eager_bit_for_bit(backend, dtype):
    def fn(z, y):
        return F.binary_cross_entropy(z.sigmoid(), y)
    step = tg.value_and_grad(fn)
    z, y = _bce_rows(dtype, 1.0)[0]
    step(z, y)
    big = z * 60  # saturated sigmoids: eager clips the probabilities
    outside = np.where(y > 0, 1.5, -0.25).astype(dtype)  # targets outside [0, 1]
    for row, grad_ulp in [((big, y), 0), ((z * 5, y), 4), ((z, outside), 4)]:
        value, grad = step(*row)
        expected_value, (expected_grad,) = _eager(fn, row, [0])
        assert _within(value.numpy(), expected_value, 0)
        assert _within(grad, expected_grad, grad_ulp)  # (a − y)/m unless a saturates
    nan = z.copy()
    nan[3] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        step(nan, y)
    assert step.traces == 1


def test_sigmoid_then_bce_keeps_the_logits_forms_accuracy_where_eager_agrees():
    # The rewrite is checked against an independent oracle too: float64 against float128
    # (or the float64 logits form of a float32 call): within the rule's tolerance of it.
    z = RNG.standard_normal(10_000) * 2
    y = (RNG.random(10_000) < 0.5).astype(float)
    value, grad = tg.value_and_grad(
        lambda z, y: F.binary_cross_entropy(z.sigmoid(), y, reduction="sum"))(z, y)
    exact = np.sum(np.logaddexp(0, z) - y * z)
    assert abs(float(value) - exact) <= 1e-12 * exact
    np.testing.assert_allclose(grad, 1 / (1 + np.exp(-z)) - y, rtol=1e-14, atol=1e-16)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_log_one_minus_sigmoid_is_minus_softplus(backend, dtype):
    def fn(z):
        return ((1 - z.sigmoid()).log() * 0.5).sum()
    rows = [(z,) for z, _ in _bce_rows(dtype, 1.3)]
    with np.errstate(divide="ignore", invalid="ignore"):  # log(0) at huge z, as in eager
        _check(fn, rows, 0, "log_one_minus_sigmoid", fused.LOGITS_FORM_ULP)
    step = tg.value_and_grad(fn)
    step(*rows[0])
    big = rows[0][0] * 40  # eager's log(0) = -inf where σ rounds to 1: the same here
    with np.errstate(divide="ignore", invalid="ignore"):
        value, grad = step(big)
        expected_value, (expected_grad,) = _eager(fn, [big], [0])
    assert _within(value.numpy(), expected_value, 0)
    assert _within(grad, expected_grad, 0)


def test_programs_without_a_match_are_unchanged():
    def fn(x):
        return (x.exp() * 2.0).sum()
    program = tg.value_and_grad(fn).program(np.ones(4))
    assert "rewrites" not in program.stats


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_the_with_logits_backward_is_one_exact_kernel(dtype, reduction):
    def fn(z, y):
        return F.binary_cross_entropy_with_logits(z, y, reduction=reduction)
    rows = _bce_rows(dtype, 1.3)
    z, y = rows[0]
    extreme = z * 1e3  # σ saturates, e^−z overflows without the clamp
    extreme[:4] = [-800.0, 800.0, -0.0, 0.0]
    rows += [(extreme.astype(dtype), y), (z, np.full_like(y, 0.5))]
    _check(fn, rows, 0, "sigmoid_minus_target", 0)
    program = tg.value_and_grad(fn).program(*rows[0])
    assert "sigmoid_minus_target" in program.source and "sigmoid(" not in program.source


def test_the_with_logits_backward_takes_in_a_single_scale_only():
    def fn(z, y, w):
        return (F.binary_cross_entropy_with_logits(z, y, reduction="none") * w).sum()
    z, y = _bce_rows(np.float64, 1.0)[0]
    w = RNG.random(z.size)
    _check(fn, [(z, y, w)], 0, "sigmoid_minus_target", 0)
    program = tg.value_and_grad(fn).program(z, y, w)  # w·(σ − y): w stays a multiply
    kernel = [step for step in program.steps if step.op.name == "sigmoid_minus_target"]
    assert len(kernel) == 1 and len(kernel[0].args) == 2, program.source
    assert any(step.op.name == "mul" and kernel[0] in step.args for step in program.steps)


def test_a_sigmoid_of_the_forward_pass_is_not_computed_twice():
    def fn(z, y):
        a = z.sigmoid()
        return ((a - y) * (a - y)).sum() + a.sum()  # σ read by the loss as well
    z, y = _bce_rows(np.float64, 1.0)[0]
    program = tg.value_and_grad(fn).program(z, y)
    assert "sigmoid_minus_target" not in program.stats.get("rewrites", {}), program.source
    assert sum(step.op.name == "sigmoid" for step in program.steps) == 1
