"""Make a big graph readable: collapse repeated structure until it fits a node budget.

Four passes, each only while the graph is still over budget:

1. scopes: tensors of one module (parameter names ``fc1.weight``, ``fc1.bias`` -> scope
   ``fc1``) and the ops that use them become one box;
2. runs: a chain of nodes, each feeding only the next, that repeats one op or a short
   pattern of ops (or of module boxes) becomes one box ``(tanh → · × 1.5) ×50``;
3. fan-in: many leaves feeding one node and nothing else become one box ``500 inputs``;
4. the rest: only the nodes nearest the output are kept, the earlier ones become one box.

Every pass adds a note saying what it collapsed; the picture shows the notes.
"""

from __future__ import annotations

from collections import Counter, defaultdict

import numpy as np

from .dot import op_text
from .graph import GROUP, OUTPUT, PARAMETER, Edge, Graph, Node
from .labels import format_shape

FAN_IN = 4  # more leaves than this feeding one node are merged into one box


def collapse(graph: Graph, max_nodes: int) -> Graph:
    """Return ``graph`` with repeated structure collapsed until at most ``max_nodes`` nodes.

    >>> import tinygrad_lr as tg
    >>> from tinygrad_lr.viz.graph import walk
    >>> x = tg.Tensor(0.5, requires_grad=True, name="x")
    >>> y = x
    >>> for _ in range(100):
    ...     y = y.tanh()
    >>> small = collapse(walk(y), 10)
    >>> len(small.nodes), small.notes[0]
    (3, 'Collapsed runs of repeated structure: 99 ops: tanh, 99 times in a row.')
    """
    if len(graph.nodes) <= max_nodes:
        return graph
    for step in (_by_scope, _by_runs, _by_fan_in, _by_distance):
        if len(graph.nodes) <= max_nodes:
            break
        graph = step(graph, max_nodes)
    return graph


# ------------------------------------------------------------------ the passes
def _by_scope(graph: Graph, max_nodes: int) -> Graph:
    scope = {}
    sources = _sources(graph)
    nodes = {n.id: n for n in graph.nodes}
    for n in graph.nodes:
        if n.is_leaf:
            scope[n.id] = n.scope if n.kind == PARAMETER else None
            continue
        own = {scope[s] for s in sources[n.id] if nodes[s].kind == PARAMETER and scope[s]}
        tensor_inputs = set(sources[n.id])
        if len(own) == 1:
            scope[n.id] = own.pop()
        elif not own and len(tensor_inputs) == 1:
            # One input and no parameters (relu, sum...): it belongs to its input's module.
            (only,) = tensor_inputs
            scope[n.id] = scope[only] if not nodes[only].is_leaf else None
        else:
            scope[n.id] = None
    members = defaultdict(list)
    for n in graph.nodes:
        if scope[n.id] is not None and n.kind != OUTPUT:
            members[scope[n.id]].append(n)
    groups = {}
    for name, group in members.items():
        if len(group) < 2:
            continue
        ops = Counter(m.op for m in group if m.op)
        params = [m for m in group if m.kind == PARAMETER]
        summary = f"{len(group):,} tensors: " + ", ".join(
            f"{op}×{k}" if k > 1 else op for op, k in ops.items())
        if params:
            summary += "; " + ", ".join(
                f"{m.name.rsplit('.', 1)[-1]} {format_shape(m.shape)}" for m in params)
        signature = ("scope", tuple(sorted(ops.items())),
                     tuple(sorted((m.name.rsplit(".", 1)[-1], m.shape) for m in params)))
        groups[f"g{len(groups)}_{_safe(name)}"] = (group, name, summary, signature)
    if not groups:
        return graph
    note = (f"Collapsed {sum(len(g[0]) for g in groups.values()):,} tensors into "
            f"{len(groups):,} module box(es) by parameter name ({', '.join(_first(groups))}).")
    return _contract(graph, groups, note)


