"""Corpus cases from issue 15: hostile and careless inputs around client data, outputs and scenarios.

Output paths that would destroy an input or are not plain files, scenario files with wrong types
and absurd bounds, out-of-range options, headerless and absurdly wide client extracts, areas too
small for client breakdowns, and damaged cache entries (rebuilt, not fatal).
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
from typing import Any

from geo._errors import InputError, OutputError
from tests.badinput.corpus import Case, write

BASE = {"schema": "geo-scenario", "version": 1, "name": "t", "base": {"area": "Rutland", "threshold_minutes": 20},
        "changes": [{"kind": "add", "name": "New hub", "easting": 490000, "northing": 305000}]}


def _nothing(_tmp: Path) -> None:
    return None


# -------------------------------------------------------------------------- --out paths
def _out_case(cid: str, build: Any, match: str, names: str) -> Case:
    def call(arg: Any, settings: Any, tmp: Path) -> Any:
        from geo.cli._paths import check_output_path

        out, inputs = arg
        return check_output_path(out, inputs=inputs)

    return Case(cid, build, call, OutputError, match, names=names, category="outputs", needs_bundle=False)


def _extract(tmp: Path) -> Path:
    p = tmp / "clients.csv"
    p.write_text("postcode\nLE15 6AA\n")
    return p


def out_cases() -> list[Case]:
    def same(tmp: Path) -> Any:
        p = _extract(tmp)
        return p, [p]

    def same_relative(tmp: Path) -> Any:
        p = _extract(tmp)
        return tmp / "." / "clients.csv", [p]

    def extra_sites(tmp: Path) -> Any:
        s = tmp / "my_sites.csv"
        s.write_text("name,postcode\nHub,LE15 6AA\n")
        return s, [_extract(tmp), s]

    def folder(tmp: Path) -> Any:
        (tmp / "outdir").mkdir()
        return tmp / "outdir", []

    def fifo(tmp: Path) -> Any:
        os.mkfifo(tmp / "pipe.csv")
        return tmp / "pipe.csv", []

    def symlink(tmp: Path) -> Any:
        target = _extract(tmp)
        (tmp / "link.csv").symlink_to(target)
        return tmp / "link.csv", []

    def dangling(tmp: Path) -> Any:
        (tmp / "dangling.csv").symlink_to(tmp / "nowhere.csv")
        return tmp / "dangling.csv", []

    def under_file(tmp: Path) -> Any:
        (tmp / "plain").write_text("x")
        return tmp / "plain" / "out.json", []

    return [
        _out_case("out-is-the-client-extract", same, r"also an input file", "clients.csv"),
        _out_case("out-is-the-client-extract-other-spelling", same_relative, r"also an input file", "clients.csv"),
        _out_case("out-is-extra-sites", extra_sites, r"also an input file", "my_sites.csv"),
        _out_case("out-is-a-folder", folder, r"is a folder", "outdir"),
        _out_case("out-is-a-fifo", fifo, r"FIFO", "pipe.csv"),
        _out_case("out-is-a-symlink", symlink, r"symbolic link", "link.csv"),
        _out_case("out-is-a-dangling-symlink", dangling, r"symbolic link", "dangling.csv"),
        _out_case("out-under-a-file", under_file, r"is a file, not a folder", "out.json"),
        _out_case("out-in-proc", lambda tmp: (Path("/proc/self/geo-out.json"), []), r"system folder", "/proc"),
        _out_case("out-in-sys", lambda tmp: (Path("/sys/geo-out.csv"), []), r"system folder", "/sys"),
    ]


# -------------------------------------------------------------------------- scenario files
def _scenario(name: str, data: Any, raw: str | None = None) -> Any:
    return write(name, raw if raw is not None else json.dumps(data))


def _load(arg: Path, settings: Any, tmp: Path) -> Any:
    from geo.planning.scenario_file import load_scenario

    return load_scenario(arg)


def scenario_cases() -> list[Case]:
    def with_base(**kw: Any) -> dict[str, Any]:
        return {**BASE, "base": {**BASE["base"], **kw}}

    def with_change(ch: dict[str, Any]) -> dict[str, Any]:
        return {**BASE, "changes": [ch]}

    specs: list[tuple[str, Any, str, str | None]] = [
        ("area-number", with_base(area=1), r"base\.area", None),
        ("area-list", with_base(area=["Rutland"]), r"base\.area", None),
        ("area-300-chars", with_base(area="x" * 300), r"base\.area.*255", None),
        ("buffer-string", with_base(buffer_km="5"), r"base\.buffer_km", None),
        ("buffer-negative", with_base(buffer_km=-1), r"base\.buffer_km", None),
        ("sites-list", with_base(sites=["hub", "pharmacy"]), r"base\.sites", None),
        ("threshold-string", with_base(threshold_minutes="20"), r"base\.threshold_minutes", None),
        ("threshold-negative", with_base(threshold_minutes=-5), r"base\.threshold_minutes", None),
        ("threshold-zero", with_base(threshold_minutes=0), r"base\.threshold_minutes", None),
        ("threshold-1e308", with_base(threshold_minutes=1e308), r"base\.threshold_minutes", None),
        ("threshold-bool", with_base(threshold_minutes=True), r"base\.threshold_minutes", None),
        ("in-county-string", with_base(in_county_only="yes"), r"base\.in_county_only", None),
        ("base-unknown-field", with_base(colour="red"), r"unknown field 'base\.colour'", None),
        ("version-true", {**BASE, "version": True}, r"'version'", None),
        ("version-string", {**BASE, "version": "1"}, r"'version'", None),
        ("version-2", {**BASE, "version": 2}, r"'version'", None),
        ("version-missing", {k: v for k, v in BASE.items() if k != "version"}, r"'version' is missing", None),
        ("schema-wrong", {**BASE, "schema": "other"}, r"'schema'", None),
        ("name-number", {**BASE, "name": 5}, r"'name'", None),
        ("name-empty", {**BASE, "name": ""}, r"'name'", None),
        ("changes-object", {**BASE, "changes": {"kind": "add"}}, r"'changes'", None),
        ("capacity-negative", with_change({"kind": "capacity", "site_id": "a", "capacity": -5}), r"capacity", None),
        ("capacity-string", with_change({"kind": "capacity", "site_id": "a", "capacity": "10"}), r"capacity", None),
        ("capacity-huge", with_change({"kind": "capacity", "site_id": "a", "capacity": 1e308}), r"capacity", None),
        ("add-capacity-negative", with_change({"kind": "add", "name": "x", "easting": 490000, "northing": 305000,
                                               "capacity": -1}), r"capacity", None),
        ("add-easting-string", with_change({"kind": "add", "name": "x", "easting": "490000",
                                            "northing": 305000}), r"easting", None),
        ("add-easting-outside-gb", with_change({"kind": "add", "name": "x", "easting": -5,
                                                "northing": 305000}), r"easting", None),
        ("add-name-list", with_change({"kind": "add", "name": ["x"], "postcode": "LE15 6AA"}), r"name", None),
        ("move-site-id-number", with_change({"kind": "move", "site_id": 7, "postcode": "LE15 6AA"}), r"site_id", None),
        ("hours-number", with_change({"kind": "hours", "site_id": "a", "opening_hours": 9}), r"opening_hours", None),
        ("remove-missing-site", with_change({"kind": "remove"}), r"site_id", None),
    ]
    out = [Case(f"scenario-{cid}", _scenario(f"{cid}.json", data), _load, InputError, match, names=f"{cid}.json",
                category="scenario", needs_bundle=False) for cid, data, match, _ in specs]
    inf = json.dumps(with_change({"kind": "capacity", "site_id": "a", "capacity": 1})).replace(
        '"capacity": 1}', '"capacity": Infinity}')
    out.append(Case("scenario-capacity-infinity", _scenario("inf.json", None, inf), _load, InputError, r"capacity",
                    names="inf.json", category="scenario", needs_bundle=False))
    nan = json.dumps(with_base(threshold_minutes=1)).replace('"threshold_minutes": 1', '"threshold_minutes": NaN')
    out.append(Case("scenario-threshold-nan", _scenario("nan.json", None, nan), _load, InputError,
                    r"threshold_minutes", names="nan.json", category="scenario", needs_bundle=False))
    for depth in (40, 5_000, 200_000):
        out.append(Case(f"scenario-nested-{depth}", _scenario(f"deep{depth}.json", None, "[" * depth + "]" * depth),
                        _load, InputError, r"nested", names=f"deep{depth}.json", category="scenario",
                        needs_bundle=False))
    deep_obj = '{"a":' * 3000 + "1" + "}" * 3000
    out.append(Case("scenario-nested-objects", _scenario("deepobj.json", None, deep_obj), _load, InputError,
                    r"nested", names="deepobj.json", category="scenario", needs_bundle=False))
    return out


# -------------------------------------------------------------------------- option bounds
def _bounds(**kw: Any) -> Any:
    def call(arg: Any, settings: Any, tmp: Path) -> Any:
        from geo.cli import check_bounds

        return check_bounds(argparse.Namespace(**kw))

    return call


def bounds_cases() -> list[Case]:
    specs = [
        ("k-0", {"k": 0}, r"--k 0"), ("k-negative", {"k": -3}, r"--k -3"),
        ("max-minutes-negative", {"max_minutes": -1.0}, r"--max-minutes"),
        ("max-minutes-zero", {"max_minutes": 0.0}, r"--max-minutes"),
        ("max-minutes-inf", {"max_minutes": float("inf")}, r"--max-minutes"),
        ("threshold-1e308", {"threshold": (1e308,)}, r"--threshold"),
        ("threshold-negative-in-list", {"threshold": (15.0, -5.0)}, r"--threshold"),
        ("buffer-negative", {"buffer_km": -1.0}, r"--buffer-km"),
        ("buffer-huge", {"buffer_km": 1e9}, r"--buffer-km"),
        ("capacity-negative", {"capacity": -5.0}, r"--capacity"),
        ("capacity-inf", {"capacity": float("inf")}, r"--capacity"),
        ("capacity-nan", {"capacity": float("nan")}, r"--capacity"),
        ("round-to-0", {"round_to": 0}, r"--round-to"),
        ("area-300-chars", {"area": "Rutland" * 43}, r"--area is 301 characters"),
    ]
    return [Case(f"option-{cid}", _nothing, _bounds(**kw), InputError, match, category="options",
                 needs_bundle=False) for cid, kw, match in specs]


# -------------------------------------------------------------------------- client extracts
def _read_extract(arg: Path, settings: Any, tmp: Path) -> Any:
    from geo.measures.clients import read_client_extract

    return read_client_extract(arg, settings, source=arg.name)


def _no_postcode_echo(postcodes: list[str]) -> Any:
    def call(arg: Path, settings: Any, tmp: Path) -> Any:
        try:
            return _read_extract(arg, settings, tmp)
        except InputError as exc:
            flat = str(exc).upper().replace(" ", "").replace("_", "")
            for pc in postcodes:
                assert pc.replace(" ", "") not in flat, "the message echoes a postcode from the file"
            raise

    return call


def client_cases() -> list[Case]:
    pcs = ["LE15 6AA", "LE15 7AR", "LE15 9EL"]
    headerless = "\n".join(f"c{i},{pc}" for i, pc in enumerate(pcs)) + "\n"
    headerless_lsoa = "E01013800,3\nE01013801,4\n"
    data_header = "2024-01-05,LE15 6AA\n2024-02-01,LE15 7AR\n"
    wide = ",".join(f"c{i}" for i in range(300_000)) + "\n" + ",".join("1" for _ in range(300_000)) + "\n"
    return [
        Case("clients-headerless-postcodes", write("synthetic_headerless.csv", headerless), _no_postcode_echo(pcs),
             InputError, r"first row does not look like a header; column 2 looks like postcodes",
             names="synthetic_headerless.csv", category="clients"),
        Case("clients-headerless-lsoa-codes", write("synthetic_headerless_lsoa.csv", headerless_lsoa),
             _read_extract, InputError, r"column 1 looks like LSOA codes", names="synthetic_headerless_lsoa.csv",
             category="clients"),
        Case("clients-headerless-dates", write("synthetic_dates.csv", data_header), _no_postcode_echo(pcs),
             InputError, r"first row does not look like a header", names="synthetic_dates.csv", category="clients"),
        Case("clients-no-postcode-column-named", write("synthetic_noname.csv", "where,id\nLE15 6AA,1\nLE15 7AR,2\n"),
             _no_postcode_echo(pcs), InputError, r"column 1 looks like postcodes", names="synthetic_noname.csv",
             category="clients"),
        Case("clients-300000-columns", write("synthetic_wide.csv", wide), _read_extract, InputError,
             r"more than 500 columns", names="synthetic_wide.csv", category="clients"),
        Case("clients-duplicate-header", write("synthetic_dup.csv", "postcode,postcode\nLE15 6AA,LE15 7AR\n"),
             _no_postcode_echo(pcs), InputError, r"duplicate column names \(column 2\)", names="synthetic_dup.csv",
             category="clients"),
    ]


def _release_for(n: int) -> Any:
    """A client release for a polygon drawn round a few LSOAs (a 'ward-sized' area)."""
    def call(arg: Any, settings: Any, tmp: Path) -> Any:
        from geo.data.areas import select_area
        from geo.data.loaders import load_lsoa_boundaries
        from geo.measures.client_release import build_client_release
        from geo.measures.clients import read_client_extract

        codes = sorted(select_area("Rutland", settings=settings).lsoas.index)[:n]
        geom = load_lsoa_boundaries(settings).loc[codes].union_all()
        area = select_area(geom, settings=settings, name="three neighbourhoods")
        clients = read_client_extract(b"lsoa21cd\n" + "\n".join(codes * 3).encode() + b"\n", settings,
                                      source="synthetic_small_area.csv")
        return build_client_release(clients, area)

    return call


def area_cases() -> list[Case]:
    def polygon(tmp: Path) -> Path:
        return tmp

    def one_lsoa(arg: Any, settings: Any, tmp: Path) -> Any:
        from geo.data.areas import select_area
        from geo.data.loaders import load_lsoa_boundaries
        from geo.measures.client_release import build_client_release
        from geo.measures.clients import read_client_extract

        code = sorted(select_area("Rutland", settings=settings).lsoas.index)[0]
        geom = load_lsoa_boundaries(settings).loc[code, "geometry"]
        area = select_area(geom, settings=settings, name="my polygon")
        clients = read_client_extract(b"lsoa21cd\n" + f"{code}\n".encode() * 3, settings, source="synthetic_poly.csv")
        return build_client_release(clients, area)

    return [
        Case("clients-polygon-round-one-lsoa", polygon, one_lsoa, InputError, r"at least 10 neighbourhoods",
             names="my polygon", category="clients"),
        Case("clients-ward-sized-area", _nothing, _release_for(3), InputError,
             r"at least 10 neighbourhoods", names="three neighbourhoods", category="clients"),
    ]


# -------------------------------------------------------------------------- the cell-key secret
def _secret(kind: str) -> Any:
    """A client extract read with a broken installation secret (``Settings.cellkey_secret_file``)."""
    def build(tmp: Path) -> Path:
        path = tmp / "cellkey.secret"
        if kind == "folder":
            path.mkdir()
        else:
            path.write_text("short\n" if kind == "short" else "s" * 64 + "\n")
            path.chmod(0o644 if kind == "readable" else 0o600)
        return path

    def call(arg: Any, settings: Any, tmp: Path) -> Any:
        from geo.measures.clients import read_client_extract

        return read_client_extract(b"postcode\nLE15 6AA\n", settings.with_(cellkey_secret_file=arg),
                                   source="synthetic_secret.csv")

    return build, call


def secret_cases() -> list[Case]:
    from geo._errors import DataSourceError

    cases = {"readable": r"readable by nobody else; run `chmod 600 ", "short": r"empty or too short",
             "folder": r"must be a regular file"}
    return [Case(f"cellkey-secret-{kind}", *_secret(kind), DataSourceError, match, names="cellkey.secret",
                 category="clients") for kind, match in cases.items()]


# -------------------------------------------------------------------------- cache faults
def _corrupt_cache(kind: str) -> Any:
    def call(arg: Any, settings: Any, tmp: Path) -> Any:
        import numpy as np

        from geo.cache import cached_npz, read_parquet_or_none

        folder = Path(settings.cache_dir) / "corpus-faults"
        folder.mkdir(parents=True, exist_ok=True)
        if kind == "npz-truncated":
            p = folder / "entry.npz"
            p.write_bytes(b"PK\x03\x04 truncated")
            got = cached_npz(p, lambda: {"a": np.arange(3)})
            assert got["a"].tolist() == [0, 1, 2] and p.is_file() and p.stat().st_size > 30
            p.unlink()
        elif kind == "npz-empty":
            p = folder / "empty.npz"
            p.write_bytes(b"")
            assert cached_npz(p, lambda: {"a": np.arange(2)})["a"].tolist() == [0, 1]
            p.unlink()
        elif kind == "parquet-garbage":
            p = folder / "t.parquet"
            p.write_bytes(b"PAR1 not really")
            assert read_parquet_or_none(p) is None and not p.exists()
        return True

    return call


def _unwritable_cache(arg: Any, settings: Any, tmp: Path) -> Any:
    import numpy as np

    from geo.cache import cached_npz

    blocker = tmp.parent / "cache-is-a-file"
    blocker.write_text("x")
    try:
        got = cached_npz(blocker / "sub" / "entry.npz", lambda: {"a": np.arange(4)})
    finally:
        blocker.unlink()
    assert got["a"].tolist() == [0, 1, 2, 3]
    return True


def cache_cases() -> list[Case]:
    return [Case(f"cache-{k}", _nothing, _corrupt_cache(k), None, category="cache", needs_bundle=False)
            for k in ("npz-truncated", "npz-empty", "parquet-garbage")] + [
        Case("cache-folder-unwritable", _nothing, _unwritable_cache, None, category="cache", needs_bundle=False)]


def all_cases() -> list[Case]:
    return [*out_cases(), *scenario_cases(), *bounds_cases(), *client_cases(), *area_cases(), *secret_cases(),
            *cache_cases()]
