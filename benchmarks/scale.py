"""Scale benchmark: fit time and peak memory, in memory, streamed and on a Dask cluster.

    python -m benchmarks.scale                       # 1e5 and 1e6 rows x 100 (make bench-scale)
    python -m benchmarks.scale --rows 300000         # chosen sizes
    python -m benchmarks.scale --cases memory,dask-lazy --solvers newton
    python -m benchmarks.scale --quick               # tiny sizes: checks that it all runs

The data (float64, ``features`` columns, labels from a noisy logistic model) is made in
blocks by :func:`make_rows`, so the same rows can be written to a ``.npy`` file for the
numpy cases and made on the Dask workers for the Dask cases. Each case runs in a fresh
Python process and fits ``LogisticRegression(solver=...)`` with Newton and with L-BFGS:

- ``memory``: ``np.load`` the file, fit the array held in memory;
- ``streamed``: ``np.load(..., mmap_mode="r")``, fit the memory map block by block;
- the Dask cases run on a real cluster: a ``dask scheduler`` process and two ``dask worker``
  processes (one thread each) on 127.0.0.1, started afresh for every case
  (:mod:`benchmarks.cluster`), and a ``distributed.Client``; X and y are made on the
  workers, never on the client:

  - ``dask-persisted``: X and y persisted by the user before the fit (not timed);
  - ``dask-lazy``: X and y lazy; the fit persists them (made once, inside the timing);
  - ``dask-streamed``: X lazy and ``tinygrad-lr.persist`` False: X is made again at
    every evaluation (what a fit did before it persisted its inputs);
  - ``dask-out-of-core``: X lazy, each worker's memory limit 600 MiB, so from 1e6 rows
    on X is more than half of the workers' memory and the fit warns and streams X (the
    out-of-core fit; the case says "streamed" when it did);
  - ``dask-ml``: dask-ml's LogisticRegression (L-BFGS over dask-glm, the same objective
    at C=1) on the persisted arrays, when dask-ml is installed (no dependency of the
    package or its tests).

Figures per case: the fit's time; Newton steps or L-BFGS iterations; the tasks of one
evaluation of the objective (from the fit's verbose line); the client's peak, as the peak
of ``tracemalloc``'s traced allocations during the fit (numpy reports its buffers to it;
the pages of a memory-mapped file are not allocations); for the Dask cases the workers'
peak resident memory (``ru_maxrss`` of each worker process, the largest of the two) and
their resident memory just before the fit. BLAS runs one thread per process. Results go to
``benchmarks/results/scale.json`` and ``scale.md``; ``--doc`` replaces the table in
``docs/scale.md``.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import io
import json
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
import tracemalloc
import warnings
from pathlib import Path

import numpy as np

REPO_ROOT = Path(__file__).resolve().parents[1]
FULL_ROWS = (100_000, 1_000_000)
QUICK_ROWS = (2_000,)
FEATURES = 100
BLOCK_ROWS = 20_971
"""Rows per block of the made data (16 MiB at 100 features): the source's blocks."""
CASES = ("memory", "streamed", "dask-persisted", "dask-lazy", "dask-streamed",
         "dask-out-of-core", "dask-ml")
SOLVERS = ("newton", "lbfgs")
ONE_SOLVER = {"dask-streamed": "newton", "dask-out-of-core": "newton", "dask-ml": "lbfgs"}
"""Cases run with one solver only (the slow streamed ones; dask-ml's own L-BFGS)."""
WORKER_MEMORY = "4GiB"
OUT_OF_CORE_MEMORY = "600MiB"
"""Memory limit of each worker in the dask-out-of-core case: X of 1e6 x 100 (800 MB) is
more than half of the two workers' 1.2 GiB, so the fit streams it; a worker pauses above
80% of its limit, and an idle worker takes about 200 MB, so it cannot be much lower."""
BEGIN, END = "<!-- scale-table -->", "<!-- /scale-table -->"


