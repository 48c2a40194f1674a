"""Corpus cases for vector files: area polygons, GeoJSON that is not GeoJSON, zipped shapefiles,
zip bombs, and sites given as GeoJSON."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

from geo._errors import AreaError, CrsError, InputError
from geo.config import Settings
from tests.badinput.corpus import Case, forge_zip_sizes, write

# Rutland-ish box in lon/lat and in BNG metres.
LON0, LAT0, LON1, LAT1 = -0.75, 52.60, -0.65, 52.70
E0, N0, E1, N1 = 480_000, 300_000, 490_000, 310_000


def ring(x0: float, y0: float, x1: float, y1: float) -> list[list[float]]:
    return [[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]


def feature(geom: dict | None, **props: Any) -> dict:
    return {"type": "Feature", "properties": props or {"name": "area"}, "geometry": geom}


def fc(*features: dict, crs: str | None = None) -> str:
    d: dict[str, Any] = {"type": "FeatureCollection", "features": list(features)}
    if crs:
        d["crs"] = {"type": "name", "properties": {"name": crs}}
    return json.dumps(d)


def poly(*rings: list[list[float]]) -> dict:
    return {"type": "Polygon", "coordinates": list(rings)}


def area_file(p: Path, s: Settings, _w: Path) -> Any:
    from geo.data.areas import read_area_polygon

    return read_area_polygon(p)


def area_select(p: Path, s: Settings, _w: Path) -> Any:
    from geo.data.areas import select_area

    return select_area(str(p), settings=s)


def area_repair(p: Path, s: Settings, _w: Path) -> Any:
    from geo.data.areas import read_area_polygon

    return read_area_polygon(p, repair=True)


def vector_upload(p: Path, s: Settings, _w: Path) -> Any:
    from geo.data.uploads import read_user_vector

    return read_user_vector(p.read_bytes(), source=p.name, max_bytes=s.max_upload_bytes)


def area_upload(p: Path, s: Settings, _w: Path) -> Any:
    """The app's path for an uploaded area: read in memory, then validate as polygons."""
    from geo.data.areas import polygon_from_frame
    from geo.data.uploads import read_user_vector

    return polygon_from_frame(read_user_vector(p.read_bytes(), source=p.name, max_bytes=s.max_upload_bytes),
                              source=p.name)


def sites_file(p: Path, s: Settings, _w: Path) -> Any:
    from geo.data.sites import read_sites_file

    return read_sites_file(p, s)


AREA_CALLS = ((area_file, "read"), (area_select, "select"))

INVALID_RINGS = {
    "bowtie": [poly([[LON0, LAT0], [LON1, LAT1], [LON1, LAT0], [LON0, LAT1], [LON0, LAT0]])],
    "figure-eight-ring": [poly([[LON0, LAT0], [LON1, LAT0], [-0.70, 52.65], [LON1, LAT1], [LON0, LAT1],
                                [-0.70, 52.65], [LON0, LAT0]])],
    "hole-outside-shell": [poly(ring(LON0, LAT0, -0.70, 52.65), ring(-0.68, 52.66, -0.66, 52.68))],
    "hole-crosses-shell": [poly(ring(LON0, LAT0, LON1, LAT1), ring(-0.70, 52.65, -0.60, 52.68))],
    "spike": [poly([[LON0, LAT0], [LON1, LAT0], [LON1, LAT1], [-0.70, LAT1], [-0.70, 52.80], [-0.70, LAT1],
                    [LON0, LAT1], [LON0, LAT0]])],
    "overlapping-multipolygon": [{"type": "MultiPolygon", "coordinates": [
        [ring(LON0, LAT0, -0.69, 52.66)], [ring(-0.71, 52.62, LON1, LAT1)]]}],
    "second-feature-bowtie": [poly(ring(LON0, LAT0, LON1, LAT1)),
                              poly([[LON0, LAT0], [LON1, LAT1], [LON1, LAT0], [LON0, LAT1], [LON0, LAT0]])],
}

