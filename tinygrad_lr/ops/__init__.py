"""The built-in ops. Each module registers its ops through the public registry on import,
exactly as a user's op would: primitives with :func:`tinygrad_lr.op`, compositions of them
with :func:`tinygrad_lr.composite`."""

from . import (  # noqa: F401
    arithmetic,
    comparison,
    contractions,
    cumulative,
    decompositions,
    elementwise,
    exponential,
    index_tricks,
    linalg,
    losses,
    numpy_extras,
    reductions,
    reshaping,
    rounding,
    selection,
    shape,
    softmax,
    spectral,
    statistics,
    trigonometric,
)
