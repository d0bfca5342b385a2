"""W5: extra peak memory of W1's step at 1,000,000 x 100 float64, in a fresh process.

The figure is the peak resident set size during the steps minus the resident set size of
just holding the data (X alone is 800 MB), for the engine and for numpy. Run one case with::

    python -m benchmarks.workloads.peak_memory --impl engine
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import time

from .. import memory
from ..rows import Row
from .logistic import EngineLogisticRegression, NumpyLogisticRegression, make_data

MODELS = {"engine": EngineLogisticRegression, "numpy": NumpyLogisticRegression}


def run_case(impl: str, rows: int, cols: int, steps: int) -> dict:
    """Hold the data, then measure the peak RSS above that over ``steps`` steps."""
    X, y = make_data(rows, cols)
    model = MODELS[impl](X, y)
    gc.collect()
    memory.reset_peak()
    holding = memory.current_rss()
    start = time.perf_counter()
    losses = [model.step() for _ in range(steps)]
    elapsed = time.perf_counter() - start
    return {"impl": impl, "rows": rows, "cols": cols, "steps": steps,
            "data_bytes": X.nbytes + y.nbytes, "holding_rss": holding,
            "extra_peak_bytes": max(0, memory.peak_rss() - holding),
            "seconds_per_step": elapsed / steps, "losses": losses}


def measure(scale) -> list[Row]:
    """Interleaved fresh-process runs for both sides; medians of the extra peak."""
    rows, cols = scale.w5_shape
    cases = {"engine": [], "numpy": []}
    for round_index in range(scale.w5_rounds):
        order = ("engine", "numpy") if round_index % 2 == 0 else ("numpy", "engine")
        for impl in order:
            cases[impl].append(memory.run_subprocess(
                "benchmarks.workloads.peak_memory", "--impl", impl, "--rows", str(rows),
                "--cols", str(cols), "--steps", str(scale.w5_steps)))
    engine = statistics.median(c["extra_peak_bytes"] for c in cases["engine"])
    numpy_ = statistics.median(c["extra_peak_bytes"] for c in cases["numpy"])
    data_mb = cases["numpy"][0]["data_bytes"] / 1e6
    return [Row(
        workload="W5", case=f"W1 step at {rows:,} x {cols} float64, {scale.w5_steps} steps",
        metric="extra peak memory", kind="bytes", engine=engine, numpy=numpy_,
        ratio=engine / numpy_ if numpy_ else None, rounds=scale.w5_rounds,
        target_key="W5",
        note=f"above the {data_mb:,.0f} MB of holding X and y; fresh process per run",
        details={"runs": cases})]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Measure one W5 peak-memory case.")
    parser.add_argument("--impl", choices=sorted(MODELS), required=True)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--cols", type=int, default=100)
    parser.add_argument("--steps", type=int, default=5)
    args = parser.parse_args(argv)
    if min(args.rows, args.cols, args.steps) < 1:
        parser.error("--rows, --cols and --steps must be at least 1")
    print(json.dumps(run_case(args.impl, args.rows, args.cols, args.steps)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
