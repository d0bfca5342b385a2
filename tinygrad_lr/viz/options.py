"""The drawing options shared by every view, checked once with clear errors."""

from __future__ import annotations

from dataclasses import dataclass, fields

VIEWS = ("forward", "backward", "lecture")
"""The layouts ``view=`` accepts: ``"forward"`` (inputs left, output right), ``"backward"``
(gradient flow, output at the top) and ``"lecture"`` (named tensors with their chain-rule
formulas)."""


@dataclass
class Options:
    """What a picture shows. Every field is a keyword of ``to_dot``, ``draw`` and ``render``.

    Attributes:
        view: ``"forward"`` (inputs on the left, output on the right), ``"backward"``
            (gradient flow, output at the top) or ``"lecture"`` (named tensors only, with
            the chain-rule formulas, for the single-example logistic-regression graph).
        values: show each tensor's value.
        grads: show gradients (only those a backward pass really computed).
        shapes: show shapes (``3×2``); dtypes other than float64 are shown with them.
        dtypes: always show the dtype.
        formulas: show each op's local derivative from the registry (default: backward view).
        order: show the order in which backward visited each node (default: backward view).
        edge_grads: label each edge with the gradient it carried (default: backward view).
        precision: significant digits of numbers.
        max_nodes: node budget; bigger graphs are collapsed (``None``: never collapse).
        rankdir: Graphviz layout direction (default ``"LR"``; ``"RL"`` for the backward view,
            whose arrows point back: the same landscape picture as forward, read right to left).
        legend: show the legend and notes.
        title: a title line at the top of the picture.
        step: draw the backward pass as it stood after ``step`` nodes had been processed
            (0 = before backward); in the lecture view, after the first ``step`` gradients
            of the board (da, dz, dw1, ...), the others written ``da = ?``.
        highlight: a tensor (or its node id) to outline.

    Fields left at ``None`` take their view's default in ``resolved()``:

    >>> from tinygrad_lr.viz import VIEWS, Options
    >>> opts = Options(view="backward", precision=3)
    >>> opts.formulas, opts.resolved().formulas
    (None, True)
    >>> [Options(view=view).resolved().rankdir for view in VIEWS]
    ['LR', 'RL', 'LR']
    """

    view: str = "forward"
    values: bool = True
    grads: bool = True
    shapes: bool = True
    dtypes: bool = False
    formulas: bool | None = None
    order: bool | None = None
    edge_grads: bool | None = None
    precision: int = 4
    max_nodes: int | None = 150
    rankdir: str | None = None
    legend: bool = True
    title: str | None = None
    step: int | None = None
    highlight: object = None

    def resolved(self) -> Options:
        """A copy with the view-dependent defaults filled in."""
        backward = self.view == "backward"
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        for key in ("formulas", "order", "edge_grads"):
            if values[key] is None:
                values[key] = backward
        if values["rankdir"] is None:
            values["rankdir"] = "RL" if backward else "LR"
        return Options(**values)


_NAMES = tuple(f.name for f in fields(Options))
_RANKDIRS = ("LR", "RL", "TB", "BT")


def make_options(**options) -> Options:
    """Check keyword options and return the resolved :class:`Options`.

    >>> make_options(view="backward").rankdir
    'RL'
    """
    unknown = sorted(set(options) - set(_NAMES))
    if unknown:
        raise TypeError(f"unknown drawing option(s) {unknown}; the options are {list(_NAMES)}")
    opts = Options(**options)
    if opts.view not in VIEWS:
        raise ValueError(f"view must be one of {VIEWS}, got {opts.view!r}")
    if isinstance(opts.precision, bool) or not isinstance(opts.precision, int) or not (
            1 <= opts.precision <= 17):
        raise ValueError(f"precision must be an int from 1 to 17, got {opts.precision!r}")
    if opts.max_nodes is not None and (
            isinstance(opts.max_nodes, bool) or not isinstance(opts.max_nodes, int)
            or opts.max_nodes < 10):
        raise ValueError(f"max_nodes must be None or an int of at least 10, got {opts.max_nodes!r}")
    if opts.rankdir is not None and opts.rankdir not in _RANKDIRS:
        raise ValueError(f"rankdir must be one of {_RANKDIRS}, got {opts.rankdir!r}")
    if opts.step is not None and (isinstance(opts.step, bool) or not isinstance(opts.step, int)
                                  or opts.step < 0):
        raise ValueError(f"step must be None or an int >= 0, got {opts.step!r}")
    for key in ("values", "grads", "shapes", "dtypes", "legend"):
        if not isinstance(getattr(opts, key), bool):
            raise TypeError(f"option {key} must be True or False, got {getattr(opts, key)!r}")
    return opts.resolved()
