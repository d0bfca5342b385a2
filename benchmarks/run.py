"""Run the benchmark suite and write its table, JSON and chart.

    python -m benchmarks              # everything, full size (what `make bench` runs)
    python -m benchmarks --only W1,W4 # some workloads
    python -m benchmarks --quick      # tiny sizes: checks that everything runs
    python -m benchmarks --report-only benchmarks/results/latest.json  # rewrite the report

A full run of every workload writes ``benchmarks/results/latest.{json,md}``, the chart
``docs/images/performance.png`` and the table in ``docs/performance.md``. Partial or quick
runs write ``benchmarks/results/partial.{json,md}`` only, so they never replace the
published figures.
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import dataclass
from importlib import import_module
from pathlib import Path

from . import memory, peers, report
from .rows import PEER_NAMES

REPO_ROOT = Path(__file__).resolve().parents[1]

WORKLOADS = {
    "W1": "logistic",
    "W2": "mlp",
    "W3": "chain",
    "W4": "per_op",
    "W5": "peak_memory",
    "W6": "rendering",
}
"""Workload name -> module in :mod:`benchmarks.workloads` (each has ``measure(scale)``)."""


@dataclass(frozen=True)
class Scale:
    """How big each workload is and how often it is repeated.

    ``w3_plan`` lists (chain length, fresh-process rounds per side, runs per process), and
    jax.jit runs the chains up to ``w3_jax_max_length`` (its compile time grows faster);
    ``w6_plan`` lists (graph nodes, repeats). W1 gets more rounds and longer samples than
    the rest: its BLAS calls use both cores, so any other load on the machine shows there.
    """

    name: str
    rounds: int
    w1_shape: tuple[int, int]
    w1_rounds: int
    w1_min_seconds: float
    w2_steps: int
    w3_plan: tuple[tuple[int, int, int], ...]
    w3_jax_max_length: int
    w4_iterations: int
    w5_shape: tuple[int, int]
    w5_steps: int
    w5_rounds: int
    w6_plan: tuple[tuple[int, int], ...]


FULL = Scale(
    name="full", rounds=9, w1_shape=(200_000, 64), w1_rounds=15, w1_min_seconds=0.05,
    w2_steps=200,
    w3_plan=((1_000, 3, 20), (10_000, 3, 4), (100_000, 3, 1), (1_000_000, 2, 1)),
    w3_jax_max_length=1_000,
    w4_iterations=10_000, w5_shape=(1_000_000, 100), w5_steps=5, w5_rounds=2,
    w6_plan=((50, 5), (500, 3), (5_000, 1)),
)
"""The sizes the issue specifies: a few minutes on a 2-core machine."""

QUICK = Scale(
    name="quick", rounds=3, w1_shape=(2_000, 8), w1_rounds=3, w1_min_seconds=0.0,
    w2_steps=5,
    w3_plan=((100, 1, 2), (1_000, 1, 1)), w3_jax_max_length=100, w4_iterations=200,
    w5_shape=(20_000, 10),
    w5_steps=2, w5_rounds=1, w6_plan=((10, 1), (30, 1)),
)
"""Tiny sizes: every code path in seconds (the figures mean nothing)."""


def parse_only(text: str | None) -> list[str]:
    """Workload names from ``--only`` ("W1,w3" -> ["W1", "W3"]), all when None.

    >>> parse_only("w4, W1")
    ['W1', 'W4']
    """
    if text is None:
        return list(WORKLOADS)
    names = sorted({part.strip().upper() for part in text.split(",") if part.strip()})
    unknown = [n for n in names if n not in WORKLOADS]
    if unknown or not names:
        raise ValueError(
            f"unknown workload(s) {unknown or [text]}; choose from {', '.join(WORKLOADS)}"
        )
    return names


def run_workloads(names: list[str], scale: Scale, log=print) -> list:
    """Measure the named workloads in order; return all their rows."""
    rows = []
    for name in names:
        module = import_module(f"benchmarks.workloads.{WORKLOADS[name]}")
        start = time.perf_counter()
        log(f"{name} ({WORKLOADS[name]}) ...", end=" ", flush=True)
        measured = module.measure(scale)
        log(f"{time.perf_counter() - start:.1f} s")
        rows.extend(measured)
    return rows


def main(argv=None) -> int:
    """The command line: run, then write the results (see the module docstring)."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="Benchmark tinygrad_lr against hand-written numpy (ratios, memory).")
    parser.add_argument("--only", help="comma-separated workloads, e.g. W1,W4 (default: all)")
    parser.add_argument("--quick", action="store_true",
                        help="tiny sizes, to check that everything runs")
    parser.add_argument("--results", type=Path, default=REPO_ROOT / "benchmarks" / "results",
                        help="folder for the JSON and Markdown results")
    parser.add_argument("--chart", type=Path,
                        default=REPO_ROOT / "docs" / "images" / "performance.png",
                        help="where a full run draws its chart")
    parser.add_argument("--doc", type=Path, default=REPO_ROOT / "docs" / "performance.md",
                        help="document whose results section a full run replaces")
    parser.add_argument("--report-only", type=Path, metavar="JSON",
                        help="measure nothing: redraw the chart and rewrite the results of "
                             "an earlier full run from its JSON (e.g. results/latest.json)")
    args = parser.parse_args(argv)
    if args.report_only is not None:
        return _report_only(args)
    try:
        names = parse_only(args.only)
    except ValueError as error:
        parser.error(str(error))
    scale = QUICK if args.quick else FULL
    published = not args.quick and names == list(WORKLOADS)

    found = peers.versions()
    print("peers measured in the same rounds: " + (
        ", ".join(f"{PEER_NAMES[name]} {version}" for name, version in found.items())
        if found else "none installed (`make bench-peers` adds PyTorch eager and jax.jit)"))
    start, before = time.perf_counter(), memory.cpu_snapshot()
    rows = run_workloads(names, scale)
    seconds = time.perf_counter() - start
    env = report.environment()
    env["other_load_cores"] = memory.other_load(before, memory.cpu_snapshot(), seconds)
    json_path, md_path = report.write_results(
        rows, args.results, "latest" if published else "partial", env, scale.name, seconds)
    print()
    print(report.side_by_side(rows))
    print(report.target_verdicts(rows))
    print(report.markdown_table(rows))
    print(report.summary_line(env, scale.name, seconds))
    print(f"\nwrote {json_path} and {md_path}")
    if published:
        _publish(rows, env, scale.name, seconds, args)
    return 0


