"""W3: a deep chain on a 1-element tensor, ``y = y*0.999 + 0.001`` repeated L times.

Each repetition adds two nodes (a multiply and an add), so the graph has 2L nodes; the
figures are per node. The numpy side runs the same forward on a 1-element array and the
hand-derived backward (``dy/dy0`` picks up a factor 0.999 per step). Every measurement runs
in a fresh process so the peak memory belongs to the chain alone; run this module directly
to measure one case::

    python -m benchmarks.workloads.chain --impl engine --length 100000
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import statistics
import time

import numpy as np

import tinygrad_lr as tg

from .. import memory, peers
from ..rows import Row
from ..timing import summarize

SCALE, SHIFT = 0.999, 0.001
NODES_PER_STEP = 2


def engine_chain(length: int) -> dict:
    """Build the chain with tinygrad_lr, run backward; return timings and the gradient."""
    x = tg.Tensor(np.ones(1), requires_grad=True)
    start = time.perf_counter()
    y = x
    for _ in range(length):
        y = y * SCALE + SHIFT
    built = time.perf_counter()
    y.backward(np.ones(1))
    done = time.perf_counter()
    value, grad = float(y.data[0]), float(x.grad.data[0])
    peak = memory.peak_rss()
    del y
    freed = time.perf_counter()
    return {"forward": built - start, "backward": done - built, "teardown": freed - done,
            "value": value, "grad": grad, "peak": peak}


def numpy_chain(length: int) -> dict:
    """The same forward on a 1-element array and the hand-derived backward."""
    x = np.ones(1)
    start = time.perf_counter()
    y = x
    for _ in range(length):
        y = y * SCALE + SHIFT
    built = time.perf_counter()
    grad = np.ones(1)
    for _ in range(length):
        grad = grad * SCALE
    done = time.perf_counter()
    return {"forward": built - start, "backward": done - built, "teardown": 0.0,
            "value": float(y[0]), "grad": float(grad[0]), "peak": memory.peak_rss()}


def torch_chain(length: int) -> dict:
    """The same chain in PyTorch eager (only when installed: the ``bench-peers`` extra)."""
    torch = peers.torch_threads(small_arrays=True)
    x = torch.ones(1, dtype=torch.float64, requires_grad=True)
    start = time.perf_counter()
    y = x
    for _ in range(length):
        y = y * SCALE + SHIFT
    built = time.perf_counter()
    y.backward(torch.ones(1, dtype=torch.float64))
    done = time.perf_counter()
    value, grad = float(y.detach()[0]), float(x.grad[0])
    peak = memory.peak_rss()
    del y
    freed = time.perf_counter()
    return {"forward": built - start, "backward": done - built, "teardown": freed - done,
            "value": value, "grad": grad, "peak": peak}


def _warm_up(impl: str) -> None:
    """PyTorch starts its autograd machinery at the first backward (seconds): not per node."""
    if impl == "pytorch":
        torch_chain(10)


IMPLEMENTATIONS = {"engine": engine_chain, "numpy": numpy_chain, "pytorch": torch_chain}


def run_case(impl: str, length: int, repeats: int) -> dict:
    """Run one implementation ``repeats`` times in this process (memory from the first run).

    Returns the per-run timings, the extra peak RSS of the first run and the final value and
    gradient (checked against the closed forms by the caller and the tests).
    """
    chain = IMPLEMENTATIONS[impl]
    _warm_up(impl)
    gc.collect()
    memory.reset_peak()
    baseline = memory.current_rss()
    runs = []
    for _ in range(repeats):
        runs.append(chain(length))
        gc.collect()
    first = runs[0]
    return {
        "impl": impl, "length": length,
        "forward": [r["forward"] for r in runs], "backward": [r["backward"] for r in runs],
        "teardown": [r["teardown"] for r in runs],
        "extra_peak_bytes": max(0, first["peak"] - baseline),
        "value": first["value"], "grad": first["grad"],
    }


def closed_form(length: int) -> tuple[float, float]:
    """The chain's value and dy/dy0 from y0 = 1: the fixed point is 1, the slope 0.999^L.

    >>> closed_form(0)
    (1.0, 1.0)
    """
    return 1.0, SCALE ** length


def _check(case: dict) -> None:
    value, grad = closed_form(case["length"])
    if not (math.isclose(case["value"], value, rel_tol=1e-9)
            and math.isclose(case["grad"], grad, rel_tol=1e-6, abs_tol=1e-300)):
        raise AssertionError(
            f"W3 {case['impl']} L={case['length']} computed value {case['value']}, grad "
            f"{case['grad']}; expected {value}, {grad}"
        )


def growth_exponent(lengths, seconds) -> float:
    """Slope of log(time) against log(L): 1.0 means the cost grows linearly.

    >>> round(growth_exponent([10, 100, 1000], [1.0, 10.0, 100.0]), 6)
    1.0
    """
    xs = [math.log(n) for n in lengths]
    ys = [math.log(t) for t in seconds]
    mean_x, mean_y = statistics.fmean(xs), statistics.fmean(ys)
    numerator = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys))
    denominator = sum((x - mean_x) ** 2 for x in xs)
    return numerator / denominator


def measure(scale) -> list[Row]:
    """W3 for every length in ``scale.w3_lengths``: time per node, memory, growth."""
    rows, engine_totals = [], []
    for length, rounds, repeats in scale.w3_plan:
        impls = ["engine", "numpy"] + (["pytorch"] if "pytorch" in peers.available() else [])
        cases = {impl: [] for impl in impls}
        for round_index in range(rounds):
            shift = round_index % len(impls)
            for impl in impls[shift:] + impls[:shift]:
                case = memory.run_subprocess("benchmarks.workloads.chain", "--impl", impl,
                                             "--length", str(length),
                                             "--repeats", str(repeats))
                _check(case)
                cases[impl].append(case)
        nodes = NODES_PER_STEP * length

        def per_run(impl, phases=("forward", "backward"), cases=cases):
            return [sum(c[p][i] for p in phases) for c in cases[impl]
                    for i in range(len(c["forward"]))]

        total = summarize(per_run("engine"), per_run("numpy"), per=nodes)
        forward = summarize(per_run("engine", ("forward",)), per_run("numpy", ("forward",)),
                            per=nodes)
        backward = summarize(per_run("engine", ("backward",)), per_run("numpy", ("backward",)),
                             per=nodes)
        engine_bytes = statistics.median(c["extra_peak_bytes"] for c in cases["engine"])
        numpy_bytes = statistics.median(c["extra_peak_bytes"] for c in cases["numpy"])
        engine_totals.append(total.engine)
        teardown = statistics.median(t for c in cases["engine"] for t in c["teardown"]) / nodes
        row = Row.from_comparison(
            "W3", f"L = {length:,} ({nodes:,} nodes)", "time per node (forward + backward)",
            total, target_key="W3",
            note=f"forward {forward.ratio:.1f}x, backward {backward.ratio:.1f}x; "
                 f"engine memory {engine_bytes / nodes:.0f} B/node",
            length=length, nodes=nodes,
            forward={"engine": forward.engine, "numpy": forward.numpy, "ratio": forward.ratio},
            backward={"engine": backward.engine, "numpy": backward.numpy,
                      "ratio": backward.ratio},
            teardown_engine_per_node=teardown,
            extra_peak_bytes={"engine": engine_bytes, "numpy": numpy_bytes},
            bytes_per_node=engine_bytes / nodes)
        if "pytorch" in cases:
            row.add_other("pytorch", summarize(per_run("pytorch"), per_run("numpy"), per=nodes))
        rows.append(row)
    if len(engine_totals) >= 2:
        lengths = [length for length, _, _ in scale.w3_plan]
        exponent = growth_exponent(lengths, [t * length for t, length in
                                             zip(engine_totals, lengths)])
        rows.append(Row(workload="W3", case=f"L = {lengths[0]:,} … {lengths[-1]:,}",
                        metric="growth of total time (1.00 = linear)", kind="scalar",
                        engine=exponent,
                        note="slope of log(time) against log(L), engine",
                        details={"lengths": lengths}))
    return rows


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Measure one W3 deep-chain case.")
    parser.add_argument("--impl", choices=sorted(IMPLEMENTATIONS), required=True)
    parser.add_argument("--length", type=int, required=True)
    parser.add_argument("--repeats", type=int, default=1)
    args = parser.parse_args(argv)
    if args.length < 1 or args.repeats < 1:
        parser.error("--length and --repeats must be at least 1")
    print(json.dumps(run_case(args.impl, args.length, args.repeats)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
