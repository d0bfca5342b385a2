"""The board's formulas as data: each op's registered derivatives against finite differences,
and the arithmetic of every step, read back from its text and evaluated, against the engine."""

import math

import numpy as np
import pytest
from test_steps import batch_graph

import tinygrad_lr as tg
from tinygrad_lr import viz
from tinygrad_lr.formulas import Derivatives, Name, Number
from tinygrad_lr.registry import registered_ops
from tinygrad_lr.viz.board import Board
from tinygrad_lr.viz.graph import input_names


def ops_with_rules():
    return [op for op in registered_ops().values() if op.derivatives is not None]


def test_the_lectures_ops_carry_their_rules_as_data():
    names = {op.name for op in ops_with_rules()}
    assert {"add", "sub", "mul", "div", "neg", "sigmoid", "binary_cross_entropy"} <= names
    assert tg.get_op("sigmoid").formula == "∂a/∂z = a(1−a)"  # text made from the rule
    assert tg.get_op("binary_cross_entropy").formula == "∂L/∂a = −y/a + (1−y)/(1−a)"


@pytest.mark.parametrize("op", ops_with_rules(), ids=lambda op: op.name)
def test_each_registered_rule_is_the_ops_derivative(op):
    """The rule, evaluated, equals central finite differences of the op's forward."""
    names = input_names(op, op.n_inputs or 1)
    rule = op.derivatives
    assert set(rule.inputs) <= set(names), (op.name, names)  # the op's own input names
    point = {name: value for name, value in zip(names, (0.3, 0.7, 0.45))}

    def forward(**values):
        return float(np.asarray(op.forward(*(np.float64(values[n]) for n in names))))

    for name, partial in rule.inputs.items():
        values = dict(point)
        if rule.output_name:
            values[rule.output_name] = forward(**point)
        h = 1e-6
        up, down = dict(point), dict(point)
        up[name] += h
        down[name] -= h
        expected = (forward(**up) - forward(**down)) / (2 * h)
        assert float(partial.evaluate(values)) == pytest.approx(expected, rel=1e-6, abs=1e-8)


def test_expressions_write_names_and_numbers():
    a, y = Name("a", 0.5498), Name("y", 1.0, data=True)
    rule = -y / a + (1 - y) / (1 - a)
    assert rule.text() == "−y/a + (1−y)/(1−a)"
    assert rule.text(numbers=True) == "−1/0.5498 + 0/(1 − 0.5498)"
    assert Derivatives(Name("u") - Name("v"), u=1, v=-1).text() == "∂(u−v)/∂u = 1, ∂(u−v)/∂v = −1"
    assert (Name("x2", 2.0, True) * Name("dz", -0.4502)).text(numbers=True) == "2·(−0.4502)"
    assert (Number(1) - Name("t") ** 2).substitute({"t": Name("h")}).text() == "1 − h²"
    with pytest.raises(TypeError, match="expressions and numbers"):
        Name("a") + "b"
    with pytest.raises(ValueError, match="no value for 'q'"):
        Name("q").evaluate()


def evaluate_text(text):
    """The arithmetic as written on the board, evaluated (arrays as numpy arrays)."""
    source = text.replace("−", "-").replace("·", "*").replace("²", "**2")
    source = source.replace("]ᵀ", "].reshape(-1, 1)")  # a column written as a row, transposed
    out, depth = [], 0
    for ch in source:
        if ch == "[":
            out.append("np.array([" if depth == 0 else "[")
            depth += 1
        elif ch == "]":
            depth -= 1
            out.append("])" if depth == 0 else "]")
        else:
            out.append(ch)

    def bce(a, y):
        return -(y * np.log(a) + (1 - y) * np.log(1 - a))

    namespace = {"np": np, "σ": lambda z: 1 / (1 + np.exp(-z)), "L": bce}
    return np.asarray(eval("".join(out), namespace))  # noqa: S307 - our own board's text


def boards():
    t = viz.lecture_example()
    yield "lecture", t["L"]
    for columns in (False, True):
        J = batch_graph(columns)[0]
        viz.backprop(J)
        yield f"batch columns={columns}", J


