"""Corpus cases for user CSV tables: sites files and raw uploads."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

from geo._errors import InputError, SchemaError
from geo.config import Settings
from tests.badinput.corpus import Case, csv_text, write

# A real Oakham (Rutland) location: postcode LE15 6HP, BNG and WGS84.
GOOD_PC = "LE15 6HP"
GOOD_E, GOOD_N = "486331", "308601"
GOOD_LAT, GOOD_LON = "52.670744", "-0.729614"

#: (lat, lon) of English towns, for swapped-coordinate cases.
TOWNS = {
    "london": (51.5074, -0.1278), "leicester": (52.6369, -1.1398), "northampton": (52.2405, -0.9027),
    "chelmsford": (51.7356, 0.4685), "oakham": (52.6708, -0.7296), "manchester": (53.4808, -2.2426),
    "bristol": (51.4545, -2.5879), "newcastle": (54.9783, -1.6178), "norwich": (52.6309, 1.2974),
    "plymouth": (50.3755, -4.1427), "southend": (51.5459, 0.7077), "corby": (52.4914, -0.6965),
}
#: (lat, lon) outside the England extent (checked against geo.crs.in_england_bng).
ABROAD = {
    "edinburgh": (55.9533, -3.1883), "glasgow": (55.8642, -4.2518), "aberdeen": (57.1497, -2.0943),
    "paris": (48.8566, 2.3522), "amsterdam": (52.3676, 4.9041), "new_york": (40.7128, -74.006),
    "sydney": (-33.8688, 151.2093), "null_island": (0.0, 0.0), "reykjavik": (64.1466, -21.9426),
    "lerwick": (60.1546, -1.1494), "brest": (48.3904, -4.4861), "calais": (50.9513, 1.8587),
    "inverness": (57.4778, -4.2247), "cork": (51.8985, -8.4756), "oslo": (59.9139, 10.7522),
    "madrid": (40.4168, -3.7038), "stornoway": (58.209, -6.3849), "galway": (53.2707, -9.0568),
    "brussels": (50.8503, 4.3517), "kirkwall": (58.981, -2.96), "st_helier": (49.1858, -2.11),
}
#: (lat, lon) inside England's bounding box but outside England (Ireland, Isle of Man, south Wales).
NEAR_ABROAD = {"dublin": (53.3498, -6.2603), "belfast": (54.5973, -5.9301), "douglas_iom": (54.15, -4.48),
               "ramsey_iom": (54.32, -4.38), "swansea": (51.62, -3.94), "wexford": (52.3369, -6.4633)}
#: BNG metres of points outside England.
ABROAD_BNG = {
    "edinburgh": ("325897", "674001"), "aberdeen": ("394393", "806539"), "paris": ("719172", "-106802"),
    "amsterdam": ("869742", "296898"), "lerwick": ("447323", "1141427"), "cork": ("-45247", "242059"),
    "negative": ("-486331", "-308601"), "zero": ("0", "0"), "huge": ("1e12", "1e12"),
    "too_east": ("700000", "300000"), "too_north": ("400000", "700000"), "inf": ("inf", "inf"),
}


def sites(p: Path, s: Settings, _w: Path) -> Any:
    from geo.data.sites import read_sites_file

    return read_sites_file(p, s)


def sites_upload(p: Path, s: Settings, _w: Path) -> Any:
    from geo.data.sites import read_sites_file

    return read_sites_file(p.read_bytes(), s, source=p.name)


def user_csv(p: Path, s: Settings, _w: Path) -> Any:
    from geo.data.uploads import read_user_csv

    return read_user_csv(p, max_bytes=s.max_upload_bytes)


def _err(cid: str, name: str, data: bytes | str, err: type, match: str, *, row: int | None = None,
         call=sites, cat: str = "") -> Case:
    return Case(cid, write(name, data), call, err, match, names=name, row=row, category=cat)


def _ok(cid: str, name: str, data: bytes | str, check, *, call=sites, cat: str = "") -> Case:
    return Case(cid, write(name, data), call, None, check=check, category=cat)


def _expect_names(*names: str, n: int | None = None):
    def check(gdf: Any) -> None:
        got = list(gdf["name"])
        assert got[: len(names)] == list(names), got
        if n is not None:
            assert len(gdf) == n
        assert gdf.crs is not None and gdf.crs.to_epsg() == 27700
        assert gdf["easting"].between(400_000, 600_000).all()
    return check


def column_cases() -> list[Case]:
    out: list[Case] = []
    # missing 'name' column
    for i, hdr in enumerate([["postcode"], ["easting", "northing"], ["lat", "lon"], ["nmae", "postcode"],
                             ["title", "postcode"], ["site", "postcode"], ["id", "postcode"],
                             ["Nam e", "postcode"], ["label", "lat", "lon"], ["organisation", "postcode"]]):
        row = {"postcode": GOOD_PC, "easting": GOOD_E, "northing": GOOD_N, "lat": GOOD_LAT, "lon": GOOD_LON}
        vals = [row.get(h, "x") for h in hdr]
        out.append(_err(f"col-missing-name-{i}", f"missing_name_{i}.csv", csv_text(hdr, [vals]), SchemaError,
                        r"missing column 'name'", cat="columns"))
    # no location columns
    for i, hdr in enumerate([["name"], ["name", "address"], ["name", "town"], ["name", "easting"],
                             ["name", "northing"], ["name", "lat"], ["name", "lon"], ["name", "post_code_x"],
                             ["name", "x", "y"], ["name", "latitude", "site_type"]]):
        vals = ["Hub" if h == "name" else ("hub" if h == "site_type" else "1") for h in hdr]
        out.append(_err(f"col-no-location-{i}", f"no_location_{i}.csv", csv_text(hdr, [vals]), SchemaError,
                        r"no location columns", cat="columns"))
    # duplicate columns
    for i, hdr in enumerate([["name", "name", "postcode"], ["name", "postcode", "postcode"],
                             ["name", "easting", "easting", "northing"], ["Name", "name", "postcode"],
                             ["name", "Postcode", "POSTCODE"], ["name", "lat", "lat", "lon"],
                             ["name", " postcode", "postcode "], ["site name", "site_name", "postcode"]]):
        vals = ["Hub" if "name" in h.lower() else GOOD_PC for h in hdr]
        out.append(_err(f"col-duplicate-{i}", f"dup_cols_{i}.csv", csv_text(hdr, [vals]), InputError,
                        r"duplicate column", call=user_csv if i % 2 else sites, cat="columns"))
    # blank names (row-level)
    for i, (rows, bad_row) in enumerate([
        ([["", GOOD_PC]], 2), ([["Hub A", GOOD_PC], ["", GOOD_PC]], 3), ([["Hub A", GOOD_PC], ["   ", GOOD_PC]], 3),
        ([["A", GOOD_PC], ["B", GOOD_PC], ["C", GOOD_PC], ["", GOOD_PC]], 5),
    ]):
        out.append(_err(f"row-blank-name-{i}", f"blank_name_{i}.csv", csv_text(["name", "postcode"], rows),
                        SchemaError, r"blank 'name'", row=bad_row, cat="rows"))
    # unknown site types
    for i, t in enumerate(["clinic", "HUBB", "pharmacy;hub", "1", "drop-in", "needle exchange"]):
        rows = [["Hub A", GOOD_PC, "hub"], ["Hub B", GOOD_PC, t]]
        out.append(_err(f"row-bad-type-{i}", f"bad_type_{i}.csv", csv_text(["name", "postcode", "site_type"], rows),
                        SchemaError, r"unknown site_type", row=3, cat="rows"))
    # duplicate site ids
    for i, ids in enumerate([["a", "a"], ["x1", "x2", "x1"], ["user:3", "", ""]]):
        rows = [[sid, f"Site {j}", GOOD_PC] for j, sid in enumerate(ids)]
        out.append(_err(f"row-dup-id-{i}", f"dup_id_{i}.csv", csv_text(["site_id", "name", "postcode"], rows),
                        SchemaError, r"site_id must be unique", cat="rows"))
    # delimiter problems
    for i, sep in enumerate([";", "\t", "|"]):
        text = sep.join(["name", "postcode"]) + "\n" + sep.join(["Hub", GOOD_PC]) + "\n"
        out.append(_err(f"csv-delimiter-{i}", f"delim_{i}.csv", text, InputError, r"delimit|separat",
                        cat="columns"))
    # ragged / broken quoting
    for i, text in enumerate(['name,postcode\n"Hub,LE15 6HP\nOther,LE15 6HP\n',
                              "name,postcode\nA,B,C,D,E\n"]):
        out.append(_err(f"csv-ragged-{i}", f"ragged_{i}.csv", text, InputError, r"not a readable CSV|cannot be located",
                        cat="columns"))
    return out


def _frame_call(columns: list[str], rows: list[list[str]]):
    def call(_p: Any, s: Settings, _w: Path) -> Any:
        import pandas as pd

        from geo.data.sites import sites_from_table

        df = pd.DataFrame(rows, columns=range(len(columns)))
        df.columns = columns
        return sites_from_table(df, s, source="frame_sites")
    return call


def frame_cases() -> list[Case]:
    """Tables handed over in memory (the app's path): duplicate headers found by hypothesis."""
    out: list[Case] = []
    for i, cols in enumerate([["name", "name", "postcode"], ["name", "Postcode", "postcode"],
                              ["name", "easting", "easting", "northing"], ["Name ", "name", "lat", "lon"]]):
        rows = [["Hub" if "name" in c.lower() else GOOD_PC for c in cols]]
        out.append(Case(f"frame-duplicate-columns-{i}", lambda _t: None, _frame_call(cols, rows), SchemaError,
                        r"duplicate column", names="frame_sites", category="columns"))
    return out


def type_cases() -> list[Case]:
    out: list[Case] = []
    junk = ["abc", "12a", "N/A", "-", "?", "NULL", "none", "486,331", "486331m", "0x1F", "1e", "£5", "NaN", "nan"]
    for i, v in enumerate(junk):
        rows = [["Good", GOOD_E, GOOD_N], ["Bad", v, GOOD_N]]
        out.append(_err(f"type-easting-text-{i}", f"easting_text_{i}.csv",
                        csv_text(["name", "easting", "northing"], [[r[0], f'"{r[1]}"', r[2]] for r in rows]),
                        InputError, r"not a number|cannot be located", row=3, cat="types"))
    for i, v in enumerate(junk[:8]):
        rows = [["Good", GOOD_LAT, GOOD_LON], ["Bad", GOOD_LAT, v]]
        out.append(_err(f"type-lon-text-{i}", f"lon_text_{i}.csv",
                        csv_text(["name", "lat", "lon"], [[r[0], r[1], f'"{r[2]}"'] for r in rows]),
                        InputError, r"not a number|cannot be located", row=3, cat="types"))
    for k, (e, n) in ABROAD_BNG.items():
        out.append(_err(f"coord-bng-outside-{k}", f"bng_outside_{k}.csv",
                        csv_text(["name", "easting", "northing"], [["Good", GOOD_E, GOOD_N], ["Far", e, n]]),
                        InputError, r"outside England|look like degrees", row=3, cat="coordinates"))
    for i, (e, n) in enumerate([("", ""), (GOOD_E, ""), ("", GOOD_N)]):
        out.append(_err(f"coord-blank-{i}", f"coord_blank_{i}.csv",
                        csv_text(["name", "easting", "northing"], [["Good", GOOD_E, GOOD_N], ["Blank", e, n]]),
                        InputError, r"no postcode or coordinates", row=3, cat="coordinates"))
    return out


def coordinate_cases() -> list[Case]:
    out: list[Case] = []
    for k, (la, lo) in TOWNS.items():
        rows = [["Good", GOOD_LAT, GOOD_LON], [k.title(), str(lo), str(la)]]
        out.append(_err(f"coord-swapped-{k}", f"swapped_{k}.csv", csv_text(["name", "lat", "lon"], rows),
                        InputError, r"swapped", row=3, cat="coordinates"))
    for k, (la, lo) in list(TOWNS.items())[:6]:
        rows = [[k.title(), str(la), str(lo)]]
        out.append(_err(f"coord-degrees-as-bng-{k}", f"deg_as_bng_{k}.csv",
                        csv_text(["name", "easting", "northing"], [[r[0], r[2], r[1]] for r in rows]),
                        InputError, r"look like degrees", row=2, cat="coordinates"))
    for k, (e, n) in {"oakham": (GOOD_E, GOOD_N), "london": ("530000", "180000"), "leicester": ("458000", "304000"),
                      "chelmsford": ("570000", "206000"), "corby": ("489000", "289000")}.items():
        out.append(_err(f"coord-bng-as-latlon-{k}", f"bng_as_latlon_{k}.csv",
                        csv_text(["name", "lat", "lon"], [[k.title(), n, e]]), InputError, r"metres", row=2,
                        cat="coordinates"))
    # Web Mercator (EPSG:3857) metres given as BNG or lat/lon
    for k, (x, y) in {"oakham": ("-81219", "6923740"), "london": ("-14226", "6711542"),
                      "norwich": ("144427", "6908000"), "plymouth": ("-461182", "6514000")}.items():
        out.append(_err(f"coord-webmerc-as-bng-{k}", f"webmerc_bng_{k}.csv",
                        csv_text(["name", "easting", "northing"], [[k.title(), x, y]]), InputError,
                        r"outside England", row=2, cat="coordinates"))
        out.append(_err(f"coord-webmerc-as-latlon-{k}", f"webmerc_latlon_{k}.csv",
                        csv_text(["name", "lat", "lon"], [[k.title(), y, x]]), InputError, r"metres", row=2,
                        cat="coordinates"))
    for k, (la, lo) in ABROAD.items():
        rows = [["Good", GOOD_LAT, GOOD_LON], [k.title(), str(la), str(lo)]]
        out.append(_err(f"coord-latlon-outside-{k}", f"latlon_outside_{k}.csv",
                        csv_text(["name", "latitude", "longitude"], rows), InputError, r"outside England|swapped",
                        row=3, cat="coordinates"))
    # inside England's bounding box but not in England (caught by the distance to English LSOAs)
    for k, (la, lo) in NEAR_ABROAD.items():
        rows = [["Good", GOOD_LAT, GOOD_LON], [k.title(), str(la), str(lo)]]
        out.append(_err(f"coord-latlon-near-abroad-{k}", f"near_abroad_{k}.csv", csv_text(["name", "lat", "lon"], rows),
                        InputError, r"outside England", row=3, cat="coordinates"))
        from geo.crs import bng_from_lonlat

        e, n = bng_from_lonlat([lo], [la])
        out.append(_err(f"coord-bng-near-abroad-{k}", f"near_abroad_bng_{k}.csv",
                        csv_text(["name", "easting", "northing"], [["Good", GOOD_E, GOOD_N], [k.title(), f"{e[0]:.0f}", f"{n[0]:.0f}"]]),
                        InputError, r"outside England", row=3, cat="coordinates"))
    for i, (la, lo) in enumerate([("91", "0"), ("-91", "-0.7"), ("52.6", "181"), ("52.6", "-400"), ("1e9", "1e9")]):
        out.append(_err(f"coord-latlon-impossible-{i}", f"latlon_impossible_{i}.csv",
                        csv_text(["name", "lat", "lon"], [["Bad", la, lo]]), InputError, r"outside England|metres",
                        row=2, cat="coordinates"))
    return out


INVALID_POSTCODES = ["XYZ", "12345", "LE15", "LE15 6", "AAAA 1AA", "LE156HPX", "!!", "SW1A1AAA", "LE15 6H",
                     "0000 000", "L E 1 5", "LE15-6HP-1", "postcode", "E1 1A", "QQ1 1QQ1"]
NON_ENGLISH = {"EH1 1YZ": "scotland", "G1 1XQ": "scotland", "AB10 1XG": "scotland", "KY16 9SS": "scotland",
               "CF10 1AA": "wales", "SA1 1NW": "wales", "BT1 1AA": "northern_ireland", "BT7 1NN": "northern_ireland",
               "IM1 1AA": "isle_of_man", "JE2 3XP": "jersey", "GY1 1AA": "guernsey", "DD1 4HN": "scotland"}
UNKNOWN_ENGLISH = ["LE15 9ZZ", "NN17 9ZZ", "SW1A 9ZZ", "ZZ1 1ZZ", "CM99 9ZZ"]


def postcode_cases() -> list[Case]:
    out: list[Case] = []
    for i, pc in enumerate(INVALID_POSTCODES):
        rows = [["Good", GOOD_PC], ["Bad", pc]]
        out.append(_err(f"pc-invalid-{i}", f"pc_invalid_{i}.csv", csv_text(["name", "postcode"], rows), InputError,
                        r"not a valid UK postcode", row=3, cat="postcodes"))
    for pc, where in NON_ENGLISH.items():
        rows = [["Good", GOOD_PC], ["Far", pc]]
        slug = pc.replace(" ", "").lower()
        out.append(_err(f"pc-outside-england-{where}-{slug}", f"pc_{slug}.csv", csv_text(["name", "postcode"], rows),
                        InputError, r"outside England|not a live English postcode", row=3, cat="postcodes"))
    for pc in UNKNOWN_ENGLISH:
        slug = pc.replace(" ", "").lower()
        out.append(_err(f"pc-unknown-{slug}", f"pc_unknown_{slug}.csv",
                        csv_text(["name", "postcode"], [["X", pc]]), InputError, r"not a live English postcode",
                        row=2, cat="postcodes"))
    # many bad rows: the message lists the first ten and counts the rest
    rows = [[f"S{j}", "XYZ"] for j in range(25)]
    out.append(_err("pc-many-invalid", "pc_many.csv", csv_text(["name", "postcode"], rows), InputError,
                    r"25 of 25 site\(s\).*and 15 more", row=2, cat="postcodes"))
    # valid postcodes in odd spellings are ACCEPTED
    for i, pc in enumerate(["le15 6hp", "LE156HP", " LE15  6HP ", "Le15 6Hp"]):
        out.append(_ok(f"pc-accepted-spelling-{i}", f"pc_ok_{i}.csv", csv_text(["name", "postcode"], [["Hub", pc]]),
                       _expect_names("Hub", n=1), cat="postcodes"))
    return out


def empty_cases() -> list[Case]:
    out: list[Case] = []
    empties = {"zero": b"", "space": b" ", "newlines": b"\n\n\n", "crlf": b"\r\n\r\n", "tabs": b"\t\t \n",
               "bom": b"\xef\xbb\xbf", "bom-newline": b"\xef\xbb\xbf\n", "utf16-bom": b"\xff\xfe",
               "utf16-bom-space": " \n".encode("utf-16"), "nbsp": "\u00a0\n".encode()}
    for k, data in empties.items():
        for call, tag in ((sites, "path"), (sites_upload, "upload"), (user_csv, "raw")):
            out.append(_err(f"empty-{k}-{tag}", f"empty_{k}_{tag}.csv", data, InputError, r"empty", call=call,
                            cat="empty"))
    headers = {"plain": "name,postcode\n", "crlf": "name,postcode\r\n", "bom": "\ufeffname,postcode\n",
               "blank-lines": "name,postcode\n\n\n",
               "no-eol": "name,postcode", "trailing-comma": "name,postcode,\n"}
    for k, text in headers.items():
        for call, tag in ((sites, "path"), (user_csv, "raw")):
            out.append(_err(f"header-only-{k}-{tag}", f"header_only_{k}_{tag}.csv", text, InputError,
                            r"header but no rows|no rows|empty", call=call, cat="empty"))
    return out


def encoding_cases() -> list[Case]:
    """Encodings the tool must ACCEPT (and decode correctly), plus ones it must refuse clearly."""
    out: list[Case] = []
    text = csv_text(["name", "postcode", "provider"], [["Café £5 Hub", GOOD_PC, "Crème Brûlée Ltd"]])
    variants = {
        "utf8": text.encode("utf-8"), "utf8-bom": text.encode("utf-8-sig"), "utf16-le-bom": text.encode("utf-16"),
        "utf16-be-bom": b"\xfe\xff" + text.encode("utf-16-be"), "cp1252": text.encode("cp1252"),
        "latin1": text.encode("latin-1"), "utf8-crlf": text.replace("\n", "\r\n").encode(),
        "cp1252-crlf": text.replace("\n", "\r\n").encode("cp1252"),
        "utf16-le-nobom": text.encode("utf-16-le"), "utf16-be-nobom": text.encode("utf-16-be"),
    }

    def check(gdf: Any) -> None:
        assert list(gdf["name"]) == ["Café £5 Hub"], list(gdf["name"])
        assert list(gdf["provider"]) == ["Crème Brûlée Ltd"], list(gdf["provider"])
        assert gdf["location_precision"].tolist() == ["postcode"]

    for k, data in variants.items():
        out.append(_ok(f"enc-accept-{k}", f"enc_{k}.csv", data, check, cat="encoding"))
        out.append(_ok(f"enc-accept-{k}-upload", f"enc_{k}_up.csv", data, check, call=sites_upload, cat="encoding"))
    # other spellings of headers that must be accepted
    for i, hdr in enumerate([["Name", "Postcode"], [" NAME ", " POSTCODE "], ["site_name", "postcode"],
                             ["Site Name", "postcode"]]):
        out.append(_ok(f"hdr-accept-{i}", f"hdr_ok_{i}.csv", csv_text(hdr, [["Hub", GOOD_PC]]),
                       _expect_names("Hub", n=1), cat="columns"))
    for i, hdr in enumerate([["name", "lat", "lon"], ["name", "latitude", "longitude"], ["name", "Lat", "Lng"],
                             ["name", "LATITUDE", "long"]]):
        out.append(_ok(f"latlon-accept-{i}", f"latlon_ok_{i}.csv", csv_text(hdr, [["Hub", GOOD_LAT, GOOD_LON]]),
                       _expect_names("Hub", n=1), cat="coordinates"))
    return out


def _xlsx_bytes() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("xl/workbook.xml", "<workbook/>")
        zf.writestr("xl/worksheets/sheet1.xml", "<worksheet><sheetData/></worksheet>")
    return buf.getvalue()


BINARY = {
    "xlsx": (_xlsx_bytes(), r"ZIP container|Excel"),
    "xls": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504, r"Excel"),
    "pdf": (b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n", r"PDF"),
    "png": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 40, r"PNG"),
    "gzip": (b"\x1f\x8b\x08\x00" + b"\x00" * 30, r"gzip"),
    "sqlite": (b"SQLite format 3\x00" + b"\x00" * 84, r"SQLite|GeoPackage"),
    "jpeg": (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01" + b"\x00" * 30, r"binary"),
    "random": (bytes((i * 7919 + 13) % 256 for i in range(2048)), r"binary"),
    # no NUL, no control byte, every byte valid Windows-1252, no newline: read as a one-line "header"
    # it used to give "the CSV has a header but no rows"
    "random_no_controls": (bytes((0xA0 + (i * 37) % 96) if i % 3 else 0x41 + i % 26 for i in range(300)), r"binary"),
}


def binary_cases() -> list[Case]:
    out: list[Case] = []
    for k, (data, what) in BINARY.items():
        for name in (f"{k}_renamed.csv", f"{k}_renamed.CSV", f"{k}_renamed.txt"):
            for call, tag in ((sites, "path"), (sites_upload, "upload")):
                out.append(_err(f"binary-{k}-{name.split('.')[-1]}-{tag}", name, data, InputError,
                                rf"{what}.*not a CSV", call=call, cat="binary"))
    return out


def size_cases() -> list[Case]:
    """Files over the upload limit (the limit is made tiny with Settings.with_)."""
    out: list[Case] = []
    big = csv_text(["name", "postcode"], [[f"Site {j}", GOOD_PC] for j in range(200)])

    def limited(call, limit: int):
        def run(p: Path, s: Settings, w: Path) -> Any:
            return call(p, s.with_(max_upload_bytes=limit), w)
        return run

    for limit in (10, 100, 1000, 2000):
        for call, tag in ((sites, "path"), (sites_upload, "upload"), (user_csv, "raw")):
            out.append(Case(f"size-over-limit-{limit}-{tag}", write(f"big_{limit}_{tag}.csv", big),
                            limited(call, limit), InputError, r"over the .* upload limit", names=f"big_{limit}_{tag}.csv",
                            category="size"))
    return out


def all_cases() -> list[Case]:
    """Every table case."""
    return [*column_cases(), *frame_cases(), *type_cases(), *coordinate_cases(), *postcode_cases(), *empty_cases(),
            *encoding_cases(), *binary_cases(), *size_cases()]
