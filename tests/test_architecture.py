"""The house's rules (docs/architecture.md, "Rules of the house"), read from the code.

Every module under hwr/ is parsed with ``ast`` (nothing is imported) and its imports of
other hwr modules become a graph: those at the top and those inside functions alike (a
lazy import is still a dependency), leaving out only ``if TYPE_CHECKING:`` blocks (type
hints, never run). On that graph: no import circle of any length, and each package
imports only the packages below it. Because the graph holds the imports inside
functions too, an import moved into a function to dodge a circle is still a circle here.
"""

from __future__ import annotations

import ast
from functools import lru_cache
from pathlib import Path

import pytest

from tests.support.files import REPO

HWR = REPO / "hwr"
PAGE_FOLDERS = ("draw", "evaluation", "class_page", "teach")
MAX_MODULES_IN_PAGES = 6  # the .py files directly in hwr/pages/ (today: __init__, router)

# Each package, and what it must never import (the packages above it).
GROUND_FLOOR = ("hwr.settings", "hwr.translation", "hwr.sizes", "hwr.model_dir")
ABOVE = {
    "hwr.reading": ("hwr.learning", "hwr.class_data", "hwr.teaching", "hwr.pages",
                    "hwr.server"),
    "hwr.learning": ("hwr.class_data", "hwr.teaching", "hwr.pages", "hwr.server"),
    "hwr.class_data": ("hwr.teaching", "hwr.pages", "hwr.server"),
    "hwr.teaching": ("hwr.pages", "hwr.server"),
    "hwr.server": ("hwr.pages",),
}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


@lru_cache(maxsize=None)
def modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(HWR.rglob("*.py"))}


def _type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or \
        (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imports(node: ast.AST):
    """Every Import/ImportFrom under ``node``, at any depth, but for TYPE_CHECKING's."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.If) and _type_checking(child.test):
            for other in child.orelse:
                yield from _imports_of(other)
            continue
        yield from _imports_of(child)


def _imports_of(node: ast.AST):
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        yield node
    yield from _imports(node)


def _resolve(module: str, path: Path, node: ast.ImportFrom) -> str:
    """The absolute name of ``from <this> import ...`` (relative imports too)."""
    if not node.level:
        return node.module or ""
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    base = package[:len(package) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _owner(name: str, known: dict[str, Path]) -> str | None:
    """The hwr module an imported name is (or is in): its longest known prefix."""
    parts = name.split(".")
    for end in range(len(parts), 0, -1):
        if ".".join(parts[:end]) in known:
            return ".".join(parts[:end])
    return None


@lru_cache(maxsize=None)
def imports() -> dict[str, frozenset[str]]:
    """Each hwr module -> every name it imports (absolute, hwr's and others')."""
    found = {}
    for module, path in modules().items():
        names = set()
        for node in _imports(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            else:
                base = _resolve(module, path, node)
                # ``from hwr.x import y``: the module hwr.x.y if there is one, else hwr.x
                names.update(f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules()
                             else base for alias in node.names)
        found[module] = frozenset(names)
    return found


@lru_cache(maxsize=None)
def graph() -> dict[str, frozenset[str]]:
    """Each hwr module -> the hwr modules it imports (itself left out)."""
    known = modules()
    return {module: frozenset(o for o in map(lambda n: _owner(n, known), names)
                              if o is not None and o != module)
            for module, names in imports().items()}


def circles(edges: dict[str, frozenset[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm,
    without recursion): each is a set of modules that import each other in a circle."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []
    counter = 0
    for root in sorted(edges):
        if root in index:
            continue
        work = [(root, iter(sorted(edges[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def within(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def test_the_check_finds_a_circle_and_none_where_there_is_none():
    assert circles({"a": frozenset({"b"}), "b": frozenset({"c"}), "c": frozenset({"a"}),
                    "d": frozenset({"a"})}) == [["a", "b", "c"]]
    no_circle = {"a": frozenset({"b"}), "b": frozenset(), "c": frozenset({"a", "b"})}
    assert circles(no_circle) == []


def test_imports_inside_functions_count_and_type_checkings_do_not():
    tree = ast.parse("from typing import TYPE_CHECKING\n"
                     "if TYPE_CHECKING:\n    import only_for_hints\n"
                     "else:\n    import at_run_time\n"
                     "def f():\n    import lazy\n"
                     "class C:\n    def g(self):\n        from a.b import c\n")
    found = {alias.name for node in _imports(tree) for alias in node.names}
    assert found == {"TYPE_CHECKING", "at_run_time", "lazy", "c"}


def test_the_graph_is_read():
    edges = graph()
    assert len(edges) > 50
    assert "hwr.reading.outputs" in edges["hwr.learning.finetune"]
    assert "hwr.teaching.service" in edges["hwr.pages.class_page.teaching_service"]
    assert "hwr.class_data.privacy" in edges["hwr.teaching.jobs"]
    # imports inside functions count: the router imports the Class page when it is opened
    assert "hwr.pages.class_page.page" in edges["hwr.pages.router"]
    assert "hwr.reading.explain" in edges["hwr.pages.draw.inside_network"]


def test_no_import_circle():
    """No circle of hwr modules, of any length, counting the imports inside functions."""
    assert circles(graph()) == []


@pytest.mark.parametrize("package", sorted(ABOVE))
def test_a_package_imports_nothing_from_the_packages_above_it(package):
    wrong = sorted(f"{module} -> {imported}"
                   for module, targets in graph().items() if within(module, package)
                   for imported in targets
                   if any(within(imported, above) for above in ABOVE[package]))
    assert wrong == []


def test_the_ground_floor_imports_no_hwr_module():
    """settings, translation, sizes, model_dir: every part may import them, they import
    none of hwr."""
    for module in GROUND_FLOOR:
        assert graph()[module] == frozenset(), module


def test_the_teaching_service_imports_no_streamlit():
    wrong = sorted(f"{module} -> {name}" for module, names in imports().items()
                   if within(module, "hwr.teaching")
                   for name in names if name.split(".")[0] == "streamlit")
    assert wrong == []


def test_shared_page_code_imports_no_page():
    """hwr.pages.shared and hwr.pages.components serve every page and import none."""
    pages = tuple(f"hwr.pages.{folder}" for folder in PAGE_FOLDERS)
    wrong = sorted(f"{module} -> {imported}" for module, targets in graph().items()
                   if within(module, "hwr.pages.shared") or
                   within(module, "hwr.pages.components")
                   for imported in targets if any(within(imported, p) for p in pages))
    assert wrong == []


def test_few_modules_directly_in_pages():
    found = sorted(p.name for p in (HWR / "pages").glob("*.py"))
    assert len(found) <= MAX_MODULES_IN_PAGES, found


@pytest.mark.parametrize("folder", PAGE_FOLDERS)
def test_each_page_names_its_session_keys_in_its_state_module(folder):
    assert (HWR / "pages" / folder / "state.py").is_file()
