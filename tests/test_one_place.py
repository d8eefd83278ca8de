"""Rules that must live in one place, checked on the plugin's own source (no run needed): a
second copy is how they came to disagree before (issue 16)."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Iterator, Tuple

PLUGIN = Path(__file__).resolve().parents[1] / "plugin" / "style_transfer"


def _sources() -> Iterator[Tuple[Path, ast.AST]]:
    for path in sorted(PLUGIN.rglob("*.py")):
        if "_deps" not in path.parts:
            yield path, ast.parse(path.read_text(encoding="utf-8"), str(path))


def _calls(tree: ast.AST) -> Iterator[ast.Call]:
    return (n for n in ast.walk(tree) if isinstance(n, ast.Call))


def _name(call: ast.Call) -> str:
    f = call.func
    return f.attr if isinstance(f, ast.Attribute) else getattr(f, "id", "")


def test_strength_is_mixed_once_and_never_undone() -> None:
    """Engine.render_vector mixes the style with the picture's own vector; nobody mixes it
    beforehand and passes strength=1.0 so the engine does not mix it twice."""
    mixing, undoing = [], []
    for path, tree in _sources():
        rel = path.relative_to(PLUGIN).as_posix()
        for call in _calls(tree):
            if _name(call) == "apply_strength" and rel != "engine/core.py":
                mixing.append(f"{rel}:{call.lineno}")
            for kw in call.keywords:
                if kw.arg == "strength" and isinstance(kw.value, ast.Constant) \
                        and kw.value.value == 1.0:
                    undoing.append(f"{rel}:{call.lineno}")
    assert mixing == [], f"strength mixed outside Engine.render_vector: {mixing}"
    assert undoing == [], f"strength=1.0 passed to undo a mix done before: {undoing}"


def test_the_per_os_folders_are_written_once() -> None:
    """engine/folders.py alone reads the variables that name the user's folders (models, logs
    and the pip cache used to compute them three times, and disagreed on an empty one)."""
    names = ("XDG_DATA_HOME", "XDG_CACHE_HOME", "LOCALAPPDATA", "Application Support")
    found = {}
    for path, tree in _sources():
        rel = path.relative_to(PLUGIN).as_posix()
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) \
                    and node.value in names and rel != "engine/folders.py":
                found.setdefault(rel, []).append(node.value)
    assert found == {}


def _imports() -> dict:
    """{module: set of the package's modules it imports}, function-level imports included
    (a lazy import is still an arrow: it only hides a circle until run time)."""
    def name_of(path: Path) -> str:
        parts = list(path.relative_to(PLUGIN.parent).with_suffix("").parts)
        return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)

    modules = {name_of(p): p for p, _ in _sources()}
    graph: dict = {m: set() for m in modules}
    for path, tree in _sources():
        me = name_of(path)
        package = me if path.name == "__init__.py" else me.rpartition(".")[0]
        for node in ast.walk(tree):
            targets = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = package
                for _ in range(node.level - 1):
                    base = base.rpartition(".")[0]
                base = (f"{base}.{node.module}" if node.module else base) if node.level \
                    else node.module or ""
                # `from pkg import mod` imports the module; `from pkg import name`, pkg itself
                targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base
                           for a in node.names]
            for t in targets:
                while t and t not in modules:
                    t = t.rpartition(".")[0]
                # a module's own packages are imported before it anyway: no arrow of its own
                if t and t != me and not me.startswith(t + "."):
                    graph[me].add(t)
    return graph


def test_no_import_circles() -> None:
    """A circle of imports means a function sits in the wrong module (common/maps <->
    common/preview and gimp/plugin <-> gimp/dialog were two)."""
    graph = _imports()
    index: dict = {}
    low: dict = {}
    stack: list = []
    circles = []

    def visit(v: str) -> None:  # Tarjan's strongly connected components
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            part = []
            while True:
                w = stack.pop()
                part.append(w)
                if w == v:
                    break
            if len(part) > 1:
                circles.append(sorted(part))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    assert circles == []
