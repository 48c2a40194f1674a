"""Privacy attack suite (issue 24): pool every release of one extract and try to pin a count of 1-4.

The intruder (:mod:`tests.privacy_intruder`) is a viewer who can pick any area.  It collects the
client figures of many releases of one **synthetic** extract -- named districts, unions of wards,
polygons that differ by one LSOA, both IMD editions, ``--round-to``, the CLI's JSON and CSV, the
Python API and the app's views -- and bounds every LSOA's true count with a linear programme and
the public ptable.  Pass: no count of 1-4 is pinned, pooling tells the intruder nothing beyond one
release of the extract's base, and an averaging attack over 200+ overlapping releases gets no
closer to the truth than the published value's stated error.

Before issue 24 (per-release suppression and rounding), pooling 24 polygon releases that differ by
one LSOA pinned a count of 3 exactly; :func:`test_averaging_attack_beats_per_area_noise` shows the
same attack succeeding against per-area cell-key noise, the design the base replaces.
"""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from geo.cli import main
from tests.privacy_intruder import SMALL, Intruder, small_pattern, synthetic_extract

pytestmark = pytest.mark.privacy

UNIVERSE = "Rutland; Melton"  # 56 LSOAs, 2 districts, 31 wards
TARGET = 3  # the neighbourhood count of the finding


# ----------------------------------------------------------------------------- the extract
@pytest.fixture(scope="module")
def world(settings, tmp_path_factory) -> dict[str, Any]:
    """One synthetic extract over Rutland and Melton (many counts of 1-4, a target LSOA of 3,
    clients living in Harborough, unmapped rows), its base and the intruder's public tables."""
    from geo.data.areas import select_area
    from geo.measures.client_base import build_client_base
    from geo.measures.clients import read_client_extract

    universe = select_area(UNIVERSE, settings=settings)
    codes = sorted(universe.lsoas.index)
    truth = small_pattern(codes, seed=24)
    target = codes[7]
    truth[target] = TARGET
    harborough = sorted(select_area("Harborough", settings=settings).lsoas.index)[:3]
    df = synthetic_extract(settings, truth, outside_codes=harborough, outside=6, unmapped=3, seed=24)
    path = tmp_path_factory.mktemp("attack") / "synthetic_pooling.csv"
    df.to_csv(path, index=False)
    clients = read_client_extract(df, settings, source=path.name)
    base = build_client_base(clients, settings)
    return {"universe": universe, "codes": codes, "truth": truth, "target": target, "path": path,
            "clients": clients, "base": base, "settings": settings}


def _intruder(world: dict[str, Any]) -> Intruder:
    return Intruder(world["universe"].lsoas, world["base"].ptable)


def _deciles(world: dict[str, Any], edition: int) -> pd.Series:
    col = "imd_decile" if edition == 2025 else "imd2019_decile"
    return world["universe"].lsoas[col]


def _polygon(settings, codes: list[str], name: str):
    from geo.data.areas import select_area
    from geo.data.loaders import load_lsoa_boundaries

    return select_area(load_lsoa_boundaries(settings).loc[codes].union_all(), settings=settings, name=name)


def _ward_union(world: dict[str, Any], rng: np.random.Generator, k: int):
    from geo.data.areas import select_area

    lsoas = world["universe"].lsoas
    wards = sorted(set(zip(lsoas["ward"], lsoas["lad24nm"], strict=True)))
    pick = [wards[int(i)] for i in rng.choice(len(wards), size=k, replace=False)]
    return select_area([f"{w}, {d}" for w, d in pick], settings=world["settings"])


def _base_values(world: dict[str, Any]) -> np.ndarray:
    """The true base as the intruder's variables (for checking its model, never given to it)."""
    base = world["base"]
    p = base.counts(world["codes"]).astype(float)
    rest = float(base.lsoa.drop(index=world["codes"], errors="ignore").sum())
    return np.concatenate([p, [rest, base.not_mapped]])


