"""Run the tutorial's code and write what it prints and draws back into the docs.

    python docs/make_tutorial.py           # rewrite docs/tutorial.md outputs, pictures, notebook
    python docs/make_tutorial.py --check   # exit 1 if any of them is out of date

Every ```python block of docs/tutorial.md runs in order, in one namespace, in a scratch
folder whose ``out`` is the picture folder docs/images/tutorial/, so a picture the code
writes (``viz.render(L, "out/forward.png")``, as a learner's run writes it into ``out/``)
is the picture the page shows. What a block
prints goes into the ```text block right after it (added, replaced or removed as needed).
examples/tutorial.ipynb is the same tutorial as a notebook: the prose and the code cells,
with ``viz.draw`` (shown inline by Jupyter) where the page writes a picture file.

Needs the Graphviz ``dot`` program (the pictures are PNG) and matplotlib.
"""

from __future__ import annotations

import argparse
import contextlib
import difflib
import io
import json
import os
import re
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TUTORIAL = ROOT / "docs" / "tutorial.md"
IMAGES = ROOT / "docs" / "images" / "tutorial"
NOTEBOOK = ROOT / "examples" / "tutorial.ipynb"

FENCE = re.compile(r"^```(\w*)\s*$")
IMAGE_LINK = re.compile(r"!\[[^\]]*\]\(images/tutorial/([^)\s]+)\)")
FILE_LINK = re.compile(r"\]\(images/tutorial/([^)\s#]+)")
# A picture line of the page; in the notebook it becomes viz.draw(...) without the file.
RENDER_LINE = re.compile(r'^(\s*)viz\.render\((\w+), "[^"]+"(.*)\)(\s*#.*)?$')
# A frame written to a file (``board[5].render("board_dz.png")``); the notebook shows it.
FRAME_RENDER_LINE = re.compile(r'^(\s*)([\w\[\]\.\-]+)\.render\("[^"]+"\)(\s*#.*)?$')


@dataclass
class Segment:
    """A piece of the page: ``kind`` is "markdown", "code" (python) or "output" (text)."""

    kind: str
    text: str


def parse(page: str) -> list[Segment]:
    """Split the page into prose, python code blocks and the output block after each."""
    segments: list[Segment] = []
    prose: list[str] = []
    lines = page.split("\n")
    i = 0
    while i < len(lines):
        match = FENCE.match(lines[i])
        language = match.group(1) if match else None
        is_output = (language == "text" and segments and segments[-1].kind == "code"
                     and not "".join(prose).strip())
        if language == "python" or is_output:
            end = next((j for j in range(i + 1, len(lines)) if lines[j].startswith("```")), None)
            if end is None:
                raise ValueError(f"tutorial.md line {i + 1}: the code block is never closed")
            if prose and not is_output:
                segments.append(Segment("markdown", "\n".join(prose)))
            prose = []
            kind = "code" if language == "python" else "output"
            segments.append(Segment(kind, "\n".join(lines[i + 1:end])))
            i = end + 1
            continue
        prose.append(lines[i])
        i += 1
    if prose:
        segments.append(Segment("markdown", "\n".join(prose)))
    return segments


def run(segments: list[Segment], workdir: Path) -> list[str]:
    """Execute the code blocks in order in ``workdir``; return what each one printed."""
    import numpy as np

    os.environ.setdefault("MPLBACKEND", "Agg")
    namespace = {"__name__": "__tutorial__"}
    outputs = []
    previous = Path.cwd()
    workdir.mkdir(parents=True, exist_ok=True)
    scratch = tempfile.TemporaryDirectory()
    (Path(scratch.name) / "out").symlink_to(workdir.resolve(), target_is_directory=True)
    os.chdir(scratch.name)
    try:
        for number, segment in enumerate((s for s in segments if s.kind == "code"), 1):
            buffer = io.StringIO()
            # np.printoptions() restores numpy's print settings, should a block change them.
            with contextlib.redirect_stdout(buffer), np.printoptions():
                try:
                    exec(compile(segment.text, f"<tutorial block {number}>", "exec"), namespace)
                except Exception as error:
                    raise RuntimeError(f"tutorial code block {number} failed: {error!r}\n"
                                       f"{segment.text}") from error
            outputs.append(buffer.getvalue().rstrip("\n"))
    finally:
        os.chdir(previous)
        scratch.cleanup()
        with contextlib.suppress(ImportError):
            import matplotlib.pyplot as plt

            plt.close("all")
    return outputs


def page_text(segments: list[Segment], outputs: list[str]) -> str:
    """The page with each code block followed by its (fresh) output block."""
    parts: list[str] = []
    code_outputs = iter(outputs)
    for segment in segments:
        if segment.kind == "markdown":
            parts.append(segment.text)
        elif segment.kind == "code":
            output = next(code_outputs)
            block = f"```python\n{segment.text}\n```"
            parts.append(f"{block}\n\n```text\n{output}\n```" if output else block)
    return "\n".join(parts)


