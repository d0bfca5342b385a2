"""Computation graphs as pictures: values, gradients, local derivatives, backward order.

>>> import tinygrad_lr as tg
>>> from tinygrad_lr import viz
>>> w = tg.Tensor(0.5, requires_grad=True, name="w")
>>> loss = viz.backprop((w * 2.0).sigmoid())
>>> source = viz.to_dot(loss)          # DOT text, no Graphviz needed
>>> # viz.render(loss, "graph.svg")     # an image (needs Graphviz, or tinygrad-lr[svg])
>>> # viz.draw(loss)                    # a graphviz.Digraph: shows inline in Jupyter

Pictures are functions of a tensor (``viz.to_dot(t)``, ``viz.draw(t)``), not Tensor methods:
the engine never imports this package, so ``import tinygrad_lr`` loads no drawing code until
you ask for a picture.
"""

from __future__ import annotations

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