OUTSIDE = {  # polygon boxes (lon/lat) outside England, with the hint expected
    "paris": ((2.2, 48.8, 2.4, 48.9), r"outside England"),
    "edinburgh": ((-3.3, 55.9, -3.1, 56.0), r"outside England"),
    "atlantic": ((-30.0, 45.0, -29.0, 46.0), r"outside England"),
    "null-island": ((-0.1, -0.1, 0.1, 0.1), r"outside England"),
    "swapped-rutland": ((LAT0, LON0, LAT1, LON1), r"lat/lon swapped"),
    "swapped-london": ((51.45, -0.2, 51.55, -0.05), r"lat/lon swapped"),
    "bng-as-degrees": ((E0, N0, E1, N1), r"metres"),
    "straddles-border": ((-3.5, 55.0, -2.0, 56.5), r"outside England"),
}

NOT_GEOJSON = {
    "json-array": "[1, 2, 3]",
    "empty-array": "[]",
    "json-string": '"Rutland"',
    "json-null": "null",
    "json-number": "42",
    "plain-object": '{"a": 1}',
    "broken-json": '{"type": "FeatureCollection", "features": [',
    "truncated-feature": fc(feature(poly(ring(LON0, LAT0, LON1, LAT1))))[:-30],
    "plain-text": "Rutland and Melton\n",
    "csv-content": "name,lat,lon\nHub,52.67,-0.73\n",
    "kml-xml": '<?xml version="1.0"?><kml xmlns="http://www.opengis.net/kml/2.2"><Document/></kml>',
    "html": "<!doctype html><html><body>Not found</body></html>",
    "geometry-type-typo": json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {}, "geometry": {"type": "Polygn", "coordinates": [ring(LON0, LAT0, LON1, LAT1)]}}]}),
    "coordinates-as-strings": json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {}, "geometry": {"type": "Polygon", "coordinates": "-0.75 52.6"}}]}),
}

EMPTYISH = {
    "no-features": (fc(), r"no features"),
    "null-geometry": (fc(feature(None)), r"no features with geometry"),
    "empty-geometry-collection": (fc(feature({"type": "GeometryCollection", "geometries": []})),
                                  r"no features with geometry|expected polygons"),
    "point": (fc(feature({"type": "Point", "coordinates": [-0.7, 52.65]})), r"expected polygons, found Point"),
    "linestring": (fc(feature({"type": "LineString", "coordinates": [[LON0, LAT0], [LON1, LAT1]]})),
                   r"expected polygons, found LineString"),
    "multipoint": (fc(feature({"type": "MultiPoint", "coordinates": [[LON0, LAT0], [LON1, LAT1]]})),
                   r"expected polygons"),
    "mixed-point-polygon": (fc(feature(poly(ring(LON0, LAT0, LON1, LAT1))),
                               feature({"type": "Point", "coordinates": [-0.7, 52.65]})), r"expected polygons"),
    "zero-area": (fc(feature(poly([[LON0, LAT0], [LON1, LAT0], [LON0, LAT0], [LON0, LAT0]]))),
                  r"zero area|invalid polygon|not a readable"),
    "bare-geometry-point": (json.dumps({"type": "Point", "coordinates": [-0.7, 52.65]}), r"expected polygons"),
}


