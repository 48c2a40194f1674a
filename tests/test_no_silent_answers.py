"""No silent wrong answers (issue 14, part 3), each on real data."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from geo._errors import NetworkError
from geo.config import Settings
from geo.data.areas import select_area
from geo.data.sites import load_sites
from geo.travel.catchments import isochrones, nearest_times
from geo.travel.routing import make_router


def test_network_that_misses_the_area_names_both_extents(settings: Settings, rutland_pbf: Path) -> None:
    essex = select_area("Essex", settings=settings)
    with pytest.raises(NetworkError, match=r"rutland-2018\.osm\.pbf \(E 4\d\d-5\d\d km.*does not cover "
                                           r"Essex \(E 5\d\d-6\d\d km") as err:
        make_router("drive", area=essex, settings=settings, network=rutland_pbf)
    assert "geo network fetch" in str(err.value)


def test_roads_only_leaves_sites_beyond_the_network_out_and_says_so(settings: Settings, rutland_pbf: Path) -> None:
    """``--method network`` (roads only): sites beyond the extract take no part, in one warning line."""
    area = select_area("Rutland", settings=settings, buffer_km=10.0)
    sites = load_sites(settings, area=area, types=("pharmacy",), buffer_km=15.0)
    router = make_router("drive", area=area, settings=settings, network=rutland_pbf, method="network")
    times = nearest_times(area, sites, router)
    off = times.attrs["sites_unsnapped"]
    assert len(off) > 0 and times.attrs["sites_used"] == len(sites) - len(off)
    assert (off["snap_metres"] > settings.snap_tolerance_metres).all()
    used = ~sites["site_id"].isin(off["site_id"])
    _, metres, _ = router.snap(sites.loc[used, ["easting", "northing"]].to_numpy(float))
    assert (metres <= settings.snap_tolerance_metres).all()
    assert not times["site_id"].isin(off["site_id"]).any(), "no LSOA is served by a site left out"
    line = next(w for w in times.attrs["warnings"] if f"{len(off)} of {len(sites)} sites" in w)
    assert "left out" in line and ";" not in line, "one plain line; the names are behind it"
    assert len(times.attrs["warning_details"][line]) == len(off)
    ring_off = times.attrs["lsoas_unsnapped"]
    assert set(ring_off) == set(times.index[times["status"] == "unsnapped"])
    assert times.loc[ring_off, "minutes"].isna().all() and not times.loc[ring_off, "in_area"].any()
    assert not any("neighbourhoods" in w for w in times.attrs["warnings"]), "the ring outside Rutland is not warned about"


def test_mixed_method_reaches_every_site_beyond_the_network(settings: Settings, rutland_pbf: Path) -> None:
    """Method auto: the same sites are reached (roads, then the estimate) and labelled; nothing silent."""
    area = select_area("Rutland", settings=settings, buffer_km=10.0)
    sites = load_sites(settings, area=area, types=("pharmacy",), buffer_km=15.0)
    router = make_router("drive", area=area, settings=settings, network=rutland_pbf)
    times = nearest_times(area, sites, router)
    assert len(times.attrs["sites_unsnapped"]) == 0 and times.attrs["sites_used"] == len(sites)
    beyond = times.attrs["sites_beyond_roads"]
    assert len(beyond) > 40 and (beyond["snap_metres"] > settings.snap_tolerance_metres).all()
    assert times["minutes"].notna().all() and (times["status"] == "ok").all()
    assert times.attrs["warnings"] == []
    ring = times[~times["in_area"]]
    assert ring["site_id"].isin(beyond["site_id"]).any(), "sites beyond the roads serve the ring"
    assert set(ring.loc[ring["site_id"].isin(beyond["site_id"]), "method"]) <= {"mixed", "estimate"}
    assert "mixed route" in times.attrs["mixed_note"]


def test_a_site_beyond_the_estimates_range_is_unreachable_and_said(settings: Settings, rutland_pbf: Path) -> None:
    area = select_area("Rutland", settings=settings)
    sites = load_sites(settings, area=area, types=("hub",), buffer_km=0.0)
    sea = sites.iloc[[0]].assign(site_id="test:north-sea", name="North Sea rig", easting=600_000.0,
                                 northing=300_000.0, in_area=False)
    both = pd.concat([sites, sea], ignore_index=True)
    router = make_router("drive", area=area, settings=settings, network=rutland_pbf)
    times = nearest_times(area, both, router)
    off = times.attrs["sites_unsnapped"]
    assert off["site_id"].tolist() == ["test:north-sea"]
    line = next(w for w in times.attrs["warnings"] if "1 of 2 sites" in w)
    assert "more than 60 km" in line and times.attrs["warning_details"][line][0].startswith("North Sea rig")


@pytest.mark.slow
def test_empty_catchments_reported_not_written(settings: Settings, rutland_pbf: Path) -> None:
    area = select_area("Rutland", settings=settings)
    hubs = load_sites(settings, area=area, types=("hub",), buffer_km=15.0)
    router = make_router("drive", area=area, settings=settings, network=rutland_pbf)
    iso = isochrones(router, hubs, bands_minutes=(10,))
    empty = iso.attrs["empty_catchments"]
    assert len(empty) > 0 and {"Corby", "Kettering"} <= {n.split()[1] for n in empty["site_name"]}
    assert (iso.geometry.area > 0).all() and len(iso) == len(hubs) - len(empty) > 0
    assert "were not written" in iso.attrs["warnings"][0]


def test_no_sites_of_the_type_inside_the_area_is_said(settings: Settings) -> None:
    melton = select_area("Melton", settings=settings)
    hubs = load_sites(settings, area=melton, types=("hub",), buffer_km=15.0)
    assert len(hubs) > 0 and not hubs["in_area"].any()
    times = nearest_times(melton, hubs, make_router("walk", area=melton, settings=settings, network="none"))
    assert times.attrs["sites_in_area"] == 0
    assert any(w.startswith("no hub sites inside Melton") for w in times.attrs["warnings"])
    assert np.isfinite(times["minutes"]).all()
