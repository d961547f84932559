"""The shape of generator/: imports go one way, from later stages to earlier ones, and no module keeps state.

LAYERS is the declared order of every module, earliest first; docs/architecture.md shows the same list
(checked here, so the doc cannot go stale). A module may import only modules of earlier layers: the
modules of one layer are peers and never import each other (so no output module imports another).
Imports are read with `ast`, at the top of a file and inside functions alike, so a late import
cannot hide a dependency.

A module is named by its path under generator/ ("outputs.feeds"); a package by its folder ("outputs"),
and generator/__init__.py is "__init__".
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

from conftest import REPO

PACKAGE = REPO / "generator"
DOC = REPO / "docs" / "architecture.md"

LAYERS: tuple[tuple[str, ...], ...] = (
    ("__init__", "bodies", "errors", "forked", "kinds", "platforms", "viewmodels", "yamltext"),
    ("listmodels", "outputmodels", "pagefind", "samples", "urls", "yamlerrors"),
    ("viewdocs", "yamlsrc"),
    ("schema",),
    ("sources",),
    ("config",),
    ("frontmatter", "markup", "privacy", "embeds"),
    ("entries",),
    ("site",),
    ("routes", "citation", "listviews"),
    ("views",),
    ("cache",),
    ("inputs", "search"),
    ("render", "feeditems"),
    ("outputs.*",),
    ("outputs",),
    ("writer.manifest", "writer.tree"),
    ("writer",),
    ("parallel",),
    ("build",),
    ("progress", "reference", "hostcheck", "livereload", "preview", "watcher"),
    ("scaffold", "previewserver"),
    ("imports.records", "imports.jsonstream", "imports.plaintext", "imports.existing"),
    ("imports.xapi", "imports.tweetsjs", "imports.outbox", "imports.threads", "imports.people"),
    ("imports.files",),
    ("imports.merge",),
    ("imports",),
    ("serve",),
    ("cli",),
    ("__main__",),
)
"""Every module of generator/, earliest first. Pipeline order, except where a stage needs a helper of a
later one (config reads site.yaml with sources.read_regular, so sources comes first). "outputs.*" is every
module in generator/outputs/: a new output needs its module and the OUTPUTS list, not a line here."""

PLACE_IT = ("place it in LAYERS in tests/test_architecture.py and in the layer list of docs/architecture.md: "
            "in the earliest layer after every module it imports")

MUTABLE_CALLS = {"dict", "list", "set", "bytearray", "defaultdict", "OrderedDict", "Counter", "deque", "ChainMap",
                 "WeakKeyDictionary", "WeakValueDictionary", "WeakSet"}
"""Calls that make a container which can change after the module is loaded."""
MUTATORS = {"append", "extend", "insert", "remove", "pop", "popitem", "clear", "update", "setdefault", "add",
            "discard", "sort", "reverse", "difference_update", "intersection_update",
            "symmetric_difference_update", "__setitem__", "__delitem__"}
MEMO_DECORATORS = {"cache", "lru_cache"}
CONSTANT = re.compile(r"_?[A-Z][A-Z0-9_]*|__[a-z]+__")
"""A name that says "declared once, only read": ALL_CAPS, or a dunder such as __all__."""


@dataclass(frozen=True)
class Import:
    importer: str
    imported: str
    line: int


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE).with_suffix("").parts)
    if parts[-1] == "__init__" and len(parts) > 1:
        parts.pop()
    return ".".join(parts)


def _parts(name: str) -> list[str]:
    return [] if name == "__init__" else name.split(".")


def _name(parts: list[str]) -> str:
    return ".".join(parts) or "__init__"


SOURCES = {_module_name(path): path for path in sorted(PACKAGE.rglob("*.py")) if "theme" not in path.parts}
"""Module name -> file, for every module of the package (the theme's files are data, not modules)."""
TREES = {name: ast.parse(path.read_text(encoding="utf-8"), filename=str(path)) for name, path in SOURCES.items()}


def _rel(name: str) -> str:
    return str(SOURCES[name].relative_to(REPO))


def _own_package(name: str) -> list[str]:
    """The package a module's relative imports start from."""
    parts = _parts(name)
    return parts if SOURCES[name].name == "__init__.py" else parts[:-1]


def _imported(name: str, node: ast.Import | ast.ImportFrom) -> list[list[str]]:
    """The package's modules one import statement names, as path parts."""
    if isinstance(node, ast.Import):
        return [alias.name.split(".")[1:] for alias in node.names
                if alias.name == "generator" or alias.name.startswith("generator.")]
    if node.level:
        package = _own_package(name)
        assert node.level - 1 <= len(package), f"{_rel(name)}:{node.lineno}: a relative import above generator/"
        base = package[:len(package) - (node.level - 1)] + (node.module.split(".") if node.module else [])
    elif node.module == "generator" or (node.module or "").startswith("generator."):
        base = node.module.split(".")[1:]
    else:
        return []
    # `from . import views` names a module; `from . import __version__` names a value of the package.
    found = [base + [alias.name] for alias in node.names if _name(base + [alias.name]) in SOURCES]
    return found or [base]


def _imports() -> tuple[Import, ...]:
    """Every import of a package module by a package module, and of the packages whose __init__ it runs."""
    found = set()
    for name in SOURCES:
        own = _parts(name)
        for node in ast.walk(TREES[name]):
            if not isinstance(node, (ast.Import, ast.ImportFrom)):
                continue
            for parts in _imported(name, node):
                # Importing outputs.feeds runs outputs/__init__.py first: that is a dependency too,
                # unless it is a package the importer itself belongs to.
                for depth in range(1, len(parts) + 1):
                    if parts[:depth] != own[:depth]:
                        found.add(Import(name, _name(parts[:depth]), node.lineno))
    return tuple(sorted(found, key=lambda i: (i.importer, i.line, i.imported)))


def _expand(name: str) -> list[str]:
    """A name of LAYERS as the modules it stands for: "outputs.*" is every module in generator/outputs/."""
    if name.endswith(".*"):
        return sorted(module for module in SOURCES if module.startswith(name[:-1]))
    return [name]


def _layer_of() -> dict[str, int]:
    return {module: index for index, layer in enumerate(LAYERS) for name in layer for module in _expand(name)}


# ---- the declared order ----------------------------------------------------


def test_every_module_is_placed_once():
    placed = [module for layer in LAYERS for name in layer for module in _expand(name)]
    empty = [name for layer in LAYERS for name in layer if not _expand(name)]
    assert not empty, f"LAYERS names {empty}, which stand for no module: remove them (and from docs/architecture.md)"
    twice = sorted({module for module in placed if placed.count(module) > 1})
    assert not twice, f"LAYERS names {twice} more than once: keep each module in one layer"
    unplaced = sorted(set(SOURCES) - set(placed))
    assert not unplaced, "\n".join(f"{_rel(module)} is a new module: {PLACE_IT}" for module in unplaced)
    gone = sorted(set(placed) - set(SOURCES))
    assert not gone, (f"LAYERS names {gone}, not modules of generator/ any more: remove them from LAYERS and from "
                      f"docs/architecture.md")


def test_imports_point_to_earlier_layers():
    layer = _layer_of()
    problems = []
    for imp in _imports():
        if imp.importer not in layer or imp.imported not in layer:
            continue  # test_every_module_is_placed_once says what to do
        where = f"{_rel(imp.importer)}:{imp.line}: {imp.importer} (layer {layer[imp.importer] + 1})"
        if layer[imp.imported] > layer[imp.importer]:
            problems.append(f"{where} imports {imp.imported}, a later stage (layer {layer[imp.imported] + 1}): "
                            "have the caller pass the value in, or move what is shared into an earlier module; "
                            "reorder LAYERS only if the new order is the pipeline's true order")
        elif layer[imp.imported] == layer[imp.importer]:
            problems.append(f"{where} imports {imp.imported}, a peer in the same layer: peers do not import each "
                            "other; move what both need into an earlier module (or, if the dependency is real, "
                            "give the importer a later layer in LAYERS and in docs/architecture.md)")
    assert not problems, "\n".join(problems)


def test_no_import_cycle():
    graph: dict[str, set[str]] = {name: set() for name in SOURCES}
    for imp in _imports():
        graph[imp.importer].add(imp.imported)
    state: dict[str, str] = {}  # "open" while on the current path, "done" once all it reaches is cycle-free

    def cycle_from(module: str, path: list[str]) -> list[str] | None:
        state[module] = "open"
        for imported in sorted(graph.get(module, ())):
            if state.get(imported) == "open":
                return path[path.index(imported):] + [imported] if imported in path else [module, imported]
            if imported not in state and (found := cycle_from(imported, path + [imported])):
                return found
        state[module] = "done"
        return None

    for module in sorted(graph):
        if module not in state and (cycle := cycle_from(module, [module])):
            raise AssertionError(f"import cycle: {' -> '.join(cycle)}: break it by moving what the earlier stage "
                                 "needs into it (or into a module both import), never with a late import")


def test_outputs_do_not_import_each_other():
    outputs = {name for name in SOURCES if name.startswith("outputs.")}
    crossing = [f"{_rel(i.importer)}:{i.line}: {i.importer} imports {i.imported}" for i in _imports()
                if i.importer in outputs and (i.imported in outputs or i.imported == "outputs")]
    assert not crossing, ("\n".join(crossing) + "\noutputs are independent modules: move what two outputs share "
                          "into an earlier stage (site.py for structure, views.py or citation.py for values)")


def test_every_output_module_is_in_the_outputs_list():
    from generator.outputs import OUTPUTS
    listed = {module.__name__.removeprefix("generator.") for module in OUTPUTS}
    modules = {name for name in SOURCES if name.startswith("outputs.")}
    assert modules <= listed, (f"{sorted(modules - listed)} are in generator/outputs/ but not in OUTPUTS: add them "
                               "to OUTPUTS in generator/outputs/__init__.py, or nothing builds their routes")
    for output in OUTPUTS:
        missing = [name for name in ("TARGETS", "routes", "render") if not hasattr(output, name)]
        assert not missing, (f"{output.__name__} lacks {missing}: every output gives TARGETS, routes(site) and "
                             "render(ctx, route) (see generator/outputs/__init__.py)")


# ---- the doc ------------------------------------------------------------------


def _doc_layers() -> list[tuple[str, ...]]:
    """The layer list in docs/architecture.md: the lines between its two markers, `N  module module  # note`."""
    text = DOC.read_text(encoding="utf-8")
    match = re.search(r"<!-- layers: .*? -->\n```\n(.*?)```\n<!-- end of layers -->", text, re.S)
    assert match, ("docs/architecture.md has no layer list between '<!-- layers: ... -->' and "
                   "'<!-- end of layers -->': put it back, one layer a line")
    layers = []
    for line in match.group(1).splitlines():
        words = line.partition("#")[0].split()
        if words:
            assert words[0].isdigit() and int(words[0]) == len(layers) + 1, (
                f"docs/architecture.md: the layer line '{line}' should start with its number, {len(layers) + 1}")
            layers.append(tuple(words[1:]))
    return layers


def test_the_doc_lists_the_declared_layers():
    documented = _doc_layers()
    declared = [tuple(layer) for layer in LAYERS]
    assert documented == declared, (
        "docs/architecture.md lists other layers than LAYERS in tests/test_architecture.py: make the doc's list "
        "the same, one layer a line (number, then its modules in LAYERS' order):\n"
        + "\n".join(f"{index:>2}  {' '.join(layer)}" for index, layer in enumerate(declared, 1)))


def test_the_doc_says_what_each_module_owns():
    text = DOC.read_text(encoding="utf-8")
    section = text.partition("## What each module owns")[2].partition("\n## ")[0]
    described = set(re.findall(r"^\| `([^`]+)` \|", section, re.M))
    declared = {name for layer in LAYERS for name in layer}
    assert described == declared, (
        f"docs/architecture.md, 'What each module owns': add a line for {sorted(declared - described)}, "
        f"remove the line of {sorted(described - declared)}: one table row per name of LAYERS")


# ---- no state kept by a module --------------------------------------------------


def _module_level(body: list[ast.stmt]):
    """Statements run when a module (or a class body) is loaded: into if/try/with/for, not into functions."""
    for node in body:
        yield node
        if isinstance(node, ast.ClassDef):
            yield from _module_level(node.body)
        elif not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for field in ("body", "orelse", "finalbody"):
                yield from _module_level(getattr(node, field, []))
            for handler in getattr(node, "handlers", []):
                yield from _module_level(handler.body)


def _callee(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def _is_mutable(value: ast.expr | None) -> bool:
    if isinstance(value, (ast.Dict, ast.List, ast.Set, ast.DictComp, ast.ListComp, ast.SetComp)):
        return True
    return isinstance(value, ast.Call) and _callee(value.func) in MUTABLE_CALLS


def _bound_names(target: ast.expr):
    if isinstance(target, ast.Name):
        yield target.id
    elif isinstance(target, (ast.Tuple, ast.List)):
        for element in target.elts:
            yield from _bound_names(element)


def _mutable_globals() -> list[tuple[str, int, str]]:
    """(module, line, name) of every container bound when a module (or one of its classes) is loaded."""
    found = []
    for module in SOURCES:
        for node in _module_level(TREES[module].body):
            if isinstance(node, ast.Assign) and _is_mutable(node.value):
                targets = node.targets
            elif isinstance(node, ast.AnnAssign) and _is_mutable(node.value):
                targets = [node.target]
            else:
                continue
            found += [(module, node.lineno, name) for target in targets for name in _bound_names(target)]
    return found


def _mutations() -> dict[str, list[str]]:
    """Name -> where something is written into it: `NAME[k] = v`, `del NAME[k]`, `NAME += ...`, `NAME.update(...)`."""
    found: dict[str, list[str]] = {}
    for module in SOURCES:
        for node in ast.walk(TREES[module]):
            names = []
            if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Delete)):
                targets = node.targets if isinstance(node, (ast.Assign, ast.Delete)) else [node.target]
                for target in targets:
                    if isinstance(target, ast.Subscript):
                        names.append(_callee(target.value))
                    elif isinstance(node, ast.AugAssign):
                        names.append(_callee(target))
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in MUTATORS:
                names.append(_callee(node.func.value))
            for name in names:
                if name:
                    found.setdefault(name, []).append(f"{_rel(module)}:{node.lineno}")
    return found