def _assert_nothing_pinned(world: dict[str, Any], intruder: Intruder) -> dict[str, tuple[int, int]]:
    intruder.check(_base_values(world))
    assert intruder.pinned_small_counts(world["truth"]) == []
    bounds = intruder.count_bounds()
    # pooling reveals nothing beyond the base: each LSOA's range is what its one published value gives
    base = world["base"]
    for code, rng in bounds.items():
        assert rng == base.ptable.support(int(base.counts([code])[0])), code
    return bounds


# ----------------------------------------------------------------------------- the design
def test_every_figure_is_a_sum_of_the_base(world) -> None:
    """Releases are computed from the base alone: a hand-made base gives exactly its sums."""
    from geo.measures.client_base import ClientBase
    from geo.measures.client_release import build_client_release

    rng = np.random.default_rng(1)
    codes = world["codes"]
    values = pd.Series(np.where(rng.random(len(codes)) < 0.3, 0, rng.integers(5, 40, len(codes))), index=codes)
    fake = ClientBase(lsoa=values[values > 0], not_mapped=7, mse=pd.Series(2.0, index=codes), not_mapped_mse=1.0,
                      ptable=world["base"].ptable)
    for area in (world["universe"], _ward_union(world, rng, 6)):
        rel = build_client_release(fake, area)
        inside = sorted(area.lsoas.index)
        assert rel.headline["clients_in_area"] == values[inside].sum()
        assert rel.headline["clients_outside_area"] == values.sum() - values[inside].sum()
        assert rel.headline["rows_read"] == values.sum() + 7
        assert rel.headline["rows_not_mapped"] == 7
        assert rel.by_lsoa["clients"].to_dict() == values[inside].to_dict()
        for name in ("by_lad", "by_ward", "by_decile", "by_quintile"):
            assert getattr(rel, name)["clients"].sum() == values[inside].sum()
        assert rel.headline["clients_in_area_error"] == int(np.ceil(2 * np.sqrt(2.0 * len(inside))))


def test_base_never_shows_1_to_4_and_hides_every_small_count(world) -> None:
    base, truth = world["base"], world["truth"]
    assert not base.lsoa.between(1, base.ptable.small_count).any()
    small = [c for c, v in truth.items() if v in SMALL]
    assert len(small) >= 15, "the extract must have many counts of 1-4 to attack"
    for code in small:
        lo, hi = base.ptable.support(int(base.counts([code])[0]))
        assert hi - lo >= 3, f"{code}: one published value must leave several true counts possible"


# ----------------------------------------------------------------------------- API: pooled areas
def test_pooled_api_releases_pin_nothing(world) -> None:
    """Named areas, ward unions, polygons differing by one LSOA (the issue's attack), both IMD
    editions and --round-to, pooled."""
    from geo.data.areas import select_area
    from geo.measures.client_release import build_client_release

    settings, base, target = world["settings"], world["base"], world["target"]
    intruder = _intruder(world)
    rng = np.random.default_rng(5)
    areas = [select_area(n, settings=settings) for n in ("Rutland", "Melton", UNIVERSE)]
    areas += [_ward_union(world, rng, int(rng.integers(4, 9))) for _ in range(10)]
    others = [c for c in world["codes"] if c != target]
    for k in range(12):
        rest = sorted(rng.choice(others, size=int(rng.integers(10, 20)), replace=False).tolist())
        areas += [_polygon(settings, rest, f"polygon {k}"), _polygon(settings, sorted([*rest, target]), f"p{k}+1")]
    for i, area in enumerate(areas):
        if len(area.lsoas) < 10:
            continue
        for edition in (2025, 2019):
            col = "imd_decile" if edition == 2025 else "imd2019_decile"
            round_to = 5 if i % 3 == 0 else None
            rel = build_client_release(base, area, decile_col=col, round_to=round_to).everything()
            intruder.observe(rel, area.lsoas.index, deciles=_deciles(world, edition), round_to=round_to)
    assert intruder.figures > 3000
    bounds = _assert_nothing_pinned(world, intruder)
    assert bounds[target][1] - bounds[target][0] >= 3


