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
# Their examples draw SVG, which needs Graphviz's dot or the pip-only renderer (Python 3.11+).
NEED_A_RENDERER = {"tinygrad_lr.viz.backends", "tinygrad_lr.viz.steps"}


@pytest.mark.parametrize("module_name", MODULES)
def test_docstring_examples(module_name):
    if module_name in NEED_A_RENDERER and not tinygrad_lr.viz.renderers():
        pytest.skip("its examples draw SVG: no Graphviz 'dot' and no pip-only renderer here")
    module = importlib.import_module(module_name)
    ops_before = set(tinygrad_lr.registered_ops())
    try:
        result = doctest.testmod(
            module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    finally:
        # Ops registered by an example (registry.py's cube_demo) must not leak into later
        # tests, e.g. the docs site's check that its op table equals the registry.
        for name in set(tinygrad_lr.registered_ops()) - ops_before:
            tinygrad_lr.registry.unregister_op(name)
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
