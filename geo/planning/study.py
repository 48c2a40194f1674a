"""The one study pipeline: area -> sites -> router -> times, with every default from ``Settings``.

Both front ends are adapters over this module: the CLI turns its flags into a
:class:`StudySpec`, the atlas turns its widgets into one, and both ask a :class:`Study` the
same questions.  A new option is added once -- a :class:`~geo.config.Settings` field (its
``GEO_*`` variable comes free) or a :class:`StudySpec` field -- and reaches both.

r5py's ``TransportNetwork`` / ``TravelTimeMatrix`` are the model: the spec is plain, hashable
data; the heavy parts (area, sites, router, times, matrix) are built lazily, once, and can be
handed in already built (the app shares one router between studies that differ only in sites).

>>> from geo import Settings, Study, StudySpec, TravelSpec
>>> study = Study(StudySpec(area="Rutland", services=("hub",), travel=TravelSpec.parse(mode="drive")),
...               settings=Settings.from_env())                     # doctest: +SKIP
>>> study.times()[["minutes", "site_name"]].head()                   # doctest: +SKIP

The spec (:class:`StudySpec`) is declared in :mod:`geo.planning.study_spec`.
"""

from __future__ import annotations

import logging
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
import pandas as pd

from geo._errors import InputError
from geo.config import Settings
from geo.planning.study_api import StudyQuestions
from geo.planning.study_spec import StudySpec
from geo.planning.study_views import StudyViews
from geo.travel.modes import Method, TravelSpec

if TYPE_CHECKING:
    import geopandas as gpd

    from geo.data.areas import Area
    from geo.measures.uncertainty import UncertaintySpec
    from geo.planning.by_service import Answer
    from geo.planning.scenario_schema import Scenario
    from geo.progress import ProgressFn
    from geo.travel.base import Router
    from geo.travel.matrix import Origins

logger = logging.getLogger(__name__)


