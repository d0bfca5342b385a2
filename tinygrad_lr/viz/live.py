"""The lecture's board live in Jupyter: sliders for x1, x2, y, w1, w2, b and α redraw it.

Every redraw builds the graph again and runs the engine's forward, backward and update
(``w := w − α·dw``); nothing is computed beside the engine. Needs ipywidgets (the
``tinygrad-lr[notebook]`` extra) and a renderer (Graphviz, or the ``[svg]`` extra).
"""

from __future__ import annotations

from html import escape

from .backends import RendererNotFoundError, render_source
from .board import BoardFrame, make_board
from .dot import wrap
from .lecture import lecture_example, lecture_footer, lecture_lines
from .options import make_options

INSTALL = ('The live board needs ipywidgets: pip install "tinygrad-lr[notebook]" '
           "(make notebook installs it).")

#: name -> (start, smallest, largest, step) of each slider
SLIDERS = {"x1": (1.0, -3.0, 3.0, 0.1), "x2": (2.0, -3.0, 3.0, 0.1), "y": (1.0, 0.0, 1.0, 1.0),
           "w1": (0.5, -3.0, 3.0, 0.05), "w2": (-0.2, -3.0, 3.0, 0.05),
           "b": (0.1, -3.0, 3.0, 0.05), "lr": (0.1, 0.01, 2.0, 0.01)}


class MissingWidgets:
    """Shown instead of the live board where ipywidgets is not installed: how to get it."""

    def __repr__(self) -> str:
        return INSTALL

    def _repr_html_(self) -> str:
        return f"<p><b>{escape(INSTALL)}</b></p>"


def board_html(x1=1.0, x2=2.0, y=1.0, w1=0.5, w2=-0.2, b=0.1, lr=0.1,
               precision: int = 4) -> str:
    """The board of these numbers after forward, backward and the update, as HTML (an SVG
    picture, the update's arithmetic and the legend).

    >>> text = board_html(w1=0.3)                      # doctest: +SKIP
    """
    tensors = lecture_example(x1=x1, x2=x2, y=y, w1=w1, w2=w2, b=b)
    loss = tensors["L"]
    opts = make_options(view="lecture", legend=False, precision=precision)
    board = make_board(loss, opts)
    frame = BoardFrame(lr=lr, compact=True, current=tuple(board.parameters()))
    try:
        svg = render_source(wrap(lecture_lines(loss, opts, frame)), "svg").decode("utf-8")
        svg = svg[svg.find("<svg"):]
    except RendererNotFoundError as error:
        svg = f"<pre>{escape(str(error))}</pre>"
    updates = "; ".join(board.update_text(p, lr, precision) for p in board.parameters())
    steps = [board.grad_step(box, precision).text() for box in board.backward_boxes()]
    return (f'<div style="font-family:Helvetica,Arial,sans-serif;font-size:16px">'
            f'<div style="max-width:100%">{svg}</div>'
            f"<p>{escape('; '.join(steps))}</p><p><b>{escape(updates)}</b></p>"
            f'<p style="font-size:13px">{lecture_footer(loss, update=True)}</p></div>')


def live_board(precision: int = 4, **start) -> object:
    """Sliders for ``x1 x2 y w1 w2 b lr`` and the board they give, redrawn through the
    engine on every change (an ipywidgets ``VBox``; without ipywidgets, an object that shows
    how to install it). ``start`` overrides the sliders' first values (``w1=0.3``).

    >>> from tinygrad_lr import viz
    >>> board = viz.live_board(w1=0.3)                 # doctest: +SKIP
    >>> board.children[0].children[3].value             # doctest: +SKIP
    0.3
    """
    unknown = sorted(set(start) - set(SLIDERS))
    if unknown:
        raise TypeError(f"live_board() has no slider {unknown[0]!r}; the sliders are "
                        f"{', '.join(SLIDERS)}")
    try:
        import ipywidgets as widgets
    except ImportError:
        return MissingWidgets()
    sliders = {}
    for name, (value, low, high, step) in SLIDERS.items():
        value = float(start.get(name, value))
        if not low <= value <= high:
            raise ValueError(f"{name} must be from {low} to {high}, got {value}")
        sliders[name] = widgets.FloatSlider(value=value, min=low, max=high, step=step,
                                            description="α" if name == "lr" else name,
                                            continuous_update=False)
    picture = widgets.HTML()

    def redraw(_change=None) -> None:
        values = {name: slider.value for name, slider in sliders.items()}
        picture.value = board_html(**values, precision=precision)

    for slider in sliders.values():
        slider.observe(redraw, names="value")
    redraw()
    return widgets.VBox([widgets.HBox(list(sliders.values()),
                                      layout=widgets.Layout(flex_flow="row wrap")), picture])
