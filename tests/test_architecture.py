"""Architecture rules from STYLE.md, checked on the source: data flows one way, the library never
imports streamlit, prints, or configures logging."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

GEO = Path(__file__).resolve().parent.parent / "geo"
MODULES = sorted(p for p in GEO.glob("*.py") if p.stem not in {"cli", "__main__"})  # the CLI may print

#: Layers, upstream first; a module may import only from its own or earlier layers.
LAYERS = [
    {"_errors", "crs", "config", "progress", "validate", "cache", "sources", "uploads"},
    {"loaders"},
    {"tables", "geocode"},
    {"areas", "sites", "cqc", "profile", "hours", "clients", "disclosure", "need", "gtfs",
     "scenario_file"},
    {"travel", "network", "snapping", "estimate"},
    {"routing", "stops", "transit"},
    {"catchments"},
    {"coverage", "equity", "access", "gaps", "closure"},
    {"scenarios", "optimise"},
    {"maps", "report", "report_html", "export"},
]
RANK = {m: i for i, layer in enumerate(LAYERS) for m in layer}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            out.add(node.module)
    return out


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.stem)
def test_no_streamlit_print_or_handlers(path: Path) -> None:
    src = path.read_text()
    assert not any(i.split(".")[0] == "streamlit" for i in _imports(path)), "geo/ must not import streamlit"
    tree = ast.parse(src)
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)]
    assert not [c for c in calls if c.func.id == "print"], "the library never prints"
    assert "basicConfig" not in src and "addHandler(logging.StreamHandler" not in src


@pytest.mark.parametrize("path", [p for p in MODULES if p.stem in RANK], ids=lambda p: p.stem)
def test_data_flows_one_way(path: Path) -> None:
    me = RANK[path.stem]
    for imp in _imports(path):
        parts = imp.split(".")
        if parts[0] != "geo" or len(parts) < 2 or parts[1] not in RANK:
            continue
        assert RANK[parts[1]] <= me, f"{path.stem} imports downstream module {parts[1]}"


def test_every_module_is_layered() -> None:
    unknown = {p.stem for p in MODULES} - set(RANK) - {"__init__"}
    assert not unknown, f"add these modules to LAYERS in tests/test_architecture.py: {unknown}"
