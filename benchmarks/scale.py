"""Scale benchmark: fit time and peak memory against rows, in memory, streamed, on Dask.

    python -m benchmarks.scale                      # 1e5 ... 3e6 rows x 100 (what make runs)
    python -m benchmarks.scale --rows 100000,300000 # chosen sizes
    python -m benchmarks.scale --quick              # tiny sizes: checks that it all runs

For every size the data (float64, ``features`` columns, labels from a noisy logistic model)
is written once, block by block, to ``.npy`` files in a temporary folder. Each case then
runs in a fresh Python process and fits ``LogisticRegression()`` (the default exact
solver) in one of four ways:

- ``memory``: ``np.load`` the file, then fit the array held in memory;
- ``streamed``: ``np.load(..., mmap_mode="r")`` and fit the memory map block by block;
- ``dask``: a LocalCluster of 2 worker processes; X is a Dask array whose blocks the
  workers read from the file (:func:`tinygrad_lr.models.distributed.from_npy`);
- ``dask-ml``: dask-ml's LogisticRegression (L-BFGS over dask-glm) on the same Dask
  arrays, when dask-ml is installed (it is no dependency of the package or its tests).

The Dask cases run twice: once timed, once under ``tracemalloc`` (which slows Python code,
and a Dask client is mostly Python); the numpy cases run once, traced (their time is in
numpy, which tracing does not slow). BLAS runs one thread per process in every case, so
the Dask cases use two cores (two workers) and the others one: on a machine shared with
other work, two OpenBLAS threads per process made a 20,971 × 101 Gram matrix 20 times
slower than one thread, which would measure the contention rather than the fit.

Peak memory is the peak of the allocations traced in the fitting process (numpy reports
its buffers to it; the pages of a memory-mapped file are not allocations), from before
loading X to the end of the fit. For the Dask cases that is the client's memory: the
workers' is not traced. Results go to ``benchmarks/results/scale.json`` and ``scale.md``;
``--doc`` replaces the table in ``docs/scale.md``.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np

REPO_ROOT = Path(__file__).resolve().parents[1]
FULL_ROWS = (100_000, 300_000, 1_000_000, 3_000_000)
QUICK_ROWS = (2_000, 6_000)
FEATURES = 100
CASES = ("memory", "streamed", "dask", "dask-ml")
BEGIN, END = "<!-- scale-table -->", "<!-- /scale-table -->"


def write_data(folder: Path, rows: int, features: int, seed: int = 0) -> tuple[Path, Path]:
    """``X.npy`` (rows, features) and ``y.npy`` (rows,) written block by block (bounded memory).

    Labels come from a logistic model with weights of norm 2 plus its own noise, so the
    classes overlap and the optimum is finite.
    """
    rng = np.random.default_rng(seed)
    w = rng.normal(size=features)
    w *= 2.0 / np.linalg.norm(w)
    x_path, y_path = folder / f"X_{rows}.npy", folder / f"y_{rows}.npy"
    X = np.lib.format.open_memmap(x_path, mode="w+", dtype=np.float64, shape=(rows, features))
    y = np.lib.format.open_memmap(y_path, mode="w+", dtype=np.int64, shape=(rows,))
    step = 50_000
    for start in range(0, rows, step):
        block = rng.normal(size=(min(step, rows - start), features))
        X[start:start + len(block)] = block
        probability = 1 / (1 + np.exp(-(block @ w)))
        y[start:start + len(block)] = rng.random(len(block)) < probability
    X.flush()
    y.flush()
    del X, y
    return x_path, y_path


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


def _fit_ours(X, y):
    from tinygrad_lr.models import LogisticRegression

    model = LogisticRegression().fit(X, y)
    return model.coef_, model.intercept_, int(model.n_iter_)


def _fit_dask_ml(X, y):
    from dask_ml.linear_model import LogisticRegression

    # dask-glm's objective is Σ loss + (1/C)/2·||w||², i.e. ours with C=1.
    model = LogisticRegression(solver="lbfgs", C=1.0, max_iter=100, tol=1e-8).fit(X, y)
    return np.atleast_2d(model.coef_), np.atleast_1d(model.intercept_), None


def run_case(case: str, x_path: Path, y_path: Path, out: Path, trace: bool) -> dict:
    """Fit one way, in this process; return the figures and save the coefficients."""
    client = None
    if case in ("dask", "dask-ml"):
        from dask.distributed import Client, LocalCluster

        client = Client(LocalCluster(n_workers=2, processes=True, threads_per_worker=1,
                                     dashboard_address=None))
    if trace:
        tracemalloc.start()
    start = time.perf_counter()
    if case == "memory":
        X, y = np.load(x_path), np.load(y_path)
        coef, intercept, steps = _fit_ours(X, y)
    elif case == "streamed":
        X, y = np.load(x_path, mmap_mode="r"), np.load(y_path)
        coef, intercept, steps = _fit_ours(X, y)
    else:
        from tinygrad_lr.models.distributed import from_npy

        X = from_npy(x_path)
        y = from_npy(y_path, block_rows=X.chunks[0][0])  # X's row blocks, read alike
        coef, intercept, steps = (_fit_ours if case == "dask" else _fit_dask_ml)(X, y)
    seconds = time.perf_counter() - start
    peak = None
    if trace:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    if client is not None:
        client.close()
    np.save(out, np.concatenate([np.ravel(coef), np.ravel(intercept)]))
    return {"case": case, "seconds": seconds, "peak_traced_bytes": peak, "steps": steps}


def _child(case: str, x_path: Path, y_path: Path, out: Path, timeout: float,
           trace: bool) -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    # One BLAS thread per process (see the module docstring); Dask's workers inherit it.
    env.update(OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    command = [sys.executable, "-m", "benchmarks.scale", "--case", case, "--x", str(x_path),
               "--y", str(y_path), "--out", str(out)] + (["--trace"] if trace else [])
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout,
                              env=env, cwd=REPO_ROOT)
    except subprocess.TimeoutExpired:
        return {"case": case, "error": f"over {timeout:.0f} s"}
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["?"])[-1]
        return {"case": case, "error": last}
    return json.loads(done.stdout.strip().splitlines()[-1])


def dask_ml_installed() -> bool:
    """Whether the optional comparison can run.

    >>> isinstance(dask_ml_installed(), bool)
    True
    """
    return importlib.util.find_spec("dask_ml") is not None


def measure(rows_list, features: int, folder: Path, timeout: float, log=print,
            cases=None) -> list[dict]:
    """The cases (default: all, dask-ml if installed) at every size; each result gets
    ``max_coef_diff`` against the in-memory fit (which runs first whenever it is listed)."""
    cases = [c for c in (cases or CASES) if c != "dask-ml" or dask_ml_installed()]
    results = []
    for rows in rows_list:
        x_path, y_path = write_data(folder, rows, features)
        reference = None
        for case in cases:
            out = folder / f"theta_{case}_{rows}.npy"
            log(f"{rows:>10,} rows  {case:<9}", end=" ", flush=True)
            separate = case in ("dask", "dask-ml")
            result = _child(case, x_path, y_path, out, timeout, trace=not separate)
            if separate and "error" not in result:
                traced = _child(case, x_path, y_path, out, timeout, trace=True)
                result["peak_traced_bytes"] = traced.get("peak_traced_bytes")
                result["traced_seconds"] = traced.get("seconds")
                if "error" in traced:
                    result = traced
            result.update(rows=rows, features=features, data_bytes=rows * features * 8)
            if "error" not in result:
                theta = np.load(out)
                reference = theta if case == "memory" else reference
                if reference is not None:
                    result["max_coef_diff"] = float(np.abs(theta - reference).max())
                log(f"{result['seconds']:8.2f} s  peak {result['peak_traced_bytes'] / 1e6:8.1f} MB")
            else:
                log(f"failed: {result['error']}")
            results.append(result)
        x_path.unlink()
        y_path.unlink()
    return results


def markdown_table(results: list[dict]) -> str:
    """The results as a Markdown table (one row per size and case); Δcoef is the largest
    absolute difference of any coefficient from the in-memory fit's at that size.

    >>> print(markdown_table([{"rows": 1000, "features": 100, "data_bytes": 800000,
    ...     "case": "memory", "seconds": 1.5, "peak_traced_bytes": 2e6, "steps": 6,
    ...     "max_coef_diff": 0.0}]))
    | rows | data | case | fit time | s per 10⁶ rows | peak traced | steps | Δcoef |
    |---:|---:|:--|---:|---:|---:|---:|---:|
    | 1,000 | 0.8 MB | memory | 1.50 s | 1500.00 | 2.0 MB | 6 | 0 |
    """
    lines = ["| rows | data | case | fit time | s per 10⁶ rows | peak traced | steps | Δcoef |",
             "|---:|---:|:--|---:|---:|---:|---:|---:|"]
    for r in results:
        data = f"{r['data_bytes'] / 1e6:,.1f} MB"
        if "error" in r:
            lines.append(f"| {r['rows']:,} | {data} | {r['case']} | {r['error']} | | | | |")
            continue
        diff = r.get("max_coef_diff")
        lines.append(
            f"| {r['rows']:,} | {data} | {r['case']} | {r['seconds']:.2f} s "
            f"| {r['seconds'] / r['rows'] * 1e6:.2f} | {r['peak_traced_bytes'] / 1e6:,.1f} MB "
            f"| {r['steps'] if r['steps'] is not None else '–'} "
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


def main(argv=None) -> int:
    """The command line (see the module docstring)."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.scale", description=(
        "Fit time and peak memory against rows: in memory, streamed, Dask, dask-ml."))
    parser.add_argument("--rows", help="comma-separated row counts (default: 1e5 ... 3e6)")
    parser.add_argument("--features", type=int, default=FEATURES)
    parser.add_argument("--quick", action="store_true", help="tiny sizes")
    parser.add_argument("--cases", help=f"comma-separated subset of {', '.join(CASES)}")
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds per case")
    parser.add_argument("--results", type=Path, default=REPO_ROOT / "benchmarks" / "results")
    parser.add_argument("--doc", type=Path, default=None,
                        help="a page whose scale-table section is replaced (docs/scale.md)")
    parser.add_argument("--case", choices=CASES, help=argparse.SUPPRESS)
    parser.add_argument("--x", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--y", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--trace", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.case:  # one measurement, in a fresh process started by measure()
        print(json.dumps(run_case(args.case, args.x, args.y, args.out, args.trace)))
        return 0
    rows = QUICK_ROWS if args.quick else FULL_ROWS
    if args.rows:
        rows = tuple(int(float(part)) for part in args.rows.split(","))
    features = 10 if args.quick else args.features
    with tempfile.TemporaryDirectory(prefix="tinygrad-lr-scale-") as folder:
        start = time.perf_counter()
        cases = None if args.cases is None else [c.strip() for c in args.cases.split(",")]
        unknown = sorted(set(cases or ()) - set(CASES))
        if unknown:
            parser.error(f"unknown case(s) {unknown}; choose from {', '.join(CASES)}")
        results = measure(rows, features, Path(folder), args.timeout, cases=cases)
        total = time.perf_counter() - start
    table = markdown_table(results)
    name = "scale-quick" if args.quick else "scale"
    args.results.mkdir(parents=True, exist_ok=True)
    (args.results / f"{name}.json").write_text(json.dumps(
        {"results": results, "seconds": total, "cpus": os.cpu_count()}, indent=1) + "\n")
    (args.results / f"{name}.md").write_text(table + "\n", encoding="utf-8")
    print("\n" + table + f"\n\n{total:.0f} s in all on {os.cpu_count()} CPUs")
    if args.doc is not None and not args.quick:
        print(f"updated {args.doc}" if update_doc(args.doc, table)
              else f"{args.doc} has no {BEGIN} section")
    return 0


if __name__ == "__main__":
    sys.exit(main())