@pytest.mark.parametrize("name,loss", list(boards()), ids=lambda v: v if isinstance(v, str)
                         else "")
def test_each_steps_arithmetic_evaluates_to_the_engines_number(name, loss):
    board = Board(viz.walk(loss))
    steps = [board.value_step(b) for b in board.forward_boxes()]
    steps += [board.grad_step(b) for b in board.backward_boxes()]
    assert len(steps) >= 7
    shown = 0
    for step in steps:
        value = np.asarray(step.value, dtype=float)
        # The tree behind the arithmetic is the engine's number exactly...
        np.testing.assert_allclose(step.expression.evaluate(), value, rtol=1e-9, atol=1e-12)
        # ...and so is the arithmetic as written, to the precision it shows.
        if step.arithmetic is not None:
            shown += 1
            written = evaluate_text(step.arithmetic)
            np.testing.assert_allclose(written.reshape(value.shape), value, rtol=3e-3,
                                       atol=1e-3, err_msg=f"{name}: {step.text()}")
            assert evaluate_text(step.result) == pytest.approx(value, rel=1e-3, abs=1e-4)
    assert shown >= 6, name


def test_the_lectures_steps_read_as_on_the_board():
    t = viz.lecture_example()
    board = Board(viz.walk(t["L"]))
    z, a, loss = board.forward_boxes()
    da, dz, dw1, dw2, db = board.backward_boxes()
    assert board.value_step(z).text() == "z = w1·x1 + w2·x2 + b = 0.5·1 + (−0.2)·2 + 0.1 = 0.2"
    assert board.grad_step(da).text() == ("da = −y/a + (1−y)/(1−a) = −1/0.5498 + 0/(1 − 0.5498)"
                                          " = −1.819")
    assert board.grad_step(dz).text() == "dz = a(1−a)·da = a − y = 0.5498 − 1 = −0.4502"
    assert board.grad_step(dw2).text() == "dw2 = x2·dz = 2·(−0.4502) = −0.9003"
    assert board.grad_step(dw2).question() == "dw2 = x2·dz = 2·(−0.4502) = ?"
    update = board.update_text(board.parameters()[1], 0.1, 4)
    rule, numbers, new = update.split(" = ")
    assert evaluate_text(numbers) == pytest.approx(float(evaluate_text(new)), rel=1e-3)
    assert math.isclose(float(evaluate_text(new)), -0.2 - 0.1 * t["w2"].grad.item(), rel_tol=1e-3)


def test_the_names_come_from_the_graph_not_fixed_letters():
    u = tg.Tensor(0.3, requires_grad=True, name="weight")
    p = (u * 3.0).sigmoid()
    p.name = "p"
    loss = tg.binary_cross_entropy(p, tg.Tensor(0.0, name="label"))
    loss.name = "cost"
    viz.backprop(loss)
    board = Board(viz.walk(loss))
    (weight,) = board.parameters()
    step = board.grad_step(weight)
    # σ of 3·weight: the chain rule keeps the 3 (the lecture's shortcut a − y is for z only).
    assert step.formulas == ("p(1−p)·3·dp",)
    assert step.arithmetic.endswith("·3·" + step.arithmetic.rsplit("·", 1)[1])
    np.testing.assert_allclose(step.expression.evaluate(), u.grad.data, rtol=1e-9)


def test_an_op_without_a_rule_gives_a_named_derivative_and_no_arithmetic():
    @tg.op("viz_board_cube", label="cube", replace=True)
    class cube:
        def forward(x):
            return x ** 3

        def backward(grad, out, x):
            return grad * 3 * x * x

    try:
        w = tg.Tensor(0.5, requires_grad=True, name="w")
        c = cube(w)
        c.name = "c"
        out = c * 2.0
        viz.backprop(out)
        board = Board(viz.walk(out))
        step = board.grad_step(board.parameters()[0])
    finally:
        tg.registry.unregister_op("viz_board_cube")
    assert step.text() == "dw = ∂c/∂w·dc = 1.5" and step.arithmetic is None
