"""The compiler: traced programs give the eager engine's values and gradients, checked
against float64 finite differences, retrace on new signatures and refuse stale traces."""

import shutil

import numpy as np
import pytest

import tinygrad_lr as tg
import tinygrad_lr.functional as F
from tinygrad_lr.compiler import StaleTraceError, TraceError
from tinygrad_lr.registry import needs_grad, unregister_op
from tinygrad_lr.viz import backends
from tinygrad_lr.viz.program import program_dot


def finite_differences(fn, leaves, index, eps=1e-6):
    """Central differences of the scalar ``fn(*leaves)`` w.r.t. ``leaves[index]`` (float64)."""
    base = [np.array(a, dtype=np.float64) for a in leaves]
    grad = np.zeros_like(base[index])
    for i in np.ndindex(grad.shape):
        up = [a.copy() for a in base]
        down = [a.copy() for a in base]
        up[index][i] += eps
        down[index][i] -= eps
        grad[i] = (fn(*up) - fn(*down)) / (2 * eps)
    return grad


def eager_grads(fn, params, *rest):
    tensors = [tg.Tensor(p, requires_grad=True) for p in params]
    loss = fn(tensors, *[tg.Tensor(r) for r in rest])
    loss.backward()
    return loss.item(), [t.grad.numpy() for t in tensors]


def plain_value(fn, n_params):
    """fn as a function of flat float arrays (params first), for finite differences."""
    def value(*arrays):
        with tg.no_grad():
            params = [tg.Tensor(a) for a in arrays[:n_params]]
            return fn(params, *[tg.Tensor(a) for a in arrays[n_params:]]).item()
    return value


def check_against_eager_and_fd(fn, params, *rest, tol=1e-6):
    step = tg.value_and_grad(fn)
    for _ in range(2):  # the trace, then the replay
        value, grads = step(params, *rest)
    eager_value, eager = eager_grads(fn, params, *rest)
    assert float(value) == pytest.approx(eager_value, abs=1e-12)
    flat = plain_value(fn, len(params))
    for i, (g, e) in enumerate(zip(grads, eager)):
        np.testing.assert_allclose(g, e, rtol=1e-12, atol=1e-14)
        fd = finite_differences(flat, [*params, *rest], i)
        np.testing.assert_allclose(g, fd, rtol=tol, atol=tol)
    assert step.traces == 1
    return step


def logistic_loss(params, x, y):
    w1, w2, b = params
    z = w1 * x[0] + w2 * x[1] + b
    return F.binary_cross_entropy(z.sigmoid(), y)


def test_lecture_logistic_regression_matches_hand_derived_gradients():
    # The lecture's single example: dz = a − y, dw1 = x1·dz, dw2 = x2·dz, db = dz.
    x, y = np.array([1.0, 2.0]), np.array(1.0)
    params = [np.array(0.5), np.array(-0.2), np.array(0.1)]
    step = check_against_eager_and_fd(logistic_loss, params, x, y)
    _, (dw1, dw2, db) = step(params, x, y)
    a = 1 / (1 + np.exp(-(0.5 * 1.0 - 0.2 * 2.0 + 0.1)))
    assert (float(dw1), float(dw2), float(db)) == pytest.approx((a - 1, 2 * (a - 1), a - 1),
                                                                 abs=1e-12)


def mlp_loss(params, X, y):
    W1, b1, W2, b2 = params
    h = (X @ W1 + b1).tanh()
    return F.binary_cross_entropy_with_logits(h @ W2 + b2, y)


def test_mlp_gradients_equal_eager_and_finite_differences():
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((6, 2)), (rng.random((6, 1)) > 0.5) * 1.0
    params = [rng.standard_normal((2, 3)), rng.standard_normal(3), rng.standard_normal((3, 1)),
              rng.standard_normal(1)]
    check_against_eager_and_fd(mlp_loss, params, X, y)


def test_broadcasting_gradients_sum_back_to_each_shape():
    def loss(params, x):
        a, b, c = params
        return ((a * x + b) / (c + 3.0)).exp().mean()

    rng = np.random.default_rng(1)
    params = [rng.standard_normal((3, 1)), rng.standard_normal(4), rng.random(())]
    check_against_eager_and_fd(loss, params, rng.standard_normal((2, 3, 4)))


def test_value_dependent_rules_are_right_on_every_call():
    # relu, abs, maximum and clip compute masks from values in their rules: the program
    # replays those rules on the current arrays, so new data flips the masks correctly.
    def loss(params, x):
        (w,) = params
        h = (x @ w).relu()
        return (abs(h - 0.3) + h.maximum(0.5) + h.clip(0.1, 0.9)).sum()

    rng = np.random.default_rng(2)
    step = tg.value_and_grad(loss)
    for _ in range(4):
        params, x = [rng.standard_normal((3, 4))], rng.standard_normal((5, 3))
        value, (grad,) = step(params, x)
        eager_value, (eager,) = eager_grads(loss, params, x)
        assert float(value) == pytest.approx(eager_value)
        np.testing.assert_array_equal(grad, eager)
    assert step.traces == 1


