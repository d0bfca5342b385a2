"""The chart for ``docs/performance.md``: every implementation side by side, and W3's growth.

Top: one group of bars per workload of the issue (ratio to hand-written numpy in the same
rounds, log scale): tinygrad_lr eager, tinygrad_lr compiled (where a compiled step exists),
PyTorch eager and jax.jit (where installed and able to run it), each labelled with its
ratio; a black tick on a bar is its target, and ✓ / ✗ says whether the eager (or compiled)
figure meets it. Bottom: W3's time per node against the chain length for both chains, which
must stay flat for the cost to be linear.
"""

from __future__ import annotations

from pathlib import Path

from .rows import Row
from .targets import TARGETS

SIDES = {
    "eager": ("tinygrad_lr eager", "#0072B2"),
    "compiled": ("tinygrad_lr compiled", "#56B4E9"),
    "pytorch": ("PyTorch eager", "#CC79A7"),
    "jax": ("jax.jit", "#E69F00"),
}
"""Implementation -> (legend label, colour); colours that stay apart for colour-blind
readers."""

GROUP_KEYS = ("W1", "W1-sigmoid", "W2", "W3", "W3-tanh", "W4-forward", "W4-backward", "W5",
              "W5-sigmoid")
"""The targets shown as groups, in the issue's order (their compiled twins join them)."""


def chart_points(rows: list[Row]) -> list[tuple[str, float, object]]:
    """(label, eager ratio, target) for every group of the chart, in the targets' order.

    A target measured by several rows (W3 at every length) is shown by its worst ratio.
    """
    return [(group["label"], group["bars"]["eager"]["ratio"], group["target"])
            for group in chart_groups(rows)]


def _compiled_twin(row: Row, rows: list[Row]) -> Row | None:
    for other in rows:
        if (other is not row and other.kind == row.kind and other.metric == row.metric
                and other.case.startswith(row.case + ", compiled") and other.ratio):
            return other
    return None


def chart_groups(rows: list[Row]) -> list[dict]:
    """One dict per workload group: its label, target and bars (side -> ratio, target)."""
    groups = []
    for key in GROUP_KEYS:
        target = TARGETS[key]
        measured = [r for r in rows if r.target_key == key and r.ratio is not None]
        if not measured:
            continue
        worst = max(measured, key=lambda r: r.ratio)
        label = target.label.replace(", time per node", "").replace(", eager", "")
        if len(measured) > 1 and "length" in worst.details:
            label += f"\n(worst length: L = {worst.details['length']:,})"
        bars = {"eager": {"ratio": worst.ratio, "target": target.target,
                          "met": worst.status == "met"}}
        twin = _compiled_twin(worst, rows)
        if twin is not None:
            twin_target = twin.target
            bars["compiled"] = {"ratio": twin.ratio, "target": twin_target,
                                "met": None if twin_target is None else twin.status == "met"}
        for peer in ("pytorch", "jax"):
            if peer in worst.others:
                bars[peer] = {"ratio": worst.others[peer]["ratio"], "target": None,
                              "met": None}
            elif peer == "pytorch" and target.pytorch[1]:
                bars[peer] = {"ratio": target.pytorch[1], "target": None, "met": None,
                              "stated": True}
        groups.append({"key": key, "label": label, "target": target, "bars": bars})
    return groups