def test_releases_without_lsoa_tables_pin_nothing(world) -> None:
    """Only totals (district, ward, quintile, headline) of many overlapping areas: the intruder
    can at best rebuild the base, never go past it."""
    from geo.measures.client_release import build_client_release

    intruder = _intruder(world)
    rng = np.random.default_rng(8)
    for _ in range(40):
        area = _ward_union(world, rng, int(rng.integers(3, 12)))
        if len(area.lsoas) < 10:
            continue
        rel = build_client_release(world["base"], area).everything()
        rel.pop("by_lsoa")
        intruder.observe(rel, area.lsoas.index, deciles=_deciles(world, 2025))
    intruder.check(_base_values(world))
    assert intruder.pinned_small_counts(world["truth"]) == []


# ----------------------------------------------------------------------------- averaging
def _averaging_releases(world: dict[str, Any], target: str, n_pairs: int, seed: int) -> list[tuple[Any, Any]]:
    rng = np.random.default_rng(seed)
    others = [c for c in world["codes"] if c != target]
    pairs = []
    while len(pairs) < n_pairs:
        rest = sorted(rng.choice(others, size=int(rng.integers(10, 30)), replace=False).tolist())
        a = _polygon(world["settings"], rest, "without")
        b = _polygon(world["settings"], sorted([*rest, target]), "with")
        if target in set(b.lsoas.index) - set(a.lsoas.index) and len(a.lsoas) >= 10:
            pairs.append((a, b))
    return pairs


@pytest.fixture(scope="module")
def averaging_pairs(world) -> list[tuple[Any, Any]]:
    """110 pairs of polygon areas, with and without the target LSOA (220 releases)."""
    return _averaging_releases(world, world["target"], 110, seed=9)


def test_averaging_attack_over_220_releases_gains_nothing(world, averaging_pairs) -> None:
    from geo.measures.client_release import build_client_release

    base, target = world["base"], world["target"]
    diffs = []
    for a, b in averaging_pairs:
        ra, rb = build_client_release(base, a).headline, build_client_release(base, b).headline
        extra = sorted(set(b.lsoas.index) - set(a.lsoas.index) - {target})
        diffs.append(rb["clients_in_area"] - ra["clients_in_area"] - base.counts(extra).sum())
    estimate = float(np.mean(diffs))
    published = int(base.counts([target])[0])
    assert np.ptp(diffs) == 0, "every pair must give the same difference: no new noise draws"
    assert estimate == published  # the average is the published value, whose error is as stated
    lo, hi = base.ptable.support(published)
    assert lo <= TARGET <= hi and hi - lo >= 3


def test_averaging_attack_beats_per_area_noise(world, averaging_pairs) -> None:
    """The design the base replaces: each area's total perturbed with its own cell key (the sum of
    its records' keys).  Averaging the same 220 releases pins the target's 3."""
    clients, base, target = world["clients"], world["base"], world["target"]
    keys = clients["record_key"].to_numpy(dtype=np.int64)
    codes = clients["lsoa21cd"].astype("string").fillna("").to_numpy()

    def per_area_total(area) -> int:
        inside = np.isin(codes, list(area.lsoas.index))
        return int(base.ptable.perturb(np.array([inside.sum()]), np.array([keys[inside].sum()]))[0])

    diffs = []
    for a, b in averaging_pairs:
        extra = sorted(set(b.lsoas.index) - set(a.lsoas.index) - {target})
        extra_true = int(np.isin(codes, extra).sum())
        diffs.append(per_area_total(b) - per_area_total(a) - extra_true)
    estimate = float(np.mean(diffs))
    stated = 2 * np.sqrt(2 * base.ptable.variance)  # the stated error of one such difference
    assert abs(estimate - TARGET) < 0.5 < stated, "per-area noise averages away"
    assert round(estimate) == TARGET