class Study(StudyQuestions, StudyViews):
    """One analysis: a :class:`StudySpec` resolved against :class:`~geo.config.Settings`.

    Parts are built lazily and once.  ``area``, ``sites`` and ``router`` may be passed in
    already built (they must match the spec); nothing here is mutated after it is built.
    """

    def __init__(self, spec: StudySpec, *, settings: Settings | None = None, area: Area | None = None,
                 sites: gpd.GeoDataFrame | None = None, router: Router | None = None,
                 progress: ProgressFn | None = None) -> None:
        self.spec = spec
        self.settings = settings if settings is not None else Settings.from_env()
        self.progress = progress
        if area is not None:
            self.__dict__["area"] = area
        if sites is not None:
            self.__dict__["sites"] = sites
        if router is not None:
            self.__dict__["router"] = router

    def __repr__(self) -> str:
        return f"Study({self.spec.area!r}, services={self.services}, travel={self.travel.key})"

    # ------------------------------------------------------------------ resolved defaults
    @property
    def travel(self) -> TravelSpec:
        """Mode, method and network source."""
        return self.spec.travel

    @property
    def services(self) -> tuple[str, ...]:
        """Site types/services studied."""
        return tuple(self.spec.services) if self.spec.services else self.settings.default_services

    @property
    def buffer_km(self) -> float:
        """Cross-border buffer for sites (0 when only in-area sites count)."""
        if self.spec.in_area_only:
            return 0.0
        return float(self.settings.cross_border_buffer_km if self.spec.buffer_km is None else self.spec.buffer_km)

    @property
    def thresholds_minutes(self) -> tuple[float, ...]:
        """Travel-time thresholds (sorted)."""
        t = self.spec.thresholds_minutes or self.settings.thresholds_minutes
        return tuple(sorted(float(x) for x in t))

    @property
    def threshold_minutes(self) -> float:
        """The single threshold for gaps, scenarios, optimisation and closure impact."""
        t = self.spec.thresholds_minutes
        return float(t[0]) if t else float(self.settings.threshold_minutes)

    @property
    def threshold_km(self) -> float:
        """Distance threshold for straight-line runs."""
        return float(self.settings.threshold_km if self.spec.threshold_km is None else self.spec.threshold_km)

    @property
    def is_time(self) -> bool:
        """True when answers are minutes; False for straight-line distance (km)."""
        return self.travel.is_time

    # ------------------------------------------------------------------ parts
    @cached_property
    def area(self) -> Area:
        """The study area, with a faded display ring when the spec asks for one."""
        from geo.data.areas import select_area

        return select_area(self.spec.area, settings=self.settings, buffer_km=self.spec.display_ring_km)

    @cached_property
    def sites(self) -> gpd.GeoDataFrame:
        """Sites of the chosen services in the area, and across the border within the buffer.

        An error when there are none, naming the area and how to add sites.
        """
        from geo.data.sites import load_sites

        a = self.area
        extra: list[str | gpd.GeoDataFrame] = [str(p) for p in self.spec.extra_sites if not str(p).startswith("osm:")]
        for p in self.spec.extra_sites:  # "osm:FILE": an OpenStreetMap extract's pharmacy hours and tags
            if str(p).startswith("osm:"):
                from geo.data.osm_pois import harvest_osm_sites

                extra.append(harvest_osm_sites(str(p)[4:], self.settings).sites)
        if a.kind == "england":
            sites = load_sites(self.settings, types=self.services, include_historical=self.spec.include_historical,
                               extra=extra)
            sites = sites.assign(in_area=True) if "in_area" not in sites.columns else sites
        else:
            sites = load_sites(self.settings, area=a, types=self.services, buffer_km=self.buffer_km,
                               include_historical=self.spec.include_historical, extra=extra)
            if self.spec.in_area_only:
                sites = sites[sites["in_area"].astype(bool)].reset_index(drop=True)
            from geo.data.commissioning import restrict_to_commissioner

            sites = restrict_to_commissioner(sites, a, settings=self.settings,
                                             any_commissioner=self.spec.any_commissioner)
        if len(sites) == 0:
            where = "in" if self.spec.in_area_only or self.buffer_km == 0 else "in or near"
            msg = (f"no sites of type {', '.join(self.services)} {where} {a.name}; add your own with "
                   "--extra-sites FILE" + ("" if self.spec.in_area_only else " or widen --buffer-km"))
            raise InputError(msg)
        return sites

    @cached_property
    def router(self) -> Router:
        """The router the travel spec asks for (an error for straight-line distance studies)."""
        self.require_minutes("routing")
        from geo.travel.routing import make_router

        return make_router(self.travel, area=self.area, settings=self.settings, progress=self.progress)

    @property
    def method(self) -> str:
        """How the answers were made: ``network``, ``estimate``, ``transit`` or ``straight-line``."""
        return str(self.router.method) if self.is_time else Method.STRAIGHT_LINE.value

    @property
    def label(self) -> str:
        """One line saying how travel was measured (shown with every figure).

        A road router with the mixed method adds how many of the area's trips have a leg
        beyond its roads (from the baseline times).
        """
        if not self.is_time:
            return f"straight-line distance to the nearest of {len(self.sites):,} sites (not travel time)"
        if getattr(self.router, "beyond", None) is not None:
            return self._label_for(self.baseline_times)
        return str(self.router.label)

    def _label_for(self, times: pd.DataFrame) -> str:
        return str(self.router.label) + str(times.attrs.get("mixed_note", ""))

    @property
    def sites_label(self) -> str:
        """Which sites count, in words (in-area only, or across the border within the buffer)."""
        if self.spec.in_area_only or self.buffer_km == 0:
            where = f"sites inside {self.area.name} only"
        else:
            where = f"sites inside {self.area.name} and within {self.buffer_km:g} km of its border"
        rule = self.sites.attrs.get("site_rule", "")
        return f"{where}; {rule}" if rule else where

    # ------------------------------------------------------------------ answers
    def times(self, *, sites: pd.DataFrame | None = None, by_type: bool = False, k: int = 1,
              max_minutes: float | None = None, per_service: bool = True) -> pd.DataFrame:
        """One row per LSOA (core and ring, ``in_area`` flags them): nearest site and minutes.

        Straight-line studies give ``distance_km`` instead of ``minutes``.  ``sites`` overrides
        the study's sites (e.g. those open at a given time) without rebuilding anything else.
        ``per_service=False`` skips the per-service columns (one search instead of one per service).
        """
        use = self.sites if sites is None else sites
        if k < 1:
            msg = f"--k must be 1 or more (got {k})"
            raise InputError(msg)
        if max_minutes is not None and not max_minutes > 0:
            msg = f"--max-minutes must be above 0 (got {max_minutes:g})"
            raise InputError(msg)
        if not self.is_time:
            from geo.measures.straight_line import nearest_site_straight_line

            out = nearest_site_straight_line(self.area.all_lsoas, use)
            out["method"] = Method.STRAIGHT_LINE.value
        else:
            from geo.travel.catchments import nearest_times

            out = nearest_times(self.area, use, self.router, by_type=by_type, k=k, max_minutes=max_minutes,
                                services=self.services if per_service else ())
        out.attrs["label"] = self._label_for(out) if self.is_time else self.label
        out.attrs["method"] = self.method
        return out

    @cached_property
    def baseline_times(self) -> pd.DataFrame:
        """:meth:`times` for the study's own sites, computed once."""
        return self.times()

    def require_minutes(self, what: str) -> None:
        """An error for questions that need travel *times* when the study measures distance."""
        if not self.is_time:
            msg = f"{what} needs travel times; use --method auto/network/estimate (not straight-line)"
            raise InputError(msg)

    def origins(self, *, weight_column: str = "adults") -> Origins:
        """The core LSOAs as weighted demand points."""
        from geo.travel.matrix import area_origins

        return area_origins(self.area, weight_column=weight_column)

    def matrix(self, *, sites: pd.DataFrame | None = None, weight_column: str = "adults",
               max_minutes: float | None = None) -> tuple[npt.NDArray[np.float64], Origins]:
        """``(n_sites, n_core_lsoas)`` minutes (NaN = unreachable) and the origins they refer to."""
        from geo.travel.matrix import site_origin_matrix

        self.require_minutes("a site x neighbourhood matrix")
        origins = self.origins(weight_column=weight_column)
        assert self.router is not None
        use = self.sites if sites is None else sites
        return site_origin_matrix(self.router, use, origins, max_minutes=max_minutes), origins

    def coverage(self, *, thresholds: tuple[float, ...] | None = None,
                 times: pd.DataFrame | None = None) -> list[dict[str, object]]:
        """Coverage summary per threshold: minutes for travel-time studies, km for straight-line ones.

        ``thresholds`` default to the study's (``thresholds_minutes`` or ``threshold_km``).
        """
        from geo.measures.coverage import coverage_summary

        t = self.baseline_times if times is None else times
        out: list[dict[str, object]] = []
        for thr in thresholds or (self.thresholds_minutes if self.is_time else (self.threshold_km,)):
            if self.is_time:
                summary = coverage_summary(t, threshold_minutes=thr)
            else:
                summary = coverage_summary(t, threshold_km=thr)
            out.append({**summary.pop("headline"), **summary})
        return out

    def window_coverage(self, *, thresholds: tuple[float, ...] | None = None, times: pd.DataFrame | None = None,
                        sites: pd.DataFrame | None = None) -> dict[str, object] | None:
        """Public transport: coverage at each time of the departure window and its range
        (:func:`geo.measures.timetable.window_coverage`); None for other modes."""
        from geo.measures.timetable import window_coverage

        if not hasattr(self.router, "nearest_by_time"):
            return None
        return window_coverage(self.baseline_times if times is None else times,
                               self.sites if sites is None else sites, self.router,
                               tuple(thresholds or self.thresholds_minutes))

    # ------------------------------------------------------------------ per service, with ranges
    @property
    def result_services(self) -> tuple[str, ...]:
        """The per-service results: each service, then ``"any"`` (nearest site of any type) when several."""
        from geo.data.services import result_services

        return result_services(self.services)

    @property
    def uncertainty(self) -> UncertaintySpec:
        """Size and seed of the Monte Carlo behind every range (``Settings.uncertainty_*``)."""
        from geo.measures.uncertainty import UncertaintySpec

        return UncertaintySpec.from_settings(self.settings)

    def coverage_by_service(self, *, thresholds: tuple[float, ...] | None = None,
                            times: pd.DataFrame | None = None) -> pd.DataFrame:
        """Coverage headline per service and threshold, side by side (see :func:`~geo.measures.coverage_sets.coverage_by_service`)."""
        from geo.measures.coverage_sets import coverage_by_service

        t = self.baseline_times if times is None else times
        if not self.is_time:
            return coverage_by_service(t, self.services, thresholds_km=thresholds or (self.threshold_km,))
        return coverage_by_service(t, self.services, thresholds_minutes=thresholds or self.thresholds_minutes)

    def scenario(self, scenario: Scenario, *, weight_column: str = "adults", at: object = None,
                 pool: pd.DataFrame | None = None) -> Answer:
        """Apply ``scenario`` and compare with the study's sites, per service, every figure with its range.

        Returns :func:`~geo.planning.by_service.compare_by_service`'s dict plus ``sites_before``,
        ``sites_after`` and ``summary`` (area, threshold, method, router, how the ranges were made, one
        headline per service).  ``at`` keeps only sites open then, before and after.
        """
        from geo.planning.by_service import compare_by_service, headline
        from geo.planning.scenario_apply import apply_scenario
        from geo.planning.scenarios import open_at_mask

        self.require_minutes("a scenario")
        new_sites = apply_scenario(scenario, self.sites, settings=self.settings, pool=pool)
        base = pd.DataFrame(self.sites).reset_index(drop=True)
        if at is not None:
            base = base[open_at_mask(base, at)].reset_index(drop=True)
            new_sites = new_sites[open_at_mask(new_sites, at)].reset_index(drop=True)
        t = self.threshold_minutes
        res = compare_by_service(base, new_sites, self.router, self.origins(weight_column=weight_column),
                                 services=self.services, threshold_minutes=t, spec=self.uncertainty,
                                 settings=self.settings)
        res["summary"] = {**self._run_record(), "scenario": scenario.name, "changes": len(scenario.changes),
                          **({"open_at": str(at)} if at is not None else {}),
                          "headlines": [headline(r, threshold_minutes=t) for _, r in res["by_service"].iterrows()],
                          "ranges": res["uncertainty"]["method"],
                          "travel_time_error": res["uncertainty"]["travel_time_error"]}
        res["sites_before"], res["sites_after"] = base, new_sites
        return res

    def closure(self, *, weight_column: str = "adults", deciles: bool = False) -> pd.DataFrame:
        """Closure impact of every site per service, with ranges (:func:`~geo.planning.closure.closure_by_service`)."""
        from geo.planning.closure import closure_by_service

        self.require_minutes("closure impact")
        origins = self.origins(weight_column=weight_column)
        m, _ = self.matrix(weight_column=weight_column)
        out = closure_by_service(self.sites, self.router, origins, services=self.services,
                                 threshold_minutes=self.threshold_minutes, spec=self.uncertainty,
                                 settings=self.settings, matrix=m, deciles=deciles)
        if weight_column != "adults":
            out = out.rename(columns=lambda c: c.replace("_adults", f"_{weight_column}"))
        out.attrs["run"] = self._run_record()
        return out

    def optimise(self, candidates: pd.DataFrame, *, k: int, objective: str = "mclp", method: str = "exact",
                 weight_column: str = "adults", service: str | None = None, solver: object = None
                 ) -> Answer:
        """Up to ``k`` new sites per service, ranked by the gain they can show, named by place and postcode.

        See :func:`~geo.planning.optimise_service.optimise_by_service`; adds ``summary`` (the run record).
        """
        from geo.planning.optimise_service import optimise_by_service

        self.require_minutes("geo optimise")
        m, origins = self.matrix(weight_column=weight_column)
        out = optimise_by_service(origins, self.sites, candidates, self.router, services=self.services, k=k,
                                  objective=objective, threshold_minutes=self.threshold_minutes, spec=self.uncertainty,
                                  settings=self.settings, method=method, solver=solver, only=service,
                                  existing_minutes=m)
        out["summary"] = {**self._run_record(), "objective": objective, "k": k, "candidates": len(candidates),
                          "ranges": out["uncertainty"].get("method", ""),
                          "travel_time_error": out["uncertainty"].get("travel_time_error", "")}
        return out

    def _run_record(self) -> dict[str, object]:
        return {"area": self.area.name, "services": list(self.services), "threshold_minutes": self.threshold_minutes,
                "method": self.method, "router": self.label, "sites_counted": self.sites_label}

    def describe(self) -> dict[str, object]:
        """How this study was made, for run records and headers."""
        return {"area": self.area.name, "services": list(self.services), "mode": self.travel.mode.value,
                "method": self.method, "times": self.label, "sites_counted": self.sites_label,
                "buffer_km": self.buffer_km}


__all__ = ["Study"]
