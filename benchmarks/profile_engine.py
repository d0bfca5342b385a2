"""Profile the engine on W1-W4 (cProfile), its per-op costs, GC, page faults and memory.

    python -m benchmarks.profile_engine                  # all, report to stdout
    python -m benchmarks.profile_engine --only W4,anatomy --top 15
    python -m benchmarks.profile_engine --output benchmarks/results/profile.txt

Sections:

- ``W1`` ... ``W4``: the functions with the most time of their own (``tottime``) and the
  most time including callees (``cumtime``), with file and line, per step/node/op;
- ``anatomy``: what one small op costs piece by piece (timeit, no profiler distortion);
- ``gc``: W3's forward with the cyclic garbage collector on and off;
- ``faults``: page faults and time of one W1 step, engine against numpy (fresh memory
  from the kernel costs more than the arithmetic on arrays of this size);
- ``memory``: what a deep-chain node holds, and the allocation peak of one W1 step;
- ``prototype``: what backward would cost if the rules ran on plain arrays (an experiment
  written here, not in the engine: it walks the engine's graph with numpy-level rules for
  the ops W2 and W4 use, checks that the gradients agree, and times both walks).
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import pstats
import resource
import subprocess
import sys
import time
import timeit
import tracemalloc
from pathlib import Path

import numpy as np

import tinygrad_lr as tg

from .workloads import chain, logistic, mlp, per_op

REPO_ROOT = Path(__file__).resolve().parents[1]


def _short(filename: str) -> str:
    try:
        return str(Path(filename).resolve().relative_to(REPO_ROOT))
    except ValueError:
        return Path(filename).name if filename.startswith(("/", "<")) else filename


def profile_table(stats: pstats.Stats, sort: str, top: int, calls_per_unit: float) -> str:
    """The ``top`` functions by ``sort`` ("tottime" or "cumulative"), with per-unit costs."""
    rows = []
    for (filename, line, name), (_, ncalls, tottime, cumtime, _) in stats.stats.items():
        rows.append((tottime if sort == "tottime" else cumtime, tottime, cumtime, ncalls,
                     f"{_short(filename)}:{line}({name})"))
    rows.sort(reverse=True)
    total = stats.total_tt
    out = [f"{'own %':>6} {'own µs/unit':>11} {'cum %':>6} {'cum µs/unit':>11} "
           f"{'calls/unit':>10}  function"]
    for _, tottime, cumtime, ncalls, where in rows[:top]:
        out.append(f"{100 * tottime / total:6.1f} {1e6 * tottime / calls_per_unit:11.3f} "
                   f"{100 * cumtime / total:6.1f} {1e6 * cumtime / calls_per_unit:11.3f} "
                   f"{ncalls / calls_per_unit:10.2f}  {where}")
    return "\n".join(out)


def profile(fn, units: float, unit: str, top: int) -> str:
    """Run ``fn`` under cProfile; report per ``unit`` (``units`` of them in one call)."""
    fn()  # warm-up
    gc.collect()
    profiler = cProfile.Profile()
    profiler.enable()
    fn()
    profiler.disable()
    stats = pstats.Stats(profiler, stream=io.StringIO())
    header = (f"total {stats.total_tt * 1e3:.1f} ms under the profiler = "
              f"{1e6 * stats.total_tt / units:.2f} µs per {unit} (profiler overhead included)")
    return "\n".join([
        header, "", "by own time:", profile_table(stats, "tottime", top, units), "",
        "by cumulative time:", profile_table(stats, "cumulative", top, units)])


def profile_w1(top: int) -> list[tuple[str, str]]:
    X, y = logistic.make_data(200_000, 64)
    sections = []
    for loss in logistic.LOSSES:
        model = logistic.EngineLogisticRegression(X, y, loss)

        def steps(model=model):
            for _ in range(10):
                model.step()

        sections.append((f"W1 float64 200,000 x 64, {loss}, 10 steps",
                         profile(steps, 10, "step", top)))
    return sections


def profile_w2(top: int) -> list[tuple[str, str]]:
    X, y = mlp.two_moons(256)
    model = mlp.EngineMLP(X, y)

    def steps():
        for _ in range(200):
            model.step()

    return [("W2 MLP, 200 steps", profile(steps, 200, "step", top))]


def profile_w3(top: int) -> list[tuple[str, str]]:
    length = 100_000

    def run():
        chain.engine_chain(length)

    return [(f"W3 deep chain L = {length:,}", profile(run, 2 * length, "node", top))]


def profile_w4(top: int) -> list[tuple[str, str]]:
    loop = per_op.EngineLoop(10_000)
    ops = per_op.OPS_PER_ITERATION * loop.iterations
    return [("W4 forward, 20,000 ops", profile(loop.forward, ops, "op", top)),
            ("W4 backward, 20,000 ops",
             profile(lambda: (loop.forward(), loop.backward()), ops, "op (forward + backward)",
                     top))]


def chain_memory(length: int = 20_000, top: int = 12) -> str:
    """Bytes per W3 node by allocation site (tracemalloc), after forward and after backward."""
    gc.collect()
    tracemalloc.start(1)
    x = tg.Tensor(np.ones(1), requires_grad=True)
    before = tracemalloc.take_snapshot()
    y = x
    for _ in range(length):
        y = y * chain.SCALE + chain.SHIFT
    built = tracemalloc.take_snapshot()
    y.backward(np.ones(1))
    done = tracemalloc.take_snapshot()
    tracemalloc.stop()
    nodes = chain.NODES_PER_STEP["affine"] * length
    lines = [f"W3 chain, L = {length:,} ({nodes:,} nodes): bytes per node held, by line"]
    for title, snapshot in (("after forward", built), ("after backward", done)):
        diff = snapshot.compare_to(before, "lineno")
        total = sum(d.size_diff for d in diff)
        lines.append(f"  {title}: {total / nodes:.0f} B/node in all")
        for d in diff[:top]:
            if d.size_diff < 0.5 * nodes:  # under half a byte per node: noise
                continue
            frame = d.traceback[0]
            lines.append(f"    {d.size_diff / nodes:8.1f} B/node {d.count_diff / nodes:6.2f} "
                         f"blocks/node  {_short(frame.filename)}:{frame.lineno}")
    sizes = (f"  sizes: Tensor object {sys.getsizeof(y)} B, its (1,) ndarray "
             f"{sys.getsizeof(y.data)} B, inputs tuple {sys.getsizeof(y._inputs)} B")
    lines.append(sizes)
    del y
    return "\n".join(lines)


def step_memory(n: int = 200_000, d: int = 64) -> str:
    """Peak traced allocation of one W1 step, engine against numpy (both losses)."""
    X, y = logistic.make_data(n, d)
    column = X.dtype.itemsize * n
    lines = [f"W1 step, {n:,} x {d} float64: peak bytes allocated during one step "
             f"(one length-n column = {column / 1e6:.1f} MB)"]
    for loss in logistic.LOSSES:
        for name, model in (("engine", logistic.EngineLogisticRegression(X, y, loss)),
                            ("numpy", logistic.NumpyLogisticRegression(X, y, loss))):
            model.step()
            gc.collect()
            tracemalloc.start()
            model.step()
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            lines.append(f"  {loss:8} {name:7} peak {peak / 1e6:7.1f} MB = "
                         f"{peak / column:4.1f} columns")
    return "\n".join(lines)


def op_anatomy(number: int = 100_000, iterations: int = 10_000) -> str:
    """Nanoseconds for each layer of one shape-(4,) multiply (best of 5 x ``number`` calls),
    and W4's backward per node with ``iterations`` multiply-adds."""
    from tinygrad_lr import grad_mode
    from tinygrad_lr.registry import get_op
    from tinygrad_lr.tensor import wrap

    mul = get_op("mul")
    a_np, b_np = np.ones(4), np.full(4, 2.0)
    a, b = tg.Tensor(a_np, requires_grad=True), tg.Tensor(b_np, requires_grad=True)
    grad, out = wrap(np.ones(4)), a * b
    names = {"np": np, "mul": mul, "wrap": wrap, "a_np": a_np, "b_np": b_np, "a": a, "b": b,
             "grad": grad, "out": out}
    cases = [
        ("numpy a * b", "a_np * b_np"),
        ("the op's forward as a plain function", "mul.forward(a_np, b_np)"),
        ("wrap(array): a bare Tensor", "wrap(a_np)"),
        ("mul(a, b), recording", "mul(a, b)"),
        ("a * b, recording (operator)", "a * b"),
        ("a * 0.5, recording (operator, number)", "a * 0.5"),
    ]
    lines = ["one shape-(4,) multiply, best of 5 (ns per call):"]
    for label, stmt in cases:
        best = min(timeit.repeat(stmt, number=number, repeat=5, globals=names)) / number
        lines.append(f"  {best * 1e9:7.0f} ns  {label}")
    previous = grad_mode.state.enabled
    grad_mode.state.enabled = False  # as during a backward without create_graph
    try:
        best = min(timeit.repeat("mul.backward(grad, out, a, b)", number=number, repeat=5,
                                 globals=names)) / number
    finally:
        grad_mode.state.enabled = previous
    lines.append(f"  {best * 1e9:7.0f} ns  mul.backward(grad, out, a, b): two Tensor multiplies")
    best = min(timeit.repeat("a_np * b_np; b_np * a_np", number=number, repeat=5,
                             globals=names)) / number
    lines.append(f"  {best * 1e9:7.0f} ns  the same two products in numpy")
    loop = per_op.EngineLoop(iterations)
    nodes = per_op.OPS_PER_ITERATION * loop.iterations
    loop.forward()
    gc.collect()
    gc.disable()  # as during backward, which pauses the cyclic collector
    try:
        start = time.perf_counter()
        tg.topological_order([loop.out])
        sort = time.perf_counter() - start
    finally:
        gc.enable()
    start = time.perf_counter()
    loop.backward()
    whole = time.perf_counter() - start
    lines.append(f"W4 backward: {whole / nodes * 1e9:.0f} ns per node in all, of which "
                 f"topological_order {sort / nodes * 1e9:.0f} ns")
    return "\n".join(lines)


