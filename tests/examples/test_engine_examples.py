"""The engine's examples run and print the numbers they promise."""

import re
import runpy
import sys
from pathlib import Path
from unittest import mock

import numpy as np

from tinygrad_lr.registry import registered_ops, unregister_op

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def run_example(name, capsys):
    # As `python examples/<name>` runs it: the script parses its own (empty) command line.
    # Ops the script registers are removed after it, as its own process would end: later
    # tests (the docs' op table) see the package's registry alone.
    before = set(registered_ops())
    try:
        with mock.patch.object(sys, "argv", [str(EXAMPLES / name)]):
            runpy.run_path(str(EXAMPLES / name), run_name="__main__")
    finally:
        for added in set(registered_ops()) - before:
            unregister_op(added)
    return capsys.readouterr().out


def test_lecture_example_prints_matching_gradients(capsys):
    out = run_example("lecture_example.py", capsys)
    rows = re.findall(r"^(da|dz|dw1|dw2|db)\s+(\S+)\s+(\S+)\s+(\S+)$", out, re.M)
    assert [r[0] for r in rows] == ["da", "dz", "dw1", "dw2", "db"]
    a = 1 / (1 + np.exp(-0.2))
    expected = {"da": -1 / a, "dz": a - 1, "dw1": a - 1, "dw2": 2 * (a - 1), "db": a - 1}
    for name, hand, engine, diff in rows:
        assert abs(float(hand) - expected[name]) < 1e-9
        assert abs(float(engine) - expected[name]) < 1e-9
        assert float(diff) < 1e-12


def test_custom_op_example_gradchecks(capsys):
    out = run_example("custom_op.py", capsys)
    assert "gradcheck: True" in out and "gradgradcheck: True" in out
    engine = re.search(r"d/dx \(engine\) = \[(.*)\]", out).group(1).split()
    closed = re.search(r"1/\(1\+\|x\|\)\^2   = \[(.*)\]", out).group(1).split()
    np.testing.assert_allclose([float(v) for v in engine], [float(v) for v in closed])
    x = np.array([-2, -0.5, 0, 1.5])
    np.testing.assert_allclose([float(v) for v in engine], 1 / (1 + np.abs(x)) ** 2, atol=1e-6)