def make_rows(index: int, rows: int, features: int, seed: int = 0):
    """Block ``index`` of a data set made where it is needed: ``(X block, labels)``.

    Rows are standard normal; labels come from a logistic model with weights of norm 2
    (the same for every block) plus their own noise. The same arguments always give the
    same block, so a Dask worker and the client can make identical data.

    >>> X, y = make_rows(3, 5, 2)
    >>> X.shape, y.shape, bool(np.array_equal(make_rows(3, 5, 2)[0], X))
    ((5, 2), (5,), True)
    """
    w = np.random.default_rng([seed, 0]).normal(size=features)
    w *= 2.0 / np.linalg.norm(w)
    rng = np.random.default_rng([seed, 1, index])
    X = rng.normal(size=(rows, features))
    y = (rng.random(rows) < 1 / (1 + np.exp(-(X @ w)))).astype(np.int64)
    return X, y


def block_sizes(rows: int, block_rows: int) -> list[int]:
    """Rows of the consecutive blocks of ``rows`` rows cut every ``block_rows``.

    >>> block_sizes(10, 4)
    [4, 4, 2]
    """
    return [min(block_rows, rows - start) for start in range(0, rows, block_rows)]


def lazy_dask_data(rows: int, features: int, block_rows: int, seed: int = 0):
    """``(X, y)`` as lazy Dask arrays whose blocks the workers make (:func:`make_rows`):
    nothing is computed until a fit asks, and every block is made by one task."""
    import dask
    import dask.array as da

    make = dask.delayed(make_rows, pure=True, nout=2)
    X_parts, y_parts = [], []
    for index, size in enumerate(block_sizes(rows, block_rows)):
        X_block, y_block = make(index, size, features, seed)
        X_parts.append(da.from_delayed(X_block, shape=(size, features), dtype=np.float64))
        y_parts.append(da.from_delayed(y_block, shape=(size,), dtype=np.int64))
    return da.concatenate(X_parts), da.concatenate(y_parts)


def numpy_data(rows: int, features: int, block_rows: int, seed: int = 0):
    """The data of :func:`lazy_dask_data`, made here, in memory."""
    parts = [make_rows(i, size, features, seed)
             for i, size in enumerate(block_sizes(rows, block_rows))]
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])


def make_frame(index: int, rows: int, features: int, seed: int = 0):
    """Block ``index`` of :func:`make_rows` as a pandas DataFrame: columns ``f0``, ``f1``,
    ... and ``label`` (for Dask DataFrames made on the workers with ``dd.from_map``)."""
    import pandas as pd

    X, y = make_rows(index, rows, features, seed)
    frame = pd.DataFrame(X, columns=[f"f{j}" for j in range(features)])
    frame["label"] = y
    return frame


def write_data(folder: Path, rows: int, features: int, seed: int = 0) -> tuple[Path, Path]:
    """``X.npy`` (rows, features) and ``y.npy`` (rows,): the blocks of :func:`make_rows`,
    written one at a time (bounded memory)."""
    x_path, y_path = folder / f"X_{rows}.npy", folder / f"y_{rows}.npy"
    X = np.lib.format.open_memmap(x_path, mode="w+", dtype=np.float64, shape=(rows, features))
    y = np.lib.format.open_memmap(y_path, mode="w+", dtype=np.int64, shape=(rows,))
    start = 0
    for index, size in enumerate(block_sizes(rows, BLOCK_ROWS)):
        X[start:start + size], y[start:start + size] = make_rows(index, size, features, seed)
        start += size
    X.flush()
    y.flush()
    del X, y
    return x_path, y_path


def _rss_peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _rss_now_mb() -> float:
    import psutil

    return psutil.Process().memory_info().rss / 2**20


def _fit_dask_ml(X, y):
    from dask_ml.linear_model import LogisticRegression

    # dask-glm's objective is Σ loss + (1/C)/2·||w||², i.e. ours with C=1.
    model = LogisticRegression(solver="lbfgs", C=1.0, max_iter=100, tol=1e-8).fit(X, y)
    return np.atleast_2d(model.coef_), np.atleast_1d(model.intercept_), None


