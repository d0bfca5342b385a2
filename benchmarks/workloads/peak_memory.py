"""W5: extra peak memory of W1's step at 1,000,000 x 100 float64, in a fresh process.

The figure is the peak resident set size during the steps minus the resident set size of
just holding the data (X alone is 800 MB), for the engine (eager, and compiled with
``tg.value_and_grad``: its first, tracing call is one of the steps), numpy and, when installed,
PyTorch eager and jax.jit, with both losses (with-logits, sigmoid + BCE). A peer's set-up
(its copy of the data, jax's compilation) happens before the baseline is read, so every
side is charged for its steps alone. Run one case with::

    python -m benchmarks.workloads.peak_memory --impl engine --loss sigmoid
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import time

from .. import memory, peers
from ..rows import Row
from .logistic import (
    LEARNING_RATE,
    LOSSES,
    CompiledLogisticRegression,
    EngineLogisticRegression,
    NumpyLogisticRegression,
    initial_weights,
    make_data,
)

MODELS = {"engine": EngineLogisticRegression, "compiled": CompiledLogisticRegression,
          "numpy": NumpyLogisticRegression}
IMPLEMENTATIONS = ("engine", "compiled", "numpy", *peers.PEERS)


def make_step(impl: str, X, y, loss: str):
    """A zero-argument step of ``impl`` on (X, y), set up (and for jax compiled) already."""
    if impl in MODELS:
        return MODELS[impl](X, y, loss).step
    w, b = initial_weights(X.shape[1], X.dtype)
    return peers.logistic_step(impl, X, y, w, b, loss, LEARNING_RATE)


def run_case(impl: str, rows: int, cols: int, steps: int, loss: str = "logits") -> dict:
    """Hold the data, then measure the peak RSS above that over ``steps`` steps."""
    X, y = make_data(rows, cols)
    step = make_step(impl, X, y, loss)
    gc.collect()
    memory.reset_peak()
    holding = memory.current_rss()
    start = time.perf_counter()
    losses = [step() for _ in range(steps)]
    elapsed = time.perf_counter() - start
    return {"impl": impl, "loss": loss, "rows": rows, "cols": cols, "steps": steps,
            "data_bytes": X.nbytes + y.nbytes, "holding_rss": holding,
            "extra_peak_bytes": max(0, memory.peak_rss() - holding),
            "seconds_per_step": elapsed / steps, "losses": losses}


def measure(scale) -> list[Row]:
    """Interleaved fresh-process runs of every side for both losses; medians of the extra
    peak, each side against numpy."""
    rows, cols = scale.w5_shape
    impls = ["engine", "compiled", "numpy", *peers.available()]
    out = []
    for loss in LOSSES:
        cases = {impl: [] for impl in impls}
        for round_index in range(scale.w5_rounds):
            shift = round_index % len(impls)
            for impl in impls[shift:] + impls[:shift]:
                cases[impl].append(memory.run_subprocess(
                    "benchmarks.workloads.peak_memory", "--impl", impl, "--loss", loss,
                    "--rows", str(rows), "--cols", str(cols), "--steps", str(scale.w5_steps)))
        _check_losses(cases)
        peak = {impl: statistics.median(c["extra_peak_bytes"] for c in cases[impl])
                for impl in impls}
        numpy_ = peak["numpy"]
        data_mb = cases["numpy"][0]["data_bytes"] / 1e6
        name = "with-logits BCE" if loss == "logits" else "sigmoid + BCE"
        row = Row(
            workload="W5",
            case=f"W1 step at {rows:,} x {cols} float64, {name}, {scale.w5_steps} steps",
            metric="extra peak memory", kind="bytes", engine=peak["engine"], numpy=numpy_,
            ratio=peak["engine"] / numpy_ if numpy_ else None, rounds=scale.w5_rounds,
            target_key="W5" if loss == "logits" else "W5-sigmoid",
            note=f"above the {data_mb:,.0f} MB of holding X and y; fresh process per run",
            details={"loss": loss, "extra_peak_bytes": peak, "runs": cases})
        for impl in peers.available():
            if numpy_:
                ratio = peak[impl] / numpy_
                row.others[impl] = {"seconds": None, "bytes": peak[impl], "ratio": ratio,
                                    "low": None, "high": None}
        compiled = Row(
            workload="W5", case=f"{row.case}, compiled", metric="extra peak memory",
            kind="bytes", engine=peak["compiled"], numpy=numpy_,
            ratio=peak["compiled"] / numpy_ if numpy_ else None, rounds=scale.w5_rounds,
            target_key="W5-compiled" if loss == "logits" else "W5-compiled-sigmoid",
            note="tg.value_and_grad: the first call traces (included)",
            details={"loss": loss})
        out += [row, compiled]
    return out


def _check_losses(cases: dict) -> None:
    """Every side starts from the same weights: its first loss must be numpy's."""
    reference = cases["numpy"][0]["losses"][0]
    for impl, runs in cases.items():
        first = runs[0]["losses"][0]
        if abs(first - reference) > 1e-6 * max(1.0, abs(reference)):
            raise AssertionError(f"W5 {impl} started at loss {first}, numpy at {reference}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Measure one W5 peak-memory case.")
    parser.add_argument("--impl", choices=IMPLEMENTATIONS, required=True)
    parser.add_argument("--loss", choices=LOSSES, default="logits")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--cols", type=int, default=100)
    parser.add_argument("--steps", type=int, default=5)
    args = parser.parse_args(argv)
    if min(args.rows, args.cols, args.steps) < 1:
        parser.error("--rows, --cols and --steps must be at least 1")
    if args.impl in peers.PEERS and peers.module(args.impl) is None:
        parser.error(f"{args.impl} is not installed (the optional bench-peers extra)")
    print(json.dumps(run_case(args.impl, args.rows, args.cols, args.steps, args.loss)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