_GC_PROBE = """
import gc, sys, time
import numpy as np
import tinygrad_lr as tg
length, collector = int(sys.argv[1]), sys.argv[2]
if collector == "off":
    gc.disable()
y = tg.Tensor(np.ones(1), requires_grad=True)
start = time.perf_counter()
for _ in range(length):
    y = y * 0.999 + 0.001
built = time.perf_counter()
y.backward(np.ones(1))
done = time.perf_counter()
print(f"L = {length:>9,}  gc {collector:3}: forward {(built - start) / (2 * length) * 1e9:5.0f}"
      f" ns/node, backward {(done - built) / (2 * length) * 1e9:5.0f} ns/node")
"""


def gc_effect(lengths=(10_000, 1_000_000)) -> str:
    """W3 per-node times with the cyclic GC on and off, each in a fresh process."""
    lines = ["W3 with the cyclic garbage collector on (the default) and off:"]
    for length in lengths:
        for collector in ("on", "off"):
            done = subprocess.run([sys.executable, "-c", _GC_PROBE, str(length), collector],
                                  capture_output=True, text=True, check=True)
            lines.append("  " + done.stdout.strip())
    return "\n".join(lines)


def page_faults(n: int = 200_000, d: int = 64, steps: int = 20) -> str:
    """Minor page faults and time per W1 step, measured in a fresh process.

    glibc's allocator raises its mmap threshold after large blocks are freed, so the same
    step faults less in a process that already ran other big work: only a fresh process
    shows what a user's first training loop pays.
    """
    code = ("import sys; from benchmarks.profile_engine import page_faults_here; "
            "print(page_faults_here(*map(int, sys.argv[1:])))")
    done = subprocess.run([sys.executable, "-c", code, str(n), str(d), str(steps)],
                          capture_output=True, text=True, check=True, cwd=REPO_ROOT)
    return done.stdout.strip()


