"""Corpus cases for study-area names, damaged bundle files, dataset/config look-ups and (when the
modules exist) road networks, GTFS feeds and opening hours."""

from __future__ import annotations

import bz2
import gzip
import importlib.util
import io
import zipfile
from pathlib import Path
from typing import Any

from geo._errors import AreaError, DataSourceError, GeoError, InputError, SchemaError
from geo.config import Settings
from tests.badinput.corpus import Case, forge_zip_sizes

BUNDLE = Path("/work/shared/data")


def _has(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


# -- study-area names --------------------------------------------------------------------------

# (not "Gotham" or "Wales": both are real English wards, in Rushcliffe and Rotherham)
UNKNOWN_AREAS = ["Narnia", "Gondor", "Atlantis", "Mordor", "Scotland", "Ceredigion", "Cardiff", "Edinburgh",
                 "Glasgow", "Belfast", "Isle of Man", "Jersey", "Paris", "Rutlnd", "Leicstershire",
                 "North Northants", "Essexx", "Northamptonshir", "Rutland County", "LE15 6HP",
                 "12345", "???", "Rutland;Narnia", "Narnia;Rutland", "E06999999", "E07999999",
                 "E92999999", "W06000015", "S12000036", "N09000003", "E01000001x", "england!", "The Shire"]
EMPTY_AREAS = ["", "   ", ";", " ; ; ", "\t"]


def _select(spec: Any, **kw: Any):
    def call(_arg: Any, s: Settings, _w: Path) -> Any:
        from geo.data.areas import select_area

        return select_area(spec, settings=s, **kw)
    return call


def _nothing(_tmp: Path) -> None:
    return None


def area_cases() -> list[Case]:
    out: list[Case] = []
    for spec in UNKNOWN_AREAS:
        shown = spec.split(";")[-1] if spec.startswith("Rutland;") else spec.split(";")[0]
        match = r"unknown area|no English LSOAs have code|Did you mean"
        out.append(Case(f"area-unknown-{spec.replace(' ', '_').replace(';', '+')}", _nothing, _select(spec), AreaError,
                        match, names=shown.strip(),
                        category="areas"))
    for i, spec in enumerate(EMPTY_AREAS):
        out.append(Case(f"area-empty-{i}", _nothing, _select(spec), AreaError, r"empty area", category="areas"))
    out.append(Case("area-empty-list", _nothing, _select([]), AreaError, r"empty area", category="areas"))
    for b in (-1.0, -0.001, -100.0):
        out.append(Case(f"area-negative-buffer-{b:g}", _nothing, _select("Rutland", buffer_km=b), AreaError,
                        r"buffer_km must be >= 0", names=f"{b}", category="areas"))
    for i, missing in enumerate(["no_such_area.geojson", "missing/folder/area.gpkg", "typo.shp"]):
        def call(_a: Any, s: Settings, w: Path, missing=missing) -> Any:
            from geo.data.areas import select_area

            return select_area(str(w / missing), settings=s)
        out.append(Case(f"area-file-not-found-{i}", _nothing, call, InputError, r"not found", names=Path(missing).name,
                        category="areas"))
    # accepted spellings
    for i, spec in enumerate(["rutland", "RUTLAND", "  Rutland  ", "E06000017", "e06000017", "Rutland;"]):
        out.append(Case(f"area-accept-{i}", _nothing, _select(spec), None,
                        check=lambda a: a.name == "Rutland" and len(a.lsoas) > 20, category="areas"))
    return out


# -- damaged bundle files ----------------------------------------------------------------------

def _bundle_call(key: str):
    def call(_p: Path, s: Settings, w: Path) -> Any:
        from geo.data.loaders import read_dataset

        return read_dataset(key, s.with_(data_dir=w / "bundle"))
    return call


def _bundle_file(relpath: str, data: bytes):
    def build(tmp: Path) -> Path:
        p = tmp / "bundle" / relpath
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)
        return p
    return build


def _gz(data: bytes) -> bytes:
    return gzip.compress(data, mtime=0)


