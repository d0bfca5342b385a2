"""Write the results: a Markdown table, a JSON file and a PNG chart.

The Markdown table is also pasted into ``docs/performance.md`` between two marker comments,
so the documentation always shows the latest full run.
"""

from __future__ import annotations

import json
import math
import os
import platform
import subprocess
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from .rows import PEER_NAMES, Row
from .targets import TARGETS

DOC_START = "<!-- benchmark-results:start -->"
DOC_END = "<!-- benchmark-results:end -->"
_REPO_ROOT = Path(__file__).resolve().parents[1]


def format_seconds(seconds: float) -> str:
    """A time with a unit a person reads at a glance.

    >>> format_seconds(0.0123), format_seconds(4.2e-6), format_seconds(3.0)
    ('12.3 ms', '4.20 µs', '3.00 s')
    """
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if seconds >= scale:
            value = seconds / scale
            return f"{value:.3g} {unit}" if value >= 10 else f"{value:.2f} {unit}"
    return f"{seconds * 1e9:.0f} ns"


def format_bytes(count: float) -> str:
    """Bytes as MB (decimal), or kB below a megabyte.

    >>> format_bytes(48_046_080), format_bytes(2048)
    ('48.0 MB', '2.0 kB')
    """
    if count >= 1e6:
        return f"{count / 1e6:,.1f} MB"
    return f"{count / 1e3:,.1f} kB"


def format_value(row: Row, value: float | None) -> str:
    """One measured figure of ``row`` in its unit; a dash where the side does not apply."""
    if value is None:
        return "—"
    if row.kind == "bytes":
        return format_bytes(value)
    if row.kind == "scalar":
        return f"{value:.2f}"
    return format_seconds(value)


def format_ratio(row: Row) -> str:
    """The ratio with the spread of the rounds, e.g. ``1.31x (1.28–1.40)``."""
    if row.ratio is None:
        return "—"
    text = f"**{row.ratio:.2f}x**"
    if row.ratio_low is not None and row.rounds and row.rounds > 1:
        text += f" ({row.ratio_low:.2f}–{row.ratio_high:.2f})"
    return text


def format_other(row: Row, name: str) -> str:
    """A peer's ratio measured in the same rounds; else the stated figure, marked so."""
    other = row.others.get(name)
    if other is not None:
        text = f"{other['ratio']:.2f}x"
        if other.get("low") is not None and row.rounds and row.rounds > 1:
            text += f" ({other['low']:.2f}–{other['high']:.2f})"
        return text
    if name != "pytorch" or row.target_key is None:
        return ""
    low, high = TARGETS[row.target_key].pytorch
    if not high:
        return ""
    return (f"{low:.2f}x (stated)" if low == high else f"{low:.2f}–{high:.2f}x (stated)")