def _fit_ours(X, y, solver):
    from tinygrad_lr.models import LogisticRegression

    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        model = LogisticRegression(solver=solver, verbose=1).fit(X, y)
    line = next((text for text in printed.getvalue().splitlines()
                 if "tasks per evaluation" in text), "")
    tasks = int(line.split(" tasks per evaluation")[0].rsplit(" ", 1)[1]) if line else None
    return model.coef_, model.intercept_, int(model.n_iter_[0]), tasks


def run_case(case: str, solver: str, rows: int, features: int, x_path: Path, y_path: Path,
             out: Path) -> dict:
    """Fit one way, in this process; return the figures and save the coefficients."""
    result = {"case": case, "solver": solver}
    if not case.startswith("dask"):
        tracemalloc.start()
        start = time.perf_counter()
        X = np.load(x_path, mmap_mode="r" if case == "streamed" else None)
        coef, intercept, steps, tasks = _fit_ours(X, np.load(y_path), solver)
        result["seconds"] = time.perf_counter() - start
        result["client_peak_bytes"] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    else:
        result.update(_run_dask_case(case, solver, rows, features, out))
        coef, intercept, steps, tasks = result.pop("fitted")
    result.update(steps=steps, tasks_per_evaluation=tasks)
    np.save(out, np.concatenate([np.ravel(coef), np.ravel(intercept)]))
    return result


def _run_dask_case(case, solver, rows, features, out) -> dict:
    import dask
    from distributed import Client, wait

    sys.path.insert(0, str(REPO_ROOT))
    from benchmarks.cluster import ProcessCluster

    memory_limit = OUT_OF_CORE_MEMORY if case == "dask-out-of-core" else WORKER_MEMORY
    settings = {"tinygrad-lr.persist": False} if case == "dask-streamed" else {}
    with ProcessCluster(2, memory_limit=memory_limit) as cluster, \
            Client(cluster.address) as client:
        X, y = lazy_dask_data(rows, features, BLOCK_ROWS)
        if case in ("dask-persisted", "dask-ml"):
            X, y = client.persist([X, y])
            wait([X, y])
        before = client.run(_rss_now_mb)
        tracemalloc.start()
        start = time.perf_counter()
        with dask.config.set(settings), warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            fitted = (_fit_dask_ml(X, y) + (None,) if case == "dask-ml"
                      else _fit_ours(X, y, solver))
        seconds = time.perf_counter() - start
        client_peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        peaks = client.run(_rss_peak_mb)
    return {"seconds": seconds, "client_peak_bytes": client_peak, "fitted": fitted,
            "worker_peak_mb": max(peaks.values()),
            "worker_before_mb": max(before.values()), "worker_memory_limit": memory_limit,
            "warnings": sorted({type(w.message).__name__ for w in caught})}


def _child(case: str, solver: str, rows: int, features: int, x_path: Path, y_path: Path,
           out: Path, timeout: float) -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    # One BLAS thread per process: the Dask workers are one thread each, and on a machine
    # shared with other work more threads would measure the contention, not the fit.
    env.update(OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    command = [sys.executable, "-m", "benchmarks.scale", "--case", case, "--solver", solver,
               "--n-rows", str(rows), "--features", str(features), "--x", str(x_path),
               "--y", str(y_path), "--out", str(out)]
    # Its own process group, so a timeout ends the case's scheduler and workers with it.
    child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True, env=env, cwd=REPO_ROOT, start_new_session=True)
    try:
        stdout, stderr = child.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(child.pid, signal.SIGKILL)
        child.communicate()
        return {"case": case, "solver": solver, "error": f"over {timeout:.0f} s"}
    if child.returncode != 0:
        last = (stderr.strip().splitlines() or ["?"])[-1]
        return {"case": case, "solver": solver, "error": last}
    return json.loads(stdout.strip().splitlines()[-1])


def dask_ml_installed() -> bool:
    """Whether the optional comparison can run.

    >>> isinstance(dask_ml_installed(), bool)
    True
    """
    return importlib.util.find_spec("dask_ml") is not None


