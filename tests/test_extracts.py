"""OSM extract catalogue, fetch and merge (geo.travel.extracts, geo.travel.fetch).

Downloads run against a loopback HTTP mirror (127.0.0.1, a thread in this process) that serves
the REAL Rutland extract from the bundle under catalogue paths, with its real MD5; nothing here
touches the internet.
"""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

import numpy as np
import pytest

from geo._errors import DataSourceError, NetworkError
from geo.config import Settings
from geo.data.areas import select_area
from geo.travel.extracts import (
    CATALOGUE,
    ENGLAND,
    choose_extracts,
    merge_networks,
    network_from_extracts,
)
from geo.travel.fetch import cached_extract, fetch_extract
from geo.travel.network import read_network
from tests.fixtures.loopback import Mirror, unreachable_url


@pytest.fixture
def mirror(loopback: Mirror) -> Mirror:
    return loopback


@pytest.fixture
def fresh(settings: Settings, tmp_path: Path, mirror: Mirror) -> Settings:
    """Settings with an empty cache and the loopback mirror."""
    return settings.with_(cache_dir=tmp_path / "cache", osm_mirror=mirror.url, osm_auto_fetch=True)


def _split_pbf(source: Path, out_dir: Path) -> tuple[Path, Path]:
    """Split a real extract west/east of its median node longitude, ways kept complete.

    Like Geofabrik's extracts, a way crossing the line is in both halves with all its nodes.
    """
    import osmium

    node_lon = {n.id: n.location.lon for n in osmium.FileProcessor(str(source), osmium.osm.NODE)}
    cut = float(np.median(np.fromiter(node_lon.values(), dtype=float)))
    keep_nodes: list[set[int]] = [set(), set()]
    keep_ways: list[set[int]] = [set(), set()]
    for w in osmium.FileProcessor(str(source), osmium.osm.WAY):
        refs = [r.ref for r in w.nodes]
        sides = {0 if node_lon[r] < cut else 1 for r in refs if r in node_lon}
        for side in sides:
            keep_ways[side].add(w.id)
            keep_nodes[side].update(refs)
    paths = (out_dir / "west.osm.pbf", out_dir / "east.osm.pbf")
    writers = [osmium.SimpleWriter(str(p)) for p in paths]
    for obj in osmium.FileProcessor(str(source), osmium.osm.NODE | osmium.osm.WAY):
        keep = keep_nodes if obj.is_node() else keep_ways
        for side in (0, 1):
            if obj.id in keep[side]:
                writers[side].add(obj)
    for writer in writers:
        writer.close()
    return paths


# --------------------------------------------------------------------------- catalogue
def test_catalogue_covers_every_english_lsoa_with_its_own_county(lsoa_table) -> None:
    county_of = {c: slug for slug, e in CATALOGUE.items() for c in e.utlas}
    utlas = lsoa_table["utla23cd"].astype(str)
    assert set(utlas) <= set(county_of), "every UTLA belongs to a catalogue county"
    # each LSOA centroid lies inside its county extract's bounding box (2 km slack for rounding)
    slugs = utlas.map(county_of).to_numpy()
    box = np.array([CATALOGUE[s].bbox_km for s in slugs]) * 1000.0
    x, y = lsoa_table["easting"].to_numpy(float), lsoa_table["northing"].to_numpy(float)
    inside = (x >= box[:, 0] - 2000) & (x <= box[:, 2] + 2000) & (y >= box[:, 1] - 2000) & (y <= box[:, 3] + 2000)
    assert inside.all(), sorted(set(slugs[~inside]))
    assert all(e.path.endswith(f"{e.slug}-latest.osm.pbf") for e in CATALOGUE.values())


def test_choose_extracts_smallest_cover(settings: Settings) -> None:
    rutland = select_area("Rutland", settings=settings)
    assert [e.slug for e in choose_extracts(rutland, buffer_km=0, settings=settings)] == ["rutland"]
    wide = [e.slug for e in choose_extracts(rutland, buffer_km=15, settings=settings)]
    assert {"rutland", "leicestershire", "lincolnshire", "northamptonshire"} <= set(wide)
    assert "essex" not in wide
    essex = select_area("Essex", settings=settings)
    assert [e.slug for e in choose_extracts(essex, buffer_km=0, settings=settings)] == ["essex"]
    assert choose_extracts(select_area("England", settings=settings), buffer_km=0,
                           settings=settings) == [ENGLAND]


