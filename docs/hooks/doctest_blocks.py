"""MkDocs hook: show the docstrings' doctest examples as Python code on the site.

The package's docstrings follow Python's convention (``>>>`` lines, run as tests by
tests/test_doctests.py); plain Markdown would turn them into nested quotes. This hook adds
a Markdown preprocessor that fences each run of doctest lines (up to the next blank line)
as a ``pycon`` code block, in pages and in the API reference alike.
"""

from __future__ import annotations

import re

from markdown import Extension
from markdown.preprocessors import Preprocessor

PROMPT = re.compile(r"^(\s*)>>> ")


class DoctestFences(Preprocessor):
    """Wrap each block of ``>>>`` lines and their expected output in a code fence."""

    def run(self, lines: list[str]) -> list[str]:
        out: list[str] = []
        fenced = False
        block: list[str] = []
        indent = ""
        for line in lines:
            if line.lstrip().startswith("```"):
                fenced = not fenced
            if block:
                if line.strip():
                    block.append(line[len(indent):] if line.startswith(indent) else line)
                    continue
                out += [f"{indent}```pycon", *(indent + b for b in block), f"{indent}```", line]
                block = []
                continue
            match = None if fenced else PROMPT.match(line)
            if match:
                indent = match.group(1)
                block = [line[len(indent):]]
            else:
                out.append(line)
        if block:
            out += [f"{indent}```pycon", *(indent + b for b in block), f"{indent}```"]
        return out


class DoctestFencesExtension(Extension):
    def extendMarkdown(self, md) -> None:  # noqa: N802 (Markdown's API name)
        # Before fenced_code (priority 25) so the new fences are read as code.
        md.preprocessors.register(DoctestFences(md), "doctest_fences", 28)


def on_config(config):
    config.markdown_extensions.append(DoctestFencesExtension())
    return config
