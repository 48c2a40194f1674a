"""The questions the front ends ask a :class:`~geo.planning.study.Study` beyond times and coverage.

:class:`StudyQuestions` is a mixin of :class:`~geo.planning.study.Study`: every method delegates to
the module where the computation lives (one line or a few), so the CLI (``geo/cli``) and the app
(``atlas/``, ``app.py``) ask the study and never import an inner module.  It is a module of its own
because ``study.py`` holds the spec, the lazily built parts and the headline answers, and would
pass 400 lines with these; the split is by audience: these answers exist for the front ends.

Area questions (``profile``, ``stop_access``, ``client_base``/``client_release``,
``synthetic_clients``) need only ``study.area``: a :class:`StudySpec` with just an area is enough
and nothing else is built.  The rest use the study's sites, router and times.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Protocol

import pandas as pd

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from pathlib import Path

    import geopandas as gpd

    from geo.config import Settings
    from geo.data.areas import Area
    from geo.measures.client_base import ClientBase
    from geo.measures.client_release import ClientRelease
    from geo.measures.stops import StopAccess
    from geo.progress import ProgressFn
    from geo.travel.base import Router
    from geo.travel.graph import Network
    from geo.travel.modes import TravelSpec
    from geo.travel.transit_router import TransitRouter

logger = logging.getLogger(__name__)

class _Parts(Protocol):
    """What the mixin reads from :class:`~geo.planning.study.Study` (mypy's protocol self-type for mixins)."""

    @property
    def settings(self) -> Settings: ...
    @property
    def area(self) -> Area: ...
    @property
    def sites(self) -> gpd.GeoDataFrame: ...
    @property
    def router(self) -> Router: ...
    @property
    def baseline_times(self) -> pd.DataFrame: ...
    @property
    def travel(self) -> TravelSpec: ...
    @property
    def threshold_minutes(self) -> float: ...
    @property
    def is_time(self) -> bool: ...
    @property
    def result_services(self) -> tuple[str, ...]: ...
    @property
    def buffer_km(self) -> float: ...
    @property
    def progress(self) -> ProgressFn | None: ...
    def require_minutes(self, what: str) -> None: ...


class StudyQuestions:
    """Front-end questions of a study; mixed into :class:`~geo.planning.study.Study`."""

    # ------------------------------------------------------------------ the area alone
    def profile(self: _Parts) -> dict[str, Any]:
        """Population, deprivation, rurality, sites and deaths of the area (:func:`geo.measures.profile.profile_area`)."""
        from geo.measures.profile import profile_area

        return profile_area(self.area, self.settings)

    def stop_access(self: _Parts, *, circuity_factor: float | None = None) -> StopAccess:
        """Distance from each LSOA to its nearest NaPTAN bus stop (:func:`geo.measures.stops.compute_stop_access`)."""
        from geo.measures.stops import CIRCUITY_FACTOR, compute_stop_access

        return compute_stop_access(self.area, settings=self.settings,
                                   circuity_factor=circuity_factor if circuity_factor else CIRCUITY_FACTOR)

    def read_clients(self: _Parts, extract: str | Path | bytes | pd.DataFrame, *, source: str) -> pd.DataFrame:
        """A client extract mapped to LSOAs, postcodes dropped (:func:`geo.measures.clients.read_client_extract`)."""
        from geo.measures.clients import read_client_extract

        return read_client_extract(extract, self.settings, source=source)

    def client_base(self: _Parts, clients: pd.DataFrame) -> ClientBase:
        """The extract perturbed once per LSOA, cell key method (:func:`geo.measures.client_base.build_client_base`)."""
        from geo.measures.client_base import build_client_base

        return build_client_base(clients, self.settings)

    def client_release(self: _Parts, base: ClientBase, *, round_to: int | None = None) -> ClientRelease:
        """The area's client tables, every count a sum of ``base`` (:func:`geo.measures.client_release.build_client_release`)."""
        from geo.measures.client_release import build_client_release

        return build_client_release(base, self.area, round_to=round_to)

    def synthetic_clients(self: _Parts, n: int, *, seed: int) -> pd.DataFrame:
        """A SYNTHETIC client extract for the area (:func:`geo.measures.clients.synthetic_clients`)."""
        from geo.measures.clients import synthetic_clients

        return synthetic_clients(self.area, n, seed, self.settings)

    def site_list(self: _Parts, *, types: Sequence[str], extra: Sequence[Any] = (),
                  include_pharmacies: bool = True) -> gpd.GeoDataFrame:
        """Every site of ``types`` in and within the buffer of the area, before any commissioning rule
        (``geo sites list``, ``geo hours at``; :func:`geo.data.sites.load_sites`)."""
        from geo.data.sites import load_sites

        return load_sites(self.settings, area=self.area, types=types, buffer_km=self.buffer_km, extra=extra,
                          include_pharmacies=include_pharmacies)

    def public_site_postcodes(self: _Parts) -> frozenset[str]:
        """Postcodes of public sites: the only postcodes an export may carry (:func:`geo.data.sites.public_site_postcodes`)."""
        from geo.data.sites import public_site_postcodes

        return public_site_postcodes(self.settings)

    def known_vs_expected(self: _Parts, sites: pd.DataFrame) -> pd.DataFrame:
        """Sites located against the counts the seeds give (:func:`geo.data.commissioning.known_vs_expected`)."""
        from geo.data.commissioning import known_vs_expected

        return known_vs_expected(sites, self.area, settings=self.settings)

    # ------------------------------------------------------------------ the study's sites and router
    def isochrones(self: _Parts, bands_minutes: Sequence[float], *, sites: pd.DataFrame | None = None) -> gpd.GeoDataFrame:
        """Catchment polygons per site and band (:func:`geo.travel.catchments.isochrones`)."""
        from geo.travel.isochrones import isochrones

        self.require_minutes("catchments")
        return isochrones(self.router, self.sites if sites is None else sites, bands_minutes=tuple(bands_minutes))

    def capacity_access(self: _Parts, *, measure: str = "2sfca", catchment_minutes: float = 30.0,
                        sites: pd.DataFrame | None = None) -> pd.DataFrame:
        """2SFCA / E2SFCA capacity per 1,000 adults (:func:`geo.measures.access.capacity_access`)."""
        from geo.measures.access import capacity_access

        return capacity_access(self.area, self.sites if sites is None else sites, self.router, measure=measure,
                               max_minutes=catchment_minutes)

    def capacity_change(self: _Parts, after: pd.DataFrame, *, measure: str = "2sfca", catchment_minutes: float = 30.0,
                        before: pd.DataFrame | None = None) -> dict[str, Any]:
        """Capacity-based access before and after a change (:func:`geo.measures.access.capacity_access_change`)."""
        from geo.measures.access import capacity_access_change

        return capacity_access_change(self.area, self.sites if before is None else before, after, self.router,
                                      measure=measure, max_minutes=catchment_minutes)

    def need(self: _Parts, *, weights: Mapping[str, float] | None = None, method: str = "z",
             client_counts: pd.Series | None = None, lsoas: pd.DataFrame | None = None) -> pd.Series:
        """Composite need of the core LSOAs (or ``lsoas``) (:func:`geo.measures.need.area_need`)."""
        from geo.measures.need import area_need

        return area_need(self.area.lsoas if lsoas is None else lsoas, self.settings, weights=weights,
                         method=method, client_counts=client_counts)

    def outreach(self: _Parts, need: pd.Series | None, *, times: pd.DataFrame | None = None, **options: Any) -> pd.DataFrame:
        """Outreach priorities: need x travel time (:func:`geo.measures.gaps.outreach_list`)."""
        from geo.measures.gaps import outreach_list

        return outreach_list(self.baseline_times if times is None else times, need,
                             threshold_minutes=self.threshold_minutes, **options)

    def equity(self: _Parts, *, times: pd.DataFrame | None = None) -> dict[str, Any]:
        """Concentration index, Gini, Palma... of the times (:func:`geo.measures.equity.equity_summary`)."""
        from geo.measures.equity import equity_summary

        return equity_summary(self.baseline_times if times is None else times,
                              value_col="minutes" if self.is_time else "distance_km")

    def coverage_by_thresholds(self: _Parts, thresholds: Sequence[float], *, breakdowns: Sequence[str] | None = None,
                               per_service: bool = False, times: pd.DataFrame | None = None) -> pd.DataFrame:
        """Long coverage table per threshold and breakdown (:func:`geo.measures.coverage.coverage_by_thresholds`);
        ``per_service`` stacks one block per result service (column ``service``)."""
        from geo.measures.coverage import BREAKDOWNS
        from geo.measures.coverage_sets import coverage_by_thresholds, service_times

        t0 = self.baseline_times if times is None else times
        value_col = "minutes" if self.is_time else "distance_km"
        frames = []
        for key in (self.result_services if per_service else (None,)):
            t = t0 if key is None else service_times(t0, key, value_col=value_col)
            kw: dict[str, Any] = {"thresholds_minutes" if self.is_time else "thresholds_km": thresholds}
            f = coverage_by_thresholds(t, breakdowns=tuple(breakdowns or BREAKDOWNS), **kw)
            if key is not None:
                f.insert(3, "service", key)
            frames.append(f)
        return pd.concat(frames, ignore_index=True)

    def candidates(self: _Parts, kinds: Sequence[str], *, user_file: str | None = None,
                   buffer_km: float = 0.0) -> pd.DataFrame:
        """Candidate sites for the optimiser (:func:`geo.planning.optimise.load_candidates`)."""
        from geo.planning.candidates import load_candidates

        return load_candidates(list(kinds), self.area, settings=self.settings, existing=self.sites,
                               user_file=user_file, buffer_km=buffer_km)

    def context_network(self: _Parts) -> Network | None:
        """The drive network whose main roads maps draw: the one routed on, else a bundled extract
        covering the area (never a download just for a map)."""
        from geo.travel.graph import Network
        from geo.travel.network import network_for_area

        net = getattr(self.router, "network", None) if self.is_time else None
        if isinstance(net, Network) and net.mode == "drive":
            return net
        source = str(self.travel.network)
        if source.lower() in {"download", "none", "estimate"} or source.lower().startswith("place:"):
            source = "auto"
        return network_for_area(self.area, mode="drive", settings=self.settings, source=source)

    def bundled_network(self: _Parts, *, mode: str = "drive") -> Network | None:
        """The network of ``mode`` from the first bundled OpenStreetMap extract covering the area, or None
        (:func:`geo.travel.network.network_for_area` with ``source="auto"``)."""
        from geo.travel.network import network_for_area

        return network_for_area(self.area, mode=mode, settings=self.settings, source="auto")

    def bundled_extract(self: _Parts) -> Path | None:
        """The bundled OpenStreetMap extract covering the area (its pharmacies' opening_hours tags), or None;
        an extract that cannot be read is logged and skipped."""
        from geo._errors import GeoError
        from geo.travel.network import bundled_networks, covers, network_hull

        for path in bundled_networks(self.settings):
            try:
                if covers(network_hull(path, self.settings), self.area):
                    return path
            except GeoError as exc:
                logger.warning("cannot read %s: %s", path.name, exc)
        return None

    def transit_router(self: _Parts, *, clip_buffer_metres: float = 10_000.0) -> TransitRouter:
        """The public-transport router of the spec's :class:`~geo.travel.modes.TransitOptions` and network,
        its feeds clipped to the area + ``clip_buffer_metres`` (:func:`geo.travel.transit.make_transit_router`)."""
        from geo.travel.modes import TransitOptions
        from geo.travel.transit import make_transit_router

        t = self.travel.transit or TransitOptions()
        return make_transit_router(area=self.area, settings=self.settings, network=self.travel.network,
                                   gtfs=t.gtfs, arrive_by=t.arrive_by, depart_at=t.depart_at,
                                   progress=self.progress, window_minutes=t.window_minutes,
                                   step_minutes=t.step_minutes, statistic=t.statistic,
                                   clip_buffer_metres=clip_buffer_metres)



__all__ = ["StudyQuestions"]