def test_base_errors_match_their_stated_size(world) -> None:
    """Over every LSOA, the published values' errors are the size the releases state (so no
    attacker using them can claim better than stated): about 95% within +/- clients_error."""
    from geo.measures.client_release import build_client_release

    rel = build_client_release(world["base"], world["universe"])
    truth = pd.Series(world["truth"]).reindex(rel.by_lsoa.index)
    error = (rel.by_lsoa["clients"] - truth).abs()
    assert (error <= rel.by_lsoa["clients_error"]).mean() >= 0.85
    assert (error > 0).mean() >= 0.3, "a base that is mostly exact would be no protection"


# ----------------------------------------------------------------------------- the CLI
def _cli(settings, *args: str) -> int:
    return main(["--data-dir", str(settings.data_dir), "clients", "summarise", *args])


def test_cli_runs_pool_to_the_base(world, tmp_path) -> None:
    """JSON of every --table, the LSOA CSV, --round-to 5, --imd 2019, a polygon file and a ward
    union, all equal to the API's release and pooled together."""
    from geo.data.areas import select_area
    from geo.data.loaders import load_lsoa_boundaries
    from geo.measures.client_release import build_client_release

    settings, base = world["settings"], world["base"]
    poly_codes = world["codes"][3:20]
    poly = tmp_path / "my_area.geojson"
    poly.write_text(load_lsoa_boundaries(settings).loc[poly_codes].to_crs(4326).dissolve()[["geometry"]].to_json())
    lsoas = world["universe"].lsoas
    wards = "; ".join(f"{w}, {d}" for w, d in sorted(set(zip(lsoas["ward"], lsoas["lad24nm"], strict=True)))[:8])
    runs = [("Rutland", (), 2025), (UNIVERSE, ("--round-to", "5"), 2025), (UNIVERSE, ("--imd", "2019"), 2019),
            (str(poly), (), 2025), (wards, (), 2025)]
    intruder = _intruder(world)
    for k, (area_spec, extra, edition) in enumerate(runs):
        out = tmp_path / f"all{k}.json"
        assert _cli(settings, "--file", str(world["path"]), "--area", area_spec, "--table", "all", "--format", "json",
                    "--out", str(out), *extra) == 0
        pub = json.loads(out.read_text())
        area = select_area(poly if area_spec == str(poly) else area_spec,
                           settings=settings.with_(imd_version=edition))
        round_to = 5 if "--round-to" in extra else None
        api = build_client_release(base, area, round_to=round_to)
        assert pub["clients_in_area"] == api.headline["clients_in_area"]
        assert {r["lsoa21cd"]: r["clients"] for r in pub["by_lsoa"]} == api.by_lsoa["clients"].to_dict()
        assert [r["clients"] for r in pub["by_imd_quintile"]] == api.by_quintile["clients"].tolist()
        assert pub["disclosure"].startswith("counts perturbed (cell key method), D = 5")
        intruder.observe(pub, area.lsoas.index, deciles=_deciles(world, edition), round_to=round_to)
        csv = tmp_path / f"lsoa{k}.csv"
        assert _cli(settings, "--file", str(world["path"]), "--area", area_spec, "--table", "lsoa", "--format", "csv",
                    "--out", str(csv), *extra) == 0
        table = pd.read_csv(csv, dtype={"lsoa21cd": str}).set_index("lsoa21cd")
        assert table["clients"].to_dict() == api.by_lsoa["clients"].to_dict()
        assert (table["disclosure"] == api.label).all() and "clients_error" in table.columns
    _assert_nothing_pinned(world, intruder)


