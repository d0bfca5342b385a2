"""benchmarks/scale.py computes what it claims at a tiny size: every case fits the same
coefficients, the table and the page section are written. No timing is asserted."""

import doctest
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # benchmarks/ is a folder of the repository, not installed
    sys.path.insert(0, str(ROOT))

from benchmarks import scale  # noqa: E402


def test_docstring_examples():
    result = doctest.testmod(scale, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0


def test_written_data_are_the_promised_shapes_and_labels(tmp_path):
    x_path, y_path = scale.write_data(tmp_path, 120, 7)
    X, y = np.load(x_path), np.load(y_path)
    assert X.shape == (120, 7) and y.shape == (120,)
    assert set(np.unique(y)) == {0, 1}


def test_the_cases_fit_the_in_memory_coefficients(tmp_path, monkeypatch):
    """The numpy cases in fresh processes (the Dask path: tests/models/test_scale_dask.py)."""
    monkeypatch.setattr(scale, "CASES", ("memory", "streamed"))
    results = scale.measure([600], 4, tmp_path, timeout=300, log=lambda *a, **k: None)
    assert [r["case"] for r in results] == ["memory", "streamed"]
    for result in results:
        assert "error" not in result, result
        assert result["max_coef_diff"] < 1e-8
        assert result["peak_traced_bytes"] > 0 and result["seconds"] > 0
    table = scale.markdown_table(results)
    assert table.count("\n") == 3 and "| 600 | 0.0 MB | streamed |" in table


def test_update_doc_replaces_only_the_marked_section(tmp_path):
    page = tmp_path / "page.md"
    page.write_text(f"before\n{scale.BEGIN}\nold\n{scale.END}\nafter\n", encoding="utf-8")
    assert scale.update_doc(page, "| new |")
    assert page.read_text(encoding="utf-8") == (
        f"before\n{scale.BEGIN}\n| new |\n{scale.END}\nafter\n")
    assert not scale.update_doc(tmp_path / "missing.md", "x")
