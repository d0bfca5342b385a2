"""W3: deep chains on a 1-element tensor, repeated L times, then one backward.

Two chains, each a graph L ops deep:

- **affine**: ``y = y*0.999 + 0.001`` (two nodes per step, a multiply and an add). Its value
  stays 1 and ``dy/dy0 = 0.999ᴸ``: both are checked against that closed form.
- **tanh**: ``y = tanh(y)`` (one node per step, a rule of one formula). The numpy side keeps
  every output ``t`` and runs the hand-derived backward ``g ← g·(1 − t²)``; every side's
  value and gradient are checked against the same recurrence in plain Python floats
  (:func:`tanh_reference`).

The figures are per node. The numpy side runs the same forward on a 1-element array and
the hand-derived backward. Every measurement runs in a fresh process so the peak memory
belongs to the chain alone; run this module directly to measure one case::

    python -m benchmarks.workloads.chain --chain tanh --impl engine --length 100000
"""

from __future__ import annotations

import argparse
import functools
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
CHAINS = ("affine", "tanh")
NODES_PER_STEP = {"affine": 2, "tanh": 1}
START = 1.0
"""Every chain starts from y0 = 1."""


def _timed(build, backward, value, grad) -> dict:
    """Time ``build()`` then ``backward(y)``; read value and gradient; time the teardown."""
    start = time.perf_counter()
    y = build()
    built = time.perf_counter()
    backward(y)
    done = time.perf_counter()
    result = {"forward": built - start, "backward": done - built,
              "value": value(y), "grad": grad()}
    result["peak"] = memory.peak_rss()
    del y
    result["teardown"] = time.perf_counter() - done
    return result


def engine_chain(length: int, chain: str = "affine") -> dict:
    """Build the chain with tinygrad_lr, run backward; return timings and the gradient."""
    _check_chain(chain)
    x = tg.Tensor(np.full(1, START), requires_grad=True)

    def build():
        y = x
        if chain == "affine":
            for _ in range(length):
                y = y * SCALE + SHIFT
        else:
            for _ in range(length):
                y = y.tanh()
        return y

    return _timed(build, lambda y: y.backward(np.ones(1)), lambda y: float(y.data[0]),
                  lambda: float(x.grad.data[0]))


def numpy_chain(length: int, chain: str = "affine") -> dict:
    """The same forward on a 1-element array and the hand-derived backward."""
    _check_chain(chain)
    x = np.full(1, START)
    outputs = []  # the tanh chain's backward needs every output t (1 − t²)
    grad = [None]

    def build():
        y = x
        if chain == "affine":
            for _ in range(length):
                y = y * SCALE + SHIFT
        else:
            keep = outputs.append
            for _ in range(length):
                y = np.tanh(y)
                keep(y)
        return y

    def backward(_y):
        g = np.ones(1)
        if chain == "affine":
            for _ in range(length):
                g = g * SCALE
        else:
            for t in reversed(outputs):
                g = g * (1.0 - t * t)
        grad[0] = g

    result = _timed(build, backward, lambda y: float(y[0]), lambda: float(grad[0][0]))
    result["teardown"] = 0.0
    return result


def torch_chain(length: int, chain: str = "affine") -> dict:
    """The same chain in PyTorch eager (only when installed: the ``bench-peers`` extra)."""
    _check_chain(chain)
    torch = peers.torch_threads(small_arrays=True)
    x = torch.full((1,), START, dtype=torch.float64, requires_grad=True)

    def build():
        y = x
        if chain == "affine":
            for _ in range(length):
                y = y * SCALE + SHIFT
        else:
            for _ in range(length):
                y = torch.tanh(y)
        return y

    return _timed(build, lambda y: y.backward(torch.ones(1, dtype=torch.float64)),
                  lambda y: float(y.detach()[0]), lambda: float(x.grad[0]))


def jax_chain(length: int, chain: str = "affine") -> dict:
    """The chain through ``jax.jit(jax.value_and_grad(f))``, called once (the ``bench-peers``
    extra).

    Eager engines build a new graph for every input; the jax counterpart of that is one
    trace, compile and run of the unrolled chain, all counted as forward (jax does not
    split them; ``backward`` is 0).
    """
    _check_chain(chain)
    jax = peers.module("jax")
    jnp = jax.numpy

    def f(x):
        y = x
        if chain == "affine":
            for _ in range(length):
                y = y * SCALE + SHIFT
        else:
            for _ in range(length):
                y = jnp.tanh(y)
        return y[0]

    x = jnp.full(1, START)
    start = time.perf_counter()
    value, grad = jax.jit(jax.value_and_grad(f))(x)
    value, grad = float(value), float(grad[0])  # waits for the result
    done = time.perf_counter()
    return {"forward": done - start, "backward": 0.0, "teardown": 0.0, "value": value,
            "grad": grad, "peak": memory.peak_rss()}


