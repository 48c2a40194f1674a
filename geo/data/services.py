"""Services offered at sites: many-to-many, separate from the building type.

A site has one ``site_type`` (what the building is: ``hub``, ``pharmacy``, ...) and a set of
``services`` (what is offered there: ``treatment``, ``nsp``, ``supervised_consumption``,
``naloxone``, ...), stored as a ``;``-separated text column so frames stay plain tables
(``"treatment;nsp;naloxone"``).  A Turning Point hub that runs needle exchange on site is a
``hub`` with services ``treatment;nsp;naloxone``; a pharmacy on a commissioner's NSP list is a
``pharmacy`` with ``dispensing;nsp``.

Selections (``--sites nsp``) accept building types *and* service names: a site is selected when
its type is named or any of its services is.  Sources are merged by ``site_id`` (the ODS code for
pharmacies), so a user's list or an OpenStreetMap harvest adds services and hours to the registry
row instead of duplicating it; higher ``source_rank`` wins for hours and capacity
(user list 2 > OpenStreetMap 1 > registry 0) and services are the union.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

import numpy as np
import pandas as pd

from geo._errors import InputError, SchemaError
from geo.data.site_types import SITE_TYPES, default_services

logger = logging.getLogger(__name__)

#: What a site offers (one site may offer several).
SERVICES = ("treatment", "nsp", "supervised_consumption", "naloxone", "dispensing", "young_people",
            "recovery", "detox", "outreach")
#: Services that pharmacies provide under contract (they count across the border within the buffer).
PHARMACY_SERVICES = ("nsp", "supervised_consumption", "naloxone", "dispensing")
#: Spellings accepted for services in user files and options.
SERVICE_ALIASES = {
    "needle exchange": "nsp", "needle_exchange": "nsp", "needle and syringe": "nsp", "nx": "nsp",
    "needle and syringe programme": "nsp", "syringes": "nsp", "sc": "supervised_consumption",
    "supervised consumption": "supervised_consumption", "supervised": "supervised_consumption",
    "ost": "supervised_consumption", "take-home naloxone": "naloxone", "thn": "naloxone",
    "young people": "young_people", "yp": "young_people", "drug treatment": "treatment",
    "alcohol treatment": "treatment", "prescribing": "treatment", "pharmacy": "dispensing",
}
#: Label of each service for people.
SERVICE_LABELS = {
    "treatment": "drug and alcohol treatment", "nsp": "needle and syringe programme (NSP)",
    "supervised_consumption": "supervised consumption", "naloxone": "naloxone supply",
    "dispensing": "community pharmacy", "young_people": "young people's service",
    "recovery": "recovery support", "detox": "detox / inpatient", "outreach": "outreach",
}


#: The per-service result that is not one service: the nearest site of whatever type.
ANY_SITE = "any"
#: Words for a service that is not also a site type in per-service results ("nearest naloxone supply");
#: a site type's words are its :attr:`~geo.data.site_types.SiteType.phrase`.
SERVICE_PHRASES = {
    "treatment": "site offering treatment", "naloxone": "naloxone supply", "dispensing": "community pharmacy",
    "detox": "detox / inpatient service", ANY_SITE: "site of any type",
}


def selection_label(key: str) -> str:
    """Words for a per-service result: ``"treatment hub"``, ``"site of any type"`` ..."""
    key = str(key)
    if key in SITE_TYPES:
        return SITE_TYPES[key].phrase
    return SERVICE_PHRASES.get(key, key.replace("_", " "))


def result_services(services: Iterable[str]) -> tuple[str, ...]:
    """The per-service results of a selection: each service, then :data:`ANY_SITE` when several.

    One service needs no "any type" row (it is the same figure); two or more get it, named as
    such, so blended answers are never the only ones shown.
    """
    svc = tuple(dict.fromkeys(str(s) for s in services))
    return (*svc, ANY_SITE) if len(svc) > 1 else svc


def service_masks(sites: pd.DataFrame, services: Iterable[str]) -> dict[str, np.ndarray]:
    """Boolean mask of the sites belonging to each per-service result of :func:`result_services`.

    A site belongs to a result when :func:`select` picks it.  A site a scenario adds
    (``status == "scenario"``) also belongs to each result whose service it provides: a new
    satellite clinic (``treatment``) counts as a treatment hub, a new NSP point for ``nsp``.
    """
    out: dict[str, np.ndarray] = {}
    added = (sites["status"].astype(str).to_numpy() == "scenario") if "status" in sites.columns else None
    for key in result_services(services):
        if key == ANY_SITE:
            out[key] = np.ones(len(sites), dtype=bool)
            continue
        mask = select(sites, [key])
        if added is not None and added.any():
            new = sites[added]
            given = new["services"].fillna("").astype(str) if "services" in new else pd.Series("", index=new.index)
            types = new["site_type"].fillna("other").astype(str) if "site_type" in new else pd.Series(
                "other", index=new.index)
            text = [g if g.strip() else join_services(default_services(t)) for g, t in
                    zip(given, types, strict=True)]
            family = set(default_services(key) if key in SITE_TYPES else (key,))
            provides = np.array([bool(family & set(t.split(";"))) for t in text], dtype=bool)
            mask = mask.copy()
            mask[np.flatnonzero(added)] |= provides
        out[key] = mask
    return out


def parse_services(text: object, *, source: str = "services", row: int | None = None) -> tuple[str, ...]:
    """Canonical services from ``"NSP; naloxone"``, ``"nsp,supervised consumption"`` or a list.

    Raises
    ------
    InputError
        Naming the unknown word (and the row, when given) and the accepted names.
    """
    if text is None or (isinstance(text, float) and np.isnan(text)):
        return ()
    parts = list(text) if isinstance(text, list | tuple | set) else re.split(r"[;,|/+]", str(text))
    out: list[str] = []
    for p in parts:
        w = re.sub(r"\s+", " ", str(p).strip().lower())
        if not w:
            continue
        w = SERVICE_ALIASES.get(w, w.replace(" ", "_"))
        if w not in SERVICES:
            where = f" at row {row}" if row is not None else ""
            msg = (f"{source}: unknown service {w!r}{where}; use one or more of {', '.join(SERVICES)} "
                   "separated by ';'")
            raise InputError(msg)
        if w not in out:
            out.append(w)
    return tuple(sorted(out, key=SERVICES.index))


def join_services(services: Iterable[str]) -> str:
    """``;``-joined canonical text of a set of services (stable order)."""
    return ";".join(sorted({s for s in services if s}, key=SERVICES.index))


def services_column(df: pd.DataFrame, *, source: str = "sites") -> pd.Series:
    """The ``services`` text per row: given services (validated) or the type's defaults."""
    types = df["site_type"].fillna("other").astype(str) if "site_type" in df else pd.Series("other", index=df.index)
    given = df["services"].fillna("").astype(str) if "services" in df else pd.Series("", index=df.index)
    out = []
    for i, (t, g) in enumerate(zip(types, given, strict=True)):
        s = parse_services(g, source=source, row=i + 2) if g.strip() else default_services(t)
        out.append(join_services(s))
    return pd.Series(out, index=df.index, name="services", dtype=object)


