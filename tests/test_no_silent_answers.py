"""No silent wrong answers (issue 14, part 3), each on real data."""

from __future__ import annotations

from pathlib import Path

import numpy as np
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


def test_sites_and_lsoas_off_the_network_are_not_counted(settings: Settings, rutland_pbf: Path) -> None:
    area = select_area("Rutland", settings=settings, buffer_km=10.0)
    sites = load_sites(settings, area=area, types=("pharmacy",), buffer_km=15.0)
    router = make_router("drive", area=area, settings=settings, network=rutland_pbf)
    times = nearest_times(area, sites, router)
    off = times.attrs["sites_unsnapped"]
    assert len(off) > 0 and times.attrs["sites_used"] == len(sites) - len(off)
    assert (off["snap_metres"] > settings.snap_tolerance_metres).all()
    used = ~sites["site_id"].isin(off["site_id"])
    _, metres, _ = router.snap(sites.loc[used, ["easting", "northing"]].to_numpy(float))
    assert (metres <= settings.snap_tolerance_metres).all()
    assert not times["site_id"].isin(off["site_id"]).any(), "no LSOA is served by an unsnapped site"
    assert any(f"{len(off)} of {len(sites)} sites" in w for w in times.attrs["warnings"])
    ring_off = times.attrs["lsoas_unsnapped"]
    assert set(ring_off) == set(times.index[times["status"] == "unsnapped"])
    assert times.loc[ring_off, "minutes"].isna().all()


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
