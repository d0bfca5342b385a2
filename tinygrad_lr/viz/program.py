"""DOT text for a traced program (:class:`tinygrad_lr.compiler.Program`).

The forward steps and the backward steps are drawn as two boxed graphs side by side, in
the styles of the other views: parameters (differentiated inputs) light blue, other
inputs and constants grey and dashed, steps white, the program's results light orange.
Backward steps are drawn with a dark red border, the colour gradients have everywhere.
"""

from __future__ import annotations

from .dot import FONT, GRAD_COLOR, NOTE_COLOR, STYLES, wrap
from .graph import INPUT, OP, OUTPUT, PARAMETER
from .labels import format_shape, html, quote


def program_dot(program, title: str | None = None) -> str:
    """The DOT source of ``program``: inputs, the forward pass, the backward pass, results.

    >>> import numpy as np
    >>> import tinygrad_lr as tg
    >>> step = tg.value_and_grad(lambda w: (w * w).sum())
    >>> _ = step(np.ones(2))
    >>> source = program_dot(step.program())
    >>> "cluster_forward" in source and "cluster_backward" in source
    True
    """
    ids = {}
    for v in program.inputs:
        ids[v] = f"a{v.index}"
    for v in program.steps:
        ids[v] = f"v{v.index}"
    differentiated = set(program.wrt)
    results = {v: position for position, v in enumerate(program.outputs)}
    lines = [
        f'graph [rankdir=TB, fontname="{FONT}", fontsize=11, nodesep=0.25, ranksep=0.35, '
        'bgcolor="white", labelloc=t, labeljust=l, newrank=true]',
        f'node [shape=box, style="rounded,filled", fontname="{FONT}", fontsize=10, '
        'margin="0.08,0.04", penwidth=1.2]',
        f'edge [color="#555555", arrowsize=0.6, fontname="{FONT}", fontsize=9]',
    ]
    if title:
        lines.append(f"label=<<B>{html(title)}</B>>")
    for v in program.inputs:
        kind = PARAMETER if v in differentiated else INPUT
        lines.append(_box(ids[v], f"<B>{html(v.name or ids[v])}</B>", v, kind))
    for phase, caption in (("forward", "forward pass"), ("backward", "backward pass")):
        steps = [s for s in program.steps if s.phase == phase]
        if not steps:
            continue
        lines.append(f"subgraph cluster_{phase} {{")
        lines.append(f'label=<<B>{caption}</B> ({len(steps)} steps)>; style="rounded"; '
                     f'color="{GRAD_COLOR if phase == "backward" else "#888888"}"; '
                     f'fontcolor="{GRAD_COLOR if phase == "backward" else "#333333"}"')
        for s in steps:
            kind = OUTPUT if s in results else OP
            border = GRAD_COLOR if phase == "backward" else None
            lines.append(_box(ids[s], f"{html(s.op.label)}", s, kind, border,
                              _result_note(results.get(s), program)))
        lines.append("}")
    constants = 0
    for s in program.steps:
        for arg in s.args:
            if arg in ids:
                lines.append(f"{ids[arg]} -> {ids[s]}")
                continue
            constants += 1
            name = f"k{constants}"
            lines.append(f'{name} [label=<{html(_constant_text(arg))}>, shape=plain, '
                         f'fontcolor="{NOTE_COLOR}", fontsize=9]')
            lines.append(f'{name} -> {ids[s]} [style=dashed, color="#aaaaaa"]')
    for v, position in results.items():
        if v not in ids:  # a constant or an input returned as it is
            continue
        if v.phase == "input":
            lines.append(_result_line(ids[v], position, program))
    return wrap(lines)


def _box(node_id, title, value, kind, border=None, note="") -> str:
    fill, line, extra, _ = STYLES[kind]
    shape = format_shape(value.shape)
    dtype = value.example.dtype
    detail = f"{shape}" + ("" if dtype.name == "float64" else f" {dtype.name}")
    label = f"{title}<BR/><FONT POINT-SIZE=\"8\" COLOR=\"{NOTE_COLOR}\">{html(detail)}</FONT>"
    if note:
        label += f"<BR/><FONT POINT-SIZE=\"8\">{html(note)}</FONT>"
    return (f'{node_id} [label=<{label}>, fillcolor="{fill}", '
            f'color="{border or line}", style="rounded,filled{extra}"]')


def _result_note(position, program) -> str:
    if position is None:
        return ""
    if position == 0 and program.wrt:
        return "value"
    if program.wrt:
        leaf = program.wrt[position - 1]
        return f"∂value/∂{leaf.name}"
    return f"result {position}"


def _result_line(node_id, position, program) -> str:
    return f'{node_id} [xlabel=<{html(_result_note(position, program))}>]'


def _constant_text(arg) -> str:
    example = getattr(arg, "example", arg)
    try:
        size = example.size
    except AttributeError:
        return quote(repr(arg)).strip('"')
    if size == 1:
        return f"{float(example.reshape(())):.4g}"
    return f"const {format_shape(example.shape)}"
