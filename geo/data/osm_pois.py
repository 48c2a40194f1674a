"""OpenStreetMap as a source of pharmacies' opening hours and harm-reduction services.

:func:`read_osm_pharmacies` scans an ``.osm.pbf``/``.osm`` extract with pyosmium for
pharmacies (``amenity=pharmacy`` or ``healthcare=pharmacy``, nodes and building ways) and for
harm-reduction points (``harm_reduction:*``, ``needle_exchange``, ``vending=syringes``,
``healthcare:speciality`` naming addiction or needle exchange).  :func:`match_to_ods` links
each to the nearest NHS ODS pharmacy within :data:`MATCH_METRES` whose name is similar
(rapidfuzz), or to the nearest within :data:`CLOSE_METRES` whatever the name, and records the
distance, name score and OSM id.  :func:`harvest_osm_sites` gives the matched pharmacies as a
sites frame (rank "OpenStreetMap": a user's list overrides it, it overrides the empty registry
hours) with ``hours_source = "OpenStreetMap <file> (data of <date>)"``.

The Rutland extract of 2018 has pharmacies but almost no ``opening_hours`` tags; any newer
extract (``geo data`` downloads) is read the same way.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from geo._errors import InputError
from geo.config import Settings
from geo.data.hours_syntax import check_hours
from geo.data.services import join_services
from geo.data.site_schema import RANK_OSM

if TYPE_CHECKING:
    import geopandas as gpd

logger = logging.getLogger(__name__)

#: A pharmacy this close to an ODS pharmacy with a similar name is the same pharmacy.
MATCH_METRES = 150.0
#: This close, the nearest ODS pharmacy is taken even when the names differ.
CLOSE_METRES = 40.0
#: Name similarity (rapidfuzz token_set_ratio, 0-100) that counts as "similar".
NAME_SCORE = 70.0
_YES = {"yes", "designated", "only", "true", "1"}


def _services_from_tags(tags: dict[str, str]) -> tuple[str, ...]:
    out: list[str] = []
    hr = {k.split(":", 1)[1]: v.lower() for k, v in tags.items() if k.startswith("harm_reduction:")}
    if tags.get("needle_exchange", "").lower() in _YES or tags.get("vending", "").lower() in {"syringes", "needles"} \
            or hr.get("needle_exchange", hr.get("needles", hr.get("syringes", ""))) in _YES:
        out.append("nsp")
    if hr.get("naloxone", tags.get("naloxone", "")).lower() in _YES:
        out.append("naloxone")
    if hr.get("supervised_consumption", hr.get("opioid_substitution", "")) in _YES:
        out.append("supervised_consumption")
    spec = tags.get("healthcare:speciality", "").lower()
    if "needle" in spec:
        out.append("nsp")
    if "addiction" in spec:
        out.append("treatment")
    return tuple(dict.fromkeys(out))


#: Keys that make an object worth reading (pyosmium filters the rest out in C++).
OSM_KEYS = ("amenity", "healthcare", "vending", "needle_exchange", "naloxone", "healthcare:speciality",
            "harm_reduction:needle_exchange", "harm_reduction:needles", "harm_reduction:syringes",
            "harm_reduction:naloxone", "harm_reduction:supervised_consumption",
            "harm_reduction:opioid_substitution")


def _scan(path: Path) -> tuple[list[dict[str, Any]], dt.datetime | None]:
    """Rows for pharmacies / harm-reduction objects (nodes; ways at the mean of their nodes)."""
    import osmium

    rows: list[dict[str, Any]] = []
    newest: dt.datetime | None = None
    fp = osmium.FileProcessor(str(path)).with_locations().with_filter(osmium.filter.KeyFilter(*OSM_KEYS))
    for raw in fp:
        obj: Any = raw  # Node or Way (the filter passes no changesets)
        if obj.is_relation():
            continue
        tags = dict(obj.tags)
        pharmacy = tags.get("amenity") == "pharmacy" or tags.get("healthcare") == "pharmacy"
        services = _services_from_tags(tags)
        if not pharmacy and not services:
            continue
        if obj.is_node():
            if not obj.location.valid():
                continue
            lon, lat, kind = obj.location.lon, obj.location.lat, "node"
        else:
            pts = [(nd.lon, nd.lat) for nd in obj.nodes if nd.location.valid()]
            if not pts:
                continue
            lon, lat = (float(v) for v in np.mean(np.asarray(pts), axis=0))
            kind = "way"
        ts = obj.timestamp.replace(tzinfo=None) if obj.timestamp else None
        if ts and (newest is None or ts > newest):
            newest = ts
        rows.append({
            "osm_id": f"{kind}/{obj.id}", "osm_name": tags.get("name", ""), "pharmacy": pharmacy,
            "opening_hours": tags.get("opening_hours", "").strip(), "osm_services": join_services(services),
            "dispensing": tags.get("dispensing", ""), "lon": lon, "lat": lat,
            "osm_timestamp": ts.isoformat(timespec="seconds") if ts else "",
            "ref_ods": tags.get("ref:GB:nhs", tags.get("ref:nhs", tags.get("dispensing:ref", ""))),
        })
    return rows, newest


def osm_file_date(path: Path) -> str:
    """The extract's date: the header replication timestamp, else '' (callers fall back to object dates)."""
    import osmium

    try:
        h = osmium.io.Reader(str(path), osmium.osm.osm_entity_bits.NOTHING).header()
        return str(h.get("osmosis_replication_timestamp", "") or "")
    except Exception:  # pyosmium raises RuntimeError for unreadable headers
        return ""