def test_a_user_registered_op_needs_no_extra_code():
    @tg.op("cube_compile_test", method=False)
    class cube:
        def forward(x):
            return x ** 3

        def backward(grad, out, x):
            return grad * 3 * x * x

    @tg.op("step_scale_compile_test", method=False)
    class step_scale:  # its rule's mask is a comparison op: recomputed on every call
        def forward(x):
            return np.where(x > 0, 2 * x, x)

        def backward(grad, out, x):
            return tg.where(x > 0, grad * 2.0, grad) if needs_grad(x) else None

    try:
        def loss(params, x):
            (w,) = params
            return step_scale(cube(w * x)).sum()

        rng = np.random.default_rng(3)
        check_against_eager_and_fd(loss, [rng.standard_normal(5)], rng.standard_normal(5))
        step = tg.value_and_grad(loss)
        w = np.array([1.0, -1.0, 0.5, -0.5, 2.0])
        for x in (np.ones(5), -np.ones(5)):  # the sign of every element flips
            _, (grad,) = step([w], x)
            np.testing.assert_allclose(grad, eager_grads(loss, [w], x)[1][0])
    finally:
        unregister_op("cube_compile_test")
        unregister_op("step_scale_compile_test")


def test_compile_returns_the_structure_of_fn_with_tensors():
    def fn(x, w):
        z = x @ w
        return {"z": z, "pair": (z.sigmoid(), z.exp().sum())}

    f = tg.compile(fn)
    x, w = np.arange(6.0).reshape(3, 2), np.array([0.5, -0.5])
    for _ in range(2):
        out = f(x, w)
    eager = fn(tg.Tensor(x), tg.Tensor(w))
    assert isinstance(out["z"], tg.Tensor) and not out["z"].requires_grad
    np.testing.assert_array_equal(out["z"].numpy(), eager["z"].numpy())
    np.testing.assert_array_equal(out["pair"][0].numpy(), eager["pair"][0].numpy())
    assert out["pair"][1].item() == eager["pair"][1].item()


def test_new_shape_dtype_or_number_retraces_and_keeps_old_programs():
    f = tg.compile(lambda x, k: (x * k).sum())
    assert f(np.ones(3), 2.0).item() == 6.0
    assert f(np.ones(3), 2.0).item() == 6.0 and f.traces == 1
    assert f(np.ones(5), 2.0).item() == 10.0 and f.traces == 2
    assert f(np.ones(5, np.float32), 2.0).dtype == np.float32 and f.traces == 3
    assert f(np.ones(3), 3.0).item() == 9.0 and f.traces == 4
    assert f(np.ones(3), 2.0).item() == 6.0 and f.traces == 4
    assert len(f.signatures()) == 4


def test_calls_that_differ_from_the_last_signature_anywhere_are_not_taken_for_it():
    """Each call differs from the one before in one place (the fast check of the last
    signature must refuse it); every result equals the eager function's."""
    def fn(p, options, k):
        w, b = p
        return ((options["x"] @ w + b) * k).sum()

    step = tg.value_and_grad(fn)
    x = np.array([[1.0, 2.0], [3.0, -1.0]])
    calls = [
        ([np.ones(2), np.zeros(())], {"x": x}, 2.0),
        ([np.ones(2), np.zeros(())], {"x": x}, 3.0),  # another number
        ([np.ones(2), np.zeros(())], {"x": x}, 3),  # an int, not a float
        ((np.ones(2), np.zeros(())), {"x": x}, 3),  # a tuple, not a list
        ([np.ones(2), np.zeros(2)], {"x": x}, 3),  # another shape
        ([np.ones(2, np.float32), np.zeros(2)], {"x": x}, 3),  # another dtype
        ([np.ones(2), np.zeros(2)], {"x": tg.Tensor(x)}, 3),  # a Tensor, not an array
        ([np.ones(2), np.zeros(())], {"x": x}, 2.0),  # the first signature again
    ]
    for p, options, k in calls:
        value, (dw, db) = step(p, options, k)
        w, b = (tg.Tensor(a, requires_grad=True) for a in p)
        eager = fn((w, b), {"x": tg.Tensor(options["x"])}, k)
        eager.backward()
        assert float(value) == eager.item()
        np.testing.assert_array_equal(dw, w.grad.numpy())
        np.testing.assert_array_equal(db, b.grad.numpy())
        assert dw.dtype == p[0].dtype
    assert step.traces == 7


