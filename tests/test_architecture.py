"""Architecture rules from STYLE.md §2a, checked on the source.

- ``geo/`` is grouped along the data's path: foundation -> data -> travel -> measures ->
  planning -> outputs -> cli.  A module imports only from its own or an upstream subpackage.
- No import cycles anywhere (``geo/``, ``atlas/``, ``app.py``).
- The library never imports streamlit or folium, prints, or configures logging.
- The app (``atlas/``, ``app.py``) uses only the public API: ``geo`` and its subpackages' public
  modules, never ``geo._errors`` or other private names.
- No module over ~400 lines unless its first docstring says why.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
GEO = ROOT / "geo"
ATLAS = ROOT / "atlas"

#: Subpackages (and top-level foundation modules), upstream first.
LAYERS = ["foundation", "data", "travel", "measures", "planning", "outputs", "cli"]
FOUNDATION = {"_errors", "config", "crs", "cache", "progress", "__init__"}
RANK = {name: i for i, name in enumerate(LAYERS)}

ALL_GEO = sorted(GEO.rglob("*.py"))
LIBRARY = [p for p in ALL_GEO if "cli" not in p.relative_to(GEO).parts and p.name != "__main__.py"]
ATLAS_FILES = [*sorted(ATLAS.rglob("*.py")), ROOT / "app.py"]


def _module_name(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    out: set[str] = set()
    pkg = _module_name(path) if path.name == "__init__.py" else _module_name(path).rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = pkg.split(".")[: len(pkg.split(".")) - node.level + 1]
                base = ".".join([*up, base] if base else up)
            out.add(base)
            out |= {f"{base}.{a.name}" for a in node.names}
    return out


def _layer(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] != "geo":
        return None
    if len(parts) == 1 or parts[1] in FOUNDATION:
        return "foundation"
    if parts[1] == "__main__":  # ``python -m geo`` is the CLI's entry point
        return "cli"
    return parts[1] if parts[1] in RANK else None


@pytest.mark.parametrize("path", LIBRARY, ids=lambda p: _module_name(p))
def test_no_streamlit_folium_print_or_handlers(path: Path) -> None:
    src = path.read_text()
    roots = {i.split(".")[0] for i in _imports(path)}
    assert "streamlit" not in roots, "geo/ must not import streamlit"
    assert "folium" not in roots, "folium map widgets live in atlas/, not geo/"
    tree = ast.parse(src)
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)]
    assert not [c for c in calls if c.func.id == "print"], "the library never prints"
    assert "basicConfig" not in src and "addHandler(logging.StreamHandler" not in src


@pytest.mark.parametrize("path", ALL_GEO, ids=lambda p: _module_name(p))
def test_data_flows_one_way(path: Path) -> None:
    me = _layer(_module_name(path))
    assert me is not None, f"{path} is outside the layers {LAYERS}: move it into a subpackage"
    for imp in _imports(path):
        other = _layer(imp)
        if other is None or imp == "geo":
            continue
        assert RANK[other] <= RANK[me], f"{_module_name(path)} ({me}) imports downstream {imp} ({other})"


def _graph(files: list[Path]) -> dict[str, set[str]]:
    names = {_module_name(p): p for p in files}
    graph: dict[str, set[str]] = {}
    for name, path in names.items():
        deps = set()
        for imp in _imports(path):
            # an import of a.b.c depends on the longest known module prefix
            parts = imp.split(".")
            for k in range(len(parts), 0, -1):
                cand = ".".join(parts[:k])
                if cand in names and cand != name:
                    deps.add(cand)
                    break
        # a package's __init__ importing its own children is not a cycle through them
        graph[name] = {d for d in deps if not (d.startswith(name + ".") and names[name].name == "__init__.py")}
    return graph


def _find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(n: str) -> list[str] | None:
        state[n] = 1
        stack.append(n)
        for d in sorted(graph.get(n, ())):
            if state.get(d) == 1:
                return [*stack[stack.index(d):], d]
            if d not in state and (cyc := visit(d)):
                return cyc
        stack.pop()
        state[n] = 2
        return None

    for n in sorted(graph):
        if n not in state and (cyc := visit(n)):
            return cyc
    return None


def test_no_import_cycles() -> None:
    graph = _graph([*ALL_GEO, *ATLAS_FILES])
    # the package root re-exports lazily (PEP 562), so edges into ``geo`` itself are not cycles
    graph = {k: {d for d in v if d != "geo"} for k, v in graph.items()}
    cycle = _find_cycle(graph)
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


@pytest.mark.parametrize("path", ATLAS_FILES, ids=lambda p: _module_name(p))
def test_app_uses_public_api_only(path: Path) -> None:
    for imp in _imports(path):
        parts = imp.split(".")
        if parts[0] != "geo":
            continue
        assert not any(p.startswith("_") for p in parts[1:]), f"{path.name} imports private {imp}"


@pytest.mark.parametrize("path", [*ALL_GEO, *ATLAS_FILES], ids=lambda p: _module_name(p))
def test_modules_stay_small_or_say_why(path: Path) -> None:
    lines = path.read_text().count("\n")
    if lines <= 400:
        return
    doc = ast.get_docstring(ast.parse(path.read_text())) or ""
    assert "Why this module is long" in doc, (
        f"{_module_name(path)} has {lines} lines: split it by concern or say "
        "'Why this module is long: ...' in its docstring")
