"""Run the examples in every docstring of the package as tests."""

import doctest
import importlib
import pkgutil

import pytest

import tinygrad_lr

MODULES = sorted(
    name for _, name, _ in pkgutil.walk_packages(tinygrad_lr.__path__, "tinygrad_lr.")
    if not name.endswith("__main__")
)


@pytest.mark.parametrize("module_name", MODULES)
def test_docstring_examples(module_name):
    module = importlib.import_module(module_name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0, f"{result.failed} doctest(s) failed in {module_name}"


@pytest.mark.parametrize("op_name", sorted(tinygrad_lr.registered_ops()))
def test_every_op_docstring_has_a_working_example(op_name):
    op = tinygrad_lr.get_op(op_name)
    test = doctest.DocTestParser().get_doctest(
        op.__doc__, {"tg": tinygrad_lr}, op_name, None, 0)
    assert test.examples, f"op '{op_name}' has no example in its docstring"
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    runner.run(test)
    assert runner.summarize(verbose=False).failed == 0