def bundle_cases() -> list[Case]:
    from geo.data.sources import DATASETS

    out: list[Case] = []
    junk = bytes((i * 7919 + 13) % 256 for i in range(4096))
    for key, ds in DATASETS.items():
        if ds.kind != "csv":
            continue
        fname = Path(ds.relpath).name
        gz = ds.relpath.endswith(".gz")
        header = ",".join(ds.columns).encode()
        variants: dict[str, tuple[bytes, type[GeoError], str]] = {
            "empty": (b"", DataSourceError, r"cannot read .*damaged"),
            "wrong-columns": (b"foo,bar\n1,2\n", SchemaError, r"missing column"),
            "html-error-page": (b"<!doctype html>\n<html><body>404 Not Found</body></html>\n", SchemaError,
                                r"missing column"),
            "binary-junk": (junk, DataSourceError, r"cannot read .*damaged"),
        }
        if ds.columns[1:]:
            variants["one-column-missing"] = (",".join(ds.columns[:-1]).encode() + b"\n" + b"x," * (len(ds.columns) - 2)
                                              + b"x\n", SchemaError, rf"missing column\(s\) {ds.columns[-1]}")
        if gz:
            good = _gz(header + b"\n" + b",".join([b"1"] * len(ds.columns)) * 2000)
            variants = {k: (_gz(v[0]) if k != "binary-junk" else v[0], v[1], v[2]) for k, v in variants.items()}
            variants["truncated-gzip"] = (good[: len(good) // 2], DataSourceError, r"cannot read .*damaged")
            variants["empty"] = (b"", DataSourceError, r"cannot read .*damaged")
        for k, (data, err, match) in variants.items():
            out.append(Case(f"bundle-{key}-{k}", _bundle_file(ds.relpath, data), _bundle_call(key), err, match,
                            names=fname, category="bundle"))
        out.append(Case(f"bundle-{key}-missing", _nothing, _bundle_call(key), DataSourceError,
                        r"not found\. Fix", names=ds.relpath, category="bundle"))
    for key in ("lsoa_boundaries", "lad_boundaries"):
        ds = DATASETS[key]

        def call(_p: Path, s: Settings, w: Path, key=key) -> Any:
            from geo.data import loaders

            fn = loaders.load_lsoa_boundaries if key == "lsoa_boundaries" else loaders.load_lad_boundaries
            return fn(s.with_(data_dir=w / "bundle"))
        for k, data in {"empty": b"", "junk": junk, "csv-renamed": b"lsoa21cd,name\nE01000001,x\n",
                        "truncated-sqlite": b"SQLite format 3\x00" + b"\x10\x00" + b"\x00" * 200}.items():
            out.append(Case(f"bundle-{key}-{k}", _bundle_file(ds.relpath, data), call, DataSourceError,
                            r"cannot read layer|damaged", names=Path(ds.relpath).name, category="bundle"))
    return out


# -- dataset registry, mirror and data-directory look-ups --------------------------------------

def registry_cases() -> list[Case]:
    out: list[Case] = []
    for k in ("nope", "", "IMD2025", "postcode", "rutland pbf"):
        def call(_a: Any, s: Settings, w: Path, k=k) -> Any:
            from geo.data.sources import get_dataset

            return get_dataset(k)
        out.append(Case(f"registry-unknown-{k or 'blank'}".replace(" ", "_"), _nothing, call, DataSourceError,
                        r"unknown dataset", names=repr(k), category="sources"))
        # "known:" lists the valid keys - counts as the hint
    for key in ("imd2025", "rutland_pbf", "postcodes"):
        def call(_a: Any, s: Settings, w: Path, key=key, monkey=True) -> Any:
            import os

            from geo.data.sources import fetch_dataset

            old = os.environ.pop("GEO_DATA_URL", None)
            try:
                return fetch_dataset(key, w / "dl", base_url=None, progress=False)
            finally:
                if old is not None:
                    os.environ["GEO_DATA_URL"] = old
        out.append(Case(f"fetch-no-mirror-{key}", _nothing, call, DataSourceError, r"no download mirror configured",
                        names=Path(__import__("geo.data.sources", fromlist=["x"]).DATASETS[key].relpath).name,
                        category="sources"))
    for i, rel in enumerate(["does/not/exist", "nowhere"]):
        def call(_a: Any, s: Settings, w: Path, rel=rel) -> Any:
            from geo.config import resolve_data_dir

            return resolve_data_dir(w / rel)
        out.append(Case(f"config-data-dir-missing-{i}", _nothing, call, DataSourceError, r"does not exist",
                        names=Path(rel).name, category="sources"))
    return out


# -- road networks (geo.travel.network) ----------------------------------------------------------------

def _pbf_truncated(n: int | float, name: str):
    def build(tmp: Path) -> Path:
        src = BUNDLE / "networks" / "rutland-2018.osm.pbf"
        data = src.read_bytes()
        cut = int(n * len(data)) if isinstance(n, float) else n
        p = tmp / name
        p.write_bytes(data[:cut])
        return p
    return build


def _net_call(p: Path, s: Settings, _w: Path) -> Any:
    from geo.travel.network import read_network

    return read_network(p, settings=s)


def network_cases() -> list[Case]:
    if not _has("geo.travel.network") or not (BUNDLE / "networks" / "rutland-2018.osm.pbf").is_file():
        return []
    from geo._errors import NetworkError

    out: list[Case] = []
    for n in (0, 16, 100, 1000, 5000, 65536, 0.25, 0.5, 0.9, 0.999):
        name = f"rutland_trunc_{str(n).replace('.', 'p')}.osm.pbf"
        out.append(Case(f"network-truncated-pbf-{str(n).replace('.', 'p')}", _pbf_truncated(n, name), _net_call,
                        NetworkError, r"cannot read|truncated|empty", names=name, category="network"))
    others = {
        "text.osm.pbf": b"this is not a pbf\n", "html.osm.pbf": b"<html><body>Rate limited</body></html>",
        "gzip.osm.pbf": gzip.compress(b"x" * 100), "junk.osm.pbf": bytes((i * 31 + 7) % 256 for i in range(10000)),
        "broken.osm": b"<?xml version='1.0'?><osm version='0.6'><node id='1' lat='52.6' lon='-0.7'>",
        "empty.osm.xml": b"", "junk.osm.xml.bz2": b"BZh91AY&SY" + b"\x00" * 50,
        "truncated.osm.xml.bz2": bz2.compress(b"<?xml version='1.0'?><osm version='0.6'>" + b"<node/>" * 2000)[:200],
        "no-roads.osm": b"<?xml version='1.0'?><osm version='0.6'><node id='1' lat='52.6' lon='-0.7'/></osm>",
    }
    for fname, data in others.items():
        def build(tmp: Path, fname=fname, data=data) -> Path:
            p = tmp / fname
            p.write_bytes(data)
            return p
        xf = ""
        out.append(Case(f"network-bad-{fname.replace('.', '-')}", build, _net_call, NetworkError,
                        r"cannot read|no .* roads|empty|not", names=fname, category="network", xfail=xf))
    for fname in ("roads.shp", "roads.geojson", "roads.pbf.zip"):
        def build(tmp: Path, fname=fname) -> Path:
            p = tmp / fname
            p.write_bytes(b"x")
            return p
        out.append(Case(f"network-unknown-format-{fname.replace('.', '-')}", build, _net_call, NetworkError,
                        r"unknown network format", names=fname, category="network"))
    return out


# -- GTFS (geo.travel.gtfs) ------------------------------------------------------------------------------

GTFS_OK = {
    "agency.txt": "agency_id,agency_name,agency_url,agency_timezone\nA,Rutland Buses,https://example.org,Europe/London\n",
    "stops.txt": "stop_id,stop_name,stop_lat,stop_lon\nS1,Oakham,52.6708,-0.7296\nS2,Uppingham,52.5870,-0.7230\n",
    "routes.txt": "route_id,agency_id,route_short_name,route_type\nR1,A,9,3\n",
    "trips.txt": "route_id,service_id,trip_id\nR1,WK,T1\n",
    "stop_times.txt": "trip_id,arrival_time,departure_time,stop_id,stop_sequence\nT1,08:00:00,08:00:00,S1,1\n"
                      "T1,08:20:00,08:20:00,S2,2\n",
    "calendar.txt": "service_id,monday,tuesday,wednesday,thursday,friday,saturday,sunday,start_date,end_date\n"
                    "WK,1,1,1,1,1,0,0,20260101,20261231\n",
}


def _gtfs_zip(files: dict[str, str | bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for k, v in files.items():
            zf.writestr(k, v)
    return buf.getvalue()


def _gtfs_call(p: Path, s: Settings, _w: Path) -> Any:
    from geo.travel.gtfs_stream import read_gtfs

    return read_gtfs(p)


def gtfs_cases() -> list[Case]:
    if not _has("geo.travel.gtfs"):
        return []
    out: list[Case] = []
    good = _gtfs_zip(GTFS_OK)
    variants: dict[str, tuple[bytes, type[GeoError], str]] = {}
    for frac in (0.1, 0.3, 0.5, 0.7, 0.9, 0.97):
        variants[f"truncated-{int(frac * 100)}"] = (good[: int(len(good) * frac)], InputError,
                                                    r"damaged|truncated|not a zip|lacks")
    variants["empty"] = (b"", InputError, r"empty")
    variants["html"] = (b"<html>Service unavailable</html>", InputError, r"HTML page")
    variants["csv-renamed"] = (b"stop_id,stop_name\n1,x\n", InputError, r"not a zip")
    for missing in ("stops.txt", "trips.txt", "stop_times.txt", "routes.txt"):
        variants[f"missing-{missing}"] = (_gtfs_zip({k: v for k, v in GTFS_OK.items() if k != missing}), InputError,
                                          rf"lacks .*{missing}")
    variants["no-calendar"] = (_gtfs_zip({k: v for k, v in GTFS_OK.items() if k != "calendar.txt"}), InputError,
                               r"neither calendar")
    bad_time = dict(GTFS_OK, **{"stop_times.txt": GTFS_OK["stop_times.txt"].replace("08:20:00,08:20:00", "8h20,8h20")})
    variants["bad-time"] = (_gtfs_zip(bad_time), SchemaError, r"not a GTFS time")
    swapped = dict(GTFS_OK, **{"stops.txt": "stop_id,stop_name,stop_lat,stop_lon\nS1,Oakham,-0.7296,52.6708\n"
                                            "S2,Uppingham,-0.7230,52.5870\n"})
    variants["swapped-stops"] = (_gtfs_zip(swapped), GeoError, r"swapped")
    variants["empty-stops"] = (_gtfs_zip(dict(GTFS_OK, **{"stops.txt": ""})), InputError, r"stops.txt is empty")
    variants["zip-bomb-forged"] = (forge_zip_sizes(_gtfs_zip(dict(GTFS_OK, **{f"shapes{i}.txt": "x" for i in range(3)}))),
                                   InputError, r"zip bomb")
    ragged = dict(GTFS_OK, **{"stop_times.txt": GTFS_OK["stop_times.txt"] + "T1,08:30:00\n"})
    variants["ragged-stop-times"] = (_gtfs_zip(ragged), SchemaError, r"stop_times.txt is not a readable CSV")
    bad_seq = dict(GTFS_OK, **{"stop_times.txt": GTFS_OK["stop_times.txt"].replace("S2,2", "S2,second")})
    variants["bad-sequence"] = (_gtfs_zip(bad_seq), SchemaError, r"row 3 column stop_sequence: 'second'")
    header_only = dict(GTFS_OK, **{"stop_times.txt": "trip_id,arrival_time,departure_time,stop_id,stop_sequence\n"})
    variants["stop-times-header-only"] = (_gtfs_zip(header_only), InputError, r"header but no rows")
    for k, (data, err, match) in variants.items():
        name = f"feed_{k}.zip"

        def build(tmp: Path, name=name, data=data) -> Path:
            p = tmp / name
            p.write_bytes(data)
            return p
        xf = ""
        out.append(Case(f"gtfs-{k}", build, _gtfs_call, err, match, names=name, category="gtfs", xfail=xf))
    return out


# -- opening hours (geo.measures.hours) -------------------------------------------------------------------

BAD_HOURS = ["Mo-Fr 9-5", "Monday to Friday 9am-5pm", "Mo-Fr 25:00-26:00", "Mo-Fr 09:00-", "Mo-Zz 09:00-17:00",
             "09:00-17:00 Mo-Fr;;", "Mo-Fr 09:60-17:00", "always", "Mo-Fr 09:00-17:00 Sa",
             "Mo-Fr 0900-1700", "closed on bank holidays"]


def hours_cases() -> list[Case]:
    if not _has("geo.measures.hours") or not _has("opening_hours"):
        return []
    import pandas as pd

    out: list[Case] = []
    for i, h in enumerate(BAD_HOURS):
        def call(_a: Any, s: Settings, w: Path, h=h) -> Any:
            from geo.measures.hours import is_open_at

            sites = pd.DataFrame({"site_id": ["a", "b"], "name": ["Hub A", "Hub B"],
                                  "opening_hours": ["Mo-Fr 09:00-17:00", h]})
            return is_open_at(sites, "Monday 10:00", missing="closed", use_text=False, source="hours_sites.csv")
        out.append(Case(f"hours-invalid-{i}", _nothing, call, InputError, r"not OSM syntax", names="hours_sites.csv",
                        row=2, category="hours"))
    return out


def all_cases() -> list[Case]:
    """Every misc case (network/GTFS/hours only when those modules are importable)."""
    return [*area_cases(), *bundle_cases(), *registry_cases(), *network_cases(), *gtfs_cases(), *hours_cases()]