def _notebook_markdown(text: str) -> str:
    text = IMAGE_LINK.sub("", text)
    # A page the code writes is linked where the notebook's own run writes it: out/.
    text = re.sub(r"\]\(images/tutorial/([\w.-]+\.html)", r"](out/\1", text)
    # Links between pages: the notebook lives in examples/, the pages in docs/.
    text = re.sub(r"\]\((?!https?:|#|\.\./)([\w./-]+\.md)", r"](../docs/\1", text)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def _notebook_code(text: str) -> str:
    lines = []
    for line in text.split("\n"):
        match = RENDER_LINE.match(line)
        frame = FRAME_RENDER_LINE.match(line)
        if match:
            line = f"{match.group(1)}viz.draw({match.group(2)}{match.group(3)})"
        elif frame:
            line = f"{frame.group(1)}display({frame.group(2)})"
        lines.append(line)
    return "\n".join(lines)


def notebook(segments: list[Segment]) -> str:
    """The tutorial as a Jupyter notebook (nbformat 4, no outputs), as JSON text."""
    intro = ("*This notebook is generated from `docs/tutorial.md` by "
             "`docs/make_tutorial.py`: edit the page, not the notebook. Run the cells in "
             "order; the pictures need Graphviz (`tinygrad-lr[viz]` and the `dot` program, "
             "or `tinygrad-lr[svg]`).*")
    cells = [("markdown", intro)]
    for segment in segments:
        if segment.kind == "markdown":
            text = _notebook_markdown(segment.text)
            if text:
                cells.append(("markdown", text))
        elif segment.kind == "code":
            cells.append(("code", _notebook_code(segment.text)))
    cells.extend(NOTEBOOK_ENDING)
    document = {
        "cells": [_cell(kind, source, number) for number, (kind, source) in enumerate(cells)],
        "metadata": {
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "language_info": {"name": "python"},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    return json.dumps(document, indent=1, ensure_ascii=False) + "\n"


# The notebook ends with what only a notebook can show: the board live, and the
# step-through page inline with its buttons and keys.
NOTEBOOK_ENDING = [
    ("markdown", "## The board, live\n\nMove a slider: the board is built again and goes "
                 "through the engine's forward, backward and update `w := w − α·dw` "
                 "(needs ipywidgets, which `make notebook` installs)."),
    ("code", "viz.live_board()"),
    ("markdown", "## The lecture, step by step\n\nThe page to project, inline: Next/Prev "
                 "or the arrow keys; `p` asks for each number before showing it, `q` "
                 "lets you type it."),
    ("code", 'viz.step_through(viz.lecture_example(backward=False)["L"], view="lecture", '
             "lr=0.1)"),
]


def _cell(kind: str, source: str, number: int) -> dict:
    cell = {"cell_type": kind, "id": f"cell-{number:02d}", "metadata": {},
            "source": source.splitlines(keepends=True)}
    if kind == "code":
        cell.update(execution_count=None, outputs=[])
    return cell


def pictures(page: str) -> list[str]:
    """The files of docs/images/tutorial/ the page shows or links to, in order."""
    return list(dict.fromkeys(FILE_LINK.findall(page)))


def build(workdir: Path) -> tuple[str, str]:
    """Run the tutorial in ``workdir``; return the fresh page and notebook texts.

    Raises RuntimeError if the page shows a picture its code did not write.
    """
    segments = parse(TUTORIAL.read_text(encoding="utf-8"))
    outputs = run(segments, workdir)
    page = page_text(segments, outputs)
    missing = [name for name in pictures(page) if not (workdir / name).exists()]
    if missing:
        raise RuntimeError(f"tutorial.md shows {missing}, but its code did not write them")
    return page, notebook(parse(page))


def _diff(old: str, new: str, name: str) -> str:
    return "".join(difflib.unified_diff(old.splitlines(True), new.splitlines(True),
                                        f"{name} (committed)", f"{name} (code today)"))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="change nothing; exit 1 if the page or notebook is out of date")
    args = parser.parse_args(argv)
    if args.check:
        with tempfile.TemporaryDirectory() as scratch:
            page, book = build(Path(scratch))
        stale = [_diff(path.read_text(encoding="utf-8") if path.exists() else "", new,
                       path.relative_to(ROOT).as_posix())
                 for path, new in ((TUTORIAL, page), (NOTEBOOK, book))]
        stale = [d for d in stale if d]
        for difference in stale:
            print(difference)
        return 1 if stale else 0
    IMAGES.mkdir(parents=True, exist_ok=True)
    before = {p.name for p in IMAGES.glob("*")}
    page, book = build(IMAGES)
    TUTORIAL.write_text(page, encoding="utf-8")
    NOTEBOOK.write_text(book, encoding="utf-8")
    shown = set(pictures(page))
    for name in sorted({p.name for p in IMAGES.glob("*")} - shown):
        (IMAGES / name).unlink()  # files the code writes but the page does not show
    print(f"wrote {TUTORIAL.relative_to(ROOT)}, {NOTEBOOK.relative_to(ROOT)} and "
          f"{len(shown)} pictures in {IMAGES.relative_to(ROOT)}"
          + (f" (removed {sorted(before - shown)})" if before - shown else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