def page_faults_here(n: int, d: int, steps: int) -> str:
    """Minor page faults and time per W1 step in this process (see :func:`page_faults`)."""
    X, y = logistic.make_data(n, d)
    column_pages = X.dtype.itemsize * n / resource.getpagesize()
    lines = [f"W1 step {n:,} x {d} float64: minor page faults per step "
             f"(one length-n column = {column_pages:.0f} pages)"]
    for loss in logistic.LOSSES:
        for name, model in (("engine", logistic.EngineLogisticRegression(X, y, loss)),
                            ("numpy", logistic.NumpyLogisticRegression(X, y, loss))):
            model.step()
            before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
            start = time.perf_counter()
            for _ in range(steps):
                model.step()
            seconds = (time.perf_counter() - start) / steps
            faults = (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) / steps
            lines.append(f"  {loss:8} {name:7} {faults:7.0f} faults "
                         f"({faults / column_pages:4.1f} columns)  {seconds * 1e3:6.2f} ms")
    return "\n".join(lines)


def _unbroadcast(grad: np.ndarray, shape: tuple) -> np.ndarray:
    if grad.shape == shape:
        return grad
    grad = grad.sum(axis=tuple(range(grad.ndim - len(shape))))
    stretched = tuple(i for i, s in enumerate(shape) if s == 1 and grad.shape[i] != 1)
    return grad.sum(axis=stretched, keepdims=True) if stretched else grad


def _bce_rule(grad, out, a, y, reduction="mean"):
    clipped = np.clip(a, np.finfo(a.dtype).eps, 1 - np.finfo(a.dtype).eps)
    return (grad / a.size * (clipped - y) / (clipped * (1 - clipped)), None)


ARRAY_RULES = {
    "mul": lambda grad, out, a, b: (grad * b, grad * a),
    "add": lambda grad, out, a, b: (grad, grad),
    "matmul": lambda grad, out, a, b: (grad @ b.T, a.T @ grad),
    "tanh": lambda grad, out, x: (grad * (1 - out * out),),
    "sigmoid": lambda grad, out, x: (grad * out * (1 - out),),
    "binary_cross_entropy": _bce_rule,
}
"""The experiment's numpy-level rules (2-D matmul only; enough for W2 and W4)."""


