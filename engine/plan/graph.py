"""Graph algorithms for dependency checks: strongly connected components, a shortest cycle, and
whether one node lies on a cycle; and the dependency graph of a plan.

All are iterative, so a plan with a chain of thousands of tasks cannot hit Python's recursion limit.
"""

from __future__ import annotations

from collections.abc import Iterable

from teamcast.engine.plan.model import Strategy


def strongly_connected(graph: dict[str, list[str]]) -> list[list[str]]:
    """Tarjan's strongly connected components, iteratively (plans can be deep); each component
    lists its nodes in graph order, components in the order of their first node."""
    order = {node: n for n, node in enumerate(graph)}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(graph[root]))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, successors = work[-1]
            for succ in successors:
                if succ not in index:
                    index[succ] = low[succ] = len(index)
                    stack.append(succ)
                    on_stack.add(succ)
                    work.append((succ, iter(graph[succ])))
                    break
                if succ in on_stack:
                    low[node] = min(low[node], index[succ])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    components.append(sorted(component, key=order.__getitem__))
    return sorted(components, key=lambda c: order[c[0]])


def cycle_through(start: str, graph: dict[str, list[str]], component: set[str]) -> list[str]:
    """A shortest cycle from `start` back to itself inside its component (breadth first)."""
    came_from: dict[str, str] = {}
    frontier = [start]
    while frontier:
        next_frontier = []
        for node in frontier:
            for succ in graph[node]:
                if succ == start:
                    path = [node]
                    while path[-1] != start:
                        path.append(came_from[path[-1]])
                    return [start, *reversed(path[:-1]), start]
                if succ in component and succ not in came_from:
                    came_from[succ] = node
                    next_frontier.append(succ)
        frontier = next_frontier
    return [start]


def on_cycle(start: str, graph: dict[str, list[str]]) -> bool:
    """Whether `start` can reach itself (depth first): after changing only `start`'s edges of a
    graph without cycles, this is the whole cycle check."""
    seen = {start}
    stack = list(graph.get(start, ()))
    while stack:
        node = stack.pop()
        if node == start:
            return True
        if node not in seen:
            seen.add(node)
            stack.extend(graph.get(node, ()))
    return False


def dependency_graph(
    tasks: Iterable[tuple[str | None, list[str] | None]],
    challenges: Iterable[tuple[str | None, str | None, list[str] | None]],
) -> dict[str, list[str]]:
    """Who waits for whom: tasks for their `after` (id, after), challenges for their approaches
    (id, strategy, approaches), and each approach of a sequential challenge for the one before it.
    Nodes in plan order, tasks first; edges to unknown nodes are left out."""
    graph: dict[str | None, list[str]] = {}
    for task, after in tasks:
        graph.setdefault(task, []).extend(after or [])
    for challenge, strategy, approaches in challenges:
        approaches = approaches or []
        graph.setdefault(challenge, []).extend(approaches)
        if strategy == Strategy.SEQUENTIAL:
            for before, approach in zip(approaches, approaches[1:], strict=False):
                graph.setdefault(approach, []).append(before)
    graph.pop(None, None)  # rows without an id
    return {node: [d for d in deps if d in graph] for node, deps in graph.items() if node is not None}