def has_service(sites: pd.DataFrame, wanted: Iterable[str]) -> np.ndarray:
    """Mask of sites offering any of ``wanted`` services (vectorised on the text column)."""
    w = [x for x in wanted if x in SERVICES]
    if not w or "services" not in sites.columns or len(sites) == 0:
        return np.zeros(len(sites), dtype=bool)
    padded = ";" + sites["services"].fillna("").astype(str) + ";"
    mask = np.zeros(len(sites), dtype=bool)
    for x in w:
        mask |= padded.str.contains(f";{x};", regex=False).to_numpy()
    return mask


def select(sites: pd.DataFrame, wanted: Iterable[str]) -> np.ndarray:
    """Mask of sites whose ``site_type`` or any service is in ``wanted``."""
    wanted = tuple(wanted)
    return sites["site_type"].isin(wanted).to_numpy() | has_service(sites, wanted)


def merge_sources(sites: pd.DataFrame) -> pd.DataFrame:
    """One row per ``site_id``: overlays (user lists, OSM) merged onto registry rows.

    Rows need ``source_rank`` (higher wins for hours, capacity, name and type; coordinates come
    from the highest-ranked row that has them).  ``services`` is the union; ``source`` lists
    every contributing source; ``hours_source`` names where the hours came from.  The same
    ``site_id`` twice *within* one rank (one file repeating a site) is an error.
    """
    if "source_rank" not in sites.columns:
        sites = sites.assign(source_rank=0)
    dup = sites["site_id"].duplicated(keep=False).to_numpy()
    if not dup.any():
        return sites
    d = sites[dup]
    same = d.duplicated(["site_id", "source_rank"])
    if same.any():
        ids = d.loc[same, "site_id"].astype(str).head(3).tolist()
        msg = (f"site ids repeat within one source ({ids}); give each row its own site_id "
               "(a list may name each pharmacy once)")
        raise SchemaError(msg)
    rows = []
    for _sid, g in d.sort_values("source_rank", ascending=False, kind="stable").groupby("site_id", sort=False):
        top = g.iloc[0].copy()
        for col in ("opening_hours", "capacity", "opening_hours_text", "hours_source"):
            if col not in g:
                continue
            vals = g[col]
            ok = vals.notna() & (vals.astype(str).str.strip() != "")
            if col == "opening_hours" and ok.any():
                j = np.flatnonzero(ok.to_numpy())[0]
                top["opening_hours"] = vals.iloc[j]
                top["hours_source"] = g["hours_source"].iloc[j] if "hours_source" in g else g["source"].iloc[j]
            elif col != "hours_source" and ok.any():
                top[col] = vals[ok].iloc[0]
        xy = g[["easting", "northing"]].astype(float)
        has = np.isfinite(xy.to_numpy()).all(axis=1)
        if has.any():
            j = np.flatnonzero(has)[0]
            top["easting"], top["northing"] = xy.iloc[j, 0], xy.iloc[j, 1]
            if "location_precision" in g:
                top["location_precision"] = g["location_precision"].iloc[j]
            if "geometry" in g:
                top["geometry"] = g["geometry"].iloc[j]
        top["services"] = join_services(s for v in g["services"].fillna("") for s in str(v).split(";") if s)
        top["source"] = "; ".join(dict.fromkeys(str(x) for x in g["source"] if str(x)))
        top["source_rank"] = int(g["source_rank"].max())
        rows.append(top)
    merged = pd.DataFrame(rows)
    out = pd.concat([sites[~dup], merged], ignore_index=True)
    logger.info("sites: %d registry rows updated from user lists / OpenStreetMap", len(merged))
    return out


def service_counts(sites: pd.DataFrame, *, in_area_only: bool = True) -> dict[str, int]:
    """Number of located sites offering each service (in the area only, by default)."""
    s = sites[sites["in_area"]] if in_area_only and "in_area" in sites.columns else sites
    return {svc: int(has_service(s, [svc]).sum()) for svc in SERVICES if has_service(s, [svc]).any()}


__all__ = ["ANY_SITE", "SERVICE_PHRASES", "result_services", "selection_label",
           "service_masks", "PHARMACY_SERVICES", "SERVICES", "SERVICE_LABELS", "has_service", "join_services",
           "merge_sources", "parse_services", "select", "service_counts", "services_column"]
