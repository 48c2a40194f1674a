"""Architecture rules from STYLE.md §2a, checked on the source.

- ``geo/`` is grouped along the data's path: foundation -> data -> travel -> measures ->
  planning -> outputs -> cli.  A module imports only from its own or an upstream subpackage.
- No import cycles anywhere (``geo/``, ``atlas/``, ``app.py``).
- The library never imports streamlit or folium, prints, or configures logging.
- The front ends (``geo/cli``, ``atlas/``, ``app.py``) reach the package only through its public
  API: ``from geo import NAME`` for the names listed in :data:`FRONT_END_NAMES` (a small set, at
  most 60); a new need is a :class:`geo.Study` method, a method of one of the cluster objects
  (``RoadExtracts``, ``BusTimetables``...) or a name added to ``geo/__init__`` and this list on
  purpose.  No ``geo.<module>.<name>`` detour: a public module of ``geo`` is used only through its
  ``__all__``.
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
CLI_FILES = [*sorted((GEO / "cli").glob("*.py")), GEO / "__main__.py"]

#: What the CLI and the app may import from ``geo`` (issue 25 item 5): 57 names, down from 150.
#: Everything they compute about an area goes through :class:`geo.Study` (times, coverage,
#: scenario, closure, optimise, isochrones, capacity access, need, gaps and outreach, candidates,
#: client releases, profiles, stop access, transit router, the shown times' coverage...); each
#: cluster of non-area work a command needs is one object with methods (r5py's TransportNetwork
#: habit).  The notebook building blocks of ``geo.__all__`` (``make_router``, ``isochrones``,
#: ``nearest_times``...) are deliberately not on this list.  Each group says why it is here.
FRONT_END_NAMES = frozenset({
    # the pipeline and its inputs: what a front end turns flags/widgets into (StudySpec, TravelSpec,
    # TransitOptions, the TravelMode/Method vocabulary), the study itself, settings, an area
    # (Area.names/.districts/.from_upload) and the progress adapter the CLI hands in
    "Study", "StudySpec", "TravelSpec", "TravelMode", "Method", "TransitOptions", "Settings", "Area",
    "ProgressFn", "TqdmProgress", "__version__",
    # the errors a front end catches and shows as a message (anything else is a bug and surfaces)
    "GeoError", "InputError", "DataSourceError", "OutputError",
    # one object per cluster of non-area work (each hands off to the modules where the work lives):
    # the data bundle, road extracts, bus timetables, the user's site files, opening hours of a set
    # of sites, batch runs (and the job they run)
    "DataBundle", "RoadExtracts", "BusTimetables", "SiteLists", "SiteHours", "BatchJob", "BatchRuns",
    # the site-type and service registry: choices, pickers, labels and the new-site default read it
    # at call time (docs/architecture.md "one site-type registry"); parse_site_types is the one
    # parser of a --sites / picker value, lonlat_from_bng the one way to WGS84 columns
    "SITE_TYPES", "SiteType", "NEW_SITE_TYPE", "SERVICES", "SERVICE_LABELS", "selection_label",
    "parse_site_types", "lonlat_from_bng",
    # column and option vocabulary shared with the library: coverage breakdowns (CLI --by choices,
    # report), the threshold parser, per-service gap columns, client-table columns, and the
    # published perturbation table whose D every client figure states
    "BREAKDOWNS", "PLACE_BREAKDOWNS", "parse_thresholds", "SERVICE_COLUMNS", "CLIENT_LABEL_COL",
    "CLIENT_ERROR_COL", "default_ptable",
    # scenario changes, declared once (pydantic), built by the CLI's flags and the atlas's editor;
    # scenario files; the optimiser's candidate kinds (CLI choices, atlas picker)
    "Scenario", "AddSite", "RemoveSite", "MoveSite", "ChangeHours", "ChangeCapacity", "BaseSpec",
    "load_scenario", "save_scenario", "CANDIDATE_KINDS",
    # outputs that both front ends write: spreadsheet-safe CSV bytes (app downloads), atomic output
    # sets (CLI), place names and roads for maps; and the public modules, each one concern used
    # only through its __all__ (test_front_ends_reach_no_inner_module_by_attribute)
    "csv_bytes", "output_set", "map_context",
    # a scenario as GIS layers (geo scenario --gpkg, the report's GeoPackage, the app's download)
    "scenario_layers", "export_scenario_geopackage",
    "formats", "export", "report", "geojson", "batch_report", "ranges", "markers",
})


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
    if path == GEO / "__init__.py":  # the facade: lazy re-exports, named for type checkers only
        return
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


def _geo_imports(path: Path) -> list[tuple[str, str | None]]:
    """``(module, name)`` of every import of ``geo`` in ``path``, function-local ones included."""
    out: list[tuple[str, str | None]] = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            out += [(a.name, None) for a in node.names if a.name.split(".")[0] == "geo"]
        elif isinstance(node, ast.ImportFrom) and not node.level and (node.module or "").split(".")[0] == "geo":
            out += [(str(node.module), a.name) for a in node.names]
    return out


@pytest.mark.parametrize("path", [*CLI_FILES, *ATLAS_FILES], ids=lambda p: _module_name(p))
def test_front_ends_use_the_public_api_only(path: Path) -> None:
    """The CLI and the app import ``geo``'s listed public names only (and the CLI its own modules)."""
    for module, name in _geo_imports(path):
        if module == "geo.cli" or module.startswith("geo.cli."):
            assert path.parent.name == "cli" or path.name == "__main__.py", f"{path.name} imports the CLI's {module}"
            continue
        assert module == "geo" and name is not None, (
            f"{_module_name(path)} imports the inner module {module}: ask a geo.Study method (add one in "
            "geo/planning/study_api.py if the question is new) or add the name to geo/__init__ and to "
            "FRONT_END_NAMES in tests/test_architecture.py, on purpose")
        assert name in FRONT_END_NAMES, (
            f"{_module_name(path)} imports geo.{name}, which is not on the front ends' list: ask a geo.Study "
            "method instead, or add the name to FRONT_END_NAMES in tests/test_architecture.py on purpose")