def runs(cases=None, solvers=None) -> list[tuple[str, str]]:
    """The (case, solver) pairs to measure, in order (dask-ml only when installed).

    >>> runs(["memory", "dask-streamed"], ["newton", "lbfgs"])
    [('memory', 'newton'), ('memory', 'lbfgs'), ('dask-streamed', 'newton')]
    """
    pairs = []
    for case in cases or CASES:
        if case == "dask-ml" and not dask_ml_installed():
            continue
        for solver in solvers or SOLVERS:
            if ONE_SOLVER.get(case, solver) == solver:
                pairs.append((case, solver))
    return pairs


def measure(rows_list, features: int, folder: Path, timeout: float, log=print,
            cases=None, solvers=None) -> list[dict]:
    """Every (case, solver) of :func:`runs` at every size; each result gets ``max_coef_diff``
    against the in-memory fit with the same solver (or Newton's, for dask-ml)."""
    results = []
    for rows in rows_list:
        x_path, y_path = write_data(folder, rows, features)
        reference: dict[str, np.ndarray] = {}
        for case, solver in runs(cases, solvers):
            out = folder / f"theta_{case}_{solver}_{rows}.npy"
            log(f"{rows:>10,} rows  {case:<17} {solver:<7}", end=" ", flush=True)
            result = _child(case, solver, rows, features, x_path, y_path, out, timeout)
            result.update(rows=rows, features=features, data_bytes=rows * features * 8)
            if "error" in result:
                log(f"failed: {result['error']}")
                results.append(result)
                continue
            theta = np.load(out)
            if case == "memory":
                reference[solver] = theta
            oracle = reference.get(solver, reference.get("newton"))
            if oracle is not None:
                result["max_coef_diff"] = float(np.abs(theta - oracle).max())
            log(f"{result['seconds']:8.2f} s  client peak "
                f"{result['client_peak_bytes'] / 1e6:7.1f} MB"
                + (f"  worker peak {result['worker_peak_mb']:7.0f} MB"
                   if "worker_peak_mb" in result else ""))
            results.append(result)
        x_path.unlink()
        y_path.unlink()
    return results


def markdown_table(results: list[dict]) -> str:
    """The results as a Markdown table (one row per size, case and solver); Δcoef is the
    largest absolute difference of any coefficient from the in-memory fit's.

    >>> print(markdown_table([{"rows": 1000, "features": 100, "data_bytes": 800000,
    ...     "case": "dask-lazy", "solver": "newton", "seconds": 1.5, "steps": 6,
    ...     "tasks_per_evaluation": 5, "client_peak_bytes": 2e6, "worker_peak_mb": 300.0,
    ...     "worker_before_mb": 150.0, "max_coef_diff": 0.0}]))
    | rows | data | case | solver | time | steps | tasks/eval | client | workers (before) | Δcoef |
    |---:|---:|:--|:--|---:|---:|---:|---:|---:|---:|
    | 1,000 | 0.8 MB | dask-lazy | newton | 1.50 s | 6 | 5 | 2.0 MB | 300 MB (150) | 0 |
    """
    lines = ["| rows | data | case | solver | time | steps | tasks/eval | client "
             "| workers (before) | Δcoef |",
             "|---:|---:|:--|:--|---:|---:|---:|---:|---:|---:|"]
    for r in results:
        data = f"{r['data_bytes'] / 1e6:,.1f} MB"
        if "error" in r:
            lines.append(f"| {r['rows']:,} | {data} | {r['case']} | {r['solver']} "
                         f"| {r['error']} | | | | | |")
            continue
        diff = r.get("max_coef_diff")
        worker = (f"{r['worker_peak_mb']:,.0f} MB ({r['worker_before_mb']:,.0f})"
                  if "worker_peak_mb" in r else "–")
        case = r["case"] + (" (streamed)" if "NotPersistedWarning" in r.get("warnings", ())
                            else "")
        lines.append(
            f"| {r['rows']:,} | {data} | {case} | {r['solver']} | {r['seconds']:.2f} s "
            f"| {r['steps'] if r.get('steps') is not None else '–'} "
            f"| {r['tasks_per_evaluation'] if r.get('tasks_per_evaluation') else '–'} "
            f"| {r['client_peak_bytes'] / 1e6:,.1f} MB | {worker} "
            f"| {'–' if diff is None else f'{diff:.2g}'} |")
    return "\n".join(lines)