def polygon_cases() -> list[Case]:
    out: list[Case] = []
    for k, geoms in INVALID_RINGS.items():
        data = fc(*[feature(g) for g in geoms])
        for call, tag in AREA_CALLS:
            name = f"invalid_{k}_{tag}.geojson"
            out.append(Case(f"poly-invalid-{k}-{tag}", write(name, data), call, InputError,
                            r"invalid polygon .*Fix Geometries", names=name, category="polygons"))
        # the same polygon is ACCEPTED with repair=True
        if k not in {"hole-outside-shell"}:
            out.append(Case(f"poly-invalid-{k}-repaired", write(f"repair_{k}.geojson", data), area_repair, None,
                            check=lambda g: g.is_valid and g.area > 0, category="polygons"))
    for k, ((x0, y0, x1, y1), hint) in OUTSIDE.items():
        data = fc(feature(poly(ring(x0, y0, x1, y1))))
        for call, tag in AREA_CALLS:
            name = f"outside_{k}_{tag}.geojson"
            out.append(Case(f"poly-outside-{k}-{tag}", write(name, data), call, CrsError, hint, names=name,
                            category="polygons"))
    for k, text in NOT_GEOJSON.items():
        for call, tag in (*AREA_CALLS, (area_upload, "upload")):
            name = f"notgeojson_{k}_{tag}.geojson"
            out.append(Case(f"geojson-not-geojson-{k}-{tag}", write(name, text), call, InputError,
                            r"not a readable|not GeoJSON|not valid JSON|cannot read|no features|expected polygons", names=name,
                            category="geojson"))
    for k, (text, match) in EMPTYISH.items():
        for call, tag in AREA_CALLS:
            name = f"emptyish_{k}_{tag}.geojson"
            out.append(Case(f"geojson-{k}-{tag}", write(name, text), call, InputError, match, names=name,
                            category="geojson"))
    # polygons in BNG with a declared CRS are ACCEPTED and give the same area as lon/lat
    bng = fc(feature(poly(ring(E0, N0, E1, N1))), crs="urn:ogc:def:crs:EPSG::27700")
    out.append(Case("poly-accept-bng-crs", write("bng_ok.geojson", bng), area_file, None,
                    check=lambda g: abs(g.area - 1e8) < 1, category="polygons"))
    out.append(Case("poly-accept-rutland-select", write("rutland_ok.geojson", fc(feature(poly(ring(LON0, LAT0, LON1, LAT1))))),
                    area_select, None, check=lambda a: len(a.lsoas) > 0 and a.kind == "polygon", category="polygons"))
    return out


# -- zipped shapefiles and zip bombs -----------------------------------------------------------

def _shapefile_zip(tmp: Path, *, drop: tuple[str, ...] = (), geom: str = "polygon", crs: str | None = "EPSG:4326",
                   extra: dict[str, bytes] | None = None) -> bytes:
    import geopandas as gpd
    from shapely.geometry import Point, box

    d = tmp / "_shp_build"
    d.mkdir(exist_ok=True)
    g = box(LON0, LAT0, LON1, LAT1) if geom == "polygon" else Point(-0.73, 52.67)
    gdf = gpd.GeoDataFrame({"name": ["Hub"]}, geometry=[g], crs=crs)
    gdf.to_file(d / "area.shp", engine="pyogrio")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for f in sorted(d.iterdir()):
            if f.suffix.lower() not in drop:
                zf.write(f, f.name)
        for k, v in (extra or {}).items():
            zf.writestr(k, v)
    for f in d.iterdir():
        f.unlink()
    d.rmdir()
    return buf.getvalue()


def zip_builder(name: str, **kw: Any):
    def build(tmp: Path) -> Path:
        p = tmp / name
        p.write_bytes(_shapefile_zip(tmp, **kw))
        return p
    return build


def _bomb(n_bytes: int, *, files: int = 1, name: str = "big.geojson") -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        chunk = b"\x00" * n_bytes
        for i in range(files):
            zf.writestr(f"{i}_{name}", chunk)
    return buf.getvalue()


def _nested_bomb() -> bytes:
    inner = _bomb(20_000_000)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for i in range(3):
            zf.writestr(f"inner{i}.zip", inner)
        zf.writestr("huge.txt", b"\x00" * 30_000_000)
    return buf.getvalue()