@pytest.mark.parametrize("path", [*CLI_FILES, *ATLAS_FILES], ids=lambda p: _module_name(p))
def test_front_ends_reach_no_inner_module_by_attribute(path: Path) -> None:
    """No ``import geo`` + ``geo.<module>.<name>`` detour around the list: ``geo.X`` must be a listed
    name, and a public module of ``geo`` (``geo._MODULES``: ``geojson``, ``ranges``...) is used only
    through the names in its ``__all__``."""
    import importlib

    import geo

    tree = ast.parse(path.read_text())
    modules = {a.asname or a.name: a.name for node in ast.walk(tree)
               if isinstance(node, ast.ImportFrom) and node.module == "geo" and not node.level
               for a in node.names if a.name in geo._MODULES}
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)):
            continue
        if node.value.id == "geo":
            assert node.attr in FRONT_END_NAMES, (
                f"{_module_name(path)} reaches geo.{node.attr}: import a listed name (FRONT_END_NAMES) instead")
        elif node.value.id in modules:
            public = importlib.import_module(geo._MODULES[modules[node.value.id]]).__all__
            assert node.attr in public, (
                f"{_module_name(path)} uses {modules[node.value.id]}.{node.attr}, not in that public module's __all__")


def test_front_end_names_are_exported() -> None:
    """Every name on the front ends' list is a public name of ``geo`` (and resolves)."""
    import geo

    public = {*geo.__all__}
    assert not FRONT_END_NAMES - public, f"not exported by geo: {sorted(FRONT_END_NAMES - public)}"
    for name in sorted(FRONT_END_NAMES):
        assert getattr(geo, name) is not None


def test_lazy_exports_are_typed() -> None:
    """``geo/__init__``'s TYPE_CHECKING imports name exactly its lazy exports (so mypy sees them)."""
    import geo

    tree = ast.parse((GEO / "__init__.py").read_text())
    typed: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            for imp in node.body:
                assert isinstance(imp, ast.ImportFrom | ast.Import)
                typed |= {a.asname or a.name for a in imp.names}
    lazy = set(geo._LAZY) | set(geo._MODULES)
    assert typed == lazy, f"missing: {sorted(lazy - typed)}; extra: {sorted(typed - lazy)}"


@pytest.mark.parametrize("path", [*ALL_GEO, *ATLAS_FILES], ids=lambda p: _module_name(p))
def test_modules_stay_small_or_say_why(path: Path) -> None:
    lines = path.read_text().count("\n")
    if lines <= 400:
        return
    doc = ast.get_docstring(ast.parse(path.read_text())) or ""
    assert "Why this module is long" in doc, (
        f"{_module_name(path)} has {lines} lines: split it by concern or say "
        "'Why this module is long: ...' in its docstring")


#: Writers of output formats: no module outside ``geo/outputs`` calls them (one home for outputs).
OUTPUT_WRITERS = {"to_csv", "to_file", "to_excel", "to_markdown", "to_html", "to_json"}
#: Modules outside ``geo/outputs`` that write a file with one of them, and why it is not an output.
NOT_OUTPUTS = {
    "geo.travel.gtfs_stream": "GTFS tables clipped for Valhalla's tile builder (an engine's input)",
    "geo.data.site_lists": "a saved site list is an input file read back by read_sites_file, not a report",
    "geo.planning.batch_run": "summary.csv of a batch run folder, written where the run checkpoints",
}
OUTSIDE_OUTPUTS = [p for p in [*ALL_GEO, *ATLAS_FILES] if "outputs" not in p.relative_to(ROOT).parts[:2]]


@pytest.mark.parametrize("path", OUTSIDE_OUTPUTS, ids=lambda p: _module_name(p))
def test_outputs_have_one_home(path: Path) -> None:
    """Formats, CSV writers and CSV safety are defined only in geo/outputs (STYLE.md §2b).

    Outside it, no module calls a frame's writer (``to_csv``, ``to_file`` ...) except the
    listed non-outputs, defines a list of formats (``*FORMATS``) or a CSV/formula helper; the CLI and the app call
    :mod:`geo.outputs.formats`, :mod:`geo.outputs.safe_csv` and :mod:`geo.outputs.export`.
    """
    name = _module_name(path)
    tree = ast.parse(path.read_text())
    writers = sorted({n.func.attr for n in ast.walk(tree)
                      if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr in OUTPUT_WRITERS})
    if name in NOT_OUTPUTS:
        assert writers, f"{name} no longer writes files itself: remove it from NOT_OUTPUTS"
    else:
        assert not writers, f"{name} calls {writers}: write outputs through geo.outputs (formats/safe_csv/export)"
    defined = {t.id for n in ast.walk(tree) if isinstance(n, ast.Assign | ast.AnnAssign)
               for t in (n.targets if isinstance(n, ast.Assign) else [n.target]) if isinstance(t, ast.Name)}
    defined |= {n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)}
    own = sorted(d for d in defined if d.lstrip("_").endswith("FORMATS") or d.lstrip("_") in {
        "FORMULA_START", "spreadsheet_safe", "csv_text", "csv_bytes", "write_csv", "atomic_write_csv"})
    assert not own, f"{name} defines {own}: output formats and CSV safety live in geo/outputs"
