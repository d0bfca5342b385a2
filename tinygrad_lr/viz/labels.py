"""Text for pictures: numbers, arrays, shapes and HTML-safe labels.

Scalars are written in full (to the chosen number of significant digits), small arrays
compactly, and large arrays as their shape plus a short summary, so a label never grows
with the data.
"""

from __future__ import annotations

import math

import numpy as np

#: Arrays with at most this many elements are written out in full.
SMALL_ARRAY = 6


def format_number(x, precision: int = 4) -> str:
    """One number to ``precision`` significant digits, with a real minus sign.

    >>> format_number(-0.33181222783183), format_number(0.5), format_number(2.0)
    ('−0.3318', '0.5', '2')
    """
    if isinstance(x, (bool, np.bool_)):
        return str(bool(x))
    if isinstance(x, (int, np.integer)):
        text = str(int(x))
    else:
        x = float(x)
        if math.isnan(x):
            return "nan"
        if math.isinf(x):
            return "∞" if x > 0 else "−∞"
        text = f"{x:.{precision}g}"
        if text in ("-0", "0"):
            text = "0"
    return text.replace("-", "−")


def format_array(value, precision: int = 4, small: int = SMALL_ARRAY) -> str:
    """A value as a label line: a scalar in full, a small array compactly, a large one summarised.

    >>> import numpy as np
    >>> format_array(np.array(0.25))
    '0.25'
    >>> format_array(np.array([[1.0, 2.0], [3.0, 4.0]]))
    '[[1, 2], [3, 4]]'
    >>> format_array(np.arange(100.0))
    'mean 49.5, range [0, 99]'
    """
    array = np.asarray(value)
    if array.size == 1:
        return format_number(array.reshape(()).item(), precision)
    if array.size == 0:
        return "(empty)"
    if array.size <= small:
        return _nested(array.tolist(), precision)
    if array.dtype.kind == "b":
        return f"{int(array.sum())} of {array.size} true"
    if array.dtype.kind not in "iuf":
        return f"{array.size} values"
    finite = array[np.isfinite(array)] if array.dtype.kind == "f" else array
    if finite.size == 0:
        return "no finite values"
    text = (f"mean {format_number(finite.mean(), precision)}, range "
            f"[{format_number(finite.min(), precision)}, {format_number(finite.max(), precision)}]")
    if finite.size < array.size:
        text += f", {array.size - finite.size} non-finite"
    return text


def _nested(items, precision: int) -> str:
    if isinstance(items, list):
        return "[" + ", ".join(_nested(i, precision) for i in items) + "]"
    return format_number(items, precision)


def format_shape(shape: tuple) -> str:
    """A shape as numpy writes it; a scalar's shape ``()`` is ``"scalar"``.

    >>> format_shape((3, 2)), format_shape((4,)), format_shape(())
    ('(3, 2)', '(4,)', 'scalar')
    """
    if not shape:
        return "scalar"
    return str(tuple(int(s) for s in shape))


def format_params(params: dict, limit: int = 32) -> str:
    """An op's settings as ``axis=1, keepdims=True``, cut short if long.

    Floats show four significant digits, so a clip bound of 1.512094459139881e-308 reads
    ``min=1.512e-308``.

    >>> format_params({"axis": 1, "keepdims": True})
    'axis=1, keepdims=True'
    >>> format_params({"min": 1.512094459139881e-308, "max": 0.9999999999999999})
    'min=1.512e-308, max=1'
    """
    text = ", ".join(f"{k}={_short(v)}" for k, v in params.items() if v is not None)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _short(value) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def html(text) -> str:
    r"""Escape text for a Graphviz HTML-like label, so it is drawn exactly as written.

    Graphviz expands ``\N``, ``\G``, ``\L`` in labels (the node's name, the graph's...), so
    a backslash is doubled: ``C:\Nodes`` is drawn as ``C:\Nodes``.

    >>> html("a<b & c")
    'a&lt;b &amp; c'
    >>> print(html(r"C:\Nodes"))
    C:\\Nodes
    """
    return (str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;").replace("\\", "\\\\"))


def quote(text) -> str:
    """Quote text as a DOT label string, drawn as written (Graphviz reads entities in labels,
    so ``&`` is written ``&amp;``).

    >>> quote('say "hi"')
    '"say \\\\"hi\\\\""'
    """
    text = str(text).replace("&", "&amp;")
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'
