"""MkDocs hook: fill the op table of api.md from the live registry at build time.

Ops are registered at import time, so a static reader of the source (mkdocstrings) cannot
list them; this hook asks the registry itself, so the table never lags behind the code.
"""

from __future__ import annotations

import html

MARKER = "<!-- registered-ops -->"


def _cell(text) -> str:
    return html.escape(str(text or "")).replace("|", "&#124;").replace("\n", " ")


def _method_names(name: str) -> str:
    # The registry keeps which Tensor method belongs to which op only in this table; it is
    # read, never written, here.
    from tinygrad_lr.registry import _ATTACHED_METHODS

    methods = sorted(m for m, owner in _ATTACHED_METHODS.items() if owner == name)
    return ", ".join(f"`{m}`" for m in methods)


def op_table() -> str:
    """A Markdown table of every registered op: name, methods, label, derivative, domain."""
    import tinygrad_lr as tg

    rows = ["| op | Tensor method / operator | label | local derivative | inputs' domain "
            "| what it computes |", "|---|---|---|---|---|---|"]
    for name, found in tg.registered_ops().items():
        domain = ", ".join(d.text for d in found.domain) if found.domain else ""
        summary = (found.__doc__ or "").strip().split("\n\n")[0]
        rows.append(f"| `{name}` | {_method_names(name)} | {_cell(found.label)} "
                    f"| {_cell(found.formula)} | {_cell(domain)} | {_cell(summary)} |")
    return "\n".join(rows)


def on_page_markdown(markdown: str, page, config, files) -> str:
    if MARKER not in markdown:
        return markdown
    return markdown.replace(MARKER, op_table())