# ----------------------------------------------------------------------------- refusals and echoes
def test_polygon_round_one_lsoa_is_refused(world, tmp_path, capsys) -> None:
    from geo.data.loaders import load_lsoa_boundaries

    settings = world["settings"]
    poly = load_lsoa_boundaries(settings).loc[[world["target"]]].to_crs(4326)
    area_file = tmp_path / "one_lsoa.geojson"
    area_file.write_text(poly.reset_index()[["geometry"]].to_json())
    capsys.readouterr()
    assert _cli(settings, "--file", str(world["path"]), "--area", str(area_file), "--format", "json") == 2
    cap = capsys.readouterr()
    assert cap.out == ""
    assert "at least 10 neighbourhoods" in cap.err
    assert len(cap.err.strip().splitlines()) == 1


def test_headerless_extract_and_verbose_logs_echo_nothing(world, tmp_path, capsys, caplog) -> None:
    settings = world["settings"]
    df = pd.read_csv(world["path"])
    headerless = tmp_path / "synthetic_headerless.csv"
    headerless.write_text("\n".join(f"c{i},{pc}" for i, pc in enumerate(df["postcode"])) + "\n")
    capsys.readouterr()
    assert _cli(settings, "--file", str(headerless), "--area", "Rutland") == 2
    err = capsys.readouterr().err
    assert "the first row does not look like a header; column 2 looks like postcodes" in err
    for pc in df["postcode"]:
        assert pc.lower().replace(" ", "") not in err.lower().replace(" ", "").replace("_", "")
    with caplog.at_level(logging.DEBUG):
        assert main(["-vv", "--data-dir", str(settings.data_dir), "clients", "summarise", "--file",
                     str(world["path"]), "--area", UNIVERSE, "--format", "json"]) == 0
    text = "\n".join(r.getMessage() for r in caplog.records) + capsys.readouterr().err
    for pc in df["postcode"]:
        assert pc not in text
    true_total = sum(world["truth"].values())
    assert not re.search(rf"\b{true_total}\b", text), "the true area total must not be logged"
    assert "record key" not in text.lower()


def test_written_outputs_scan_clean(world, tmp_path) -> None:
    from geo.measures.client_release import build_client_release
    from geo.measures.disclosure import scan_file
    from geo.outputs.export import export_client_geopackage

    rel = build_client_release(world["base"], world["universe"])
    for name in rel.TABLES:
        out = tmp_path / f"{name}.csv"
        rel.table(name).to_csv(out)
        assert scan_file(out) == []
    gpkg = export_client_geopackage(tmp_path / "clients.gpkg", rel, world["universe"])
    assert scan_file(gpkg) == []
    import pyogrio

    layer = pyogrio.read_dataframe(gpkg, layer="client_lsoas")
    assert (layer["disclosure"] == rel.label).all() and "clients_error" in layer.columns
    assert layer.set_index("lsoa21cd")["clients"].to_dict() == rel.by_lsoa["clients"].to_dict()


def test_map_rates_are_published_counts(world) -> None:
    """The app's map metric: rate x adults gives back the published count, nothing else."""
    from geo.measures.client_release import RATE_COL, build_client_release

    rel = build_client_release(world["base"], world["universe"])
    adults = world["universe"].lsoas["adults"].astype(float)
    for code, r in rel.by_lsoa[RATE_COL].items():
        assert round(r * adults[code] / 1000) == rel.by_lsoa.loc[code, "clients"]
    rates = world["base"].rates_per_1000(world["universe"].lsoas)
    pd.testing.assert_series_equal(rates, rel.by_lsoa[RATE_COL], check_names=False)


