"""W6: time to turn a graph into DOT text and into an SVG picture, for 50 to 5,000 nodes.

There is no numpy counterpart: the figures are absolute seconds on this machine. The
graphs are chains of alternating ``tanh`` and scale-by-a-number ops after a backward with
``retain_grads=True`` (what a picture of gradients needs). Skipped, with a note, when
``tinygrad_lr.viz`` or Graphviz's ``dot`` is not available.
"""

from __future__ import annotations

import importlib
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

import tinygrad_lr as tg

from ..rows import Row


def chain_graph(nodes: int):
    """A graph of exactly ``nodes`` tensors (one leaf, then unary ops), after backward.

    >>> out = chain_graph(5)
    >>> len(tg.topological_order([out]))
    5
    """
    if nodes < 1:
        raise ValueError(f"a graph needs at least one node, got {nodes}")
    y = tg.Tensor(np.array([0.5]), requires_grad=True, name="x")
    for i in range(nodes - 1):
        y = y.tanh() if i % 2 == 0 else y * 1.5
    if nodes > 1:
        y.backward(np.ones(1), retain_grads=True)
    return y


def load_viz():
    """The ``tinygrad_lr.viz`` module, or a reason why it cannot be used."""
    try:
        viz = importlib.import_module("tinygrad_lr.viz")
    except ImportError as error:
        return None, f"tinygrad_lr.viz is not importable yet ({error})"
    missing = [name for name in ("to_dot", "render") if not hasattr(viz, name)]
    if missing:
        return None, f"tinygrad_lr.viz lacks {', '.join(missing)}"
    return viz, ""


def _median_seconds(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def measure(scale) -> list[Row]:
    """DOT and SVG time for each size in ``scale.w6_sizes``."""
    viz, reason = load_viz()
    if viz is None:
        return [Row(workload="W6", case="rendering", metric="skipped", kind="skip",
                    note=reason)]
    can_render = shutil.which("dot") is not None
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for nodes, repeats in scale.w6_plan:
            graph = chain_graph(nodes)
            dot_seconds = _median_seconds(lambda graph=graph: str(viz.to_dot(graph)), repeats)
            rows.append(Row(workload="W6", case=f"{nodes:,} nodes", metric="DOT text",
                            kind="info", engine=dot_seconds, rounds=repeats,
                            note="viz.to_dot", details={"nodes": nodes}))
            if not can_render:
                rows.append(Row(workload="W6", case=f"{nodes:,} nodes", metric="SVG",
                                kind="skip", note="Graphviz's dot program is not installed"))
                continue
            path = Path(folder) / f"graph_{nodes}.svg"
            svg_seconds = _median_seconds(lambda graph=graph, path=path: viz.render(graph, path),
                                          repeats)
            rendered = next(Path(folder).glob(f"graph_{nodes}*"), None)
            if rendered is None:
                raise RuntimeError(f"viz.render wrote no file for the {nodes}-node graph")
            rows.append(Row(workload="W6", case=f"{nodes:,} nodes", metric="SVG",
                            kind="info", engine=svg_seconds, rounds=repeats,
                            note="viz.render, Graphviz layout included",
                            details={"nodes": nodes, "svg_bytes": rendered.stat().st_size}))
    return rows
