"""The derivation check at saturated and invalid values: no crash, honest differences."""

import numpy as np
import pytest

from tinygrad_lr.models.derivation import GradientTable, Row, check_batch, check_example


@pytest.mark.parametrize("w1", [40.0, -40.0, 400.0, -800.0])
@pytest.mark.parametrize("y", [0.0, 1.0])
def test_logits_form_agrees_at_any_logit(w1, y):
    table = check_example([1.0, 2.0], [w1, -0.2], 0.1, y, loss="logits")
    assert table.max_abs_diff < 1e-12 and not table.note


def test_sigmoid_form_explains_where_a_probability_cannot_carry_the_gradient():
    table = check_example([1.0, 2.0], [40.0, -0.2], 0.1, 0.0)
    assert np.isfinite(table.max_abs_diff) and table["dz"].abs_diff == 1.0
    assert "z > 36.7" in table.note and "'logits' form" in str(table)
    fine = check_example([1.0, 2.0], [-40.0, -0.2], 0.1, 1.0)
    assert fine.max_abs_diff < 1e-12 and not fine.note


def test_batch_sigmoid_form_at_large_weights_notes_saturation():
    X = np.array([[1.0, 0.0], [0.0, 1.0]])
    table = check_batch(X, [50.0, -50.0], 0.0, [0.0, 1.0])
    assert table.note and np.isfinite(table.max_abs_diff)


def test_max_abs_diff_does_not_hide_nan():
    rows = [Row("a", np.array(1.0), np.array(1.0), 0.0), Row("b", np.nan, np.nan, float("nan"))]
    assert np.isnan(GradientTable(rows).max_abs_diff)
