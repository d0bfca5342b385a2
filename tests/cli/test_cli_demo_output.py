"""What the demo prints and draws: which number is the objective and which the mean
cross-entropy, a progress bar whose total does not move, the loss curve on log axes."""

import io
import math
import re

import numpy as np
import pytest

from tinygrad_lr.cli import main
from tinygrad_lr.cli.progress import ProgressBar
from tinygrad_lr.models import load_model


def test_demo_names_the_objective_and_the_mean_cross_entropy(capsys, tmp_path):
    assert main(["demo", "--output-dir", str(tmp_path), "--no-progress", "--solver", "newton",
                 "--l2", "0.05"]) == 0
    out = capsys.readouterr().out
    objective = float(re.search(r"^objective\s+(\d\.\d+)  mean BCE \+ L2 penalty", out,
                                re.M).group(1))
    mean_bce = float(re.search(r"^mean BCE\s+(\d\.\d+)  without the penalty", out,
                               re.M).group(1))
    checked_j = float(re.search(r"^J\s+J = mean\(L\(A, Y\)\)\s+(\S+)", out, re.M).group(1))
    assert mean_bce == pytest.approx(checked_j, abs=1e-6)
    # The difference is the penalty l2/2·||w||², from the saved weights (plain numpy).
    w = load_model(tmp_path / "model.safetensors").model.coef_.ravel()
    assert objective - mean_bce == pytest.approx(0.05 / 2 * w @ w, abs=2e-6)
    assert "trained in" in out and "(converged before --max-iter 1000)" in out


def test_tqdm_bar_keeps_its_total_when_training_stops_early():
    pytest.importorskip("tqdm")
    out = io.StringIO()
    with ProgressBar(1000, "training", stream=out) as bar:
        for epoch in range(1, 496):
            bar.update(epoch, 1.0 / epoch)
    text = out.getvalue()
    assert "495/1000" in text and "stopped early" in text
    assert "/495" not in text


def test_text_bar_that_runs_to_the_end_says_nothing_about_stopping():
    out = io.StringIO()
    with ProgressBar(5, "training", stream=out, use_tqdm=False) as bar:
        for epoch in range(1, 6):
            bar.update(epoch, 0.5)
    assert out.getvalue().splitlines()[-1] == "training [" + "#" * 30 + "] 5/5 loss 0.5000"
    assert "stopped early" not in out.getvalue()


def test_loss_curve_shows_the_objective_and_its_distance_to_the_end_on_log_axes():
    pytest.importorskip("matplotlib")
    import matplotlib.pyplot as plt

    from tinygrad_lr.cli.demo import loss_curve_figure

    history = [0.3, 0.2, 0.15, 0.125, 0.1125]
    figure = loss_curve_figure(history, "gd")
    try:
        left, right = figure.axes
        assert left.get_yscale() == right.get_yscale() == "log"
        x, y = left.lines[0].get_data()
        assert list(x) == [0, 1, 2, 3, 4, 5] and y[0] == pytest.approx(math.log(2))
        x, y = right.lines[0].get_data()  # the last point (distance 0) cannot be on a log axis
        assert list(x) == [0, 1, 2, 3, 4]
        assert y == pytest.approx(np.array([math.log(2), *history[:-1]]) - history[-1])
    finally:
        plt.close(figure)
