"""The chart for ``docs/performance.md``: ratios against the targets, and W3's growth.

Left: each targeted figure as a bar (ratio to numpy, log scale), the target as a black
tick, PyTorch eager's stated range as a grey band. Right: W3's time per node against the
chain length for both sides, which must stay flat for the cost to be linear.
"""

from __future__ import annotations

from pathlib import Path

from .rows import Row
from .targets import TARGETS


def chart_points(rows: list[Row]) -> list[tuple[str, float, object]]:
    """(label, ratio, target) for every target, in the targets' order.

    A target measured by several rows (W3 at every length) is shown by its worst ratio.
    """
    return [(label, ratio, target) for label, ratio, target, _ in _points(rows)]


def _points(rows: list[Row]) -> list[tuple[str, float, object, dict]]:
    """As :func:`chart_points`, plus the peers' ratios measured in the same rounds."""
    points = []
    for key, target in TARGETS.items():
        if not target.chart:
            continue
        measured = [r for r in rows if r.target_key == key and r.ratio is not None]
        if not measured:
            continue
        worst = max(measured, key=lambda r: r.ratio)
        label = target.label
        if len(measured) > 1:
            label += f"\n(worst: {worst.case.split(' (')[0]})"
        points.append((label, worst.ratio, target,
                       {name: other["ratio"] for name, other in worst.others.items()}))
    return points


def draw_chart(rows: list[Row], path: Path) -> Path:
    """Draw the chart into ``path`` (PNG); needs matplotlib (the ``bench`` extra)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter, NullFormatter

    points = _points(rows)
    chain = [r for r in rows if r.workload == "W3" and r.kind == "time"]
    fig, (left, right) = plt.subplots(1, 2, figsize=(13, 5.2),
                                      gridspec_kw={"width_ratios": [1.5, 1]})
    plain = FuncFormatter(lambda value, _: f"{value:g}")
    origin = 0.5  # bars start here on the log axis
    highest = max([p[1] for p in points] + [p[2].pytorch[1] for p in points]
                  + [r for p in points for r in p[3].values()] + [2.0])
    marks = {"pytorch": ("D", "#6a4c93", "PyTorch eager (same run)"),
             "jax": ("^", "#1d3557", "jax.jit (same run)")}
    shown = set()
    for index, (_label, ratio, target, others) in enumerate(points):
        y = len(points) - 1 - index
        low, high = target.pytorch
        if high and "pytorch" not in others:
            left.fill_betweenx([y - 0.4, y + 0.4], low * 0.97, high * 1.03, color="0.85",
                               zorder=0)
        for name, other in others.items():
            marker, colour, legend = marks[name]
            left.plot([other], [y], marker, color=colour, ms=7, zorder=5,
                      label=None if name in shown else legend)
            shown.add(name)
        colour = "#2a9d8f" if ratio <= target.target else "#e76f51"
        left.barh(y, ratio - origin, left=origin, height=0.5, color=colour, zorder=2)
        left.plot([target.target] * 2, [y - 0.35, y + 0.35], color="black", lw=2.5, zorder=3)
        left.text(max([ratio, target.target, *others.values()]) * 1.08, y, f"{ratio:.2f}x",
                  va="center", fontsize=9, zorder=4)
    left.set_yticks(range(len(points)), [p[0] for p in reversed(points)], fontsize=9)
    left.set_xscale("log")
    left.set_xlim(origin, highest * 1.8)
    left.xaxis.set_major_formatter(plain)
    left.xaxis.set_minor_formatter(NullFormatter())
    left.set_xticks([0.5, 1, 2, 5, 10, 20][: 3 + (highest > 4) + (highest > 9) + (highest > 18)])
    left.axvline(1.0, color="0.5", lw=0.8, ls=":")
    left.set_xlabel("ratio to hand-written numpy (lower is better, log scale)")
    left.set_title("tinygrad_lr / numpy: bar = measured, black tick = target; grey = "
                   "PyTorch eager\nas stated (where not measured in this run)", fontsize=10)
    if shown:
        left.legend(loc="lower right", fontsize=8)
    if chain:
        lengths = [r.details["length"] for r in chain]
        right.plot(lengths, [r.engine * 1e6 for r in chain], "o-", color="#264653",
                   label="tinygrad_lr")
        right.plot(lengths, [r.numpy * 1e6 for r in chain], "s--", color="#e9c46a",
                   label="numpy (hand-written)")
        for length, row in zip(lengths, chain):
            right.annotate(f"{row.ratio:.1f}x", (length, row.engine * 1e6),
                           textcoords="offset points", xytext=(0, 8), ha="center",
                           fontsize=8)
        right.set_xscale("log")
        right.set_yscale("log")
        right.margins(y=0.12)
        right.yaxis.set_major_formatter(plain)
        right.yaxis.set_minor_formatter(plain)
        right.set_xlabel("chain length L (2L nodes)")
        right.set_ylabel("µs per node, forward + backward")
        right.set_title("W3 deep chain: flat = linear cost", fontsize=10)
        right.legend(loc="center right")
        right.grid(True, which="both", alpha=0.3)
    else:
        right.axis("off")
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
