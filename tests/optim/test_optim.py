"""optim: SGD and Adam against closed forms and an independent numpy transcription of the
PyTorch update rules; parameter groups and error messages."""

import numpy as np
import pytest

import tinygrad_lr as tg
from tinygrad_lr import nn, optim


def constant_gradient_steps(optimizer_factory, gradient, steps, start=0.0):
    """Run ``steps`` steps where the loss is ``gradient · w`` (so dL/dw = gradient)."""
    w = tg.Tensor(np.full(np.shape(gradient), start), requires_grad=True)
    opt = optimizer_factory([w])
    for _ in range(steps):
        opt.zero_grad()
        (w * tg.Tensor(gradient)).sum().backward()
        opt.step()
    return w.data


def test_plain_sgd_is_the_lecture_update():
    g = np.array([2.0, -1.0])
    w = constant_gradient_steps(lambda p: optim.SGD(p, lr=0.1), g, steps=3)
    np.testing.assert_allclose(w, -0.3 * g, rtol=1e-15)


@pytest.mark.parametrize("nesterov", [False, True])
def test_momentum_closed_form_with_constant_gradient(nesterov):
    g, lr, mu, k = 1.5, 0.1, 0.9, 6
    w = constant_gradient_steps(lambda p: optim.SGD(p, lr=lr, momentum=mu, nesterov=nesterov),
                                np.array([g]), steps=k)
    # buffer after step t is g(1 − μᵗ)/(1 − μ); Nesterov steps by g + μ·buffer.
    buffers = [g * (1 - mu ** t) / (1 - mu) for t in range(1, k + 1)]
    moves = [g + mu * b for b in buffers] if nesterov else buffers
    assert w[0] == pytest.approx(-lr * sum(moves), rel=1e-13)


def test_weight_decay_on_zero_gradient_is_exponential_shrinkage():
    w = constant_gradient_steps(lambda p: optim.SGD(p, lr=0.1, weight_decay=0.5),
                                np.zeros(1), steps=4, start=2.0)
    assert w[0] == pytest.approx(2.0 * (1 - 0.05) ** 4, rel=1e-14)


def reference_adam(grads, lr, beta1, beta2, eps, weight_decay, amsgrad, start):
    """The Adam paper's algorithm, transcribed in plain numpy."""
    p, m, v, v_max = start.copy(), np.zeros_like(start), np.zeros_like(start), None
    for t, g in enumerate(grads, start=1):
        g = g + weight_decay * p
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g ** 2
        v_used = v if not amsgrad else (v if v_max is None else np.maximum(v_max, v))
        v_max = v_used
        p = p - lr * (m / (1 - beta1 ** t)) / (np.sqrt(v_used / (1 - beta2 ** t)) + eps)
    return p


@pytest.mark.parametrize("amsgrad, weight_decay", [(False, 0.0), (True, 0.1)])
def test_adam_matches_reference_on_a_quadratic(amsgrad, weight_decay):
    target = np.array([1.0, -2.0, 0.5])
    start = np.array([0.3, 0.3, -4.0])
    w = tg.Tensor(start.copy(), requires_grad=True)
    opt = optim.Adam([w], lr=0.05, betas=(0.8, 0.99), eps=1e-6, weight_decay=weight_decay,
                     amsgrad=amsgrad)
    seen = []
    for _ in range(25):
        opt.zero_grad()
        ((w - tg.Tensor(target)) ** 2).sum().backward()
        seen.append(w.grad.data.copy())
        opt.step()
    expected = reference_adam(seen, 0.05, 0.8, 0.99, 1e-6, weight_decay, amsgrad, start)
    np.testing.assert_allclose(w.data, expected, rtol=1e-13)
    assert opt.state[id(w)]["step"] == 25


def test_adam_first_step_moves_by_lr_against_the_gradient_sign():
    w = constant_gradient_steps(lambda p: optim.Adam(p, lr=0.01), np.array([5.0, -1e-3]), 1)
    np.testing.assert_allclose(w, [-0.01, 0.01], rtol=1e-4)


def test_optimizers_train_a_module_and_keep_float32():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(64, 3)).astype(np.float32)
    y = (X @ np.array([1.0, -2.0, 0.5], dtype=np.float32) > 0).astype(np.float32)
    for make in (lambda p: optim.SGD(p, lr=0.5, momentum=0.9),
                 lambda p: optim.Adam(p, lr=0.05)):
        model = nn.Linear(3, 1, seed=0, dtype=np.float32)
        opt = make(model.parameters())
        losses = []
        for _ in range(50):
            opt.zero_grad()
            loss = nn.BCEWithLogitsLoss()(model(X).reshape(-1), y)
            loss.backward()
            opt.step()
            losses.append(loss.item())
        assert losses[-1] < 0.5 * losses[0]
        assert model.weight.dtype == np.float32 and model.bias.dtype == np.float32


