"""Candidate sites for the optimiser: community pharmacies, GP practices, town centres, a user file.

:func:`load_candidates` keeps candidates inside the area (plus a buffer) and drops any at the
place of an existing site, so the location models (:mod:`geo.planning.location_models`) never
"open" a site that is already there.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from geo._errors import InputError

if TYPE_CHECKING:
    from geo.config import Settings
    from geo.data.areas import Area

logger = logging.getLogger(__name__)

CANDIDATE_KINDS = ("pharmacy", "gp", "town")


def load_candidates(kinds: str | list[str], area: Area, *, settings: Settings | None = None,
                    existing: pd.DataFrame | None = None, user_file: str | None = None,
                    buffer_km: float = 0.0) -> pd.DataFrame:
    """Candidate locations: community pharmacies, GP practices, town centres and/or a user file.

    Only candidates inside ``area`` (plus ``buffer_km``) are kept; any at the same place as an
    existing site (same site_id, or within 1 m) are dropped.
    """
    import shapely

    from geo.data.sites import load_gp_sites, load_pharmacy_sites, read_sites_file

    wanted = [k.strip().lower() for k in (kinds.split(",") if isinstance(kinds, str) else kinds) if k.strip()]
    bad = [k for k in wanted if k not in (*CANDIDATE_KINDS, "file")]
    if bad:
        msg = f"unknown candidate kind(s) {', '.join(bad)}; choose from {', '.join(CANDIDATE_KINDS)} or a --candidates-file"
        raise InputError(msg)
    frames: list[pd.DataFrame] = []
    if "pharmacy" in wanted:
        frames.append(pd.DataFrame(load_pharmacy_sites(settings)))
    if "gp" in wanted:
        frames.append(pd.DataFrame(load_gp_sites(settings)).assign(site_type="other"))
    if "town" in wanted:
        frames.append(_town_candidates(area, settings))
    if user_file:
        frames.append(pd.DataFrame(read_sites_file(user_file, settings)))
    if not frames:
        msg = "no candidates: choose --candidates pharmacy,gp,town and/or a --candidates-file"
        raise InputError(msg)
    cand = pd.concat(frames, ignore_index=True)
    cand = cand[np.isfinite(cand["easting"].to_numpy(dtype=float))]
    poly = area.polygon_buffered(buffer_km * 1000.0)
    shapely.prepare(poly)
    cand = cand[shapely.contains_xy(poly, cand["easting"].to_numpy(dtype=float),
                                    cand["northing"].to_numpy(dtype=float))]
    if existing is not None and len(existing):
        from scipy.spatial import cKDTree

        tree = cKDTree(np.column_stack([existing["easting"], existing["northing"]]).astype(float))
        d, _ = tree.query(np.column_stack([cand["easting"], cand["northing"]]).astype(float))
        cand = cand[(d > 1.0) & ~cand["site_id"].isin(set(existing["site_id"]))]
    cand = cand.drop_duplicates("site_id").reset_index(drop=True)
    logger.info("candidates: %d (%s) in %s", len(cand), ",".join(wanted), area.name)
    return cand.drop(columns=[c for c in ("geometry",) if c in cand.columns])


def _town_candidates(area: Area, settings: Settings | None, *, min_stops: int = 8) -> pd.DataFrame:
    """Town and village centres in ``area``: NaPTAN localities with at least ``min_stops`` active
    stops, plus the post towns of its pharmacies and GP practices, placed by
    :func:`geo.data.geocode.town_centres`."""
    import shapely

    from geo.data.geocode import town_centres
    from geo.data.loaders import load_naptan
    from geo.data.sites import load_gp_sites, load_pharmacy_sites

    poly = area.polygon
    shapely.prepare(poly)
    towns: set[str] = set()
    stops = load_naptan(settings, missing_ok=True)
    if len(stops):
        if "status" in stops:
            stops = stops[stops["status"].astype(str).str.lower() == "active"]
        g = stops.groupby(stops["locality_name"].astype(str))[["easting", "northing"]].agg(["median", "size"])
        g = g[g[("easting", "size")] >= min_stops]
        inside = shapely.contains_xy(poly, g[("easting", "median")].to_numpy(dtype=float),
                                     g[("northing", "median")].to_numpy(dtype=float))
        towns |= {str(t) for t in g.index[inside]}
    for df in (load_pharmacy_sites(settings), load_gp_sites(settings)):
        inside = shapely.contains_xy(poly, df["easting"].to_numpy(dtype=float), df["northing"].to_numpy(dtype=float))
        towns |= {t for t in df.loc[inside, "town"].astype(str) if t.strip()}
    admin = {str(v).upper() for c in ("lad24nm", "utla23nm") if c in area.lsoas for v in area.lsoas[c].unique()}
    admin.add(area.name.upper())
    towns = {t for t in towns if t.upper() not in admin}  # counties/districts are not towns
    tc = town_centres(sorted(towns), settings)
    tc = tc[tc["method"] != "not_found"]
    tc = tc[shapely.contains_xy(poly, tc["easting"].to_numpy(dtype=float), tc["northing"].to_numpy(dtype=float))]
    slug = tc["town"].str.lower().str.replace(r"[^a-z0-9]+", "-", regex=True).str.strip("-")
    out = pd.DataFrame({"site_id": "town:" + slug, "name": tc["town"].str.title() + " (town centre)",
                        "site_type": "satellite", "location_precision": "town", "town": tc["town"],
                        "easting": tc["easting"], "northing": tc["northing"]})
    return out.drop_duplicates("site_id")


__all__ = ["CANDIDATE_KINDS", "load_candidates"]
