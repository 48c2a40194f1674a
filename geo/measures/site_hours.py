"""The opening hours of a set of sites as one object: states at a time, ranges, the week, checks.

:class:`SiteHours` wraps a sites frame (``opening_hours`` text and/or weekly columns) and hands
off to the modules where the work lives: :mod:`geo.measures.hours` (states, masks, ranges,
validation), :mod:`geo.measures.hours_report` (where hours came from, the weekly summary) and
:mod:`geo.measures.reference_week` (times of the week).  ``geo hours``, ``geo access --at``,
``geo scenario --at``, ``geo sites list`` and the atlas's opening-hours view use it; a notebook
user would too.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import datetime as dt

    import numpy as np
    import pandas as pd


@dataclass(frozen=True, eq=False)
class SiteHours:
    """The opening hours of ``sites`` (``source`` names them in messages; ``use_text`` reads the hours text)."""

    sites: pd.DataFrame
    use_text: bool = True
    source: str = "sites"

    # ------------------------------------------------------------------ times of the week
    @staticmethod
    def parse_when(when: str | dt.datetime | pd.Timestamp) -> dt.datetime:
        """A time of the week ("Sat 19:00") or exact date and time (:func:`~geo.measures.reference_week.parse_when`)."""
        from geo.measures.reference_week import parse_when

        return parse_when(when)

    @staticmethod
    def week_slots(step_minutes: int = 60) -> pd.DatetimeIndex:
        """Start times of equal slots over the reference week (:func:`~geo.measures.reference_week.weekly_slots`)."""
        from geo.measures.reference_week import weekly_slots

        return weekly_slots(step_minutes)

    @staticmethod
    def counts_text(counts: dict[str, int], when_label: str) -> str:
        """``"At Saturday 19:00: 3 open, 5 closed, 68 hours unknown (of 76 sites)"`` (:func:`~geo.measures.hours.states_text`)."""
        from geo.measures.hours import states_text

        return states_text(counts, when_label)

    # ------------------------------------------------------------------ the sites at a time
    def states_at(self, when: str | dt.datetime) -> pd.Series:
        """``open``, ``closed`` or ``hours unknown`` per site, nothing assumed (:func:`~geo.measures.hours.states_at`)."""
        from geo.measures.hours import states_at

        return states_at(self.sites, when, use_text=self.use_text, source=self.source)

    def open_at(self, when: str | dt.datetime, *, missing: str) -> pd.Series:
        """Which sites are open at ``when``, unknown hours taken as ``missing`` (:func:`~geo.measures.hours.is_open_at`)."""
        from geo.measures.hours import is_open_at

        return is_open_at(self.sites, when, missing=missing, use_text=self.use_text, source=self.source)

    def open_range(self, when: str | dt.datetime) -> dict[str, Any]:
        """How many sites are open at ``when``, a range over the missing-hours assumption (:func:`~geo.measures.hours.open_range`)."""
        from geo.measures.hours import open_range

        return open_range(self.sites, when, use_text=self.use_text, source=self.source)

    def matrix(self, slots: pd.DatetimeIndex | list[dt.datetime] | None = None) -> np.ndarray:
        """State of every site at every slot: 1 open, 0 closed, -1 unknown (:func:`~geo.measures.hours.state_matrix`)."""
        from geo.measures.hours import state_matrix

        return state_matrix(self.sites, slots, use_text=self.use_text, source=self.source)

    # ------------------------------------------------------------------ the week, checks, provenance
    def weekly_summary(self, *, missing: str) -> pd.DataFrame:
        """Hours open, evenings and weekends per site (:func:`~geo.measures.hours_report.weekly_summary`)."""
        from geo.measures.hours_report import weekly_summary

        return weekly_summary(self.sites, missing=missing, use_text=self.use_text, source=self.source)

    def validate(self) -> pd.DataFrame:
        """Every site's hours checked, one row per site (:func:`~geo.measures.hours.validate_hours`)."""
        from geo.measures.hours import validate_hours

        return validate_hours(self.sites, use_text=self.use_text)

    def provenance(self, *, osm_checked: str | None = None) -> pd.Series:
        """Per site, every source of hours looked at and what it gave (:func:`~geo.measures.hours_report.hours_provenance`)."""
        from geo.measures.hours_report import hours_provenance

        return hours_provenance(self.sites, osm_checked=osm_checked)


__all__ = ["SiteHours"]
