"""The live board in Jupyter: sliders redraw the board through the engine."""

import math
import sys

import pytest

from tinygrad_lr import viz
from tinygrad_lr.viz.labels import format_number


def test_sliders_redraw_the_board_with_the_engines_numbers():
    pytest.importorskip("ipywidgets", reason="the live board needs ipywidgets (notebook extra)")
    if not viz.renderers():
        pytest.skip("no SVG renderer (Graphviz or tinygrad-lr[svg]) installed")
    board = viz.live_board(w1=0.3)
    sliders = {s.description: s for s in board.children[0].children}
    assert set(sliders) == {"x1", "x2", "y", "w1", "w2", "b", "α"} and sliders["w1"].value == 0.3
    sliders["w1"].value = 0.9
    sliders["α"].value = 0.5
    shown = board.children[1].value
    # By hand: z = 0.9·1 − 0.2·2 + 0.1, dz = σ(z) − 1, w1 := 0.9 − 0.5·dz.
    dz = 1 / (1 + math.exp(-(0.9 - 0.4 + 0.1))) - 1
    assert f"dw1 = x1·dz = 1·({format_number(dz)}) = {format_number(dz)}" in shown
    assert f"= {format_number(0.9 - 0.5 * dz)}" in shown and "<svg" in shown
    with pytest.raises(TypeError, match="no slider 'q'"):
        viz.live_board(q=1.0)
    with pytest.raises(ValueError, match="y must be from 0.0 to 1.0"):
        viz.live_board(y=2.0)


def test_without_ipywidgets_it_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "ipywidgets", None)
    shown = viz.live_board()
    assert "tinygrad-lr[notebook]" in repr(shown) and "<b>" in shown._repr_html_()
