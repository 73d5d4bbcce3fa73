"""SurgiAI's own import-linter contract: no module is part of an import cycle.

import-linter's built-in contracts check layers and who may import what; none forbids a cycle
between any two modules of the package, which is what keeps each new domain from tangling
with the others. Imports made only for type checking do not count
(`exclude_type_checking_imports`); imports inside functions do.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import grimp
from importlinter import Contract, ContractCheck, fields, output


class NoCyclesContract(Contract):
    """Configuration options:
    - containers: the packages whose modules may not import each other in a cycle.
    """

    type_name = "no_cycles"

    containers = fields.ListField(subfield=fields.StringField())

    def check(self, graph: grimp.ImportGraph, verbose: bool) -> ContractCheck:
        # import-linter declares its fields as `Field` objects and sets the parsed values on each
        # instance, which its types do not say (its own contracts ignore the same error).
        containers: list[str] = self.containers  # type: ignore[assignment]
        modules = sorted(
            module
            for module in graph.modules
            if any(module == c or module.startswith(c + ".") for c in containers)
        )
        cycles = []
        for component in _strongly_connected(graph, modules):
            cycles.append(_a_cycle_through(graph, sorted(component)))
        return ContractCheck(kept=not cycles, warnings=None, metadata={"cycles": cycles})

    def render_broken_contract(self, check: ContractCheck) -> None:
        for cycle in check.metadata["cycles"]:
            output.print_error("Import cycle:", bold=False)
            output.new_line()
            output.print_error("    " + " -> ".join([*cycle, cycle[0]]), bold=False)
            output.new_line()


def _strongly_connected(graph: grimp.ImportGraph, modules: list[str]) -> Iterator[set[str]]:
    """Tarjan's algorithm, iteratively: every group of two or more modules that all reach each
    other through imports."""
    inside = set(modules)
    counter = itertools.count()
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    for root in modules:
        if root in index:
            continue
        work = [(root, iter(sorted(graph.find_modules_directly_imported_by(root) & inside)))]
        index[root] = low[root] = next(counter)
        stack.append(root)
        on_stack.add(root)
        while work:
            module, successors = work[-1]
            for successor in successors:
                if successor not in index:
                    index[successor] = low[successor] = next(counter)
                    stack.append(successor)
                    on_stack.add(successor)
                    imported = graph.find_modules_directly_imported_by(successor) & inside
                    work.append((successor, iter(sorted(imported))))
                    break
                if successor in on_stack:
                    low[module] = min(low[module], index[successor])
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[module])
                if low[module] == index[module]:
                    component = set()
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.add(member)
                        if member == module:
                            break
                    if len(component) > 1:
                        yield component


def _a_cycle_through(graph: grimp.ImportGraph, component: list[str]) -> list[str]:
    """The shortest cycle through the component's first module, for the report."""
    start = component[0]
    members = set(component)
    best: list[str] | None = None
    for imported in sorted(graph.find_modules_directly_imported_by(start) & members):
        back = graph.find_shortest_chain(importer=imported, imported=start)
        if back is not None and (best is None or len(back) < len(best) + 1):
            best = [start, *back[:-1]]
    return best or component
