"""A scenario's changes applied to the sites table: added, removed, moved sites, new hours or capacity.

:func:`apply_scenario` returns the sites after every change, in order, each checked against the
current table (a removed site must exist, an added one must not duplicate a site already at
that place).  An added site is placed at its coordinates or postcode
(:func:`resolve_location`), or copies a site of the candidate pool.  Evaluating the result is
:mod:`geo.planning.scenarios`; the changes are declared in :mod:`geo.planning.scenario_schema`.
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from geo._errors import InputError
from geo.planning.scenario_schema import AddSite, ChangeCapacity, ChangeHours, MoveSite, RemoveSite, Scenario

if TYPE_CHECKING:
    import geopandas as gpd

    from geo.config import Settings

logger = logging.getLogger(__name__)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "site"


def resolve_location(*, easting: float | None = None, northing: float | None = None,
                     postcode: str | None = None, settings: Settings | None = None,
                     what: str = "site") -> tuple[float, float, str, str]:
    """Coordinates of a change: ``(easting, northing, location_precision, postcode)``."""
    if easting is not None and northing is not None:
        from geo.crs import in_england_bng

        if not bool(in_england_bng(np.array([float(easting)]), np.array([float(northing)]))[0]):
            msg = f"{what}: easting/northing ({easting}, {northing}) are outside England (EPSG:27700 metres)"
            raise InputError(msg)
        return float(easting), float(northing), "coordinates", postcode or ""
    if postcode:
        from geo.data.geocode import geocode_postcodes

        g = geocode_postcodes([postcode], settings)
        if g["status"].iloc[0] != "found":
            msg = f"{what}: postcode {postcode!r} is not a live English postcode ({g['status'].iloc[0]})"
            raise InputError(msg)
        return float(g["easting"].iloc[0]), float(g["northing"].iloc[0]), "postcode", str(g["postcode"].iloc[0])
    msg = f"{what}: no location given (coordinates or postcode)"
    raise InputError(msg)


def _pool_row(site_id: str, pool: pd.DataFrame | None, settings: Settings | None) -> pd.Series:
    if pool is not None and "site_id" in pool.columns:
        hit = pool[pool["site_id"].astype(str) == site_id]
        if len(hit):
            return hit.iloc[0]
    if site_id.startswith("ods:"):
        from geo.data.sites import load_gp_sites, load_pharmacy_sites

        for loader in (load_pharmacy_sites, load_gp_sites):
            df = loader(settings)
            hit = df[df["site_id"] == site_id]
            if len(hit):
                return hit.iloc[0]
    msg = f"site {site_id!r} is not a known pharmacy, GP practice or candidate site"
    raise InputError(msg)


def apply_scenario(scenario: Scenario, sites: pd.DataFrame, *, settings: Settings | None = None,
                   pool: pd.DataFrame | None = None) -> gpd.GeoDataFrame:
    """The sites after the changes of ``scenario``, in order (a new frame; input untouched).

    Added sites are appended; moved sites keep their row (new coordinates, precision
    ``coordinates``/``postcode``).  ``pool`` is where ``from_site_id`` is looked up (pharmacies
    and GP practices are searched otherwise).  Unknown ``site_id``\\ s raise :class:`InputError`.
    """
    import geopandas as gpd

    from geo.crs import BNG

    out = pd.DataFrame(sites).copy().reset_index(drop=True)
    if "site_id" not in out.columns:
        msg = "sites have no 'site_id' column; load them with geo.data.sites.load_sites"
        raise InputError(msg)
    added: dict[tuple[Any, ...], tuple[int, str]] = {}  # place -> (change number, name) of sites added
    for i, ch in enumerate(scenario.changes):
        where = f"scenario {scenario.name!r} change {i + 1} ({ch.kind})"
        if isinstance(ch, AddSite):
            row = _added_row(ch, out, pool=pool, settings=settings, where=where)
            place, words = _place_of(row.iloc[0])
            if place in added:
                k, first = added[place]
                msg = (f"{where}: a site is already added at {words} (change {k}, {first!r}); it is not added "
                       "twice - remove one of the two changes, or add the second site somewhere else")
                raise InputError(msg)
            added[place] = (i + 1, ch.name)
            out = pd.concat([out, row], ignore_index=True)
            continue
        hit = np.flatnonzero(out["site_id"].astype(str).to_numpy() == ch.site_id)
        if len(hit) == 0:
            msg = f"{where}: no site with site_id {ch.site_id!r} in the current sites"
            raise InputError(msg)
        j = out.index[hit[0]]
        if isinstance(ch, RemoveSite):
            out = out.drop(index=j).reset_index(drop=True)
        elif isinstance(ch, MoveSite):
            e, n, prec, pc = resolve_location(easting=ch.easting, northing=ch.northing, postcode=ch.postcode,
                                              settings=settings, what=where)
            out.loc[j, ["easting", "northing"]] = [e, n]
            for col, val in (("location_precision", prec), ("postcode", pc), ("address", "")):
                if col in out.columns:
                    out.loc[j, col] = val
        elif isinstance(ch, ChangeHours):
            out.loc[j, "opening_hours"] = ch.opening_hours
        elif isinstance(ch, ChangeCapacity):
            out.loc[j, "capacity"] = float(ch.capacity)
    if "in_area" in out.columns:
        out["in_area"] = out["in_area"].fillna(True).astype(bool)
    if "geometry" in out.columns:
        out = out.drop(columns="geometry")
    return gpd.GeoDataFrame(out, geometry=gpd.points_from_xy(out["easting"], out["northing"]), crs=BNG)


def _place_of(row: pd.Series) -> tuple[tuple[Any, ...], str]:
    """Where an added site is, as a key and in words: its postcode, else its coordinates to the metre."""
    pc = str(row.get("postcode") or "").strip().upper().replace(" ", "")
    if pc:
        return ("postcode", pc), f"postcode {row.get('postcode')}"
    e, n = round(float(row["easting"])), round(float(row["northing"]))
    return ("xy", e, n), f"({e:,}, {n:,})"


def _added_row(ch: AddSite, current: pd.DataFrame, *, pool: pd.DataFrame | None,
               settings: Settings | None, where: str) -> pd.DataFrame:
    row: dict[str, Any] = {"name": ch.name, "site_type": ch.site_type, "provider": "", "address": "",
                           "postcode": "", "opening_hours": ch.opening_hours, "capacity": np.nan,
                           "status": "scenario", "source": f"scenario: {where}", "in_area": True}
    src_id = ch.from_site_id or (f"ods:{ch.ods_code.strip().upper()}" if ch.ods_code else None)
    if (ch.easting is not None and ch.northing is not None) or ch.postcode:
        e, n, prec, pc = resolve_location(easting=ch.easting, northing=ch.northing, postcode=ch.postcode,
                                          settings=settings, what=where)
        row.update(easting=e, northing=n, location_precision=prec, postcode=pc)
    else:  # an AddSite always has a location: here, the ODS code or candidate site it opens at
        base = _pool_row(str(src_id), pool, settings)
        for col in ("provider", "address", "town", "postcode", "opening_hours", "location_precision"):
            if col in base.index and not (col == "opening_hours" and ch.opening_hours):
                row[col] = base[col]
        row.update(easting=float(base["easting"]), northing=float(base["northing"]))
        row["source"] = f"scenario: {where} at {src_id}"
    if ch.capacity is not None:
        row["capacity"] = float(ch.capacity)
    site_id = ch.site_id or f"scenario:{_slug(ch.name)}"
    taken = set(current["site_id"].astype(str))
    if site_id in taken:
        if ch.site_id:
            msg = f"{where}: site_id {site_id!r} already exists; choose another"
            raise InputError(msg)
        k = 2
        while f"{site_id}-{k}" in taken:
            k += 1
        site_id = f"{site_id}-{k}"
    row["site_id"] = site_id
    return pd.DataFrame([row])


__all__ = ["apply_scenario", "resolve_location"]
