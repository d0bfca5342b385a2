"""Every submodule is reachable as ``tg.<name>`` after ``import tinygrad_lr as tg``, lazily."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import tinygrad_lr as tg

DOCUMENTED = ["functional", "nn", "optim", "models", "viz", "datasets", "cli", "registry",
              "autograd", "grad_mode", "derivatives"]  # (tg.gradcheck is the function)
HEAVY = ["tinygrad_lr.functional", "tinygrad_lr.nn", "tinygrad_lr.optim", "tinygrad_lr.models",
         "tinygrad_lr.viz", "tinygrad_lr.datasets", "tinygrad_lr.cli"]


def _run(code: str):
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_submodules_are_attributes_in_a_fresh_interpreter_and_load_only_when_used():
    found = _run(
        "import json, sys\n"
        "import tinygrad_lr as tg\n"
        f"heavy = {HEAVY!r}\n"
        "before = [m for m in heavy if m in sys.modules]\n"
        "names = [tg.functional.mse_loss.__name__, tg.nn.Linear.__name__,\n"
        "         tg.optim.SGD.__name__, tg.models.LogisticRegression.__name__,\n"
        "         tg.datasets.load_breast_cancer.__name__, tg.viz.__name__, tg.cli.main.__name__]\n"
        "print(json.dumps({'before': before, 'names': names}))\n"
    )
    assert found["before"] == []  # import tinygrad_lr imported none of them
    assert found["names"] == ["mse_loss", "Linear", "SGD", "LogisticRegression",
                              "load_breast_cancer", "tinygrad_lr.viz", "main"]


@pytest.mark.parametrize("name", DOCUMENTED)
def test_each_documented_submodule_is_an_attribute(name):
    module = getattr(tg, name)
    assert module.__name__ == f"tinygrad_lr.{name}"
    assert name in dir(tg)


def test_unknown_names_and_the_entry_point_are_not_attributes():
    with pytest.raises(AttributeError, match="has no attribute 'no_such_thing'"):
        tg.no_such_thing  # noqa: B018
    with pytest.raises(AttributeError):
        tg.__main__  # noqa: B018
