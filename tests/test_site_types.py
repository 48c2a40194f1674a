"""The site-type registry (geo.data.site_types): one table that maps, report, CLI, importers,
services and the atlas read -- so adding a service type is one entry, and the map and the report
draw a type the same way."""

from __future__ import annotations

import io
import re
from contextlib import redirect_stdout

import numpy as np
import pandas as pd
import pytest

from geo._errors import InputError, SchemaError
from geo.config import Settings
from geo.data.services import SERVICES, selection_label, services_column
from geo.data.site_types import NEW_SITE_TYPE, SHAPES, SITE_TYPES, SiteType, check_registry, site_type
from geo.outputs.markers import MPL_SHAPES, marker_svg, plot_sites

CRISIS = SiteType("crisis", "Crisis café", "Crisis cafés", "#117733", "triangle", "K", 17, ("treatment", "outreach"),
                  label_zoom=10, commissioned=True, proposable=True)
#: Two sites in Oakham and Uppingham (EPSG:27700), one of the new type.
SITES = pd.DataFrame({"name": ["Oakham crisis café", "Uppingham clinic"], "site_type": ["crisis", "satellite"],
                      "easting": [486000.0, 486700.0], "northing": [308700.0, 299800.0]})


@pytest.fixture()
def crisis(monkeypatch: pytest.MonkeyPatch) -> SiteType:
    """A new service type, added the one way there is: an entry in the registry."""
    monkeypatch.setitem(SITE_TYPES, CRISIS.name, CRISIS)
    return CRISIS


def test_registry_is_consistent(monkeypatch: pytest.MonkeyPatch) -> None:
    check_registry(SERVICES)
    assert SITE_TYPES[NEW_SITE_TYPE].proposable and set(SHAPES) == set(MPL_SHAPES)
    assert site_type("no-such-type") is SITE_TYPES["other"]
    monkeypatch.setitem(SITE_TYPES, "crisis", SiteType("crisis", "Crisis café", "Crisis cafés", "#117733", "star",
                                                       "K", 17, ("tea",)))
    with pytest.raises(ValueError, match=r"'crisis': shape 'star' is not one of .*; services \('tea',\)"):
        check_registry(SERVICES)


def test_map_and_report_draw_each_type_the_same() -> None:
    """Same colour, shape and glyph on the web map (SVG) and in the report (matplotlib)."""
    from matplotlib.figure import Figure

    sites = pd.DataFrame({"site_type": list(SITE_TYPES), "name": list(SITE_TYPES),
                          "easting": np.linspace(480000, 490000, len(SITE_TYPES)), "northing": 300000.0})
    ax = Figure().subplots()
    handles = {label.rsplit(" (", 1)[0]: h for h, label in plot_sites(ax, sites, np.array(
        [479000.0, 299000.0, 491000.0, 301000.0]))}
    assert set(handles) == {t.label for t in SITE_TYPES.values()}
    for t in SITE_TYPES.values():
        svg = marker_svg(t)
        assert t.colour in svg and (t.glyph in svg) == (t.size_px >= 14)
        shape = handles[t.label][0]
        assert shape.get_marker() == MPL_SHAPES[t.shape] and shape.get_markerfacecolor() == t.colour
        assert (len(handles[t.label]) == 2) == (t.size_px >= 14)  # the glyph, where the web map shows one
    sizes = [h[0].get_markersize() for h in handles.values()]
    assert sizes == sorted(sizes, reverse=True)  # legend: biggest first, as on the web map


