"""Formulas as data: small expression trees for an op's local derivatives.

An op can declare its derivative for each input as an expression in its own names
(``derivatives=Derivatives("a", z=a * (1 - a))`` for ``a = σ(z)``). Whoever shows the
formula substitutes its own names and numbers into the tree (the lecture board writes
``dz = a(1−a)·da`` and ``0.5498·(1 − 0.5498)``) and can evaluate it, so no display string
is ever parsed. The human-facing text (``"∂a/∂z = a(1−a)"``) is made from the same tree.

>>> a = Name("a")
>>> rule = Derivatives("a", z=a * (1 - a))
>>> rule.text()
'∂a/∂z = a(1−a)'
>>> float(rule.partial("z").evaluate({"a": 0.25}))
0.1875
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

_LEVELS = {"+": 1, "−": 1, "·": 2, "@·": 2, "/": 2, "@": 3, "^": 4}
ATOM = 9


class Expr:
    """An expression: build with ``+ - * / @ **`` and unary ``-`` on names and numbers."""

    def __add__(self, other):
        return Binary("+", self, lift(other))

    def __radd__(self, other):
        return Binary("+", lift(other), self)

    def __sub__(self, other):
        return Binary("−", self, lift(other))

    def __rsub__(self, other):
        return Binary("−", lift(other), self)

    def __mul__(self, other):
        return Binary("·", self, lift(other))

    def __rmul__(self, other):
        return Binary("·", lift(other), self)

    def __truediv__(self, other):
        return Binary("/", self, lift(other))

    def __rtruediv__(self, other):
        return Binary("/", lift(other), self)

    def __pow__(self, other):
        return Binary("^", self, lift(other))

    def __matmul__(self, other):
        return Binary("@", self, lift(other))

    def __neg__(self):
        return Neg(self)

    # ------------------------------------------------------------------ reading
    def names(self) -> set:
        """The names this expression reads."""
        found = set()
        for child in self.children():
            found |= child.names()
        return found

    def children(self) -> tuple:
        """The expressions this one is made of."""
        return ()

    def substitute(self, mapping: dict) -> Expr:
        """This expression with each name in ``mapping`` replaced by its expression."""
        return self

    def evaluate(self, values: dict | None = None) -> object:
        """The expression's number (numpy arithmetic); names take ``values`` or their own."""
        raise NotImplementedError

    def text(self, numbers: bool = False, fmt=None) -> str:
        """The expression as text; with ``numbers=True`` every name shows its value."""
        return render(self, numbers, fmt or _plain)[0]

    def __str__(self) -> str:
        return self.text()


@dataclass(frozen=True, eq=False)
class Name(Expr):
    """A named quantity; ``value`` is its number (for substituted arithmetic), ``data``
    marks given numbers (inputs, m) whose combinations are written as one number."""

    name: str
    value: object = None
    data: bool = False

    def names(self) -> set:
        return {self.name}

    def substitute(self, mapping: dict) -> Expr:
        return mapping.get(self.name, self)

    def evaluate(self, values: dict | None = None) -> object:
        if values and self.name in values:
            return values[self.name]
        if self.value is None:
            raise ValueError(f"no value for {self.name!r}")
        return self.value


@dataclass(frozen=True, eq=False)
class Number(Expr):
    """A number written in the formula (``1`` in ``1 − a``)."""

    value: object
    label: str | None = None  # how to write it, when not as a plain number (``"m"``)

    def evaluate(self, values: dict | None = None) -> object:
        return self.value


@dataclass(frozen=True, eq=False)
class Neg(Expr):
    """``−x``."""

    operand: Expr

    def children(self) -> tuple:
        return (self.operand,)

    def substitute(self, mapping: dict) -> Expr:
        return Neg(self.operand.substitute(mapping))

    def evaluate(self, values: dict | None = None) -> object:
        return -np.asarray(self.operand.evaluate(values))


@dataclass(frozen=True, eq=False)
class Binary(Expr):
    """``left op right`` for ``+ − · / @ ^``; ``@`` is a matrix product, ``@·`` one written
    with a dot (``Xᵀ·dZ``)."""

    op: str
    left: Expr
    right: Expr

    def children(self) -> tuple:
        return (self.left, self.right)

    def substitute(self, mapping: dict) -> Expr:
        return Binary(self.op, self.left.substitute(mapping), self.right.substitute(mapping))

    def evaluate(self, values: dict | None = None) -> object:
        a, b = np.asarray(self.left.evaluate(values)), np.asarray(self.right.evaluate(values))
        if self.op in ("@", "@·"):
            return a @ b
        return {"+": np.add, "−": np.subtract, "·": np.multiply, "/": np.divide,
                "^": np.power}[self.op](a, b)