def _publish(rows, env: dict, scale_name: str, seconds: float, args) -> None:
    chart = _try_chart(rows, args.chart)
    link = None if chart is None else report.chart_link(chart, args.doc)
    body = report.results_section(rows, env, scale_name, seconds, link)
    if report.update_doc(args.doc, body):
        print(f"updated the results section of {args.doc}")


def _report_only(args) -> int:
    """Rewrite the report of a full run from its JSON (same numbers, same run)."""
    try:
        payload = json.loads(args.report_only.read_text())
        rows = report.load_rows(args.report_only)
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise SystemExit(
            f"cannot read benchmark results from {args.report_only}: {error}") from None
    if payload.get("scale") != FULL.name:
        raise SystemExit(f"{args.report_only} holds a '{payload.get('scale')}' run; only a "
                         f"full run is published")
    env, seconds = payload["environment"], payload["seconds"]
    md_path = args.report_only.with_suffix(".md")
    md_path.write_text(f"# Benchmark results ({args.report_only.stem})\n\n"
                       + report.results_section(rows, env, payload["scale"], seconds))
    print(f"rewrote {md_path}")
    _publish(rows, env, payload["scale"], seconds, args)
    return 0


def _try_chart(rows, path: Path):
    try:
        from .chart import draw_chart

        drawn = draw_chart(rows, path)
    except ImportError:
        print("no chart: matplotlib is missing (pip install --group bench)")
        return None
    print(f"wrote {drawn}")
    return drawn
