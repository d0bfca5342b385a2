"""W6: time to turn a graph into DOT text and into an SVG picture, for 50 to 5,000 nodes.

There is no numpy counterpart: the figures are absolute seconds on this machine. The
graphs are chains of alternating ``tanh`` and scale-by-a-number ops after a backward with
``retain_grads=True`` (what a picture of gradients needs). Skipped, with a note, when
``tinygrad_lr.viz`` or a renderer for SVG is not available.
"""

from __future__ import annotations

import importlib
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


def _full_graph_options(viz) -> dict:
    """Options that draw every node (viz collapses big graphs to a budget by default)."""
    probe = chain_graph(2)
    try:
        viz.to_dot(probe, max_nodes=None)
    except TypeError:
        return {}
    return {"max_nodes": None}


def measure(scale) -> list[Row]:
    """DOT and SVG time for each size in ``scale.w6_plan``.

    The main rows draw every node; one more row per size times the default picture, which
    collapses graphs above viz's node budget into a few boxes.
    """
    viz, reason = load_viz()
    if viz is None:
        return [Row(workload="W6", case="rendering", metric="skipped", kind="skip",
                    note=reason)]
    no_renderer = getattr(viz, "RendererNotFoundError", ())
    full = _full_graph_options(viz)
    drawn = "all nodes drawn" if full else "viz defaults"
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for nodes, repeats in scale.w6_plan:
            graph = chain_graph(nodes)
            case = f"{nodes:,}-node chain"
            dot_text = str(viz.to_dot(graph, **full))
            dot_seconds = _median_seconds(lambda graph=graph: viz.to_dot(graph, **full),
                                          repeats)
            rows.append(Row(workload="W6", case=case, metric=f"DOT text ({drawn})",
                            kind="info", engine=dot_seconds, rounds=repeats,
                            note=f"viz.to_dot; {dot_text.count('->')} edges",
                            details={"nodes": nodes, "dot_chars": len(dot_text)}))
            variants = [(f"SVG ({drawn})", full)]
            if full:
                variants.append(("SVG (viz defaults: big graphs collapsed)", {}))
            for metric, options in variants:
                path = Path(folder) / f"graph_{nodes}_{len(options)}.svg"
                try:
                    seconds = _median_seconds(
                        lambda graph=graph, path=path, options=options:
                        viz.render(graph, path, **options), repeats)
                except no_renderer as error:
                    rows.append(Row(workload="W6", case=case, metric=metric, kind="skip",
                                    note=f"no SVG renderer: {error}"))
                    continue
                if not path.exists():
                    raise RuntimeError(f"viz.render wrote no file for the {nodes}-node graph")
                rows.append(Row(workload="W6", case=case, metric=metric, kind="info",
                                engine=seconds, rounds=repeats,
                                note="viz.render, Graphviz layout included",
                                details={"nodes": nodes, "svg_bytes": path.stat().st_size}))
    return rows
