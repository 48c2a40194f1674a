"""Who commissions which site, which sites count for an area, and known versus expected counts.

**Commissioning rule (the seed method, per service).**  A site run under a local authority's
contract (``commissioner`` in the seed registry, defined in ``data/sites/commissioners.csv``)
counts only for residents of that commissioning area, which can span authorities:
Leicestershire's service is jointly commissioned with Rutland, so for Leicestershire the hubs
are Coalville, Loughborough, Hinckley and Oakham, while Leicester City's Friar Lane hub and
Northamptonshire's CGL hubs belong to other commissioners.  Treatment sites with no known
commissioner count only inside the area.  Pharmacy services (NSP, supervised consumption,
naloxone, dispensing at a community pharmacy) are open to anyone, so they count across the
border within the buffer.  :func:`restrict_to_commissioner` applies the rule and states it in
``attrs["site_rule"]``, which every output should print.

**Known versus expected.**  ``data/sites/expected_services.csv`` holds the counts the needs
assessments give (Northamptonshire 15 NSP / 57 supervised-consumption pharmacies in 2015;
Leicestershire and Rutland 19-21 NSP / 86 supervised consumption); :func:`known_vs_expected`
compares them with the sites located ("3 of 15 NSP pharmacies located -- import your list").
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from geo._errors import InputError
from geo.config import Settings
from geo.data.services import SERVICE_LABELS, has_service
from geo.data.site_types import types_where

if TYPE_CHECKING:
    from geo.data.areas import Area

logger = logging.getLogger(__name__)

COMMISSIONERS_FILE = "commissioners.csv"
EXPECTED_FILE = "expected_services.csv"
#: Services that only a commissioned provider offers (the pharmacy services are the others).
COMMISSIONED_SERVICES = ("treatment", "young_people", "recovery", "outreach", "detox")


def _read(name: str, settings: Settings | None) -> pd.DataFrame:
    s = settings if settings is not None else Settings.from_env()
    p = Path(s.sites_dir) / name
    if not p.is_file():
        p = Path(__file__).parent / "_bundled_sites" / name
    if not p.is_file():
        msg = f"{name} not found in {s.sites_dir}; set GEO_SITES_DIR to the folder holding the seed registry"
        raise InputError(msg)
    return pd.read_csv(p, dtype=str, keep_default_na=False)


def load_commissioners(settings: Settings | None = None) -> pd.DataFrame:
    """The commissioning areas: ``commissioner`` (id), ``name``, ``lad24cd`` (``;``-list), ``provider``, ``note``."""
    return _read(COMMISSIONERS_FILE, settings).set_index("commissioner")


def commissioners_for(area: Area, settings: Settings | None = None) -> list[str]:
    """Ids of the commissioners whose area overlaps ``area`` (by LAD 2024 code)."""
    lads = set(area.lad_codes)
    table = load_commissioners(settings)
    return [c for c, row in table.iterrows() if lads & set(row["lad24cd"].split(";"))]


def is_pharmacy_service(sites: pd.DataFrame) -> np.ndarray:
    """Mask of sites that are community pharmacies (national types: their services count across borders)."""
    return sites["site_type"].astype(str).isin(types_where("national")).to_numpy()


def restrict_to_commissioner(sites: pd.DataFrame, area: Area, *, settings: Settings | None = None,
                             any_commissioner: bool = False) -> pd.DataFrame:
    """Keep the sites that count for ``area`` under the commissioning rule, and say so.

    Parameters
    ----------
    sites
        Sites from :func:`geo.data.sites.load_sites` for ``area`` (with ``in_area``; cross-border
        sites within the buffer included).
    area
        The study area.
    settings
        Where ``data/sites/commissioners.csv`` lives.
    any_commissioner
        ``True`` keeps every commissioned site within the buffer (residents may use another
        authority's service); the label then says so.

    Returns
    -------
    pandas.DataFrame
        The kept sites with ``counts_for_area`` (why each counts) and ``commissioner_name``;
        ``attrs["site_rule"]`` is one sentence for labels, ``attrs["excluded_other_commissioner"]``
        lists ``site_id: name (commissioner)`` of sites left out.
    """
    s = settings if settings is not None else Settings.from_env()
    if len(sites) == 0:
        out = sites.copy()
        out.attrs = {**sites.attrs, "site_rule": "no sites", "excluded_other_commissioner": []}
        return out
    table = load_commissioners(s)
    ours = set(commissioners_for(area, s))
    com = sites["commissioner"].fillna("").astype(str) if "commissioner" in sites else pd.Series("", index=sites.index)
    unknown = sorted(set(com[com != ""]) - set(table.index))
    if unknown:
        msg = f"sites name unknown commissioner(s) {unknown}; add them to data/sites/{COMMISSIONERS_FILE}"
        raise InputError(msg)
    in_area = sites["in_area"].to_numpy(dtype=bool) if "in_area" in sites else np.ones(len(sites), dtype=bool)
    pharmacy = is_pharmacy_service(sites)
    commissioned = (com != "").to_numpy()
    own = commissioned & com.isin(ours).to_numpy()
    treatment_like = has_service(sites, COMMISSIONED_SERVICES) | sites["site_type"].isin(
        types_where("commissioned")).to_numpy()
    if any_commissioner:
        keep = np.ones(len(sites), dtype=bool)
    else:
        keep = pharmacy | own | (~commissioned & (in_area | ~treatment_like))
    why = np.select(
        [pharmacy & in_area, pharmacy, own & in_area, own, commissioned, in_area],
        ["pharmacy in the area", "pharmacy across the border (within the buffer)",
         "commissioned for this area", "commissioned for this area (jointly, across the border)",
         "another commissioner's site (counted on request)", "in the area"],
        default="across the border (not a commissioned treatment site)")
    out = sites.assign(counts_for_area=why,
                       commissioner_name=com.map(table["name"]).fillna("").to_numpy())[keep].reset_index(drop=True)
    excluded = sites[~keep]
    out.attrs = {**sites.attrs}
    out.attrs["excluded_other_commissioner"] = [
        f"{r.site_id}: {r.name} ({table['name'].get(r.commissioner, 'no commissioner known; outside the area')})"
        for r in excluded.itertuples()]
    out.attrs["site_rule"] = site_rule_text(out, area, ours=sorted(ours), table=table,
                                            any_commissioner=any_commissioner, n_excluded=len(excluded))
    if len(excluded):
        logger.info("commissioning: %d site(s) of other commissioners left out for %s", len(excluded), area.name)
    return out


def site_rule_text(sites: pd.DataFrame, area: Area, *, ours: list[str], table: pd.DataFrame,
                   any_commissioner: bool, n_excluded: int) -> str:
    """The sentence every label carries: which treatment sites count, and that pharmacies cross borders."""
    treat = sites[~is_pharmacy_service(sites) & (sites.get("counts_for_area", "").astype(str)
                                                 .str.startswith("commissioned"))]
    towns = ", ".join(sorted({str(t) for t in treat.get("town", pd.Series(dtype=str)) if str(t)})) or "none located"
    names = "; ".join(table.loc[c, "name"] for c in ours) or f"no commissioner on file for {area.name}"
    if any_commissioner:
        treat_txt = ("treatment sites: any commissioner's within the buffer (residents may not be eligible for "
                     "another authority's service)")
    else:
        treat_txt = (f"treatment sites: only those commissioned for {area.name} ({names}: {towns})"
                     + (f"; {n_excluded} other commissioners' site(s) left out" if n_excluded else ""))
    return f"{treat_txt}; pharmacy services (NSP, supervised consumption, naloxone) count across the border within the buffer"


# --------------------------------------------------------------------------- known vs expected
def load_expected(settings: Settings | None = None) -> pd.DataFrame:
    """Counts of services stated in the needs assessments (area, service, expected_count, year, source)."""
    df = _read(EXPECTED_FILE, settings)
    df["expected_count"] = pd.to_numeric(df["expected_count"], errors="coerce")
    return df


def known_vs_expected(sites: pd.DataFrame, area: Area, *, settings: Settings | None = None) -> pd.DataFrame:
    """Sites located per service against the counts the seeds give for ``area``.

    A seed count applies when its LADs overlap the area.  Located sites are counted inside
    the seed count's LADs (all of them, not only the area's).  Returns ``service``,
    ``site_type``, ``located``, ``expected``, ``year``, ``source`` and ``message``, e.g.
    ``"3 of 15 NSP pharmacies located (2015 count) -- import your list with geo sites import"``.
    """
    exp = load_expected(settings)
    lads = set(area.lad_codes)
    rows: list[dict[str, Any]] = []
    lad_of = sites["lad24cd"] if "lad24cd" in sites.columns else None
    for r in exp.itertuples():
        their = set(str(r.lad24cd).split(";"))
        if not lads & their:
            continue
        sel = has_service(sites, [r.service]) & (sites["site_type"] == r.site_type).to_numpy()
        provider = str(getattr(r, "provider", "") or "")
        if provider and "provider" in sites.columns:
            sel &= sites["provider"].astype(str).str.contains(provider, case=False, regex=False).to_numpy()
        if lad_of is not None:
            sel &= lad_of.isin(their).to_numpy()
        elif "in_area" in sites.columns:
            sel &= sites["in_area"].to_numpy(dtype=bool)
        n = int(sel.sum())
        label = f"{SERVICE_LABELS.get(r.service, r.service)} {'pharmacies' if r.site_type == 'pharmacy' else 'sites'}"
        if provider:
            label = f"{provider} {label}"
        if pd.isna(r.expected_count):
            msg = f"{n} {label} located; the needs assessment gives no count ({r.expected_text})"
        else:
            e = int(r.expected_count)
            msg = f"{n} of {e} {label} located ({r.year}: {r.expected_text})"
            if n < e:
                msg += " -- import your list with `geo sites import FILE --services " + r.service + "`"
        rows.append({"area": r.area, "service": r.service, "site_type": r.site_type, "located": n,
                     "expected": r.expected_count, "year": r.year, "source": r.source, "message": msg})
    return pd.DataFrame(rows, columns=["area", "service", "site_type", "located", "expected", "year", "source",
                                       "message"])


__all__ = ["COMMISSIONED_SERVICES", "commissioners_for", "is_pharmacy_service", "known_vs_expected",
           "load_commissioners", "load_expected", "restrict_to_commissioner", "site_rule_text"]
