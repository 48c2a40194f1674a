"""The travel vocabulary: how people travel (:class:`TravelMode`) and how the time is worked out
(:class:`Method`), parsed once into a :class:`TravelSpec` that both front ends share.

r5py's ``TransportMode`` is the model: a mode is an enum, never a free string, and the way the
answer is computed is a separate option, so "estimate" is a method, not a pseudo-mode.

=============  ==================================================================================
method         what it means
=============  ==================================================================================
``auto``       real roads (or the timetable) where a network covers the area, else the estimate;
               points beyond the loaded roads are reached by a *mixed* route (roads, then the
               estimate for the leg beyond; labelled per LSOA)
``network``    real OpenStreetMap roads only, or a GTFS timetable for ``transit``; an error if none
``estimate``   calibrated straight-line *time* estimate (labelled, with its error range)
``straight-line``  straight-line *distance* in km (KD-tree) -- no time at all; thresholds in km
``timetable``  public transport routed on a GTFS timetable (Valhalla, door to door); the only
               method of ``transit`` (``auto``/``network`` mean it there)
=============  ==================================================================================

Every label saying how a time was made comes from :attr:`Method.label` (CLI, report, app, batch),
so public-transport times always read "timetable-based" and never "estimate".
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TypeVar

from geo._errors import InputError

_E = TypeVar("_E", bound=StrEnum)


def _member(cls: type[_E], text: str, *, what: str) -> _E:
    """The member of ``cls`` whose value is ``text``, or an :class:`InputError` listing the choices."""
    try:
        return cls(text)
    except ValueError:
        msg = f"unknown {what} {text!r}; choose one of {', '.join(m.value for m in cls)}"
        raise InputError(msg) from None


class TravelMode(StrEnum):
    """How people travel to a service."""

    DRIVE = "drive"
    WALK = "walk"
    CYCLE = "cycle"
    TRANSIT = "transit"

    @classmethod
    def parse(cls, value: str | TravelMode) -> TravelMode:
        """The mode named ``value`` (case-insensitive), or an :class:`InputError` listing the choices."""
        return _member(cls, str(value).strip().lower(), what="travel mode")

    @property
    def label(self) -> str:
        """Words for a person: ``"public transport"`` rather than ``"transit"``."""
        return {"drive": "drive", "walk": "walk", "cycle": "cycle", "transit": "public transport"}[self.value]


class Method(StrEnum):
    """How travel is worked out (see the module table)."""

    AUTO = "auto"
    NETWORK = "network"
    ESTIMATE = "estimate"
    STRAIGHT_LINE = "straight-line"
    TIMETABLE = "timetable"

    @classmethod
    def parse(cls, value: str | Method) -> Method:
        """The method named ``value`` (``none``, ``straight_line``, ``transit`` accepted as spellings)."""
        text = str(value).strip().lower().replace("_", "-")
        return _member(cls, _METHOD_SPELLINGS.get(text, text), what="method")

    @property
    def is_time(self) -> bool:
        """False only for straight-line distance (answers in km, not minutes)."""
        return self is not Method.STRAIGHT_LINE

    @property
    def is_routed(self) -> bool:
        """True when times were routed (real roads or a timetable), False for estimates and distances."""
        return self in {Method.NETWORK, Method.TIMETABLE}

    @property
    def label(self) -> str:
        """How the answers were made, in words for every label (CLI, report, app, batch)."""
        return _METHOD_LABELS[self]

    @classmethod
    def of_result(cls, value: object) -> Method:
        """The method a result's ``method`` text names (``"transit"`` of older runs = timetable).

        Unknown text (e.g. ``"none (...)"`` for an authority no network covers) counts as the
        estimate, so nothing unrouted is ever shown as routed.
        """
        text = str(value).strip().lower().replace("_", "-")
        try:
            return cls(_METHOD_SPELLINGS.get(text, text))
        except ValueError:
            return Method.ESTIMATE


_METHOD_SPELLINGS = {"none": "estimate", "straightline": "straight-line", "transit": "timetable", "gtfs": "timetable"}
_METHOD_LABELS = {
    Method.AUTO: "real roads where a network covers the area, else the straight-line estimate",
    Method.NETWORK: "routed on the real road network (OpenStreetMap)",
    Method.ESTIMATE: "ESTIMATED from straight-line distance (calibrated, not routed)",
    Method.STRAIGHT_LINE: "straight-line distance (not a travel time)",
    Method.TIMETABLE: "timetable-based (GTFS timetable, routed door to door by Valhalla)",
}


#: Transit statistics across a departure window.
TRANSIT_STATISTICS = ("median", "worst", "best")


@dataclass(frozen=True)
class TransitOptions:
    """Public-transport options: the feed, the time of day and how a window is summarised.

    Exactly one of ``arrive_by`` / ``depart_at`` is used; ``arrive_by`` wins when both are set
    and the default (:attr:`geo.config.Settings.transit_arrive_by`) applies when neither is.
    """

    gtfs: str | None = None
    arrive_by: str | None = None
    depart_at: str | None = None
    window_minutes: float = 120.0
    step_minutes: float = 15.0
    statistic: str = "median"

    def __post_init__(self) -> None:
        if self.statistic not in TRANSIT_STATISTICS:
            msg = f"unknown transit statistic {self.statistic!r}; choose one of {', '.join(TRANSIT_STATISTICS)}"
            raise InputError(msg)
        if not (0 < self.step_minutes <= 24 * 60 and 0 <= self.window_minutes <= 24 * 60):
            msg = ("transit window: --window-minutes must be 0-1440 and --step-minutes 1-1440 "
                   f"(got {self.window_minutes:g} and {self.step_minutes:g})")
            raise InputError(msg)


@dataclass(frozen=True)
class TravelSpec:
    """Mode + method + where the network comes from: everything that decides a router.

    Hashable, so it is a cache key in the app and a field of :class:`geo.planning.study.StudySpec`.

    Parameters
    ----------
    mode : how people travel.
    method : how the time is worked out (``auto`` by default).
    network : where real roads come from when the method allows them: ``"auto"`` (an extract on
        disk or in the cache that covers the area), ``"download"`` / ``"place:NAME"`` (osmnx), or
        a path to a ``.osm.pbf`` / ``.osm(.xml)(.bz2)`` file.
    transit : public-transport options (only for ``mode=transit``).
    """

    mode: TravelMode = TravelMode.DRIVE
    method: Method = Method.AUTO
    network: str = "auto"
    transit: TransitOptions | None = None

    @classmethod
    def parse(cls, *, mode: str | TravelMode = "drive", method: str | Method | None = None,
              network: str | Path | None = None, transit: TransitOptions | None = None) -> TravelSpec:
        """The one place free text becomes a travel spec (CLI flags, app widgets, scenario files).

        Older spellings are read here and nowhere else: ``mode="straight-line"`` means
        ``method="straight-line"`` (mode drive), and ``network="none"``/``"estimate"`` means
        ``method="estimate"``.
        """
        mode_text = str(mode).strip().lower()
        chosen_method = Method.parse(method) if method is not None else Method.AUTO
        if mode_text in {"straight-line", "straight_line", "estimate"}:
            chosen_method = Method.STRAIGHT_LINE if mode_text != "estimate" else Method.ESTIMATE
            mode_text = "drive"
        travel_mode = TravelMode.parse(mode_text)
        source = "auto" if network is None else str(network)
        if source.strip().lower() in {"none", "estimate"}:
            if chosen_method not in {Method.AUTO, Method.ESTIMATE}:
                msg = f"--network {source} asks for the estimate but --method is {chosen_method.value}"
                raise InputError(msg)
            chosen_method, source = Method.ESTIMATE, "auto"
        if travel_mode is TravelMode.TRANSIT:
            if chosen_method in {Method.ESTIMATE, Method.STRAIGHT_LINE}:
                msg = ("public transport has no straight-line estimate: supply a GTFS feed (--gtfs FEED.zip, "
                       "or --gtfs auto for the BODS feed of the area) or choose drive/walk/cycle")
                raise InputError(msg)
            chosen_method = Method.TIMETABLE
            transit = transit if transit is not None else TransitOptions()
        else:
            if chosen_method is Method.TIMETABLE:
                msg = f"--method timetable is for --mode transit (public transport), not {travel_mode.value}"
                raise InputError(msg)
            transit = None
        return cls(mode=travel_mode, method=chosen_method, network=source, transit=transit)

    @property
    def is_time(self) -> bool:
        """True when answers are minutes (every method but straight-line distance)."""
        return self.method.is_time

    @property
    def key(self) -> str:
        """Short stable text for labels and cache keys, e.g. ``"drive/auto"``."""
        return f"{self.mode.value}/{self.method.value}"