def _check_chain(chain: str) -> None:
    if chain not in CHAINS:
        raise ValueError(f"chain must be one of {CHAINS}, got {chain!r}")


def _warm_up(impl: str, chain: str) -> None:
    """PyTorch starts its autograd machinery at the first backward, jax its compiler at the
    first jit (seconds): not per node."""
    if impl == "pytorch":
        torch_chain(10, chain)
    elif impl == "jax":
        jax_chain(2, chain)


IMPLEMENTATIONS = {"engine": engine_chain, "numpy": numpy_chain, "pytorch": torch_chain,
                   "jax": jax_chain}


def run_case(impl: str, length: int, repeats: int, chain: str = "affine") -> dict:
    """Run one implementation ``repeats`` times in this process (memory from the first run).

    Returns the per-run timings, the extra peak RSS of the first run and the final value and
    gradient (checked against the oracle by the caller and the tests).
    """
    _check_chain(chain)
    build = IMPLEMENTATIONS[impl]
    _warm_up(impl, chain)
    gc.collect()
    memory.reset_peak()
    baseline = memory.current_rss()
    runs = []
    for _ in range(repeats):
        runs.append(build(length, chain))
        gc.collect()
    first = runs[0]
    return {
        "impl": impl, "chain": chain, "length": length,
        "forward": [r["forward"] for r in runs], "backward": [r["backward"] for r in runs],
        "teardown": [r["teardown"] for r in runs],
        "extra_peak_bytes": max(0, first["peak"] - baseline),
        "value": first["value"], "grad": first["grad"],
    }


def closed_form(length: int) -> tuple[float, float]:
    """The affine chain's value and dy/dy0 from y0 = 1: the fixed point is 1, the slope
    0.999^L.

    >>> closed_form(0)
    (1.0, 1.0)
    """
    return 1.0, SCALE ** length


@functools.cache
def tanh_reference(length: int) -> tuple[float, float]:
    """The tanh chain's value and dy/dy0 from y0 = 1, in plain Python floats.

    ``dy/dy0`` is the product of ``tanh'(y_k) = 1 − tanh(y_k)²`` along the chain.

    >>> value, grad = tanh_reference(1)
    >>> round(value, 12) == round(math.tanh(1.0), 12), round(grad, 12) == round(
    ...     1 - math.tanh(1.0) ** 2, 12)
    (True, True)
    """
    y, grad = START, 1.0
    for _ in range(length):
        y = math.tanh(y)
        grad *= 1.0 - y * y
    return y, grad


def expected(chain: str, length: int) -> tuple[float, float]:
    """The oracle's (value, gradient) for ``chain`` at ``length``."""
    _check_chain(chain)
    return closed_form(length) if chain == "affine" else tanh_reference(length)