def read_osm_pharmacies(path: str | Path) -> pd.DataFrame:
    """Pharmacies and harm-reduction points in an OSM extract (one row per OSM object).

    Columns: ``osm_id`` (``node/123``), ``osm_name``, ``pharmacy``, ``opening_hours``,
    ``osm_services``, ``ref_ods``, ``easting``, ``northing``, ``osm_timestamp``; ``attrs["osm_date"]``
    is the extract date (header, else the newest object edit).
    """
    from geo.crs import bng_from_lonlat

    p = Path(path)
    if not p.is_file():
        msg = f"OSM extract {p} not found; give an .osm.pbf or .osm file (e.g. from download.geofabrik.de)"
        raise InputError(msg)
    try:
        rows, newest = _scan(p)
    except RuntimeError as exc:
        msg = f"{p}: not a readable OpenStreetMap file ({exc}); give an .osm.pbf or .osm extract"
        raise InputError(msg) from exc
    df = pd.DataFrame(rows, columns=["osm_id", "osm_name", "pharmacy", "opening_hours", "osm_services",
                                            "dispensing", "lon", "lat", "osm_timestamp", "ref_ods"])
    e, n = bng_from_lonlat(df["lon"].to_numpy(float), df["lat"].to_numpy(float))
    df["easting"], df["northing"] = e, n
    date = osm_file_date(p) or (newest.isoformat(timespec="seconds") if newest else "")
    df.attrs["osm_date"] = date
    df.attrs["osm_file"] = p.name
    logger.info("%s: %d pharmacies, %d with opening_hours, %d harm-reduction tagged (data of %s)", p.name,
                int(df["pharmacy"].sum()), int((df["opening_hours"] != "").sum()), int((df["osm_services"] != "").sum()),
                date or "unknown date")
    return df


def match_to_ods(osm: pd.DataFrame, registry: pd.DataFrame) -> pd.DataFrame:
    """Match OSM objects to registry pharmacies (``site_id``, ``name``, ``easting``, ``northing``).

    An explicit ``ref:GB:nhs``/``dispensing:ref`` ODS code wins; otherwise the nearest registry
    pharmacy within :data:`MATCH_METRES` with name similarity >= :data:`NAME_SCORE`, else the
    nearest within :data:`CLOSE_METRES`.  Returns ``osm`` with ``site_id`` ('' = unmatched),
    ``match_metres``, ``match_name_score`` and ``match`` (``ods ref``, ``distance+name``,
    ``distance``, ``unmatched``).
    """
    from rapidfuzz import fuzz, utils
    from scipy.spatial import cKDTree

    out = osm.copy()
    out["site_id"], out["match"] = "", "unmatched"
    out["match_metres"], out["match_name_score"] = np.nan, np.nan
    if out.empty or registry.empty:
        return out
    rxy = registry[["easting", "northing"]].to_numpy(float)
    ok = np.isfinite(rxy).all(axis=1)
    reg = registry[ok].reset_index(drop=True)
    tree = cKDTree(rxy[ok])
    k = min(5, len(reg))
    dist, idx = tree.query(out[["easting", "northing"]].to_numpy(float), k=k, distance_upper_bound=MATCH_METRES)
    dist, idx = np.atleast_2d(dist), np.atleast_2d(idx)
    if k == 1:
        dist, idx = dist.reshape(-1, 1), idx.reshape(-1, 1)
    ids = set(reg["site_id"])
    for i in range(len(out)):
        ref = str(out["ref_ods"].iloc[i]).strip().upper()
        if ref and f"ods:{ref}" in ids:
            out.iloc[i, out.columns.get_loc("site_id")] = f"ods:{ref}"
            out.iloc[i, out.columns.get_loc("match")] = "ods ref"
            continue
        best = None
        for d, j in zip(dist[i], idx[i], strict=True):
            if not np.isfinite(d):
                continue
            score = fuzz.token_set_ratio(out["osm_name"].iloc[i], reg["name"].iloc[j], processor=utils.default_process)
            if out["osm_name"].iloc[i] and score >= NAME_SCORE:
                best = (j, d, score, "distance+name")
                break
            if best is None and d <= CLOSE_METRES:
                best = (j, d, score, "distance")
        if best is not None:
            j, d, score, how = best
            out.iloc[i, out.columns.get_loc("site_id")] = reg["site_id"].iloc[j]
            out.iloc[i, out.columns.get_loc("match")] = how
            out.iloc[i, out.columns.get_loc("match_metres")] = round(float(d), 1)
            out.iloc[i, out.columns.get_loc("match_name_score")] = float(score)
    return out