@dataclass(frozen=True, eq=False)
class Call(Expr):
    """A function applied to arguments: ``σ(z)``, ``Σ dZ``, ``Xᵀ`` (``postfix``), ``(x)``.

    ``function`` computes it on numbers; ``fold`` writes a call on numbers as its result
    (a sum over many examples, a transpose) rather than as the call.
    """

    label: str
    args: tuple
    function: object = None
    style: str = "call"  # "call" f(x), "prefix" Σ x, "postfix" xᵀ, "group" (x)
    fold: bool = False

    def children(self) -> tuple:
        return tuple(self.args)

    def substitute(self, mapping: dict) -> Expr:
        return Call(self.label, tuple(a.substitute(mapping) for a in self.args),
                    self.function, self.style, self.fold)

    def evaluate(self, values: dict | None = None) -> object:
        args = [np.asarray(a.evaluate(values)) for a in self.args]
        if self.style == "group":
            return args[0]
        if self.function is None:
            raise ValueError(f"{self.label} has no function to evaluate it")
        return self.function(*args)


def lift(value) -> Expr:
    """A number as a :class:`Number`; an expression unchanged."""
    if isinstance(value, Expr):
        return value
    if isinstance(value, (int, float, np.number)) and not isinstance(value, bool):
        return Number(value)
    raise TypeError(f"a formula holds expressions and numbers, got {type(value).__name__}")


def group(expr: Expr) -> Expr:
    """``(expr)``, written in parentheses even where precedence would not need them."""
    return Call("", (expr,), style="group")


# ---------------------------------------------------------------------- simplifying
def is_number(expr: Expr, value) -> bool:
    """True when ``expr`` is the written number ``value`` (0, 1, −1)."""
    return isinstance(expr, Number) and expr.label is None and np.ndim(expr.value) == 0 and (
        float(expr.value) == value)


def plus(a: Expr, b: Expr) -> Expr:
    """``a + b`` without zero terms; ``a + (−b)`` as ``a − b``."""
    if is_number(a, 0):
        return b
    if is_number(b, 0):
        return a
    if isinstance(b, Neg):
        return Binary("−", a, b.operand)
    return Binary("+", a, b)


def times(a: Expr, b: Expr) -> Expr:
    """``a·b`` without factors of one; zero when a factor is zero; ``−1·b`` as ``−b``."""
    if is_number(a, 0) or is_number(b, 0):
        return Number(0)
    if is_number(a, 1):
        return b
    if is_number(b, 1):
        return a
    if is_number(a, -1):
        return negate(b)
    if is_number(b, -1):
        return negate(a)
    return Binary("·", a, b)


def negate(a: Expr) -> Expr:
    """``−a``, with ``−(−a)`` as ``a`` and ``−0`` as ``0``."""
    if is_number(a, 0):
        return a
    if isinstance(a, Neg):
        return a.operand
    return Neg(a)


# ---------------------------------------------------------------------- writing
def _plain(value) -> str:
    array = np.asarray(value)
    if array.size == 1:
        text = f"{float(array.reshape(()).item()):.4g}"
        return text.replace("-", "−")
    return str(array.tolist()).replace("-", "−")


def _is_data(expr: Expr) -> bool:
    """Only given numbers: ``(1−y)`` with y an input is written as one number."""
    if isinstance(expr, Name):
        return expr.data and expr.value is not None
    if isinstance(expr, Number):
        return True
    return all(_is_data(c) for c in expr.children())


def _folds(expr: Expr) -> bool:
    """On numbers, write this part as its value (a product of matrices, a sum over
    examples, arithmetic on given numbers)."""
    if isinstance(expr, (Name, Number)):
        return False
    if isinstance(expr, Call) and expr.style == "group":
        return _is_data(expr)
    if isinstance(expr, Binary) and expr.op in ("@", "@·") or isinstance(expr, Call) and expr.fold:
        return True
    return _is_data(expr)