def _by_runs(graph: Graph, max_nodes: int) -> Graph:
    chains = _linear_chains(graph)
    groups, described = {}, []
    for chain in chains:
        signatures = [(_signature(n), tuple(sorted(map(repr, map(_signature, side)))))
                      for n, side in chain]
        i = 0
        while i < len(chain):
            period, repeats = _best_period(signatures, i)
            if period == 0:
                i += 1
                continue
            links = chain[i: i + period * repeats]
            group_id = f"r{len(groups)}_{links[0][0].id}"
            groups[group_id] = _run_group(links, period, repeats)
            described.append(groups[group_id][2])
            i += period * repeats
    if not groups:
        return graph
    more = f" and {len(described) - 2} more" if len(described) > 2 else ""
    return _contract(graph, groups, f"Collapsed runs of repeated structure: "
                                    f"{'; '.join(described[:2])}{more}.")


def _linear_chains(graph: Graph) -> list[list[Node]]:
    """Maximal paths of non-leaf nodes, each feeding only the next.

    Small side branches join the node they feed: a node whose only consumer is the next
    link and whose inputs are all leaves (the ``x * 2`` in ``s = s + x * 2``).
    """
    consumers, sources = _consumers(graph), _sources(graph)
    nodes = {n.id: n for n in graph.nodes}

    def hanging(s, target):
        return (set(consumers[s]) == {target} and nodes[s].kind != GROUP
                and all(nodes[i].is_leaf for i in sources[s]))

    next_of, sides = {}, {}
    for n in graph.nodes:
        if n.is_leaf or n.kind == OUTPUT or len(set(consumers[n.id])) != 1:
            continue
        (target,) = set(consumers[n.id])
        others = {s for s in sources[target] if not nodes[s].is_leaf} - {n.id}
        if nodes[target].kind != OUTPUT and n.id in sources[target] and all(
                hanging(s, target) for s in others):
            next_of[n.id] = target
            sides[target] = sorted(others)
    starts = set(next_of) - set(next_of.values())
    chains = []
    for n in graph.nodes:
        if n.id in starts:
            chain = [n]
            while chain[-1].id in next_of:
                chain.append(nodes[next_of[chain[-1].id]])
            chains.append([(c, [nodes[s] for s in sides.get(c.id, ())]) for c in chain])
    return chains


def _best_period(signatures: list, i: int, longest: int = 4) -> tuple[int, int]:
    """The period (1 to ``longest``) and count of the longest repetition starting at ``i``."""
    best = (0, 0)
    for period in range(1, longest + 1):
        pattern = signatures[i: i + period]
        if len(pattern) < period or any(sig[0] is None for sig in pattern):
            break
        repeats = 1
        while signatures[i + repeats * period: i + (repeats + 1) * period] == pattern:
            repeats += 1
        covered = period * repeats
        if repeats >= (3 if period == 1 else 2) and covered > best[0] * best[1]:
            best = (period, repeats)
    return best


def _run_group(links: list, period: int, repeats: int) -> tuple:
    run = [n for n, _ in links]
    members = [m for n, side in links for m in (*side, n)]
    first = run[0]
    if first.kind == GROUP:
        label = f"{first.label} … {run[-1].label}"
        summary = f"{repeats:,} blocks like {first.label} ({first.summary})"
        return members, label, summary, ("run", first.signature)
    pattern = " → ".join(_with_sides(n, side) for n, side in links[:period])
    label = f"{pattern} ×{repeats:,}" if period == 1 else f"({pattern}) ×{repeats:,}"
    summary = f"{len(members):,} ops: {pattern}, {repeats:,} times in a row"
    return members, label, summary, ("run", tuple(_signature(n) for n in run[:period]))


def _with_sides(node: Node, side: list) -> str:
    text = op_text(node, 3)
    if side:
        text += " (with " + ", ".join(op_text(s, 3) for s in side) + ")"
    return text