def array_backward(output, seed: np.ndarray | None) -> dict:
    """The engine's walk with :data:`ARRAY_RULES`; returns leaf -> gradient array.

    ``seed`` None means a gradient of ones (for a single-element output).
    """
    if seed is None:
        seed = np.ones_like(output.data)
    pending, leaves = {output: seed}, {}
    # Reads the engine's private fields, as the engine's own walk would.
    for t in reversed(tg.topological_order([output])):
        grad = pending.pop(t, None)
        if grad is None:
            continue
        if t._op is None:
            leaves[t] = grad
            continue
        inputs = t._inputs
        arrays = [x.data if isinstance(x, tg.Tensor) else x for x in inputs]
        rule = ARRAY_RULES[t._op.name]
        grads = rule(grad, t.data, *arrays, **t._params) if t._params else rule(
            grad, t.data, *arrays)
        for parent, g in zip(inputs, grads):
            if isinstance(parent, tg.Tensor) and parent._requires_grad:
                if g.shape != parent.data.shape:
                    g = _unbroadcast(g, parent.data.shape)
                previous = pending.get(parent)
                pending[parent] = g if previous is None else previous + g
    return leaves


def _time_backwards(build, leaves, seed, repeats):
    """Median seconds of the engine's backward and of :func:`array_backward` on fresh graphs;
    raises if the gradients differ."""
    engine_times, array_times = [], []
    for _ in range(repeats):
        for leaf in leaves:
            leaf.grad = None
        out = build()
        gc.disable()
        try:
            start = time.perf_counter()
            out.backward(seed)
            engine_times.append(time.perf_counter() - start)
            out = build()
            start = time.perf_counter()
            found = array_backward(out, seed)
            array_times.append(time.perf_counter() - start)
        finally:
            gc.enable()
    for leaf in leaves:
        if not np.allclose(found[leaf], leaf.grad.data, rtol=1e-10, atol=1e-12):
            raise AssertionError("the array-level prototype disagrees with the engine")
    median = sorted(engine_times)[repeats // 2], sorted(array_times)[repeats // 2]
    return median


def array_rule_prototype() -> str:
    """Engine backward against the same walk with array-level rules, on W4 and W2."""
    loop = per_op.EngineLoop(10_000)
    nodes = per_op.OPS_PER_ITERATION * loop.iterations

    def build_w4():
        loop.forward()
        return loop.out

    engine, arrays = _time_backwards(build_w4, [loop.a, loop.b, loop.c0], np.ones(4), 5)
    lines = ["backward with the engine's Tensor rules against array-level rules (prototype):",
             f"  W4: {engine / nodes * 1e9:5.0f} ns/node now, {arrays / nodes * 1e9:5.0f} "
             "ns/node with array rules"]
    X, y = mlp.two_moons(256)
    model = mlp.EngineMLP(X, y)

    def build_w2():
        W1, b1, W2, b2, W3, b3 = model.params
        a = (((model.X @ W1 + b1).tanh() @ W2 + b2).tanh() @ W3 + b3).sigmoid()
        return tg.functional.binary_cross_entropy(a, model.y)

    engine, arrays = _time_backwards(build_w2, model.params, None, 301)
    lines.append(f"  W2: {engine * 1e6:5.1f} µs per backward now, {arrays * 1e6:5.1f} µs "
                 "with array rules")
    return "\n".join(lines)


SECTIONS = {"W1": profile_w1, "W2": profile_w2, "W3": profile_w3, "W4": profile_w4}
EXTRA_SECTIONS = {"anatomy": op_anatomy, "gc": gc_effect, "faults": page_faults,
                  "memory": lambda: chain_memory() + "\n\n" + step_memory(),
                  "prototype": array_rule_prototype}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.profile_engine",
                                     description="Profile tinygrad_lr on the benchmarks.")
    everything = ",".join([*SECTIONS, *EXTRA_SECTIONS])
    parser.add_argument("--only", default=everything,
                        help=f"comma-separated sections: {everything} (default: all)")
    parser.add_argument("--top", type=int, default=20, help="functions listed per table")
    parser.add_argument("--output", type=Path, help="also write the report to this file")
    args = parser.parse_args(argv)
    wanted = [w.strip() for w in args.only.split(",") if w.strip()]
    unknown = [w for w in wanted if w not in SECTIONS and w not in EXTRA_SECTIONS]
    if unknown:
        parser.error(f"unknown section(s) {unknown}; choose from {everything}")
    parts = []
    for name in wanted:
        if name in EXTRA_SECTIONS:
            parts.append((name, EXTRA_SECTIONS[name]()))
        else:
            parts.extend(SECTIONS[name](args.top))
    text = "\n\n".join(f"=== {title} ===\n{body}" for title, body in parts) + "\n"
    print(text)
    if args.output:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
