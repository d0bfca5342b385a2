"""benchmarks/scale.py computes what it claims at a tiny size: the data it writes is the data
the workers make, every case fits the same coefficients, the table and the page section are
written. No timing is asserted."""

import doctest
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # benchmarks/ is a folder of the repository, not installed
    sys.path.insert(0, str(ROOT))

from benchmarks import scale  # noqa: E402


def test_docstring_examples():
    result = doctest.testmod(scale, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0


def test_written_data_is_the_data_the_workers_make(tmp_path, monkeypatch):
    monkeypatch.setattr(scale, "BLOCK_ROWS", 50)
    x_path, y_path = scale.write_data(tmp_path, 120, 7)
    X, y = np.load(x_path), np.load(y_path)
    assert X.shape == (120, 7) and y.shape == (120,)
    assert set(np.unique(y)) == {0, 1}
    X_made, y_made = scale.numpy_data(120, 7, 50)
    np.testing.assert_array_equal(X, X_made)
    np.testing.assert_array_equal(y, y_made)
    pytest.importorskip("dask", reason="dask is not installed")
    X_lazy, y_lazy = scale.lazy_dask_data(120, 7, 50)
    assert X_lazy.chunks[0] == (50, 50, 20)
    np.testing.assert_array_equal(X_lazy.compute(scheduler="sync"), X)
    np.testing.assert_array_equal(y_lazy.compute(scheduler="sync"), y)


def test_the_numpy_cases_fit_the_in_memory_coefficients(tmp_path):
    """The numpy cases in their fresh processes (the Dask cases start clusters: they are
    tests/models/test_scale_cluster.py's)."""
    results = scale.measure([600], 4, tmp_path, timeout=300, log=lambda *a, **k: None,
                            cases=["memory", "streamed"], solvers=["newton"])
    assert [(r["case"], r["solver"]) for r in results] == [("memory", "newton"),
                                                           ("streamed", "newton")]
    for result in results:
        assert "error" not in result, result
        assert result["max_coef_diff"] < 1e-8
        assert result["client_peak_bytes"] > 0 and result["seconds"] > 0
    table = scale.markdown_table(results)
    assert table.count("\n") == 3 and "| 600 | 0.0 MB | streamed | newton |" in table


def test_runs_pair_the_cases_with_their_solvers():
    assert ("dask-streamed", "lbfgs") not in scale.runs()
    assert scale.runs(["dask-lazy"], None) == [("dask-lazy", "newton"), ("dask-lazy", "lbfgs")]


def test_update_doc_replaces_only_the_marked_section(tmp_path):
    page = tmp_path / "page.md"
    page.write_text(f"before\n{scale.BEGIN}\nold\n{scale.END}\nafter\n", encoding="utf-8")
    assert scale.update_doc(page, "| new |")
    assert page.read_text(encoding="utf-8") == (
        f"before\n{scale.BEGIN}\n| new |\n{scale.END}\nafter\n")
    assert not scale.update_doc(tmp_path / "missing.md", "x")