def render(expr: Expr, numbers: bool, fmt) -> tuple[str, int]:
    """(text, precedence level) of ``expr``; ``fmt`` writes a number."""
    if numbers and _folds(expr):
        try:
            return _number(expr.evaluate(), fmt)
        except (ValueError, TypeError):
            pass
    if isinstance(expr, Name):
        if numbers and expr.value is not None:
            return _number(expr.value, fmt)
        return expr.name, ATOM
    if isinstance(expr, Number):
        if expr.label is not None and not numbers:
            return expr.label, ATOM
        return _number(expr.value, fmt)
    if isinstance(expr, Neg):
        inner, level = render(expr.operand, numbers, fmt)
        if level <= 3 or inner.startswith("−"):
            inner = f"({inner})"
        return f"−{inner}", 3
    if isinstance(expr, Call):
        args = [render(a, numbers, fmt) for a in expr.args]
        if expr.style == "group":
            return f"({args[0][0]})", ATOM
        if expr.style == "postfix":
            return f"{_wrap(args[0], ATOM)}{expr.label}", ATOM
        if expr.style == "prefix":
            return f"{expr.label} {_wrap(args[0], ATOM)}", 2
        return f"{expr.label}({', '.join(t for t, _ in args)})", ATOM
    return _binary(expr, numbers, fmt)


def _number(value, fmt) -> tuple[str, int]:
    text = fmt(value)
    return text, (3 if text.startswith("−") else ATOM)


def _binary(expr: Binary, numbers: bool, fmt) -> tuple[str, int]:
    level = _LEVELS[expr.op]
    left = render(expr.left, numbers, fmt)
    right = render(expr.right, numbers, fmt)
    # The left operand of a product in parentheses when negative: (−0.2)·2; of a
    # quotient not: −1/0.5498 reads right.
    left_text = _wrap(left, ATOM if expr.op in ("·", "@·", "@", "^") and left[1] == 3 else level)
    if right[1] == 3:
        right_text = _wrap(right, ATOM)  # x2·(−0.4502), a + (−b)
    else:
        right_text = _wrap(right, level if expr.op in ("+", "·", "@·", "@") else level + 1)
    if expr.op == "^" and right_text == "2":
        return f"{left_text}²", level
    if expr.op == "·" and not numbers and isinstance(expr.left, Name) and (
            right_text.startswith("(") and len(left_text) == 1):
        return f"{left_text}{right_text}", level  # a(1−a)
    if expr.op == "@":
        joined = "" if left_text.endswith("ᵀ") else "@"
        return f"{left_text}{joined}{right_text}", level
    if expr.op in ("·", "@·", "/", "^"):
        return f"{left_text}{expr.op[-1]}{right_text}", level
    text = f"{left_text} {expr.op} {right_text}"
    return text, level


def _wrap(part: tuple[str, int], level: int) -> str:
    text, own = part
    if own >= level:
        return text
    if own == 1 and max(len(s.strip()) for s in text.replace("−", "+").split("+")) <= 1:
        text = text.replace(" ", "")  # (1−a) on the board, (1 − 0.5498) in numbers
    return f"({text})"


# ---------------------------------------------------------------------- op rules
class Derivatives:
    """An op's local derivatives, one expression per input, in the op's own names.

    ``output`` is how the formula writes the op's result (``"a"`` for ``a = σ(z)``, or an
    expression such as ``u·v``); an expression may use it as a name. Inputs left out have
    no derivative the board can write (the board then says ``∂out/∂in``).

    >>> u, v = Name("u"), Name("v")
    >>> Derivatives(u * v, u=v, v=u).text()
    '∂(u·v)/∂u = v, ∂(u·v)/∂v = u'
    """

    def __init__(self, output, **inputs) -> None:
        self.output = output if isinstance(output, Expr) else Name(str(output))
        self.inputs = {name: lift(rule) for name, rule in inputs.items()}

    @property
    def output_name(self) -> str | None:
        """The name the formulas give the op's result, when it is a plain name."""
        return self.output.name if isinstance(self.output, Name) else None

    def partial(self, name: str) -> Expr | None:
        """∂output/∂name as an expression in the op's names (None when not given)."""
        return self.inputs.get(name)

    def text(self) -> str:
        """The human-facing text, ``"∂a/∂z = a(1−a)"``."""
        out = self.output.text()
        if not isinstance(self.output, Name):
            out = f"({out.replace(' ', '')})"
        return ", ".join(f"∂{out}/∂{name} = {rule.text()}" for name, rule in self.inputs.items())

    def __repr__(self) -> str:
        return f"Derivatives({self.text()!r})"
