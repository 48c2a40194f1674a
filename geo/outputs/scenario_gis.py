"""GIS layers of a scenario: where the sites change and which neighbourhoods gain or lose.

:func:`scenario_layers` turns :meth:`geo.Study.scenario`'s answer into two EPSG:27700 layers for
a GeoPackage (written with :func:`geo.outputs.export.export_geopackage`'s ``extra_layers`` or on
their own by :func:`export_scenario_geopackage`):

``scenario_lsoas``
    One polygon per service and LSOA whose nearest site or minutes change: ``service``,
    ``lsoa21cd``, ``adults``, ``minutes_before``/``_after``/``_change`` each with ``_low``/``_high``
    (the answer's Monte Carlo range), ``site_before``/``site_after`` and the scenario's name.
``scenario_sites``
    Every site before or after, with ``scenario_change``: ``added``, ``removed``, ``moved``,
    ``changed`` (hours or capacity) or ``unchanged`` (postcodes only when public, as in
    :func:`~geo.outputs.export.site_layer`).

Only open, area-level figures go out; both layers pass the disclosure check.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from geo._errors import InputError
from geo.crs import BNG
from geo.outputs.export import site_layer, write_layers

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    import geopandas as gpd

    from geo.data.areas import Area

logger = logging.getLogger(__name__)

#: ``scenario_change`` values, in the order a map legend lists them.
SITE_CHANGES = ("added", "removed", "moved", "changed", "unchanged")
#: Sites closer than this (metres) are at the same place.
SAME_PLACE_METRES = 1.0


def site_changes(before: pd.DataFrame, after: pd.DataFrame) -> pd.DataFrame:
    """Every site of ``before`` or ``after`` (by ``site_id``) with its ``scenario_change``.

    Removed sites keep their ``before`` row; every other site its ``after`` row.
    """
    for name, frame in (("sites before", before), ("sites after", after)):
        if "site_id" not in frame.columns:
            msg = f"{name} lack 'site_id'; scenario layers match sites by it"
            raise InputError(msg)
    b = pd.DataFrame(before).drop_duplicates("site_id").set_index("site_id", drop=False)
    a = pd.DataFrame(after).drop_duplicates("site_id").set_index("site_id", drop=False)
    both = a.index.intersection(b.index)
    status = pd.Series("added", index=a.index, dtype=object)
    bb, ab = b.loc[both], a.loc[both]
    dxy = ab[["easting", "northing"]].to_numpy(dtype=float) - bb[["easting", "northing"]].to_numpy(dtype=float)
    moved = np.hypot(dxy[:, 0], dxy[:, 1]) > SAME_PLACE_METRES
    changed = np.zeros(len(both), dtype=bool)
    for col in ("opening_hours", "capacity"):
        if col in a.columns and col in b.columns:
            x, y = ab[col].astype(object), bb[col].astype(object)
            changed |= ~((x == y) | (x.isna() & y.isna())).to_numpy(dtype=bool)
    status.loc[both] = np.where(moved, "moved", np.where(changed, "changed", "unchanged"))
    removed = b.loc[b.index.difference(a.index)]
    out = pd.concat([a.assign(scenario_change=status.to_numpy()), removed.assign(scenario_change="removed")],
                    ignore_index=True)
    return out


def scenario_layers(area: Area, answer: Mapping[str, Any], sites_before: pd.DataFrame | None = None, *,
                    allowed_postcodes: Iterable[str] | None = None) -> dict[str, gpd.GeoDataFrame]:
    """``scenario_lsoas`` and ``scenario_sites`` (see the module docstring) of one scenario answer.

    Parameters
    ----------
    area : Area
        The study area (its core LSOA polygons).
    answer : mapping
        :meth:`geo.Study.scenario`'s answer (``changed_lsoas``, ``sites_before``, ``sites_after``,
        ``summary``).
    sites_before : pandas.DataFrame, optional
        The sites the scenario changed (default: the answer's ``sites_before``).
    allowed_postcodes : iterable of str, optional
        Public service-site postcodes that may be written; None drops the postcode column.
    """
    import geopandas as gpd

    name = str(answer.get("summary", {}).get("scenario", ""))
    changed = pd.DataFrame(answer["changed_lsoas"]).reset_index()
    shapes = area.lsoas.geometry.to_crs(BNG) if area.lsoas.crs is not None else area.lsoas.geometry
    geom = shapes.reindex(changed["lsoa21cd"].astype(str)).to_numpy()
    lsoas = gpd.GeoDataFrame(changed.assign(scenario=name), geometry=list(geom), crs=BNG)
    before = answer["sites_before"] if sites_before is None else sites_before
    sites = site_changes(before, answer["sites_after"])
    pts = site_layer(sites, allowed_postcodes=allowed_postcodes)
    located = sites[np.isfinite(sites[["easting", "northing"]].to_numpy(dtype=float)).all(axis=1)]
    pts["scenario_change"] = pd.Categorical(located["scenario_change"].to_numpy(), categories=SITE_CHANGES)
    pts["scenario"] = name
    logger.info("scenario layers: %d changed LSOA rows, sites %s", len(lsoas),
                pts["scenario_change"].value_counts().to_dict())
    return {"scenario_lsoas": lsoas, "scenario_sites": pts}


def export_scenario_geopackage(path: str | Path, area: Area, answer: Mapping[str, Any],
                               sites_before: pd.DataFrame | None = None, *,
                               allowed_postcodes: Iterable[str] | None = None) -> Path:
    """Write :func:`scenario_layers` to a GeoPackage on their own, after the disclosure check."""
    layers = scenario_layers(area, answer, sites_before, allowed_postcodes=allowed_postcodes)
    write_layers(path, layers, allowed_postcodes=allowed_postcodes or ())
    return Path(path)


__all__ = ["SAME_PLACE_METRES", "SITE_CHANGES", "export_scenario_geopackage", "scenario_layers", "site_changes"]