def test_numpy_scalars_are_zero_d_arrays_not_constants():
    step = tg.value_and_grad(lambda p, x: (p[0] * x + p[1]).sum())
    for b in (np.float64(0.5), np.float64(-1.5)):
        value, (dw, db) = step([np.ones(2), b], np.array([1.0, 2.0]))
        assert float(value) == 3.0 + 2 * float(b) and float(db) == 2.0
    assert step.traces == 1


def test_float32_stays_float32():
    step = tg.value_and_grad(mlp_loss)
    rng = np.random.default_rng(4)
    params = [rng.standard_normal(s).astype(np.float32) for s in ((2, 3), (3,), (3, 1), (1,))]
    X = rng.standard_normal((4, 2)).astype(np.float32)
    value, grads = step(params, X, np.ones((4, 1), np.float32))
    assert value.dtype == np.float32 and all(g.dtype == np.float32 for g in grads)


def test_tensor_arguments_give_tensor_gradients_and_unused_leaves_get_zeros():
    def loss(params, x):
        return (params["w"] * x).sum()

    step = tg.value_and_grad(loss)
    w, unused = tg.Tensor([1.0, 2.0], requires_grad=True), tg.Tensor([3.0])
    value, grads = step({"w": w, "unused": unused}, np.array([3.0, 4.0]))
    assert value.item() == 11.0
    assert isinstance(grads["w"], tg.Tensor) and grads["w"].tolist() == [3.0, 4.0]
    assert grads["unused"].tolist() == [0.0]
    assert w.grad is None  # the user's tensors are left alone


def test_results_never_alias_each_other_or_the_inputs():
    step = tg.value_and_grad(lambda p: (p[0] + p[1]).sum())
    a, b = np.ones(3), np.ones(3)
    for _ in range(2):
        _, (ga, gb) = step([a, b])
    ga += 1  # the caller may update in place
    assert gb.tolist() == [1.0, 1.0, 1.0]
    _, (ga2, _) = step([a, b])
    assert ga2.tolist() == [1.0, 1.0, 1.0]


def test_results_that_are_inputs_or_constants_are_fresh_copies():
    f = tg.compile(lambda x: (x, tg.ones(2), np.zeros(2)))
    x = np.array([1.0, 2.0])
    for _ in range(2):
        same, ones, zeros = f(x)
    assert same.tolist() == [1.0, 2.0] and same.numpy() is not x
    assert ones.tolist() == [1.0, 1.0] and zeros.tolist() == [0.0, 0.0]
    ones.numpy()[0] = 5.0
    assert f(x)[1].tolist() == [1.0, 1.0]


def test_trace_time_optimizations():
    f = tg.compile(lambda x: (x * 1.0 + 0.0).exp() + (x * 1.0 + 0.0).exp())
    x = np.array([0.0, 1.0])
    np.testing.assert_allclose(f(x).numpy(), 2 * np.exp(x))
    program = f.program()
    assert [s.op.name for s in program.steps] == ["exp", "add"]
    assert program.stats["identities"] >= 2 and program.stats["common"] >= 1

    def with_dead_code(params, x):
        (w,) = params
        (w * x).exp().sum()  # computed and thrown away
        return (w * x).sum()

    step = tg.value_and_grad(with_dead_code)
    step([np.ones(2)], x)
    assert "exp" not in [s.op.name for s in step.program().steps]


def test_captured_arrays_are_read_per_call_and_rebinding_is_detected():
    scale = np.array([1.0, 2.0])
    f = tg.compile(lambda x: x * scale)
    assert f(np.ones(2)).tolist() == [1.0, 2.0]
    scale[0] = 5.0  # changed in place: the program reads it on every call
    assert f(np.ones(2)).tolist() == [5.0, 2.0]
    factor = 2.0
    g = tg.compile(lambda x: x * factor)
    g(np.ones(1))
    factor = 3.0  # a number is a constant of the program: rebinding it is stale
    with pytest.raises(StaleTraceError, match="factor"):
        g(np.ones(1))

    weights = tg.Tensor([1.0, 1.0])

    def g(x):
        return x * weights

    compiled = tg.compile(g)
    compiled(np.ones(2))
    weights = tg.Tensor([2.0, 2.0])  # rebound  # noqa: F841
    with pytest.raises(StaleTraceError, match="weights"):
        compiled(np.ones(2))