def draw_chart(rows: list[Row], path: Path) -> Path:
    """Draw the chart into ``path`` (PNG); needs matplotlib (the ``bench`` extra)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    groups = chart_groups(rows)
    chains = {chain: [r for r in rows if r.workload == "W3" and r.kind == "time"
                      and r.details.get("chain", "affine") == chain]
              for chain in ("affine", "tanh")}
    fig = plt.figure(figsize=(13, 12.5))
    grid = fig.add_gridspec(2, 2, height_ratios=[2.3, 1])
    _draw_bars(fig.add_subplot(grid[0, :]), groups)
    for column, (chain, chain_rows) in enumerate(chains.items()):
        _draw_chain(fig.add_subplot(grid[1, column]), chain, chain_rows)
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def _draw_bars(axes, groups: list[dict]) -> None:
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch
    from matplotlib.ticker import FuncFormatter, NullFormatter

    origin, bar_height = 0.3, 0.8
    y, centres, highest, stated_shown, drawn = 0.0, [], 2.0, False, set()
    for group in groups:
        bars = group["bars"]
        top = y
        for side in SIDES:
            if side not in bars:
                continue
            bar = bars[side]
            stated = bar.get("stated", False)
            stated_shown |= stated
            if not stated:
                drawn.add(side)
            colour = SIDES[side][1]
            axes.barh(y, bar["ratio"] - origin, left=origin, height=bar_height,
                      color="white" if stated else colour, edgecolor=colour,
                      hatch="///" if stated else None, zorder=2)
            text = f"{bar['ratio']:.2f}x" + (" (stated)" if stated else "")
            if bar["met"] is not None:
                text += "  ✓ met" if bar["met"] else "  ✗ not met"
            right = max(bar["ratio"], bar["target"] or 0)
            axes.text(right * 1.06, y, text, va="center", fontsize=8.5,
                      color={True: "#1b7837", False: "#b2182b"}.get(bar["met"], "0.2"),
                      fontweight="bold" if bar["met"] is not None else "normal")
            if bar["target"] is not None:
                axes.plot([bar["target"]] * 2, [y - 0.55, y + 0.55], color="black", lw=2.5,
                          zorder=4)
            highest = max(highest, right)
            y += 1
        centres.append((top + y - 1) / 2)
        y += 0.8  # a gap between groups
    axes.set_yticks(centres, [g["label"] for g in groups], fontsize=9.5)
    axes.set_ylim(y - 0.4, -1.0)
    axes.set_xscale("log")
    axes.set_xlim(origin, highest * 4)
    plain = FuncFormatter(lambda value, _: f"{value:g}")
    ticks = [t for t in (0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500) if t <= highest * 4]
    axes.set_xticks(ticks)
    axes.xaxis.set_major_formatter(plain)
    axes.xaxis.set_minor_formatter(NullFormatter())
    axes.axvline(1.0, color="0.4", lw=1, ls=":", zorder=1)
    axes.grid(True, axis="x", alpha=0.3, zorder=0)
    axes.set_xlabel("ratio to hand-written numpy in the same rounds: time (W5: extra peak "
                    "memory); 1 = numpy, lower is better, log scale")
    axes.set_title("Every implementation side by side (black tick = target; W3 at its worst "
                   "length for tinygrad_lr eager)", fontsize=11)
    handles = [Patch(color=colour, label=label) for side, (label, colour) in SIDES.items()
               if side in drawn]
    handles.append(Line2D([], [], color="black", lw=2.5, label="target"))
    if stated_shown:
        handles.append(Patch(facecolor="white", edgecolor=SIDES["pytorch"][1], hatch="///",
                             label="PyTorch eager as stated in the issue (not installed)"))
    axes.legend(handles=handles, loc="upper right", fontsize=9, framealpha=0.95)


def _draw_chain(axes, chain: str, chain_rows: list[Row]) -> None:
    from matplotlib.ticker import FuncFormatter

    if not chain_rows:
        axes.axis("off")
        return
    lengths = [r.details["length"] for r in chain_rows]
    lines = [("tinygrad_lr eager", SIDES["eager"][1], "o-",
              [r.engine for r in chain_rows], lengths)]
    lines.append(("numpy (hand-written)", "0.35", "s--", [r.numpy for r in chain_rows],
                  lengths))
    torch_points = [(r.details["length"], r.others["pytorch"]["seconds"]) for r in chain_rows
                    if r.others.get("pytorch", {}).get("seconds")]
    if torch_points:
        lines.append((SIDES["pytorch"][0], SIDES["pytorch"][1], "D-",
                       [s for _, s in torch_points], [n for n, _ in torch_points]))
    # jax.jit's one trace + compile is 100-1000x slower per node: a note, not a point that
    # would squash the lines whose flatness this panel is about
    jax_notes = [f"L = {r.details['length']:,}: {r.others['jax']['ratio']:,.0f}x numpy"
                 for r in chain_rows if "jax" in r.others]
    if jax_notes:
        axes.text(0.02, 0.97, "jax.jit, one trace + compile + run:\n" + "\n".join(jax_notes),
                  transform=axes.transAxes, va="top", fontsize=8, color="#9a6700",
                  bbox={"facecolor": "white", "edgecolor": SIDES["jax"][1], "alpha": 0.9})
    for label, colour, style, seconds, xs in lines:
        axes.plot(xs, [s * 1e6 for s in seconds], style, color=colour, label=label, ms=6)
    for row in chain_rows:
        axes.annotate(f"{row.ratio:.1f}x", (row.details["length"], row.engine * 1e6),
                      textcoords="offset points", xytext=(0, -14), ha="center", fontsize=8,
                      color=SIDES["eager"][1], fontweight="bold")
    axes.set_xscale("log")
    axes.set_yscale("log")
    axes.margins(x=0.08, y=0.25)
    plain = FuncFormatter(lambda value, _: f"{value:g}")
    # label the minor ticks at 2 and 5 only, so a tall range stays readable
    some = FuncFormatter(lambda value, _: f"{value:g}" if f"{value:.0e}"[0] in "25" else "")
    axes.yaxis.set_major_formatter(plain)
    axes.yaxis.set_minor_formatter(some)
    axes.tick_params(axis="y", which="minor", labelsize=7)
    nodes = "2L nodes" if chain == "affine" else "L nodes"
    axes.set_xlabel(f"chain length L ({nodes})")
    axes.set_ylabel("µs per node, forward + backward")
    title = "y = y·0.999 + 0.001" if chain == "affine" else "y = tanh(y)"
    axes.set_title(f"W3 {chain} chain, {title}: flat = linear cost\n"
                   "(labels: tinygrad_lr eager / numpy)", fontsize=10)
    # below the panel: inside it would cover the ratio labels of the longest chains
    axes.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=3, fontsize=8,
                frameon=False)
    axes.grid(True, which="both", alpha=0.3)