def update_doc(doc: Path, table: str) -> bool:
    """Replace the text between the scale-table markers of ``doc``; False if absent."""
    text = doc.read_text(encoding="utf-8") if doc.exists() else ""
    if BEGIN not in text or END not in text:
        return False
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    doc.write_text(f"{head}{BEGIN}\n{table}\n{END}{tail}", encoding="utf-8")
    return True


def _names(text: str | None, allowed, what: str, parser) -> list[str] | None:
    if text is None:
        return None
    names = [part.strip() for part in text.split(",") if part.strip()]
    unknown = sorted(set(names) - set(allowed))
    if unknown:
        parser.error(f"unknown {what} {unknown}; choose from {', '.join(allowed)}")
    return names


def main(argv=None) -> int:
    """The command line (see the module docstring)."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.scale", description=(
        "Fit time and peak memory: in memory, streamed, on a Dask cluster, dask-ml."))
    parser.add_argument("--rows", help="comma-separated row counts (default: 1e5, 1e6)")
    parser.add_argument("--features", type=int, default=FEATURES)
    parser.add_argument("--quick", action="store_true", help="tiny sizes")
    parser.add_argument("--cases", help=f"comma-separated subset of {', '.join(CASES)}")
    parser.add_argument("--solvers", help=f"comma-separated subset of {', '.join(SOLVERS)}")
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds per case")
    parser.add_argument("--results", type=Path, default=REPO_ROOT / "benchmarks" / "results")
    parser.add_argument("--doc", type=Path, default=None,
                        help="a page whose scale-table section is replaced (docs/scale.md)")
    parser.add_argument("--case", choices=CASES, help=argparse.SUPPRESS)
    parser.add_argument("--solver", choices=SOLVERS, help=argparse.SUPPRESS)
    parser.add_argument("--n-rows", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--x", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--y", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.case:  # one measurement, in a fresh process started by measure()
        print(json.dumps(run_case(args.case, args.solver, args.n_rows, args.features, args.x,
                                  args.y, args.out)))
        return 0
    rows = QUICK_ROWS if args.quick else FULL_ROWS
    if args.rows:
        rows = tuple(int(float(part)) for part in args.rows.split(","))
    features = 10 if args.quick else args.features
    cases = _names(args.cases, CASES, "case(s)", parser)
    solvers = _names(args.solvers, SOLVERS, "solver(s)", parser)
    with tempfile.TemporaryDirectory(prefix="tinygrad-lr-scale-") as folder:
        start = time.perf_counter()
        results = measure(rows, features, Path(folder), args.timeout, cases=cases,
                          solvers=solvers)
        total = time.perf_counter() - start
    table = markdown_table(results)
    name = "scale-quick" if args.quick else "scale"
    args.results.mkdir(parents=True, exist_ok=True)
    load = os.getloadavg()
    (args.results / f"{name}.json").write_text(json.dumps(
        {"results": results, "seconds": total, "cpus": os.cpu_count(),
         "load_average_after": load}, indent=1) + "\n")
    (args.results / f"{name}.md").write_text(table + "\n", encoding="utf-8")
    print("\n" + table + f"\n\n{total:.0f} s in all on {os.cpu_count()} CPUs (load average "
          f"{load[0]:.1f} at the end)")
    if args.doc is not None and not args.quick:
        print(f"updated {args.doc}" if update_doc(args.doc, table)
              else f"{args.doc} has no {BEGIN} section")
    return 0


if __name__ == "__main__":
    sys.exit(main())