def test_no_module_level_mutable_state():
    mutations = _mutations()
    problems = []
    for module, line, name in _mutable_globals():
        where = f"{_rel(module)}:{line}: {name}"
        if not CONSTANT.fullmatch(name):
            problems.append(f"{where} is a container kept at module level: keep it in an object passed along "
                            "(the RenderContext, a stage's result), or make it an ALL_CAPS table that nothing "
                            "changes (a tuple or frozenset if it can be)")
        elif name in mutations:
            problems.append(f"{where} is a module-level table that is changed ({', '.join(mutations[name])}): a "
                            "table is declared once and only read; keep what changes in an object passed along")
    assert not problems, "\n".join(problems)


def test_no_global_statement_or_module_memo():
    problems = []
    for module in SOURCES:
        for node in ast.walk(TREES[module]):
            where = f"{_rel(module)}:{getattr(node, 'lineno', 0)}"
            if isinstance(node, ast.Global):
                problems.append(f"{where}: `global {', '.join(node.names)}` keeps state in the module: pass it "
                                "along in an object instead")
            elif isinstance(node, ast.ImportFrom) and node.module == "functools":
                problems += [f"{where}: functools.{alias.name} keeps results at module level for the life of the "
                             "process (across builds, in serve): memoise in the RenderContext (ctx.memo) or an "
                             "object of the build" for alias in node.names if alias.name in MEMO_DECORATORS]
            elif (isinstance(node, ast.Attribute) and node.attr in MEMO_DECORATORS
                  and isinstance(node.value, ast.Name) and node.value.id == "functools"):
                problems.append(f"{where}: functools.{node.attr} keeps results at module level for the life of "
                                "the process: memoise in the RenderContext (ctx.memo) or an object of the build")
    assert not problems, "\n".join(problems)