def test_bad_calls_are_clear_errors():
    with pytest.raises(TypeError, match="callable"):
        tg.compile(3)
    with pytest.raises(TypeError, match="argnums"):
        tg.value_and_grad(lambda x: x, argnums="0")
    f = tg.compile(lambda x: x.exp())
    with pytest.raises(TypeError, match=r"argument args\[0\] is a set"):
        f({1.0})
    with pytest.raises(TypeError, match="positional"):
        f(x=np.ones(2))
    with pytest.raises(TraceError, match="single element"):
        tg.value_and_grad(lambda x: x.exp())(np.ones(2))
    with pytest.raises(TraceError, match="one Tensor"):
        tg.value_and_grad(lambda x: (x.sum(), x.sum()))(np.ones(2))
    with pytest.raises(TraceError, match="int64"):
        tg.value_and_grad(lambda x: x.sum())(np.ones(2, dtype=np.int64))
    with pytest.raises(TraceError, match="Python number"):
        tg.value_and_grad(lambda p: p[0] * p[1])((np.ones(()), 2.0))
    with pytest.raises(TraceError, match="returned a str"):
        tg.compile(lambda x: "text")(np.ones(2))
    with pytest.raises(RuntimeError, match="not been called"):
        f.program()


def test_integer_inputs_are_traced_not_frozen():
    f = tg.compile(lambda x, labels: x * labels.astype("float64"))
    f(np.ones(2), np.array([1, 2]))
    assert f(np.ones(2), np.array([3, 4])).tolist() == [3.0, 4.0]


def test_anomaly_mode_runs_the_checks():
    f = tg.compile(lambda x: x.log())
    f(np.ones(2))
    with tg.detect_anomaly(), np.errstate(invalid="ignore"), \
            pytest.raises(FloatingPointError, match="log"):
        f(-np.ones(2))


def test_program_picture_has_a_forward_and_a_backward_graph(tmp_path):
    step = tg.value_and_grad(logistic_loss)
    step([np.array(0.5), np.array(-0.2), np.array(0.1)], np.array([1.0, 2.0]), np.array(1.0))
    program = step.program()
    source = program_dot(program, title="the lecture's step")
    assert "cluster_forward" in source and "cluster_backward" in source
    assert source.count("->") >= len(program.steps)
    assert "∂value/∂params[0]" in source
    if shutil.which("dot") is None:
        pytest.skip("Graphviz dot is not installed")
    out = backends.write(source, tmp_path / "program.svg")
    assert "backward pass" in out.read_text()


def test_detach_inside_fn_replays_the_value_and_cuts_the_gradient():
    def loss(params, x):
        (w,) = params
        h = w * x
        target = h.detach()  # the value of h, with no gradient
        return ((h * 2 - target) ** 2).sum()

    step = tg.value_and_grad(loss)
    for x in (np.array([1.0, 2.0]), np.array([3.0, -1.0])):
        w = np.array([0.5, 1.5])
        value, (grad,) = step([w], x)
        eager_value, (eager,) = eager_grads(loss, [w], x)
        assert float(value) == pytest.approx(eager_value)
        np.testing.assert_allclose(grad, eager)
    assert step.traces == 1
    # A detached value the graph does not otherwise use is recomputed on every call too.
    other = tg.value_and_grad(lambda p, x: (p[0] * x - 2 * (p[0] * x).detach()).sum())
    for x in (np.array([1.0, 2.0]), np.array([-3.0, 0.5])):
        value, (grad,) = other([np.ones(2)], x)
        assert float(value) == pytest.approx(-x.sum())
        np.testing.assert_allclose(grad, x)


def test_values_computed_under_no_grad_are_recomputed_on_every_call():
    def through_no_grad(params, x):
        with tg.no_grad():
            scale = (x * x).sum()  # computed from the input, with no gradient
        return (params[0] * x * scale).sum()

    step = tg.value_and_grad(through_no_grad)
    for x in (np.array([1.0, 2.0]), np.array([3.0, -1.0])):
        value, (grad,) = step([np.ones(2)], x)
        eager_value, (eager,) = eager_grads(through_no_grad, [np.ones(2)], x)
        assert float(value) == pytest.approx(eager_value)
        np.testing.assert_allclose(grad, eager)
    assert step.traces == 1

    def branching(x):
        return x.exp() if x.sum().item() < 3.0 else x.log()

    with pytest.raises(TraceError, match=r"\.item\(\) reads the value of a traced tensor at "
                                         r".*test_compiler.py:\d+"):
        tg.compile(branching)(np.array([1.45, 1.5]))


def test_argnums_picks_several_arguments():
    def loss(w, x, b):
        return ((x @ w) + b).exp().sum()

    step = tg.value_and_grad(loss, argnums=(0, 2))
    w, x, b = np.array([0.5, -0.5]), np.array([[1.0, 2.0], [0.0, 1.0]]), np.array(0.25)
    value, (dw, db) = step(w, x, b)
    tw, tb = tg.Tensor(w, requires_grad=True), tg.Tensor(b, requires_grad=True)
    eager = loss(tw, tg.Tensor(x), tb)
    eager.backward()
    assert float(value) == pytest.approx(eager.item())
    np.testing.assert_allclose(dw, tw.grad.numpy())
    assert float(db) == pytest.approx(tb.grad.item())
    with pytest.raises(TraceError, match="out of range"):
        tg.value_and_grad(loss, argnums=5)(w, x, b)
