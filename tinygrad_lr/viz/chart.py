"""Small SVG charts beside the board: gradient descent's loss curve and the weights' path.

Plain SVG text (no plotting library, nothing to install): the axes are fixed by the whole
run, so the curve grows frame by frame without the chart moving.
"""

from __future__ import annotations

from html import escape

from .labels import format_number

WIDTH, PANEL = 300, 200
LEFT, RIGHT, TOP, BOTTOM = 76, 12, 34, 42


def descent_chart(losses: list, path: list, labels: list, known: int, loss_name: str = "L",
                  precision: int = 3) -> str:
    """An SVG of the loss over the iterations and of the parameters' path, showing the first
    ``known`` iterations (``losses[k]`` and ``path[k]`` are before the k-th update).

    >>> svg = descent_chart([0.6, 0.5, 0.45], [[0.5, -0.2], [0.55, -0.1], [0.58, -0.05]],
    ...                     ["w1", "w2"], 2)
    >>> svg.startswith("<svg") and svg.count("<circle") == 4
    True
    """
    if not losses or len(path) != len(losses):
        raise ValueError("descent_chart needs one loss and one parameter vector per iteration")
    known = max(0, min(known, len(losses)))
    iterations = list(range(len(losses)))
    parts = [_panel(0, iterations, losses, known, "iteration", loss_name,
                    f"{loss_name} over the iterations", precision)]
    if len(labels) >= 2:
        xs, ys = [p[0] for p in path], [p[1] for p in path]
        parts.append(_panel(PANEL, xs, ys, known, labels[0], labels[1],
                            f"the path of ({labels[0]}, {labels[1]})", precision))
    elif labels:
        parts.append(_panel(PANEL, iterations, [p[0] for p in path], known, "iteration",
                            labels[0], f"{labels[0]} over the iterations", precision))
    height = PANEL * len(parts)
    return (f'<svg class="chart" viewBox="0 0 {WIDTH} {height}" '
            'xmlns="http://www.w3.org/2000/svg" font-family="Helvetica,Arial,sans-serif">'
            + "".join(parts) + "</svg>")


def _panel(top: float, xs, ys, known: int, xlabel: str, ylabel: str, title: str,
           precision: int) -> str:
    x0, x1 = _span(xs)
    y0, y1 = _span(ys)
    inner_w, inner_h = WIDTH - LEFT - RIGHT, PANEL - TOP - BOTTOM

    def at(x, y):
        return (LEFT + (x - x0) / (x1 - x0) * inner_w,
                top + TOP + (1 - (y - y0) / (y1 - y0)) * inner_h)

    out = [f'<text x="{WIDTH / 2}" y="{top + 20}" text-anchor="middle" font-size="21" '
           f'font-weight="bold">{escape(title)}</text>',
           f'<rect x="{LEFT}" y="{top + TOP}" width="{inner_w}" height="{inner_h}" '
           'fill="none" stroke="#999"/>']
    for value, anchor_y in ((y0, top + TOP + inner_h), (y1, top + TOP + 12)):
        out.append(f'<text x="{LEFT - 4}" y="{anchor_y}" text-anchor="end" font-size="18">'
                   f"{escape(format_number(value, precision))}</text>")
    for value, anchor in ((x0, "start"), (x1, "end")):
        x = LEFT if anchor == "start" else LEFT + inner_w
        out.append(f'<text x="{x}" y="{top + TOP + inner_h + 19}" text-anchor="{anchor}" '
                   f'font-size="18">{escape(format_number(value, precision))}</text>')
    out.append(f'<text x="{LEFT + inner_w / 2}" y="{top + PANEL - 2}" text-anchor="middle" '
               f'font-size="19">{escape(xlabel)}</text>')
    out.append(f'<text x="18" y="{top + TOP + inner_h / 2}" text-anchor="middle" '
               f'font-size="19" transform="rotate(-90 18 {top + TOP + inner_h / 2})">'
               f"{escape(ylabel)}</text>")
    points = [at(x, y) for x, y in zip(xs[:known], ys[:known])]
    if len(points) > 1:
        line = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
        out.append(f'<polyline points="{line}" fill="none" stroke="#2b6cb0" stroke-width="2.5"/>')
    for k, (x, y) in enumerate(points):
        last = k == len(points) - 1
        out.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{6 if last else 4}" '
                   f'fill="{"#c0392b" if last else "#2b6cb0"}"/>')
    return "".join(out)


def _span(values) -> tuple[float, float]:
    low, high = min(values), max(values)
    if high - low < 1e-12:
        low, high = low - 0.5, high + 0.5
    pad = (high - low) * 0.08
    return low - pad, high + pad
