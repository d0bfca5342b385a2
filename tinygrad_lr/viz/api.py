"""The public functions: ``to_dot``, ``draw``, ``render`` and ``backprop``."""

from __future__ import annotations

from pathlib import Path

from ..tensor import Tensor
from . import backends as _render
from .collapse import collapse
from .dot import graph_lines, wrap
from .graph import walk
from .options import make_options


def to_dot(tensor, **options) -> str:
    """The Graphviz DOT source of the graph behind ``tensor`` (pure Python, no Graphviz needed).

    ``tensor`` may also be a sequence of tensors drawn together. The options are those of
    :class:`tinygrad_lr.viz.Options`: ``view`` (``"forward"``, ``"backward"``,
    ``"lecture"``), ``values``, ``grads``, ``shapes``, ``dtypes``, ``formulas``, ``order``,
    ``edge_grads``, ``precision``, ``max_nodes``, ``rankdir``, ``legend``, ``title``,
    ``step``, ``highlight``.

    >>> import tinygrad_lr as tg
    >>> from tinygrad_lr import viz
    >>> w = tg.Tensor(0.5, requires_grad=True, name="w")
    >>> source = viz.to_dot((w * 2.0).sigmoid())
    >>> source.startswith("digraph"), "<B>w</B>" in source
    (True, True)
    """
    opts = make_options(**options)
    if opts.view == "lecture":
        from .lecture import lecture_lines

        return wrap(lecture_lines(tensor, opts))
    graph = walk(tensor)
    if opts.max_nodes is not None and opts.step is None and opts.highlight is None:
        graph = collapse(graph, opts.max_nodes)
    return wrap(graph_lines(graph, opts))


def draw(tensor, **options):
    """A ``graphviz.Digraph`` of the graph behind ``tensor``, for Jupyter or further editing.

    In a notebook it displays inline as SVG; where no renderer is installed it displays
    the install instructions as text instead of raising. Needs the ``graphviz`` Python
    package (``pip install "tinygrad-lr[viz]"``). Options as in :func:`to_dot`.

    >>> import tinygrad_lr as tg
    >>> from tinygrad_lr import viz
    >>> x = tg.Tensor(2.0, requires_grad=True, name="x")
    >>> pic = viz.draw(x * x)
    >>> pic.source == viz.to_dot(x * x)
    True
    """
    return _render.picture(to_dot(tensor, **options))


def render(tensor, path, dpi: float | None = None, **options) -> Path:
    """Draw the graph behind ``tensor`` into ``path``; the suffix picks the format.

    ``.svg``, ``.png`` and ``.pdf`` need the Graphviz ``dot`` program (``.svg`` also works
    with the pip-only extra ``tinygrad-lr[svg]``); ``.dot`` always works. ``dpi`` sets a
    PNG's resolution (default 96; 200 makes a picture sharp enough for a slide). Raises
    :class:`RendererNotFoundError` with install instructions when no renderer can make the
    image. Returns the path written (atomically). Options as in :func:`to_dot`.

    >>> import tempfile, pathlib
    >>> import tinygrad_lr as tg
    >>> from tinygrad_lr import viz
    >>> x = tg.Tensor(2.0, requires_grad=True, name="x")
    >>> out = viz.render(x * x, pathlib.Path(tempfile.mkdtemp()) / "graph.dot")
    >>> out.read_text().startswith("digraph")
    True
    """
    _render.check_dpi(dpi, _render.format_for(path))  # bad arguments fail before any work
    return _render.write(to_dot(tensor, **options), path, dpi=dpi)


def backprop(tensor, grad=None) -> Tensor:
    """Run ``tensor.backward(grad, retain_grads=True)`` and return ``tensor``, ready to draw.

    A plain ``backward()`` keeps gradients on leaves only; pictures also want those of the
    intermediate nodes and of every edge, which ``retain_grads=True`` keeps.

    >>> import tinygrad_lr as tg
    >>> from tinygrad_lr import viz
    >>> x = tg.Tensor(3.0, requires_grad=True, name="x")
    >>> y = viz.backprop((x * x).sigmoid())
    >>> "grad" in viz.to_dot(y)
    True
    """
    if not isinstance(tensor, Tensor):
        raise TypeError(f"backprop() needs a Tensor, got {type(tensor).__name__}")
    tensor.backward(grad, retain_grads=True)
    return tensor
