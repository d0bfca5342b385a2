"""Computation graphs as pictures: values, gradients, local derivatives, backward order.

>>> import tinygrad_lr as tg
>>> from tinygrad_lr import viz
>>> w = tg.Tensor(0.5, requires_grad=True, name="w")
>>> loss = viz.backprop((w * 2.0).sigmoid())
>>> source = viz.to_dot(loss)          # DOT text, no Graphviz needed
>>> # viz.render(loss, "graph.svg")     # an image (needs Graphviz, or tinygrad-lr[svg])
>>> # viz.draw(loss)                    # a graphviz.Digraph: shows inline in Jupyter

Importing this package also adds two convenience methods to Tensor: ``t.to_dot(**options)``
and ``t.draw(**options)``. ``import tinygrad_lr`` alone does not import it, so the engine
loads no drawing code until you ask for a picture.
"""

from __future__ import annotations

from ..tensor import Tensor
from .api import backprop, draw, render, to_dot
from .backends import RendererNotFoundError, RenderError, renderers
from .batch import batch_example, batch_steps
from .collapse import collapse
from .graph import Edge, Graph, Node, walk
from .lecture import lecture_example
from .live import live_board
from .options import VIEWS, Options
from .steps import (
    Frame,
    StepThrough,
    backward_frames,
    gradient_descent,
    step_through,
    step_through_html,
)

__all__ = [
    "VIEWS", "Edge", "Frame", "Graph", "Node", "Options", "RenderError",
    "RendererNotFoundError", "StepThrough", "backprop", "backward_frames", "batch_example",
    "batch_steps", "collapse", "draw",
    "gradient_descent", "lecture_example", "live_board", "render", "renderers", "step_through",
    "step_through_html", "to_dot", "walk",
]


def _tensor_to_dot(self, **options) -> str:
    """The DOT source of the graph behind this tensor (see ``tinygrad_lr.viz.to_dot``)."""
    return to_dot(self, **options)


def _tensor_draw(self, **options):
    """A graphviz.Digraph of the graph behind this tensor (see ``tinygrad_lr.viz.draw``)."""
    return draw(self, **options)


for _name, _method in (("to_dot", _tensor_to_dot), ("draw", _tensor_draw)):
    if getattr(Tensor, _name, _method) is _method or not hasattr(Tensor, _name):
        _method.__name__ = _name
        _method.__qualname__ = f"Tensor.{_name}"
        setattr(Tensor, _name, _method)
