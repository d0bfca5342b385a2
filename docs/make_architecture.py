"""Draw the package's layers for docs/architecture.md (run from the repository root):

    python docs/make_architecture.py

The layers are read from the import-linter contract in pyproject.toml (the one ``make test``
checks) and the arrows from the package's real imports, counting imports inside functions,
so the picture shows what the code does today. Writes docs/images/architecture.png; needs
Graphviz's ``dot``.
"""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
import sys
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = "tinygrad_lr"
OUT = ROOT / "docs" / "images" / "architecture.png"

# The documented layers (docs/architecture.md), bottom first: the contract's layer that
# starts each one, its name, and what it is for. The contract's finer layers (the order
# inside the core and the base) fall into the group started above them.
GROUPS = [
    ("grad_mode", "base", "helpers that import nothing of the engine but the switches"),
    ("tensor", "core", "the Tensor, the op table, the backward walk"),
    ("ops", "ops", "every op: forward and backward side by side"),
    ("derivatives", "transforms", "functions of graphs: derivatives, numpy's protocols, compiler"),
    ("nn", "building blocks", "PyTorch-style pieces"),
    ("models", "models", "scikit-learn's contract: estimator, solvers, model files, data"),
    ("viz", "viz", "pictures and pages"),
    ("cli", "cli", "the tinygrad-lr command"),
]


def layers(pyproject: Path = ROOT / "pyproject.toml") -> list[list[str]]:
    """The contract's layers, top first, each a list of module names without the package.

    >>> layers()[0], layers()[-1]
    (['cli'], ['grad_mode'])
    """
    config = tomllib.loads(pyproject.read_text())["tool"]["importlinter"]
    (contract,) = [c for c in config["contracts"] if c["type"] == "layers"]
    return [[name.strip().removeprefix(f"{PACKAGE}.") for name in re.split(r"[|:]", layer)]
            for layer in contract["layers"]]


def top_level_imports(package_dir: Path = ROOT / PACKAGE) -> dict[str, set[str]]:
    """For each top-level module or subpackage, the others it imports (anywhere in its code).

    >>> "tensor" in top_level_imports()["autograd"]
    True
    """
    found: dict[str, set[str]] = {}
    for path in sorted(package_dir.rglob("*.py")):
        parts = path.relative_to(package_dir).with_suffix("").parts
        if parts[0] == "__init__":
            continue  # the package's face re-exports everything; it is no layer
        # the package a relative import starts from: the module's own, or the package itself
        here = [PACKAGE, *parts[:-1]]
        targets = found.setdefault(parts[0], set())
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom):
                base = node.module.split(".") if node.module else []
                if node.level:
                    base = here[:len(here) - node.level + 1] + base
                if base[:1] == [PACKAGE]:
                    targets.update(base[1:2] or [alias.name for alias in node.names])
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    names = alias.name.split(".")
                    if names[0] == PACKAGE and len(names) > 1:
                        targets.add(names[1])
        targets.discard(parts[0])
    return found


def groups() -> list[tuple[str, str, list[str]]]:
    """The documented layers, bottom first: (name, purpose, modules), from the contract.

    >>> [name for name, _, _ in groups()][:3]
    ['base', 'core', 'ops']
    """
    starts = {first: (name, purpose) for first, name, purpose in GROUPS}
    found: list[tuple[str, str, list[str]]] = []
    for layer in reversed(layers()):
        if layer[0] in starts:
            found.append((*starts[layer[0]], []))
        found[-1][2].extend(layer)
    return found


def group_imports() -> set[tuple[int, int]]:
    """(importer, imported) pairs of documented layers (bottom is 0) the code has today."""
    group_of = {module: index for index, (_, _, modules) in enumerate(groups())
                for module in modules}
    pairs = set()
    for module, imported in top_level_imports().items():
        for target in imported:
            if module in group_of and target in group_of and group_of[module] != group_of[target]:
                pairs.add((group_of[module], group_of[target]))
    return pairs


def _reachable(pairs: set[tuple[int, int]], start: int) -> set[int]:
    seen, todo = set(), [start]
    while todo:
        here = todo.pop()
        for a, b in pairs:
            if a == here and b not in seen:
                seen.add(b)
                todo.append(b)
    return seen


def dot_source() -> str:
    """The DOT text: one box per layer, top to bottom, holding its modules; an arrow where
    a layer imports a lower one (an arrow implied by two others is left out). An import
    going up, which the contract refuses, would be drawn in red.

    >>> "tensor_methods" in dot_source()
    True
    """
    found = groups()
    pairs = group_imports()
    lines = ["digraph layers {",
             '  graph [rankdir=TB, compound=true, nodesep=0.12, ranksep=0.45, '
             'fontname="Helvetica", fontsize=13, bgcolor="white", newrank=true];',
             '  node [shape=box, style="rounded,filled", fontname="Helvetica", fontsize=11, '
             'fillcolor="white", color="#5577aa", height=0.3];',
             '  edge [color="#5577aa", arrowsize=0.8, penwidth=1.4];']
    for index in reversed(range(len(found))):
        name, purpose, modules = found[index]
        lines += [f"  subgraph cluster_{index} {{",
                  f"    label=<<b>{index} {name}</b>: <i>{purpose}</i>>; labeljust=l;",
                  '    style="rounded,filled"; fillcolor="#eef3fb"; color="#99aacc";']
        for module in modules:
            shown = f"{module}/" if (ROOT / PACKAGE / module).is_dir() else module
            lines.append(f'    "{module}" [label="{shown}"];')
        lines.append("    {rank=same; " + " ".join(f'"{m}";' for m in modules) + "}")
        lines.append("  }")
    anchor = [modules[len(modules) // 2] for _, _, modules in found]
    for index in range(len(found) - 1):  # the stack itself, top to bottom
        lines.append(f'  "{anchor[index + 1]}" -> "{anchor[index]}" [style=invis, weight=10];')
    for upper, lower in sorted(pairs, reverse=True):
        if lower > upper:  # an import going up: never drawn in a passing build
            lines.append(f'  "{anchor[upper]}" -> "{anchor[lower]}" [color="#cc3333", '
                         f"penwidth=2.5, constraint=false, ltail=cluster_{upper}, "
                         f"lhead=cluster_{lower}];")
            continue
        implied = any(lower in _reachable(pairs, middle) for a, middle in pairs
                      if a == upper and middle != lower)
        if not implied:
            lines.append(f'  "{anchor[upper]}" -> "{anchor[lower]}" '
                         f"[ltail=cluster_{upper}, lhead=cluster_{lower}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def main() -> int:
    """Write docs/images/architecture.png from :func:`dot_source`."""
    dot = shutil.which("dot")
    if dot is None:
        print("Graphviz's dot is not on PATH; the picture was left as it is", file=sys.stderr)
        return 1
    OUT.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run([dot, "-Tpng", "-Gdpi=110", "-o", str(OUT)], input=dot_source(),
                   text=True, check=True)
    print(f"wrote {OUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