def test_a_type_added_to_the_registry_reaches_every_reader(crisis: SiteType, settings: Settings, rutland,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    """One registry entry is all it takes: importer, services, selections, map, report, CLI, scenarios."""
    from matplotlib.figure import Figure

    from geo.cli import build_parser, main
    from geo.data.sites import load_sites, parse_site_types, sites_from_table
    from geo.outputs.geojson import popup_html, sites_geojson
    from geo.outputs.map_context import site_labels
    from geo.planning.scenario_schema import AddSite

    # importer: the new type is valid in a user's file; a made-up one still is not
    located = sites_from_table(SITES, settings, source="crisis.csv")
    assert located["site_type"].tolist() == ["crisis", "satellite"]
    with pytest.raises(SchemaError, match=r"unknown site_type \['crsis'\] at rows \[2\].*crisis"):
        sites_from_table(SITES.assign(site_type=["crsis", "satellite"]), settings, source="crisis.csv")
    # services: what the type offers when the file names nothing; selections by type and by service
    assert services_column(SITES).tolist() == ["treatment;outreach", "treatment"]
    assert parse_site_types("crisis") == ("crisis",) and selection_label("crisis") == "crisis café"
    sites = load_sites(settings, area=rutland, types=["crisis"], buffer_km=0, extra=[located],
                       include_pharmacies=False)
    assert sites["name"].tolist() == ["Oakham crisis café"] and sites["services"].iloc[0] == "treatment;outreach"
    # map: GeoJSON, popup, labels
    gj = sites_geojson(located)
    assert gj["features"][0]["properties"]["site_type"] == "crisis"
    assert "Crisis café" in popup_html(gj["features"][0]["properties"]) and CRISIS.colour in popup_html(
        gj["features"][0]["properties"])
    assert site_labels(located)["min_zoom"].tolist()[0] == CRISIS.label_zoom
    # report: its own marker, colour and legend words
    handles = plot_sites(Figure().subplots(), located, np.array([480000.0, 295000.0, 490000.0, 310000.0]))
    (shape, _glyph), label = next(h for h in handles if h[1].startswith("Crisis"))
    assert label == "Crisis café (1)" and shape.get_marker() == "^" and shape.get_markerfacecolor() == CRISIS.colour
    # CLI: choices, help and the registry listing
    parser = build_parser()
    assert parser.parse_args(["scenario", "add", "--area", "Rutland", "--name", "x", "--postcode", "LE15",
                              "--type", "crisis"]).site_type == "crisis"
    assert parser.parse_args(["sites", "import", "f.csv", "--type", "crisis"]).site_type == "crisis"
    sub = next(a for a in parser._actions if a.dest == "command").choices
    cov_help = next(a.help for a in sub["coverage"]._actions if a.dest == "sites")
    assert re.search(r"types: [a-z_,]*crisis", cov_help or "")
    capsys.readouterr()
    assert main(["sites", "types", "--format", "csv"]) == 0
    listed = pd.read_csv(io.StringIO(capsys.readouterr().out))
    assert listed["site_type"].tolist() == list(SITE_TYPES)
    assert listed.set_index("site_type").loc["crisis", "default_services"] == "treatment;outreach"
    # scenarios: a new site of the type
    assert AddSite(name="Crisis café", site_type="crisis", postcode="LE15 6RB").site_type == "crisis"


def test_a_type_not_in_the_registry_is_refused_everywhere(settings: Settings) -> None:
    from geo.cli import build_parser
    from geo.data.sites import parse_site_types
    from geo.planning.scenario_schema import AddSite

    with pytest.raises(InputError, match="crisis"):
        parse_site_types("crisis")
    with pytest.raises(InputError, match=r"field 'site_type' is not valid: use one of hub, satellite"):
        AddSite(name="x", site_type="crisis", postcode="LE15 6RB")
    with pytest.raises(SystemExit), redirect_stdout(io.StringIO()):
        build_parser().parse_args(["scenario", "add", "--area", "Rutland", "--name", "x", "--type", "crisis"])


def test_atlas_reads_the_registry(crisis: SiteType) -> None:
    import folium

    from atlas.leaflet import site_markers
    from atlas.state import site_choices

    assert site_choices()["crisis"] == "Crisis cafés" and list(site_choices())[:2] == ["hub", "satellite"]
    m = folium.Map(location=[52.66, -0.72], zoom_start=11, tiles=None)
    site_markers(SITES).add_to(m)
    html = m.get_root().render()
    assert CRISIS.colour in html and SITE_TYPES["satellite"].colour in html
    assert "Crisis caf\\u00e9" in html  # the legend, as JSON inside the page's script


def test_no_other_module_lists_the_types() -> None:
    """A dict, tuple, list or set naming three or more site types (two of them not also services, so the
    services' own tuples do not count) is a second home of the types: only the registry has one."""
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    names = set(SITE_TYPES)
    homes = []
    for path in [*root.glob("geo/**/*.py"), *root.glob("atlas/**/*.py"), root / "app.py"]:
        if path.name == "site_types.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            items = node.keys if isinstance(node, ast.Dict) else getattr(node, "elts", None) if isinstance(
                node, ast.Tuple | ast.List | ast.Set) else None
            words = {k.value for k in items or () if isinstance(k, ast.Constant) and isinstance(k.value, str)}
            if len(words & names) >= 3 and len(words & names - set(SERVICES)) >= 2:
                homes.append(f"{path.relative_to(root)}:{node.lineno}")
    assert not homes, f"site types listed outside geo/data/site_types.py: {homes}"
