"""The questions the atlas's views ask a :class:`~geo.planning.study.Study` about shown times and changes.

:class:`StudyViews` is a mixin of :class:`~geo.planning.study.Study`, like
:class:`~geo.planning.study_api.StudyQuestions`: each method hands off to the module where the
work lives, so the app (``atlas/``) asks the study and never imports an inner module.  These take
the frames a view shows (the times it drew, the sites after a change) rather than the study's
own, because the atlas caches those frames per control; it is a module of its own so that
``study_api.py`` stays under 400 lines, and the split is by use: these answer what is on screen.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Sequence

    import geopandas as gpd
    import pandas as pd

    from geo.planning.scenario_schema import Scenario
    from geo.planning.study_api import _Parts  # what both mixins read from Study


class StudyViews:
    """Questions about the times, gaps and changes a view shows; mixed into :class:`~geo.planning.study.Study`."""

    # ------------------------------------------------------------------ coverage and gaps of shown times
    def coverage_summary(self: _Parts, times: pd.DataFrame, *, threshold_minutes: float) -> dict[str, Any]:
        """Headline and breakdowns of ``times`` at one threshold (:func:`geo.measures.coverage.coverage_summary`)."""
        from geo.measures.coverage import coverage_summary

        return coverage_summary(times, threshold_minutes=threshold_minutes)

    def coverage_table(self: _Parts, times: pd.DataFrame, *, threshold_minutes: float,
                       by: str | None = None) -> pd.DataFrame:
        """Coverage of ``times`` by one breakdown (district, ward, decile...) (:func:`geo.measures.coverage.coverage_table`)."""
        from geo.measures.coverage import coverage_table

        return coverage_table(times, threshold_minutes=threshold_minutes, by=by)

    def service_times(self: _Parts, times: pd.DataFrame, service: str) -> pd.DataFrame:
        """``times`` to the nearest site of one service (``"any"``: unchanged) (:func:`geo.measures.coverage_sets.service_times`)."""
        from geo.measures.coverage_sets import service_times

        return service_times(times, service)

    def gaps(self: _Parts, times: pd.DataFrame, need: pd.Series | pd.DataFrame | None, *, threshold_minutes: float,
             w_need: float = 1.0, w_time: float = 1.0, service: str | None = None) -> pd.DataFrame:
        """Gap scores: need x travel time per LSOA (:func:`geo.measures.gaps.gap_scores`)."""
        from geo.measures.gaps import gap_scores

        return gap_scores(times, need, threshold_minutes=threshold_minutes, w_need=w_need, w_time=w_time,
                          service=service)

    def imd_label(self: _Parts, frame: pd.DataFrame | None = None) -> str:
        """``"IMD 2025"``: the deprivation edition of ``frame`` (default the area's LSOAs) (:func:`geo.data.tables.imd_label`)."""
        from geo.data.tables import imd_label

        return imd_label(self.area.lsoas if frame is None else frame)

    # ------------------------------------------------------------------ national context for the maps
    def lsoa_table(self: _Parts) -> gpd.GeoDataFrame:
        """Every LSOA of England with its codes, names and populations (:func:`geo.data.tables.load_lsoa_table`)."""
        from geo.data.tables import load_lsoa_table

        return load_lsoa_table(self.settings)

    def drug_death_rates(self: _Parts) -> pd.DataFrame:
        """Drug-poisoning deaths per 100,000 a year by district, on the districts' populations
        (:func:`geo.measures.need.la_drug_death_rates`)."""
        from geo.data.tables import load_lsoa_table
        from geo.measures.need import la_drug_death_rates

        pop = load_lsoa_table(self.settings).groupby("lad24cd")["population"].sum()
        return la_drug_death_rates(self.settings, population=pop)

    # ------------------------------------------------------------------ a change being drawn
    def locate(self: _Parts, postcode: str, *, what: str = "site") -> tuple[float, float, str, str]:
        """Easting, northing, precision and postcode of a live postcode (:func:`geo.planning.scenario_apply.resolve_location`)."""
        from geo.planning.scenario_apply import resolve_location

        return resolve_location(postcode=postcode, settings=self.settings, what=what)

    def geocode(self: _Parts, postcodes: Sequence[str] | pd.Series) -> pd.DataFrame:
        """Easting, northing and status of each postcode (:func:`geo.data.geocode.geocode_postcodes`)."""
        from geo.data.geocode import geocode_postcodes

        return geocode_postcodes(postcodes, self.settings)

    def place_labels(self: _Parts, points: pd.DataFrame) -> pd.DataFrame:
        """Postcode and place name of points (``easting``, ``northing``) (:func:`geo.planning.optimise_service.place_labels`)."""
        from geo.planning.optimise_service import place_labels

        return place_labels(points, self.settings)

    def scenario_sites(self: _Parts, scenario: Scenario, *, sites: pd.DataFrame | None = None) -> gpd.GeoDataFrame:
        """The sites after ``scenario``'s changes (default to the study's sites); a bad change is a
        :class:`~geo.GeoError` naming it (:func:`geo.planning.scenario_apply.apply_scenario`)."""
        from geo.planning.scenario_apply import apply_scenario

        return apply_scenario(scenario, self.sites if sites is None else sites, settings=self.settings)


__all__ = ["StudyViews"]