def _by_fan_in(graph: Graph, max_nodes: int) -> Graph:
    consumers = _consumers(graph)
    feeding = defaultdict(list)
    for n in graph.nodes:
        if n.is_leaf and len(set(consumers[n.id])) == 1:
            feeding[consumers[n.id][0]].append(n)
    groups = {}
    for target, leaves in feeding.items():
        if len(leaves) > FAN_IN:
            kinds = Counter("parameters" if m.kind == PARAMETER else "inputs" for m in leaves)
            label = " and ".join(f"{k} {kind}" for kind, k in kinds.items())
            shapes = Counter(format_shape(m.shape) for m in leaves)
            summary = "shapes " + ", ".join(f"{s} ×{k}" for s, k in shapes.most_common(3))
            groups[f"f_{target}"] = (leaves, label, summary, ("fan-in",))
    if not groups:
        return graph
    total = sum(len(g[0]) for g in groups.values())
    return _contract(graph, groups, f"Collapsed {total:,} leaves feeding the same node into "
                                    f"{len(groups)} box(es).")


def _by_distance(graph: Graph, max_nodes: int) -> Graph:
    sources = _sources(graph)
    distance = {o: 0 for o in graph.outputs}
    frontier = list(graph.outputs)
    while frontier:
        nxt = []
        for node_id in frontier:
            for s in sources[node_id]:
                if s not in distance:
                    distance[s] = distance[node_id] + 1
                    nxt.append(s)
        frontier = nxt
    ranked = sorted(graph.nodes, key=lambda n: (distance.get(n.id, 1 << 30), n.id))
    dropped = ranked[max_nodes - 1:]
    summary = ", ".join(f"{op} ×{k}" for op, k in
                        Counter(n.op or n.kind for n in dropped).most_common(4))
    label = f"… {sum(n.members for n in dropped):,} earlier tensors"
    note = (f"Kept the {max_nodes - 1} nodes nearest the output; {len(dropped):,} earlier nodes "
            "are one box (raise max_nodes to see them).")
    return _contract(graph, {"g_rest": (dropped, label, summary, ("rest",))}, note)


# ------------------------------------------------------------------ helpers
def _signature(n: Node):
    if n.kind == GROUP:
        return n.signature
    constants = tuple((p, float(np.asarray(v).ravel()[0]) if np.size(v) else None)
                      for p, _, v in n.constants)
    return ("op", n.op, repr(sorted(n.params.items(), key=str)), constants)


def _sources(graph: Graph) -> dict:
    found = {n.id: [] for n in graph.nodes}
    for e in graph.edges:
        found[e.target].append(e.source)
    return found


def _consumers(graph: Graph) -> dict:
    found = {n.id: [] for n in graph.nodes}
    for e in graph.edges:
        found[e.source].append(e.target)
    return found


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in name)


def _first(groups: dict, k: int = 4) -> list[str]:
    names = [g[1] for g in groups.values()]
    return names[:k] + (["…"] if len(names) > k else [])


def _contract(graph: Graph, groups: dict, note: str) -> Graph:
    """Replace each group's members by one GROUP node; merge the edges between boxes."""
    owner = {}
    for group_id, (members, *_rest) in groups.items():
        for m in members:
            owner[m.id] = group_id
    nodes, placed = [], set()
    for n in graph.nodes:
        group_id = owner.get(n.id)
        if group_id is None:
            nodes.append(n)
        elif group_id not in placed:
            placed.add(group_id)
            members, label, summary, signature = groups[group_id]
            any_param = any(m.kind == PARAMETER or (m.kind == GROUP and m.requires_grad)
                            for m in members)
            box = Node(id=group_id, kind=GROUP, label=label, summary=summary,
                       members=sum(m.members for m in members), requires_grad=any_param,
                       signature=signature)
            nodes.append(box)
    edges, index = [], {}
    for e in graph.edges:
        source, target = owner.get(e.source, e.source), owner.get(e.target, e.target)
        if source == target:
            continue
        key = (source, target)
        if key in index:
            index[key].count += e.count
            index[key].grad = None
            continue
        merged = source != e.source or target != e.target
        index[key] = Edge(source, target, e.position, None if merged else e.grad, e.count)
        edges.append(index[key])
    outputs = tuple(owner.get(o, o) for o in graph.outputs)
    kept = {n.id for n in nodes}
    tensors = {k: v for k, v in graph.tensors.items() if k in kept}
    return Graph(nodes, edges, outputs, graph.backward_done, graph.grads_retained,
                 graph.notes + [note], tensors)