# ----------------------------------------------------------------------------- the app's views
@pytest.mark.app
@pytest.mark.slow
def test_app_views_show_only_the_base(world, uploader) -> None:
    """The Clients view (headline, tables), the map's rates and the gap ranking's counts, for two
    areas and both IMD editions, are the API's release of the same extract; pooled, they pin nothing."""
    from streamlit.testing.v1 import AppTest

    from geo.data.areas import select_area
    from geo.measures.client_release import build_client_release
    from tests.fixtures.app_upload import APP

    settings, base = world["settings"], world["base"]
    at = AppTest.from_file(APP, default_timeout=600)
    at.run()
    at.radio(key="view").set_value("Clients").run()
    at.session_state["_test_upload"] = (world["path"].name, world["path"].read_bytes(), "upload-attack")
    at.run()
    assert not at.exception, at.exception
    intruder = _intruder(world)
    for area_name, edition in (("Rutland", 2025), ("Rutland", 2019), ("Melton", 2025)):
        if edition == 2019:
            at.sidebar.selectbox(key="imd_version").select(2019).run()
        if area_name == "Melton":
            at.sidebar.selectbox(key="imd_version").select(2025).run()
            at.sidebar.selectbox(key="area_choice").select("Another district or county…").run()
            at.sidebar.selectbox(key="area_other").select("Melton").run()
        assert not at.exception, at.exception
        area = select_area(area_name, settings=settings.with_(imd_version=edition))
        api = build_client_release(base, area)
        summary = at.session_state["client_summary"]
        assert summary["area"] == area.name
        assert summary["clients_in_area"] == api.headline["clients_in_area"]
        metrics = {m.label: m.value for m in at.metric}
        assert metrics["Clients in the area"] == (f"{api.headline['clients_in_area']:,} ± "
                                                  f"{api.headline['clients_in_area_error']:,}")
        shown = [d.value for d in at.dataframe]
        assert any("Clients (± error)" in f.columns for f in shown)
        texts = " ".join(str(c.value) for c in at.caption)
        assert "Counts perturbed (cell key method), D = 5" in texts
        rates = at.session_state["client_rates"].reindex(area.lsoas.index)
        pd.testing.assert_series_equal(rates, api.by_lsoa["clients_per_1000_adults"], check_names=False)
        counts = pd.Series(at.session_state["client_counts"]).reindex(area.lsoas.index).fillna(0)
        assert (counts == api.by_lsoa["clients"]).all()
        intruder.observe(summary, area.lsoas.index, deciles=_deciles(world, edition))
        intruder.observe({"by_lsoa": api.by_lsoa.assign(clients=counts)}, area.lsoas.index,
                         deciles=_deciles(world, edition))
    _assert_nothing_pinned(world, intruder)


@pytest.mark.app
@pytest.mark.slow
def test_app_map_says_counts_are_perturbed(world, uploader) -> None:
    from streamlit.testing.v1 import AppTest

    from tests.fixtures.app_upload import APP

    at = AppTest.from_file(APP, default_timeout=600)
    at.run()
    at.radio(key="view").set_value("Clients").run()
    at.session_state["_test_upload"] = (world["path"].name, world["path"].read_bytes(), "upload-map")
    at.run()
    at.radio(key="view").set_value("Coverage").run()
    at.sidebar.selectbox(key="metric").select("clients").run()
    assert not at.exception, at.exception
    html = "\n".join(str(getattr(f, "proto", f)) for f in at.get("iframe"))
    assert "counts perturbed" in html and "cell key method" in html
    assert "hidden to protect privacy" not in html
    at.radio(key="view").set_value("Gaps").run()
    at.selectbox(key="gap_need").select("composite").run()
    assert not at.exception, at.exception
    texts = " ".join(str(c.value) for c in at.caption)
    assert "Composite need uses the uploaded client extract: counts perturbed (cell key method), D = 5" in texts


def test_settings_path_for_the_secret_is_used(world) -> None:
    """The record keys come from the secret the settings point at (the test run's fixed one)."""
    import os

    from geo.measures.cellkey import load_secret

    path = Path(os.environ["GEO_CELLKEY_SECRET_FILE"])
    assert world["settings"].cellkey_secret_file == path
    assert load_secret(path).startswith(b"geo-test-cellkey-secret")