def test_step_never_writes_into_the_users_array():
    start = np.array([1.0, 2.0])
    w = tg.Tensor(start, requires_grad=True)  # Tensor shares the array
    for opt in (optim.SGD([w], lr=0.1, momentum=0.5), optim.Adam([w], lr=0.1)):
        (w * w).sum().backward()
        opt.step()
        opt.zero_grad()
    np.testing.assert_array_equal(start, [1.0, 2.0])
    assert not np.array_equal(w.data, start)


def test_parameters_without_grad_are_skipped_and_closure_runs():
    a = tg.Tensor(1.0, requires_grad=True)
    b = tg.Tensor(1.0, requires_grad=True)
    opt = optim.SGD([a, b], lr=1.0)

    def closure():
        opt.zero_grad()
        loss = a * 3.0
        loss.backward()
        return loss

    assert opt.step(closure).item() == 3.0
    assert a.item() == -2.0 and b.item() == 1.0


def test_param_groups_have_their_own_hyperparameters():
    a = tg.Tensor(0.0, requires_grad=True)
    b = tg.Tensor(0.0, requires_grad=True)
    opt = optim.SGD([{"params": [a]}, {"params": b, "lr": 1.0}], lr=0.1)
    (a + b).backward()
    opt.step()
    assert (a.item(), b.item()) == (-0.1, -1.0)
    opt.param_groups[0]["lr"] = 0.5  # schedules edit the groups, as in PyTorch
    opt.zero_grad()
    (a + b).backward()
    opt.step()
    assert a.item() == pytest.approx(-0.6)
    assert "Parameter Group 1" in repr(opt)
    opt.zero_grad(set_to_none=False)
    assert a.grad.item() == 0.0


def test_bad_arguments_are_named():
    w = tg.Tensor([1.0], requires_grad=True, name="w")
    with pytest.raises(TypeError, match="single Tensor"):
        optim.SGD(w, lr=0.1)
    with pytest.raises(TypeError, match="iterable"):
        optim.SGD(3, lr=0.1)
    with pytest.raises(ValueError, match="empty parameter list"):
        optim.Adam([])
    with pytest.raises(ValueError, match="invalid lr: -1"):
        optim.SGD([w], lr=-1)
    with pytest.raises(ValueError, match="invalid momentum"):
        optim.SGD([w], lr=0.1, momentum=float("nan"))
    with pytest.raises(ValueError, match="nesterov"):
        optim.SGD([w], lr=0.1, nesterov=True)
    with pytest.raises(ValueError, match="invalid betas"):
        optim.Adam([w], betas=(0.9, 1.0))
    with pytest.raises(ValueError, match=r"\(w, shape \(1,\)\) must be a leaf"):
        optim.SGD([tg.Tensor([1.0], name="w")], lr=0.1)
    with pytest.raises(ValueError, match="must be a leaf"):
        optim.SGD([w * 2], lr=0.1)
    with pytest.raises(ValueError, match="appears twice"):
        optim.SGD([w, w], lr=0.1)
    with pytest.raises(TypeError, match="not a Tensor"):
        optim.SGD([np.ones(2)], lr=0.1)
    with pytest.raises(ValueError, match=r"unknown hyper-parameter\(s\) \['momentum'\]"):
        optim.Adam([{"params": [w], "momentum": 0.9}])


def test_sgd_keeps_float32_parameters_with_numpy_hyperparameters():
    w = nn.Parameter(np.array([1.0, 2.0], np.float32))
    opt = optim.SGD([w], lr=np.float64(0.1), momentum=np.float64(0.9),
                    weight_decay=np.float64(0.01))
    for _ in range(2):
        opt.zero_grad()
        (w * w).sum().backward()
        opt.step()
    assert w.dtype == np.float32


@pytest.mark.parametrize("make", [lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9),
                                  lambda ps: optim.Adam(ps, lr=0.05, amsgrad=True)])
def test_state_dict_round_trip_resumes_training_exactly(make):
    def train(opt, w, steps):
        for _ in range(steps):
            opt.zero_grad()
            ((w - 3.0) ** 2).sum().backward()
            opt.step()

    w_straight = nn.Parameter(np.array([1.0, -2.0]))
    train(make([w_straight]), w_straight, 6)

    w_first = nn.Parameter(np.array([1.0, -2.0]))
    opt_first = make([w_first])
    train(opt_first, w_first, 3)
    saved = opt_first.state_dict()
    w_resumed = nn.Parameter(w_first.data)
    opt_resumed = make([w_resumed])
    opt_resumed.load_state_dict(saved)
    train(opt_resumed, w_resumed, 3)
    np.testing.assert_allclose(w_resumed.data, w_straight.data, rtol=0, atol=1e-15)


def test_load_state_dict_rejects_a_different_layout():
    a, b = nn.Parameter(np.ones(2)), nn.Parameter(np.ones(2))
    saved = optim.SGD([a, b], lr=0.1).state_dict()
    with pytest.raises(ValueError, match=r"groups of \[2\] parameters, this optimizer has \[1\]"):
        optim.SGD([a], lr=0.1).load_state_dict(saved)
    with pytest.raises(ValueError, match="'state' and 'param_groups'"):
        optim.SGD([a], lr=0.1).load_state_dict({"x": 1})