def zip_cases() -> list[Case]:
    out: list[Case] = []
    for tag, call in (("upload", vector_upload), ("sites", sites_file)):
        geom = "point" if tag == "sites" else "polygon"
        name = f"no_prj_{tag}.zip"
        out.append(Case(f"shpzip-missing-prj-{tag}", zip_builder(name, drop=(".prj",), geom=geom),
                        (lambda p, s, w: __import__("geo.data.areas", fromlist=["x"]).polygon_from_frame(
                            vector_upload(p, s, w), source=p.name)) if tag == "upload" else call,
                        CrsError if tag == "upload" else InputError, r"no CRS", names=name, category="zip"))
        for missing in (".shp", ".dbf", ".shx"):
            name = f"no{missing[1:]}_{tag}.zip"
            out.append(Case(f"shpzip-missing{missing.replace('.', '-')}-{tag}",
                            zip_builder(name, drop=(missing,), geom=geom), call, InputError,
                            rf"incomplete \(missing \{missing}\)", names=name, category="zip"))
    for k, data in {"empty-zip": b"PK\x05\x06" + b"\x00" * 18, "damaged-zip": b"PK\x03\x04" + b"\x13" * 200,
                    "only-readme": None}.items():
        name = f"{k}.zip"
        if data is None:
            buf = io.BytesIO()
            with zipfile.ZipFile(buf, "w") as zf:
                zf.writestr("README.txt", "nothing here")
            data = buf.getvalue()
        for call, tag in ((vector_upload, "upload"), (sites_file, "sites")):
            out.append(Case(f"zip-{k}-{tag}", write(f"{tag}_{name}", data), call, InputError,
                            r"damaged zip|cannot read|not GeoJSON|no features", names=f"{tag}_{name}", category="zip"))
    bombs = {"10mb-zeros": lambda: _bomb(10_000_000), "50mb-zeros": lambda: _bomb(50_000_000),
             "many-members": lambda: _bomb(2_000_000, files=40), "nested": _nested_bomb,
             "250mb-zeros": lambda: _bomb(250_000_000),
             "forged-4gb-header": lambda: forge_zip_sizes(_bomb(1000)),
             "forged-many-headers": lambda: forge_zip_sizes(_bomb(100, files=5), 300_000_000)}
    for k, make in bombs.items():
        for call, tag in ((vector_upload, "upload"), (sites_file, "sites")):
            name = f"bomb_{k}_{tag}.zip"

            def build(tmp: Path, make=make, name=name) -> Path:
                p = tmp / name
                p.write_bytes(make())
                return p
            out.append(Case(f"zip-bomb-{k}-{tag}", build, call, InputError, r"zip bomb", names=name, category="zip"))
    # size limit on vector uploads
    big = fc(*[feature(poly(ring(LON0, LAT0, LON1, LAT1)), name=f"f{i}") for i in range(40)])
    for limit in (100, 5000):
        for call, tag in ((vector_upload, "upload"), (sites_file, "sites")):
            name = f"vector_big_{limit}_{tag}.geojson"

            def limited(p: Path, s: Settings, w: Path, call=call, limit=limit) -> Any:
                return call(p, s.with_(max_upload_bytes=limit), w)
            out.append(Case(f"size-vector-{limit}-{tag}", write(name, big), limited, InputError,
                            r"over the .* upload limit", names=name, category="size"))
    return out


def sites_vector_cases() -> list[Case]:
    """Sites supplied as GeoJSON: must be points in England."""
    out: list[Case] = []
    cases = {
        "polygons": (fc(feature(poly(ring(LON0, LAT0, LON1, LAT1)), name="Hub")), r"must be points"),
        "lines": (fc(feature({"type": "LineString", "coordinates": [[LON0, LAT0], [LON1, LAT1]]}, name="Hub")),
                  r"must be points"),
        "no-features": (fc(), r"no features"),
        "no-name": (fc(feature({"type": "Point", "coordinates": [-0.73, 52.67]}, title="Hub")), r"missing column 'name'"),
        "swapped": (fc(feature({"type": "Point", "coordinates": [52.67, -0.73]}, name="Hub")),
                    r"outside England|cannot be located"),
        "paris": (fc(feature({"type": "Point", "coordinates": [2.35, 48.85]}, name="Hub")),
                  r"outside England|cannot be located"),
        "array": ("[]", r"not GeoJSON"),
        "broken": ('{"type": "FeatureCollection", "features": [{', r"cannot read|not valid JSON"),
    }
    for k, (text, match) in cases.items():
        name = f"sites_{k}.geojson"
        err = InputError if k != "no-name" else __import__("geo._errors", fromlist=["x"]).SchemaError
        out.append(Case(f"sites-geojson-{k}", write(name, text), sites_file, err, match, names=name,
                        category="geojson"))
    ok = fc(feature({"type": "Point", "coordinates": [-0.729614, 52.670744]}, name="Café £5"))
    out.append(Case("sites-geojson-accept-point", write("sites_ok.geojson", ok), sites_file, None,
                    check=lambda g: list(g["name"]) == ["Café £5"] and g.crs.to_epsg() == 27700, category="geojson"))
    return out


def all_cases() -> list[Case]:
    """Every vector case."""
    return [*polygon_cases(), *zip_cases(), *sites_vector_cases()]


_ = AreaError  # re-exported for cases_misc
