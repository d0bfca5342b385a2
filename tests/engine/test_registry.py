"""The op registry as a user meets it: a new op is a few lines and works everywhere."""

import numpy as np
import pytest

import tinygrad_lr as tg
import tinygrad_lr.functional as F
from tinygrad_lr.registry import POSITIVE, get_op, register_op, unregister_op


@pytest.fixture
def softsign():
    @tg.op("softsign_test", label="softsign", formula="∂y/∂x = 1/(1+|x|)²", method=True)
    class softsign_test:
        """x / (1 + |x|)."""

        def forward(x):
            return x / (1 + np.abs(x))

        def backward(grad, out, x):
            return grad / (1 + abs(x)) ** 2

    yield softsign_test
    unregister_op("softsign_test")


def test_registered_op_is_a_function_a_method_and_in_functional(softsign):
    x = tg.Tensor([-2.0, 0.5, 3.0], requires_grad=True)
    expected = x.data / (1 + np.abs(x.data))
    for result in (softsign(x), tg.softsign_test(x), F.softsign_test(x), x.softsign_test()):
        np.testing.assert_allclose(result.data, expected)
    x.softsign_test().sum().backward()
    np.testing.assert_allclose(x.grad.data, 1 / (1 + np.abs(x.data)) ** 2)
    assert tg.gradcheck(softsign, [x]) and tg.gradgradcheck(softsign, [x])
    assert get_op("softsign_test").formula == "∂y/∂x = 1/(1+|x|)²"
    assert "softsign_test" in tg.registered_ops() and "softsign_test" in dir(tg)
    assert softsign.__doc__ == "x / (1 + |x|)."


def test_a_ufunc_is_a_forward_with_its_inputs_and_no_settings():
    # forward = np.hypot: two inputs, the op's usual errors and dtype rules, and a rule
    # checked against the closed form d/da hypot(a, b) = a / hypot(a, b).
    hypot = register_op("hypot_ufunc_test", np.hypot,
                        lambda grad, out, a, b: (grad * a / out, grad * b / out))
    try:
        assert (hypot.n_inputs, hypot.param_names) == (2, ())
        assert hypot.__doc__ == "The 'hypot_ufunc_test' op."
        a = tg.Tensor([3.0, 5.0], requires_grad=True)
        b = tg.Tensor([4.0, 12.0], requires_grad=True)
        hypot(a, b).sum().backward()
        np.testing.assert_allclose(a.grad.data, [3 / 5, 5 / 13])
        np.testing.assert_allclose(b.grad.data, [4 / 5, 12 / 13])
        assert hypot(np.array([3, 5], dtype=np.int8), 4).dtype == np.float64
        with pytest.raises(ValueError, match=r"hypot_ufunc_test: cannot apply to inputs of "
                                             r"shapes \(2,\), \(3,\)"):
            hypot(a, tg.ones(3))
        with pytest.raises(TypeError, match="unexpected keyword argument"):
            hypot(a, b, out=None)
    finally:
        unregister_op("hypot_ufunc_test")
    with pytest.raises(TypeError, match="one output, divmod has 2"):
        register_op("divmod_ufunc_test", np.divmod, lambda grad, out, a, b: (grad, grad))
    assert get_op("mul").forward is np.multiply


def test_unregister_removes_the_method(softsign):
    unregister_op("softsign_test")
    assert not hasattr(tg.Tensor, "softsign_test")
    with pytest.raises(AttributeError):
        tg.softsign_test  # noqa: B018
    register_op("softsign_test", lambda x: x, lambda g, out, x: g)  # for the fixture teardown


def test_backward_with_wrong_shape_names_the_op():
    bad = register_op("bad_shape_test", lambda x: x * 2, lambda g, out, x: g.sum(), replace=True)
    try:
        x = tg.Tensor(np.ones((2, 3)), requires_grad=True)
        with pytest.raises(ValueError, match=r"op 'bad_shape_test'.*shape \(\).*shape \(2, 3\)"):
            bad(x).sum().backward()
    finally:
        unregister_op("bad_shape_test")


def test_backward_with_wrong_count_names_the_op():
    bad = register_op("bad_count_test", lambda a, b: a + b, lambda g, out, a, b: g, replace=True)
    try:
        x = tg.Tensor(1.0, requires_grad=True)
        with pytest.raises(ValueError, match="op 'bad_count_test' returned 1 gradient"):
            bad(x, x).backward()
    finally:
        unregister_op("bad_count_test")


def test_not_differentiable_input_names_the_op():
    floor = register_op("floor_test", lambda x: np.floor(x), lambda g, out, x: None, replace=True)
    try:
        x = tg.Tensor(1.5, requires_grad=True)
        with pytest.raises(RuntimeError, match="op 'floor_test' is not differentiable"):
            floor(x).backward()
        assert floor(tg.Tensor(1.5)).item() == 1.0  # fine without grad
    finally:
        unregister_op("floor_test")


def test_registration_errors():
    with pytest.raises(ValueError, match="already registered"):
        register_op("exp", np.exp, lambda g, out, x: g * out)
    with pytest.raises(ValueError, match="identifier"):
        register_op("not a name", np.exp, lambda g, out, x: g)
    with pytest.raises(ValueError, match="that name is taken"):
        register_op("shape_test", lambda x: x, lambda g, out, x: g, method="shape")
    with pytest.raises(TypeError, match="both forward and backward"):
        @tg.op("half_test")
        class half_test:
            def forward(x):
                return x
    with pytest.raises(ValueError, match="2 inputs but 1 domains"):
        register_op("dom_test", lambda a, b: a, lambda g, o, a, b: (g, g), domain=(POSITIVE,))
    with pytest.raises(KeyError, match="did you mean sigmoid"):
        get_op("sigmod")
    assert "dom_test" not in tg.registered_ops()


def test_ops_accept_settings_positionally_and_by_keyword():
    x = tg.Tensor(np.arange(6.0).reshape(2, 3))
    np.testing.assert_allclose(tg.sum(x, 1, True).data, x.data.sum(1, keepdims=True))
    with pytest.raises(TypeError, match="multiple values for 'axis'"):
        tg.sum(x, 1, axis=0)
    with pytest.raises(TypeError, match=r"takes 2 input\(s\), got 1"):
        tg.mul(x)
    with pytest.raises(ValueError, match="at least one input"):
        tg.concatenate([])


def test_builtin_ops_use_the_public_registry():
    ops = tg.registered_ops()
    assert len(ops) >= 35
    for name in ("add", "mul", "matmul", "sigmoid", "binary_cross_entropy", "getitem"):
        assert ops[name] is get_op(name) and getattr(tg, name) is ops[name]


def test_mis_shaped_rules_are_rejected_at_registration():
    with pytest.raises(TypeError, match=r"cannot be called as backward\(grad, out, x1\)"):
        register_op("badsig_test", lambda x: x, lambda grad, x: grad)
    with pytest.raises(TypeError, match=r"backward\(grad, out, x1, \*, axis\)"):
        register_op("badparam_test", lambda x, *, axis=0: x, lambda grad, out, x: grad)
    with pytest.raises(TypeError, match="without self"):
        @tg.op("self_test")
        class self_test:
            def forward(self, x):
                return x

            def backward(self, grad, out, x):
                return grad
    assert not {"badsig_test", "badparam_test", "self_test"} & set(tg.registered_ops())


def test_none_and_complex_data_are_rejected_clearly():
    with pytest.raises(TypeError, match="from None"):
        tg.Tensor(None)
    with pytest.raises(TypeError, match="real floating-point"):
        tg.Tensor(np.array([1 + 2j]), requires_grad=True)