def markdown_table(rows: list[Row]) -> str:
    """The results as a Markdown table (one line per row).

    The PyTorch eager and jax.jit columns are ratios to the same numpy runs when those
    frameworks are installed (the ``bench-peers`` dependency group); "(stated)" marks the
    figure the project's performance issue gives instead.
    """
    lines = [
        "| workload | case | metric | tinygrad_lr | numpy | ratio (min–max) | target | "
        "PyTorch eager | jax.jit | status | note |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        if row.kind == "skip":
            lines.append(f"| {row.workload} | {row.case} | {row.metric} | — | — | — | | | | "
                         f"skipped | {row.note} |")
            continue
        target = "" if row.target is None else (
            f"≤ {row.target:g}{TARGETS[row.target_key].unit}")
        status = {"met": "met", "not met": "**not met**"}.get(row.status, "")
        lines.append(
            f"| {row.workload} | {row.case} | {row.metric} | {format_value(row, row.engine)} | "
            f"{format_value(row, row.numpy)} | {format_ratio(row)} | {target} | "
            f"{format_other(row, 'pytorch')} | {format_other(row, 'jax')} | {status} | "
            f"{row.note} |"
        )
    return "\n".join(lines) + "\n"


SIDE_BY_SIDE = (
    ("W1 float64, with-logits / sigmoid + BCE", ("W1", "W1-sigmoid")),
    ("W2 MLP 2-16-16-1 step", ("W2",)),
    ("W3 affine chain, L = {lengths}", ("W3",)),
    ("W3 tanh chain, L = {lengths}", ("W3-tanh",)),
    ("W4 per op, forward / backward", ("W4-forward", "W4-backward")),
    ("W5 extra peak memory, with-logits / sigmoid + BCE", ("W5", "W5-sigmoid")),
)
"""The lines of the side-by-side table (the issue's workloads) and the targets they show."""

_SIDES = ("eager", "compiled", "pytorch", "jax")


def _compiled_twin(row: Row, rows: list[Row]) -> Row | None:
    """The compiled-step row measured in the same rounds as the eager ``row``, if any."""
    for other in rows:
        if (other is not row and other.kind == row.kind and other.metric == row.metric
                and other.case.startswith(row.case + ", compiled")):
            return other
    return None


def _power_of_ten(n: int) -> str:
    exponent = round(math.log10(n)) if n > 0 else 0
    return f"1e{exponent}" if 10 ** exponent == n else f"{n:,}"


def side_by_side(rows: list[Row]) -> str:
    """The issue's table: per workload, the ratio to numpy of every implementation that ran
    it in this run (eager and compiled tinygrad_lr, PyTorch eager, jax.jit), "–" where one
    did not, with the target and whether it was met.

    >>> rows = [Row("W2", "mlp", "time per step", ratio=2.5, target_key="W2")]
    >>> print(side_by_side(rows).splitlines()[2])
    | W2 MLP 2-16-16-1 step | **2.50x** | – | – | – | ≤ 2x | not met |
    """
    lines = ["| workload | tinygrad_lr eager | tinygrad_lr compiled | PyTorch eager | jax.jit | "
             "target (eager) | status |", "|---|---|---|---|---|---|---|"]
    for label, keys in SIDE_BY_SIDE:
        group = [r for key in keys for r in rows if r.target_key == key and r.ratio is not None]
        if not group:
            continue
        cells = {side: [] for side in _SIDES}
        for row in group:
            twin = _compiled_twin(row, rows)
            cells["eager"].append(f"**{row.ratio:.2f}x**")
            cells["compiled"].append(f"{twin.ratio:.2f}x" if twin and twin.ratio else "–")
            for peer in ("pytorch", "jax"):
                other = row.others.get(peer)
                cells[peer].append(f"{other['ratio']:.2f}x" if other else "–")
        lengths = " / ".join(_power_of_ten(r.details["length"]) for r in group
                             if "length" in r.details)
        targets = " / ".join(dict.fromkeys(f"≤ {r.target:g}x" for r in group))
        beaten = {TARGETS[key].below for key in keys} - {None}
        if beaten:
            targets += "; below " + ", ".join(PEER_NAMES[name] for name in sorted(beaten))
        statuses = {r.status for r in group}
        status = (statuses.pop() if len(statuses) == 1
                  else " / ".join(r.status for r in group))
        joined = {side: " / ".join(values) if any(v != "–" for v in values) else "–"
                  for side, values in cells.items()}
        lines.append(f"| {label.format(lengths=lengths)} | {joined['eager']} | "
                     f"{joined['compiled']} | {joined['pytorch']} | {joined['jax']} | "
                     f"{targets} | {status} |")
    return "\n".join(lines) + "\n"


def target_verdicts(rows: list[Row]) -> str:
    """Every targeted figure of the run: the target, the measured figure, met or not and by
    how much.

    >>> rows = [Row("W5", "mem", "extra peak memory", kind="bytes", ratio=1.1,
    ...             target_key="W5")]
    >>> print(target_verdicts(rows).splitlines()[2])
    | W5 extra peak memory, with-logits | mem | 1.10x | met, 0.20x to spare (target ≤ 1.3x) |
    """
    lines = ["| target | case | measured | verdict |", "|---|---|---|---|"]
    for key, target in TARGETS.items():
        for row in rows:
            if row.target_key != key or row.value is None:
                continue
            lines.append(f"| {target.label} | {row.case} | "
                         f"{row.value:.2f}{target.unit} | {row.verdict()} |")
    return "\n".join(lines) + "\n"


def conditions(env: dict, scale_name: str, seconds: float) -> str:
    """The measurement conditions as a Markdown list (machine, load, versions, threads)."""
    blas = ", ".join(f"{b['internal_api']} {b['version']} ({b['num_threads']} threads)"
                     for b in env.get("blas", []) if b.get("internal_api")) or "unknown"
    openblas = " ".join(f"`{k}={v}`" for k, v in env.get("openblas_env", {}).items())
    load = env.get("other_load_cores")
    load_text = ("not recorded (no /proc/stat)" if load is None else
                 f"other programs kept {load:.2f} of the {env['cpus']} cores busy on average")
    peers = ", ".join(f"{PEER_NAMES.get(k, k)} {v}" for k, v in env.get("peers", {}).items())
    commit = env.get("commit", "unknown")
    if env.get("engine_modified"):
        commit += " (with uncommitted engine changes)"
    items = [
        f"when: {env['timestamp']}, scale '{scale_name}', {seconds:.0f} s in all",
        f"machine: {env['cpu']}, {env['cpus']} CPUs, {env['platform']}",
        f"load during the run: {load_text}",
        f"Python {env['python']}, numpy {env['numpy']}; BLAS: {blas}"
        + (f"; BLAS environment {openblas}" if openblas else ""),
        "peers: " + (f"{peers}; PyTorch on one thread for tiny arrays (W2, W3, W4), its "
                     "default threads for W1 and W5; jax on CPU, float64"
                     if peers else "none installed (their columns show the issue's "
                     "stated figures, marked so)"),
        f"tinygrad_lr at commit {commit}",
    ]
    return "".join(f"- {item}\n" for item in items)


def environment() -> dict:
    """What the numbers depend on: versions, BLAS, CPU, OpenBLAS settings, the commit."""
    info = {
        "timestamp": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "platform": platform.platform(),
        "cpu": _cpu_model(),
        "cpus": os.cpu_count(),
        "openblas_env": {k: v for k, v in sorted(os.environ.items())
                         if k.startswith(("OPENBLAS_", "OMP_", "MKL_"))},
    }
    try:
        import threadpoolctl

        info["blas"] = [
            {k: pool.get(k) for k in ("internal_api", "version", "num_threads", "architecture")}
            for pool in threadpoolctl.threadpool_info()
        ]
    except ImportError:
        pass
    from . import peers

    info["peers"] = peers.versions()
    info.update(_git_state())
    return info


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _git_state() -> dict:
    def git(*args):
        return subprocess.run(["git", *args], capture_output=True, text=True, cwd=_REPO_ROOT,
                              timeout=30).stdout.strip()

    try:
        return {"commit": git("rev-parse", "--short", "HEAD"),
                "engine_modified": bool(git("status", "--porcelain", "--", "tinygrad_lr"))}
    except (OSError, subprocess.SubprocessError):
        return {}


def summary_line(env: dict, scale_name: str, seconds: float) -> str:
    """One line saying when, where and on what the numbers were measured."""
    commit = env.get("commit", "unknown commit")
    if env.get("engine_modified"):
        commit += " (engine files modified)"
    blas = ", ".join(f"{b['internal_api']} {b['version']} ({b['num_threads']} threads)"
                     for b in env.get("blas", []) if b.get("internal_api")) or "BLAS unknown"
    openblas = " ".join(f"{k}={v}" for k, v in env.get("openblas_env", {}).items()) or "none"
    load = env.get("other_load_cores")
    load_text = "" if load is None else (
        f"; other programs kept {load:.2f} cores busy on average during the run")
    peers = ", ".join(f"{'PyTorch' if k == 'pytorch' else k} {v}"
                      for k, v in env.get("peers", {}).items()) or "no peers installed"
    return (f"Measured {env['timestamp']} on {env['cpu']} ({env['cpus']} CPUs), Python "
            f"{env['python']}, numpy {env['numpy']}, {blas}; BLAS environment: {openblas}; "
            f"peers: {peers}; tinygrad_lr at {commit}; scale '{scale_name}', "
            f"{seconds:.0f} s in all{load_text}.")


def results_section(rows: list[Row], env: dict, scale_name: str, seconds: float,
                    chart: str | None = None) -> str:
    """The whole report of one run in Markdown: conditions, the side-by-side table, the
    chart (``chart`` is its path relative to the page), the targets' verdicts, every row."""
    parts = [
        "Measurement conditions:\n\n" + conditions(env, scale_name, seconds),
        "### Side by side\n\nRatio to hand-written numpy measured in the same rounds "
        "(lower is better; `a / b` lists the cases the workload names; – where an "
        "implementation did not run the case).\n\n" + side_by_side(rows),
    ]
    if chart is not None:
        parts.append(f"![Ratios to numpy of every implementation against the targets]"
                     f"({chart})\n")
    parts += [
        "### Targets: met or not, and by how much\n\n" + target_verdicts(rows),
        "### Every figure\n\n" + markdown_table(rows) + "\n"
        + summary_line(env, scale_name, seconds) + "\n",
    ]
    return "\n".join(parts)


def write_results(rows: list[Row], folder: Path, name: str, env: dict, scale_name: str,
                  seconds: float) -> tuple[Path, Path]:
    """Write ``<name>.json`` and ``<name>.md`` into ``folder``; return their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    json_path, md_path = folder / f"{name}.json", folder / f"{name}.md"
    payload = {"environment": env, "scale": scale_name, "seconds": seconds,
               "rows": [row.to_dict() for row in rows]}
    json_path.write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n")
    md_path.write_text(f"# Benchmark results ({name})\n\n"
                       + results_section(rows, env, scale_name, seconds))
    return json_path, md_path


def update_doc(doc: Path, body: str) -> bool:
    """Replace the text between the result markers of ``doc``; False if it has none.

    The file is replaced atomically (written beside it, then renamed).
    """
    if not doc.exists():
        return False
    text = doc.read_text()
    start, end = text.find(DOC_START), text.find(DOC_END)
    if start < 0 or end < start:
        return False
    temporary = doc.with_name(doc.name + ".tmp")
    temporary.write_text(text[: start + len(DOC_START)] + "\n" + body + text[end:])
    os.replace(temporary, doc)
    return True


def chart_link(chart: Path, doc: Path) -> str:
    """The chart's path as ``doc`` links to it.

    >>> chart_link(Path("/r/docs/images/c.png"), Path("/r/docs/performance.md"))
    'images/c.png'
    """
    return os.path.relpath(chart, doc.parent)


def load_rows(path: Path) -> list[Row]:
    """Read the rows of a JSON results file back."""
    payload = json.loads(Path(path).read_text())
    rows = []
    for data in payload["rows"]:
        data = {k: v for k, v in data.items() if k not in ("status", "target")}
        rows.append(Row(**data))
    return rows

