"""The clipped timetable kept beside the Valhalla tiles: how long a journey could still wait.

A Valhalla depart-at route says when one arrives, not until when one could have left and still
caught the same bus.  :class:`DepartureIndex` answers that from the clipped feed: the route's
first boarding (route and stop from Valhalla's ``transit_info``; the GTFS ids are inside its
``onestop_id``\\s) is looked up in the timetable of the day -- the first departure of that route
from that stop at or after the walk there -- and the latest departure from home is that
departure minus the walk.  The ride must agree with Valhalla's leg time (within
:data:`LEG_TOLERANCE_SECONDS`), otherwise the answer is "unknown" and the search falls back to
bisection (:mod:`geo.travel.transit_search`), so a lookup can speed the search up but never
change an answer.

Files (written by :func:`write_index` at tile build time): ``departures.parquet`` (route_id,
stop_id, trip_id, service_id, departure and arrival seconds after midnight, > 86,400 past
midnight) and ``services.parquet`` (service_id, date).
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from geo.travel.gtfs import STOP_TIMES, gtfs_seconds, service_dates

if TYPE_CHECKING:
    from geo.travel.gtfs import GtfsFeed

logger = logging.getLogger(__name__)

#: Valhalla's first transit leg (wait + ride) may differ from the timetable's by this much.
LEG_TOLERANCE_SECONDS = 90.0
#: Departures of the route from the boarding stop looked at for the trip Valhalla rode.
MAX_CANDIDATES = 24
#: Valhalla's folder name for the feed (``feeds/feed``): onestop ids start ``feed_``.
FEED_PREFIX = "feed_"
_STOP_SUFFIXES = ("_transit_station", "_transit_platform", "_transit_egress")
DEPARTURES, SERVICES, STOPS = "departures.parquet", "services.parquet", "stops.parquet"


def write_index(feed: GtfsFeed, folder: Path) -> None:
    """Write the departures and service dates of a clipped feed into the tile folder."""
    st = feed.tables[STOP_TIMES]
    arr = gtfs_seconds(st["arrival_time"], name=feed.source, fname=STOP_TIMES, column="arrival_time")
    dep = gtfs_seconds(st["departure_time"], name=feed.source, fname=STOP_TIMES, column="departure_time")
    trips = feed.tables["trips.txt"].set_index(feed.tables["trips.txt"]["trip_id"].str.strip())
    tid = st["trip_id"].astype(str).str.strip()
    frame = pd.DataFrame({
        "route_id": trips["route_id"].reindex(tid).astype(str).to_numpy(),
        "stop_id": st["stop_id"].astype(str).str.strip().to_numpy(),
        "trip_id": tid.to_numpy(),
        "service_id": trips["service_id"].reindex(tid).astype(str).to_numpy(),
        "departure_s": np.where(np.isnan(dep), arr, dep),
        "arrival_s": np.where(np.isnan(arr), dep, arr),
    }).dropna(subset=["departure_s"])
    frame.to_parquet(folder / DEPARTURES, index=False)
    days = service_dates(feed)
    pd.DataFrame({"service_id": days["service_id"].astype(str), "date": pd.to_datetime(days["date"])}).to_parquet(
        folder / SERVICES, index=False)
    served = set(frame["stop_id"])
    stops = feed.stops_bng
    stops = stops[stops["stop_id"].astype(str).str.strip().isin(served) & stops["easting"].notna()]
    stops[["easting", "northing"]].to_parquet(folder / STOPS, index=False)


def stop_xy(folder: str | Path) -> np.ndarray | None:
    """``(n, 2)`` BNG metres of the stops trips call at (None for tiles built without the file)."""
    path = Path(folder) / STOPS
    return pd.read_parquet(path)[["easting", "northing"]].to_numpy(float) if path.is_file() else None


def _stop_id(onestop: str) -> str:
    text = onestop[len(FEED_PREFIX):] if onestop.startswith(FEED_PREFIX) else onestop
    for suffix in _STOP_SUFFIXES:
        if text.endswith(suffix):
            return text[: -len(suffix)]
    return text


class _Day:
    """One service day: departures by (route, stop) and arrivals by (trip, stop)."""

    def __init__(self, frame: pd.DataFrame) -> None:
        frame = frame.sort_values("departure_s", kind="stable")
        self.boarding: dict[tuple[str, str], tuple[np.ndarray, np.ndarray]] = {}
        for key, grp in frame.groupby(["route_id", "stop_id"], sort=False):
            self.boarding[(str(key[0]), str(key[1]))] = (grp["departure_s"].to_numpy(float),
                                                          grp["trip_id"].to_numpy(dtype=object))
        self.arrival = dict(zip(zip(frame["trip_id"].to_numpy(dtype=object), frame["stop_id"].to_numpy(dtype=object),
                                    strict=True), frame["arrival_s"].to_numpy(float), strict=True))


class DepartureIndex:
    """Timetable lookups for one tile folder (loaded once per process, one day at a time)."""

    def __init__(self, departures: pd.DataFrame, services: pd.DataFrame) -> None:
        self.departures = departures
        self.services = services
        self._days: dict[dt.date, _Day] = {}
        self.lookups = 0
        self.matched = 0

    @classmethod
    def load(cls, folder: str | Path) -> DepartureIndex | None:
        """The index of a tile folder, or None when the folder has none (older builds)."""
        return _load(str(folder))

    def day(self, date: dt.date) -> _Day:
        """Trips running on ``date`` (and the previous day's trips after midnight, shifted back)."""
        got = self._days.get(date)
        if got is None:
            sv = self.services
            dates = sv["date"].dt.date
            today = set(sv.loc[dates == date, "service_id"])
            yesterday = set(sv.loc[dates == date - dt.timedelta(days=1), "service_id"])
            d = self.departures
            late = d[d["service_id"].isin(yesterday) & (d["departure_s"] >= 86_400)]
            late = late.assign(departure_s=late["departure_s"] - 86_400, arrival_s=late["arrival_s"] - 86_400)
            got = _Day(pd.concat([d[d["service_id"].isin(today)], late], ignore_index=True))
            self._days[date] = got
        return got

    def latest_departure_minute(self, depart: dt.datetime, maneuvers: list[dict[str, Any]]) -> int | None:
        """Latest whole minute (after ``depart``'s midnight) to leave and catch the same first bus.

        None when the route has no transit leg or the lookup cannot be matched or disagrees
        with Valhalla's leg time.
        """
        self.lookups += 1
        walk = 0.0
        leg = None
        for m in maneuvers:
            if m.get("travel_mode") == "transit" and m.get("transit_info"):
                leg = m
                break
            walk += float(m.get("time", 0.0))
        if leg is None:
            return None
        info = leg["transit_info"]
        stops = info.get("transit_stops") or []
        if len(stops) < 2:
            return None
        route = str(info.get("onestop_id", ""))
        route = route[len(FEED_PREFIX):] if route.startswith(FEED_PREFIX) else route
        board, alight = _stop_id(str(stops[0].get("onestop_id", ""))), _stop_id(str(stops[-1].get("onestop_id", "")))
        midnight = dt.datetime.combine(depart.date(), dt.time())
        at_stop = (depart - midnight).total_seconds() + walk
        found = self.day(depart.date()).boarding.get((route, board))
        if found is None:
            return None
        deps, trips = found
        arrivals = self.day(depart.date()).arrival
        start = int(np.searchsorted(deps, at_stop - 1.0, side="left"))
        for k in range(start, min(start + MAX_CANDIDATES, len(deps))):
            # the first trip of the route leaving the stop that then calls where Valhalla alights
            # (a trip ending at the stop, or running the other way, does not)
            arrive = arrivals.get((trips[k], alight))
            if arrive is None or arrive <= deps[k]:
                continue
            if abs((arrive - at_stop) - float(leg.get("time", 0.0))) > LEG_TOLERANCE_SECONDS:
                return None
            self.matched += 1
            return math.floor((deps[k] - walk) / 60.0)
        return None


@lru_cache(maxsize=4)
def _load(folder: str) -> DepartureIndex | None:
    path = Path(folder)
    if not (path / DEPARTURES).is_file() or not (path / SERVICES).is_file():
        return None
    return DepartureIndex(pd.read_parquet(path / DEPARTURES), pd.read_parquet(path / SERVICES))


__all__ = ["DepartureIndex", "stop_xy", "write_index"]