# --------------------------------------------------------------------------- fetch
def test_good_file_accepted_and_cache_reused(fresh: Settings, mirror: Mirror, rutland_pbf: Path) -> None:
    data = rutland_pbf.read_bytes()
    mirror.serve(CATALOGUE["rutland"].path, data)
    seen: list[tuple[int, int]] = []
    path = fetch_extract(CATALOGUE["rutland"], settings=fresh, progress=lambda d, t, _: seen.append((d, t)))
    assert path.read_bytes() == data
    assert seen and seen[-1] == (len(data), len(data))
    n = len(mirror.requests)
    assert [p for p, _ in mirror.requests] == [CATALOGUE["rutland"].path + ".md5", CATALOGUE["rutland"].path]
    again = fetch_extract(CATALOGUE["rutland"], settings=fresh)
    assert again == path and len(mirror.requests) == n, "a second fetch makes no request"


def test_tampered_file_refused(fresh: Settings, mirror: Mirror, rutland_pbf: Path) -> None:
    data = bytearray(rutland_pbf.read_bytes())
    original = bytes(data)
    data[len(data) // 2] ^= 0xFF
    mirror.serve(CATALOGUE["rutland"].path, bytes(data), md5_of=original)
    with pytest.raises(DataSourceError, match="does not match its published MD5"):
        fetch_extract(CATALOGUE["rutland"], settings=fresh)
    assert cached_extract(CATALOGUE["rutland"], fresh) is None
    assert not list((fresh.cache_dir / "osm").glob("*.osm.pbf*")), "nothing tampered is kept"


def test_interrupted_download_resumed(fresh: Settings, mirror: Mirror, rutland_pbf: Path) -> None:
    data = rutland_pbf.read_bytes()
    path_on_server = CATALOGUE["rutland"].path
    mirror.serve(path_on_server, data)
    mirror.drop_once.add(path_on_server)
    path = fetch_extract(CATALOGUE["rutland"], settings=fresh)
    assert hashlib.md5(path.read_bytes()).hexdigest() == mirror.md5[path_on_server]
    file_requests = [r for p, r in mirror.requests if p == path_on_server]
    assert len(file_requests) == 2 and file_requests[0] is None
    assert file_requests[1] is not None and int(file_requests[1][6:].split("-")[0]) > 0, "resumed with Range"


def test_local_folder_mirror(settings: Settings, tmp_path: Path, rutland_pbf: Path) -> None:
    root = tmp_path / "mirror"
    target = root / CATALOGUE["rutland"].path
    target.parent.mkdir(parents=True)
    target.symlink_to(rutland_pbf)
    target.with_name(target.name + ".md5").write_text(
        hashlib.md5(rutland_pbf.read_bytes()).hexdigest() + "  rutland-latest.osm.pbf\n")
    s = settings.with_(cache_dir=tmp_path / "cache", osm_mirror=str(root))
    assert fetch_extract(CATALOGUE["rutland"], settings=s).read_bytes() == rutland_pbf.read_bytes()


@pytest.mark.parametrize("where", ["closed-port", "unresolvable"])
def test_offline_fails_fast_with_one_clear_line(settings: Settings, tmp_path: Path, where: str) -> None:
    s = settings.with_(cache_dir=tmp_path / "cache", osm_mirror=unreachable_url(where, name="osm-mirror"))
    start = time.perf_counter()
    with pytest.raises(NetworkError) as err:
        fetch_extract(CATALOGUE["essex"], settings=s)
    assert time.perf_counter() - start <= 5.0
    text = str(err.value)
    assert "\n" not in text and "--network FILE.osm.pbf" in text and "GEO_OSM_MIRROR" in text


# --------------------------------------------------------------------------- merge and auto
@pytest.mark.slow
def test_two_extracts_merged_equal_the_single_one(fresh: Settings, mirror: Mirror, rutland_pbf: Path,
                                                   tmp_path: Path) -> None:
    west, east = _split_pbf(rutland_pbf, tmp_path)
    mirror.serve(CATALOGUE["leicestershire"].path, west.read_bytes())
    mirror.serve(CATALOGUE["rutland"].path, east.read_bytes())
    area = select_area("Rutland;Melton", settings=fresh)  # Melton is in Leicestershire
    merged = network_from_extracts(area, mode="drive", settings=fresh, buffer_km=0)
    single = read_network(rutland_pbf, mode="drive", settings=fresh)
    assert merged is not None and " + " in merged.source
    assert merged.n_nodes == single.n_nodes and merged.n_edges == single.n_edges
    assert np.array_equal(np.sort(merged.osmid), np.sort(single.osmid))

    def edges(n):
        key = np.column_stack([n.osmid[n.edge_u], n.osmid[n.edge_v]])
        order = np.lexsort((n.edge_seconds, key[:, 1], key[:, 0]))
        return key[order], n.edge_seconds[order]

    (km, sm), (ks, ss) = edges(merged), edges(single)
    assert np.array_equal(km, ks)
    # times depend a little on the roads around an edge (junctions, built-up density): near the
    # cut one half saw fewer of them, so a few edges differ, by under a second
    differ = np.abs(sm - ss) > 1e-6
    assert differ.sum() <= 0.001 * len(ss) and np.abs(sm - ss).max() < 2.0
    # the two halves really overlap (ways crossing the cut are in both) and were deduplicated
    halves = [read_network(p, mode="drive", settings=fresh) for p in (west, east)]
    assert sum(h.n_edges for h in halves) > single.n_edges
    assert merge_networks(halves).n_edges == single.n_edges


def test_network_auto_fetches_from_mirror(fresh: Settings, mirror: Mirror, rutland_pbf: Path,
                                          settings: Settings, tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    from geo.travel import network
    from geo.travel.routing import make_router

    monkeypatch.setattr(network, "bundled_networks", lambda s: [])  # as if the bundle had no roads
    mirror.serve(CATALOGUE["rutland"].path, rutland_pbf.read_bytes())
    area = select_area("Rutland", settings=fresh)
    router = make_router("drive", area=area, settings=fresh, network="auto", extract_buffer_km=0)
    assert router.method == "network" and "rutland-latest.osm.pbf" in router.label
    # unreachable mirror and nothing cached: the estimate, labelled with how to get real roads
    offline = settings.with_(cache_dir=tmp_path / "empty", osm_mirror="http://osm-mirror.invalid",
                             osm_auto_fetch=True)
    est = make_router("walk", area=select_area("Essex", settings=settings), settings=offline,
                      network="auto")
    assert est.method == "estimate" and 'geo network fetch --area "Essex"' in est.label


def test_cli_network_fetch_end_to_end(mirror: Mirror, rutland_pbf: Path, tmp_path: Path, settings: Settings,
                                      monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from geo.cli import main

    mirror.serve(CATALOGUE["rutland"].path, rutland_pbf.read_bytes())
    monkeypatch.setenv("GEO_OSM_MIRROR", mirror.url)
    monkeypatch.setenv("GEO_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("GEO_DATA_DIR", str(settings.data_dir))
    assert main(["network", "fetch", "--area", "Rutland", "--buffer-km", "0", "--format", "json"]) == 0
    assert (tmp_path / "cache" / "osm" / "rutland-latest.osm.pbf").read_bytes() == rutland_pbf.read_bytes()
    assert "rutland-latest.osm.pbf" in capsys.readouterr().out
    monkeypatch.setenv("GEO_OSM_MIRROR", "http://osm-mirror.invalid")
    monkeypatch.setenv("GEO_CACHE_DIR", str(tmp_path / "empty"))
    start = time.perf_counter()
    assert main(["network", "fetch", "--area", "Essex"]) == 2
    assert time.perf_counter() - start <= 5.0
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--network FILE.osm.pbf" in err[0]