def _check(case: dict) -> None:
    chain = case.get("chain", "affine")
    value, grad = expected(chain, case["length"])
    if not (math.isclose(case["value"], value, rel_tol=1e-9)
            and math.isclose(case["grad"], grad, rel_tol=1e-6, abs_tol=1e-300)):
        raise AssertionError(
            f"W3 {chain} chain, {case['impl']} L={case['length']} computed value "
            f"{case['value']}, grad {case['grad']}; expected {value}, {grad}"
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


TARGET_KEYS = {"affine": "W3", "tanh": "W3-tanh"}
LABELS = {"affine": "affine chain y*0.999 + 0.001", "tanh": "tanh chain"}


def _measure_length(chain: str, length: int, rounds: int, repeats: int,
                    jax_max_length: int) -> Row:
    """One row: every side in fresh processes, alternating, ``rounds`` times.

    jax.jit runs only up to ``jax_max_length``: tracing and compiling an unrolled chain grows
    faster than its length (on a 2-core machine the tanh chain takes ~8 s at L = 1,000 and
    over a minute at 3,000).
    """
    impls = ["engine", "numpy"] + [name for name in peers.available()
                                   if name == "pytorch" or length <= jax_max_length]
    cases = {impl: [] for impl in impls}
    for round_index in range(rounds):
        shift = round_index % len(impls)
        for impl in impls[shift:] + impls[:shift]:
            # one jax call is a trace and a compile (seconds): once per process is enough
            runs = 1 if impl == "jax" else repeats
            case = memory.run_subprocess("benchmarks.workloads.chain", "--chain", chain,
                                         "--impl", impl, "--length", str(length),
                                         "--repeats", str(runs))
            _check(case)
            cases[impl].append(case)
    nodes = NODES_PER_STEP[chain] * length

    def per_run(impl, phases=("forward", "backward")):
        return [sum(c[p][i] for p in phases) for c in cases[impl]
                for i in range(len(c["forward"]))]

    def versus_numpy(impl, phases=("forward", "backward")):
        return summarize(per_run(impl, phases), per_run("numpy", phases), per=nodes)

    total, forward, backward = (versus_numpy("engine"), versus_numpy("engine", ("forward",)),
                                versus_numpy("engine", ("backward",)))
    engine_bytes = statistics.median(c["extra_peak_bytes"] for c in cases["engine"])
    numpy_bytes = statistics.median(c["extra_peak_bytes"] for c in cases["numpy"])
    teardown = statistics.median(t for c in cases["engine"] for t in c["teardown"]) / nodes
    note = (f"forward {forward.ratio:.1f}x, backward {backward.ratio:.1f}x; "
            f"engine memory {engine_bytes / nodes:.0f} B/node")
    row = Row.from_comparison(
        "W3", f"{chain}, L = {length:,} ({nodes:,} nodes)",
        "time per node (forward + backward)", total, target_key=TARGET_KEYS[chain],
        note=note, chain=chain, length=length, nodes=nodes,
        forward={"engine": forward.engine, "numpy": forward.numpy, "ratio": forward.ratio},
        backward={"engine": backward.engine, "numpy": backward.numpy, "ratio": backward.ratio},
        teardown_engine_per_node=teardown,
        extra_peak_bytes={"engine": engine_bytes, "numpy": numpy_bytes},
        bytes_per_node=engine_bytes / nodes)
    if "pytorch" in cases:
        torch_total = versus_numpy("pytorch")
        row.add_other("pytorch", torch_total)
        row.details["pytorch_seconds_per_node"] = torch_total.engine
        row.note += (f"; PyTorch forward {versus_numpy('pytorch', ('forward',)).ratio:.1f}x, "
                     f"backward {versus_numpy('pytorch', ('backward',)).ratio:.1f}x")
    if "jax" in cases:  # one run per process, paired with numpy's median of that round
        numpy_medians = [statistics.median(c["forward"][i] + c["backward"][i]
                                           for i in range(len(c["forward"])))
                         for c in cases["numpy"]]
        row.add_other("jax", summarize(per_run("jax"), numpy_medians, per=nodes))
        row.note += "; jax.jit: one trace + compile + run of the unrolled chain"
    elif "jax" in peers.available():
        row.note += f"; jax.jit not run above L = {jax_max_length:,} (compile time)"
    return row


def _growth_row(chain: str, rows: list[Row]) -> Row:
    """The slope of log(total time) against log(L) for the engine (and PyTorch)."""
    lengths = [r.details["length"] for r in rows]

    def exponent(seconds_per_node):
        return growth_exponent(lengths, [s * r.details["nodes"]
                                         for s, r in zip(seconds_per_node, rows)])

    note = "slope of log(time) against log(L), engine"
    details = {"chain": chain, "lengths": lengths}
    if all("pytorch" in r.others for r in rows):
        torch_exponent = exponent([r.details["pytorch_seconds_per_node"] for r in rows])
        details["pytorch"] = torch_exponent
        note += f"; PyTorch eager {torch_exponent:.2f}"
    return Row(workload="W3", case=f"{chain}, L = {lengths[0]:,} … {lengths[-1]:,}",
               metric="growth of total time (1.00 = linear)", kind="scalar",
               engine=exponent([r.engine for r in rows]), target_key="W3-growth",
               note=note, details=details)


def measure(scale) -> list[Row]:
    """W3 for both chains at every length of ``scale.w3_plan``: time per node, memory,
    growth."""
    rows = []
    for chain in CHAINS:
        measured = [_measure_length(chain, length, rounds, repeats, scale.w3_jax_max_length)
                    for length, rounds, repeats in scale.w3_plan]
        rows.extend(measured)
        if len(measured) >= 2:
            rows.append(_growth_row(chain, measured))
    return rows


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Measure one W3 deep-chain case.")
    parser.add_argument("--chain", choices=CHAINS, default="affine")
    parser.add_argument("--impl", choices=sorted(IMPLEMENTATIONS), required=True)
    parser.add_argument("--length", type=int, required=True)
    parser.add_argument("--repeats", type=int, default=1)
    args = parser.parse_args(argv)
    if args.length < 1 or args.repeats < 1:
        parser.error("--length and --repeats must be at least 1")
    print(json.dumps(run_case(args.impl, args.length, args.repeats, args.chain)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
