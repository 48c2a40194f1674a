"""GIS and table exports of an access run: a GeoPackage (``lsoas`` + ``sites`` layers) and a CSV.

:func:`lsoa_metrics` joins everything known about each core LSOA -- polygon (EPSG:27700), adults,
deprivation, rurality, minutes to the nearest site, routing status and method, need index and
gap score -- into one GeoDataFrame.  :func:`export_geopackage` and :func:`export_lsoa_csv` write
it atomically (temporary file in the same folder, then rename), after the disclosure checks of
:mod:`geo.measures.disclosure`.  Only open, area-level data goes out: no client records, no client
postcodes.  Site postcodes are public service addresses and are kept only when they are in the
``allowed_postcodes`` set (see :func:`geo.data.sites.public_site_postcodes`); the free-text
``address`` column is never exported.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from geo._errors import InputError, SchemaError
from geo.crs import BNG
from geo.outputs.safe_csv import write_csv

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence

    import geopandas as gpd

    from geo.data.areas import Area

logger = logging.getLogger(__name__)

#: Columns of the ``lsoas`` layer / CSV, in order (those present are written).
LSOA_COLUMNS = ("lsoa21cd", "lsoa21nm", "lad24cd", "lad24nm", "adults", "population", "imd_score",
                "imd_decile", "urban_rural", "ruc21nm", "minutes", "minutes_low", "minutes_high", "site_id", "site_name",
                "site_type", "site_in_area", "status", "method", "threshold_minutes",
                "beyond_threshold", "unreachable", "need_index", "need_percentile", "time_ratio",
                "gap_score", "gap_rank", "rural_gap", "easting", "northing")
#: Columns of the ``sites`` layer (``address`` is left out on purpose).
SITE_COLUMNS = ("site_id", "name", "site_type", "provider", "town", "postcode", "in_area",
                "opening_hours", "opening_hours_text", "location_precision", "capacity", "status",
                "source", "easting", "northing")


def lsoa_metrics(area: Area, times: pd.DataFrame, *, threshold_minutes: float,
                 need: pd.DataFrame | None = None, services: Sequence[str] = ()) -> gpd.GeoDataFrame:
    """Core LSOA polygons with every access metric, one row per LSOA (EPSG:27700).

    Parameters
    ----------
    area : Area
        Study area (its core LSOA polygons are used).
    times : pandas.DataFrame
        Times frame from :func:`geo.travel.catchments.nearest_times` indexed by ``lsoa21cd``.
    threshold_minutes : float
        Threshold used for ``beyond_threshold``, ``rural_gap`` and the gap score.
    need : pandas.DataFrame, optional
        Output of :func:`geo.measures.need.composite_need_index` (``need_index``, ``need_percentile``);
        default: IMD score percentile (as :func:`geo.measures.gaps.gap_scores`).
    services : sequence of str
        With several, each service's ``minutes_<service>`` (and ``_low``/``_high``) and
        ``site_name_<service>`` follow ``site_name`` (``minutes`` = nearest site of any type).

    Returns
    -------
    geopandas.GeoDataFrame
        :data:`LSOA_COLUMNS` (those available) plus ``geometry``, indexed by ``lsoa21cd``.
    """
    import geopandas as gpd

    from geo.crs import require_bng
    from geo.measures.gaps import gap_scores

    polys = area.lsoas
    require_bng(polys, what="LSOA boundaries")
    scores = gap_scores(times, need, threshold_minutes=threshold_minutes)
    scores = scores.rename(columns={"score": "gap_score", "rank": "gap_rank"})
    missing = polys.index.difference(scores.index)
    if len(missing):
        msg = f"times frame lacks {len(missing)} core LSOA(s) of {area.name} (e.g. {missing[0]})"
        raise SchemaError(msg)
    df = scores.reindex(polys.index)
    df["threshold_minutes"] = float(threshold_minutes)
    if need is not None and "need_index" in need.columns:
        df["need_index"] = need["need_index"].reindex(df.index).astype(float)
    df.index.name = "lsoa21cd"
    df = df.reset_index()
    keep = [c for c in LSOA_COLUMNS if c in df.columns]
    if len(tuple(services)) > 1:
        from geo.measures.gaps import SERVICE_COLUMNS

        at = keep.index("site_name") + 1 if "site_name" in keep else len(keep)
        extra = [c.format(k) for k in services for c in SERVICE_COLUMNS]
        keep[at:at] = [c for c in extra if c in times.columns]
        for c in extra:
            if c in times.columns:
                df[c] = times[c].reindex(df["lsoa21cd"]).to_numpy()
    out = gpd.GeoDataFrame(df[keep], geometry=polys.geometry.to_numpy(), crs=BNG)
    for c in ("beyond_threshold", "unreachable", "rural_gap"):
        if c in out.columns:
            out[c] = out[c].astype(bool)
    for c in ("site_in_area",):
        if c in out.columns:
            out[c] = out[c].map(lambda v: None if v is None or v is pd.NA else bool(v)).astype(object)
    out = out.set_index("lsoa21cd", drop=False)
    out.index.name = None
    logger.info("LSOA metrics: %d LSOAs, %d columns, CRS %s", len(out), len(keep), out.crs)
    return out


def _plain(df: pd.DataFrame) -> pd.DataFrame:
    """Columns GDAL writes cleanly: text as object, nullable ints/bools as float/object."""
    out = df.copy()
    for c in out.columns:
        if c == "geometry":
            continue
        s = out[c]
        if isinstance(s.dtype, pd.StringDtype) or pd.api.types.is_string_dtype(s):
            out[c] = s.astype(object).where(s.notna(), None)
        elif isinstance(s.dtype, pd.CategoricalDtype):
            out[c] = s.astype(str)
    return out


def site_layer(sites: pd.DataFrame, *, allowed_postcodes: Iterable[str] | None = None) -> gpd.GeoDataFrame:
    """Sites as points (EPSG:27700) with :data:`SITE_COLUMNS`; never the ``address`` column.

    Postcodes not in ``allowed_postcodes`` are blanked (the whole column is dropped when it is
    None), so a user's own private location can never leave through an export.
    """
    import geopandas as gpd

    from geo.measures.disclosure import _norm_pc  # same normalisation as the checks

    for c in ("easting", "northing"):
        if c not in sites.columns:
            msg = f"sites lack {c!r} (EPSG:27700 metres)"
            raise SchemaError(msg)
    df = pd.DataFrame(sites).reset_index(drop=True)
    keep = [c for c in SITE_COLUMNS if c in df.columns]
    df = df[keep].copy()
    if "postcode" in df.columns:
        if allowed_postcodes is None:
            df = df.drop(columns="postcode")
        else:
            ok = {_norm_pc(p) for p in allowed_postcodes}
            pcs = df["postcode"].fillna("").astype(str)
            public = pcs.map(_norm_pc).isin(ok) | (pcs.str.strip() == "")
            if (~public).any():
                logger.warning("%d site postcode(s) are not public service addresses; left blank",
                               int((~public).sum()))
            df["postcode"] = pcs.where(public, "")
    if "in_area" in df.columns:
        df["in_area"] = df["in_area"].astype(bool)
    xy = df[["easting", "northing"]].to_numpy(dtype=float)
    located = np.isfinite(xy).all(axis=1)
    if (~located).any():
        logger.info("%d unlocated site(s) left out of the sites layer", int((~located).sum()))
    df = df[located].reset_index(drop=True)
    xy = xy[located]
    return gpd.GeoDataFrame(df, geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=BNG)


def _gpkg_path(path: str | Path) -> Path:
    target = Path(path)
    if target.suffix.lower() != ".gpkg":
        msg = f"GeoPackage output must end in .gpkg, got {target.name!r}"
        raise SchemaError(msg)
    return target


def _check(frame: pd.DataFrame, *, allowed: Iterable[str], source: str) -> None:
    from geo.measures.disclosure import check_disclosure

    check_disclosure(pd.DataFrame(frame.drop(columns="geometry", errors="ignore")),
                     allowed_postcodes=allowed, source=source)


def export_geopackage(path: str | Path, lsoas_with_metrics: gpd.GeoDataFrame, sites: pd.DataFrame,
                      *, allowed_postcodes: Iterable[str] | None = None,
                      extra_layers: Mapping[str, gpd.GeoDataFrame] | None = None) -> Path:
    """Write layers ``lsoas`` (polygons + metrics) and ``sites`` (points) to one GeoPackage.

    The file is built under a temporary name in the target folder and renamed into place, so
    readers never see a half-written GeoPackage.  Both layers pass
    :func:`geo.measures.disclosure.check_disclosure` first (``DisclosureError`` otherwise).

    Parameters
    ----------
    path : str or Path
        Output ``.gpkg``.
    lsoas_with_metrics : geopandas.GeoDataFrame
        From :func:`lsoa_metrics` (EPSG:27700 polygons).
    sites : pandas.DataFrame
        Sites with ``easting``/``northing``; see :func:`site_layer`.
    allowed_postcodes : iterable of str, optional
        Public service-site postcodes that may be written; None drops the postcode column.
    extra_layers : mapping of name to GeoDataFrame, optional
        More layers written after those two (e.g. :func:`geo.outputs.scenario_gis.scenario_layers`),
        through the same disclosure check.

    Returns
    -------
    Path
        The written file.
    """
    from geo.crs import require_bng

    target = _gpkg_path(path)
    require_bng(lsoas_with_metrics, what="LSOA metrics")
    allowed = list(allowed_postcodes or ())
    layers = write_layers(target, {"lsoas": lsoas_with_metrics, "sites": site_layer(sites, allowed_postcodes=allowed_postcodes),
                                   **(extra_layers or {})}, allowed_postcodes=allowed)
    logger.info("GeoPackage %s: %s (EPSG:27700)", target, ", ".join(f"{k} {len(v)}" for k, v in layers.items()))
    return target


def write_layers(path: str | Path, layers: Mapping[str, gpd.GeoDataFrame], *,
                 allowed_postcodes: Iterable[str] = ()) -> dict[str, gpd.GeoDataFrame]:
    """Write layers to one GeoPackage, atomically (temporary file, then rename), each after the
    disclosure check (``"<name> layer"`` in its errors); returns the layers as written."""
    from geo.cache import atomic_path

    allowed = list(allowed_postcodes)
    plain = {name: _plain(layer.reset_index(drop=True)) for name, layer in layers.items()}
    for name, layer in plain.items():
        _check(layer, allowed=allowed, source=f"{name} layer")
    with atomic_path(_gpkg_path(path)) as tmp:
        for i, (name, layer) in enumerate(plain.items()):
            layer.to_file(tmp, layer=name, driver="GPKG", engine="pyogrio", append=bool(i))
    return plain


def export_client_geopackage(path: str | Path, release: Any, area: Area) -> Path:
    """Write a client release as a GeoPackage: layers ``client_lsoas``, ``client_wards`` and
    ``client_districts`` (EPSG:27700 polygons with the published counts, their errors, the rates
    and the ``disclosure`` label), after the disclosure checks.

    Parameters
    ----------
    path : str or Path
        Output ``.gpkg``.
    release : geo.measures.client_release.ClientRelease
        The release (sums of the extract's protected base).
    area : Area
        Its study area (LSOA polygons).

    Returns
    -------
    Path
        The written file.
    """
    import geopandas as gpd

    target = _gpkg_path(path)
    shapes = gpd.GeoDataFrame(area.lsoas[["geometry"]], geometry="geometry", crs=area.lsoas.crs or BNG).to_crs(BNG)
    keys = {"client_lsoas": (release.by_lsoa, None), "client_wards": (release.by_ward, "wd24cd"),
            "client_districts": (release.by_lad, "lad24cd")}
    layers = {}
    for name, (table, key) in keys.items():
        if key is None:
            geom = shapes.geometry.reindex(table.index)
        else:
            geom = shapes.assign(_k=area.lsoas[key].astype(str)).dissolve("_k").geometry.reindex(table.index.astype(str))
        layers[name] = gpd.GeoDataFrame(table.reset_index(), geometry=list(geom.to_numpy()), crs=BNG)
    write_layers(target, layers)
    logger.info("client GeoPackage %s: %s", target, ", ".join(f"{k} {len(v)}" for k, v in layers.items()))
    return target


def lsoa_table(lsoas_with_metrics: pd.DataFrame) -> pd.DataFrame:
    """The metrics without geometry (what the CSV holds)."""
    return pd.DataFrame(lsoas_with_metrics.drop(columns="geometry", errors="ignore")).reset_index(drop=True)


def export_lsoa_csv(path: str | Path, lsoas_with_metrics: pd.DataFrame) -> Path:
    """Write the LSOA metrics table (no geometry) to CSV atomically after the disclosure check."""
    table = lsoa_table(lsoas_with_metrics)
    _check(table, allowed=(), source="LSOA metrics CSV")
    target = write_csv(table, path, index=False, float_format="%.4f")
    logger.info("LSOA metrics CSV %s: %d rows", target, len(table))
    return target


def export_outreach_csv(outreach: pd.DataFrame, path: str | Path) -> Path:
    """Write an outreach list (:func:`geo.measures.gaps.outreach_list`) to CSV atomically; returns the path."""
    p = write_csv(outreach, path, index=False)
    logger.info("outreach list: %d rows written to %s", len(outreach), p)
    return p


def write_synthetic_clients(df: pd.DataFrame, out: str | Path) -> Path:
    """Write a synthetic extract (:func:`geo.measures.clients.synthetic_clients`) to CSV.

    The file name must contain 'synthetic', and every row must say ``synthetic=True``.
    """
    path = Path(out)
    if "synthetic" not in path.name.lower():
        msg = f"{path}: synthetic extracts must have 'synthetic' in the file name (e.g. synthetic_clients.csv)"
        raise InputError(msg)
    if "synthetic" not in df.columns or not df["synthetic"].astype(bool).all():
        msg = "only frames made by synthetic_clients (synthetic=True on every row) may be written here"
        raise InputError(msg)
    write_csv(df, path, index=False)
    logger.info("wrote %d SYNTHETIC clients to %s", len(df), path.name)
    return path


#: GIS formats of catchment files, by suffix (GDAL driver names).
CATCHMENT_DRIVERS = {".gpkg": "GPKG", ".geojson": "GeoJSON"}


def catchment_driver(path: str | Path) -> str:
    """The GDAL driver a catchment file name asks for; :class:`InputError` for any other suffix."""
    target = Path(path)
    if target.suffix.lower() not in CATCHMENT_DRIVERS:
        msg = f"--out {target}: use a .gpkg or .geojson file name"
        raise InputError(msg)
    return CATCHMENT_DRIVERS[target.suffix.lower()]


def export_catchments(path: str | Path, iso: gpd.GeoDataFrame) -> Path:
    """Write catchment polygons (:func:`geo.travel.catchments.isochrones`) atomically as GeoPackage
    (layer ``catchments``) or GeoJSON, as the suffix says (:func:`catchment_driver`)."""
    from geo.cache import atomic_path

    target = Path(path)
    driver = catchment_driver(target)
    with atomic_path(target) as tmp:
        iso.to_file(tmp, driver=driver, layer="catchments" if driver == "GPKG" else None)
    return target


def describe_export(lsoas_with_metrics: pd.DataFrame) -> dict[str, Any]:
    """Row count and columns of an LSOA metrics frame (for logs and CLI messages)."""
    return {"lsoas": len(lsoas_with_metrics),
            "columns": [c for c in lsoas_with_metrics.columns if c != "geometry"]}


__all__ = ["LSOA_COLUMNS", "SITE_COLUMNS", "CATCHMENT_DRIVERS", "catchment_driver", "describe_export", "export_catchments", "export_client_geopackage",
           "export_geopackage", "export_lsoa_csv", "export_outreach_csv", "lsoa_metrics", "lsoa_table", "site_layer",
           "write_layers", "write_synthetic_clients"]