@dataclass
class OsmHarvest:
    """Matched OSM pharmacies as overlay sites, plus the per-object match table."""

    sites: gpd.GeoDataFrame
    matches: pd.DataFrame
    osm_date: str
    counts: dict[str, int]

    def summary(self) -> str:
        """One line of counts for logs and the CLI."""
        c = self.counts
        return (f"OpenStreetMap ({self.osm_date or 'date unknown'}): {c['osm_pharmacies']} pharmacies, "
                f"{c['matched']} matched to NHS ODS pharmacies ({c['unmatched']} unmatched); "
                f"{c['with_hours']} matched with opening_hours ({c['invalid_hours']} unreadable, not used), "
                f"{c['with_services']} with harm-reduction tags")


def harvest_osm_sites(path: str | Path, settings: Settings | None = None) -> OsmHarvest:
    """Read ``path``, match to ODS pharmacies and return overlay sites with hours and services.

    Overlay rows carry the registry ``site_id``, ``opening_hours`` (only strings that pass
    :func:`geo.data.hours_syntax.check_hours`), ``services`` (``dispensing`` plus any
    harm-reduction tags), ``hours_source`` / ``source`` naming the file, the OSM id and the
    data date, and ``source_rank`` = OpenStreetMap.
    """
    from geo.data.site_schema import to_site_gdf
    from geo.data.sites import load_pharmacy_sites

    s = settings if settings is not None else Settings.from_env()
    osm = read_osm_pharmacies(path)
    date = str(osm.attrs.get("osm_date", ""))
    fname = str(osm.attrs.get("osm_file", Path(path).name))
    reg = load_pharmacy_sites(s)
    m = match_to_ods(osm, reg[["site_id", "name", "easting", "northing"]])
    checked = [check_hours(h) for h in m["opening_hours"]]
    m["hours_status"] = [c[0] for c in checked]
    m["hours_problem"] = [c[1] for c in checked]
    good = m[(m["site_id"] != "")].drop_duplicates("site_id")
    reg_i = reg.set_index("site_id")
    hours = np.where(good["hours_status"] == "ok", good["opening_hours"], "")
    tag = [f"OpenStreetMap {fname} ({o}, data of {date[:10] or 'unknown date'})" for o in good["osm_id"]]
    table = pd.DataFrame({
        "site_id": good["site_id"].to_numpy(), "name": reg_i.loc[good["site_id"], "name"].to_numpy(),
        "site_type": "pharmacy",
        "services": [join_services(["dispensing", *[x for x in v.split(";") if x]]) for v in good["osm_services"]],
        "postcode": reg_i.loc[good["site_id"], "postcode"].to_numpy(),
        "town": reg_i.loc[good["site_id"], "town"].to_numpy(),
        "easting": reg_i.loc[good["site_id"], "easting"].to_numpy(),
        "northing": reg_i.loc[good["site_id"], "northing"].to_numpy(),
        "location_precision": "postcode", "opening_hours": hours,
        "hours_source": [t if h else "" for t, h in zip(tag, hours, strict=True)],
        "source": tag, "osm_id": good["osm_id"].to_numpy(), "ods_code": [x[4:] for x in good["site_id"]],
        "status": "current",
    })
    sites = to_site_gdf(table, rank=RANK_OSM, source=fname)
    ph = m["pharmacy"].to_numpy(bool)
    counts = {"osm_pharmacies": int(ph.sum()), "matched": int((m.loc[ph, "site_id"] != "").sum()),
              "unmatched": int((m.loc[ph, "site_id"] == "").sum()),
              "with_hours": int((hours != "").sum()), "invalid_hours": int((good["hours_status"] == "invalid").sum()),
              "with_services": int((good["osm_services"] != "").sum()), "harm_reduction_objects": int((~ph).sum())}
    res = OsmHarvest(sites=sites, matches=m, osm_date=date, counts=counts)
    logger.info("%s", res.summary())
    return res


__all__ = ["CLOSE_METRES", "MATCH_METRES", "NAME_SCORE", "OsmHarvest", "harvest_osm_sites", "match_to_ods",
           "osm_file_date", "read_osm_pharmacies"]
