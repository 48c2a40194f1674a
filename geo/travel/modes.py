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
from typing import TYPE_CHECKING, ClassVar, Literal, TypeVar

from geo._errors import InputError

if TYPE_CHECKING:
    from geo.config import Settings

_E = TypeVar("_E", bound=StrEnum)

#: Highway values no network uses (not a physical way, or not part of the street network).
ALWAYS_EXCLUDED = frozenset({"abandoned", "construction", "no", "planned", "platform", "proposed",
                             "raceway", "razed", "rest_area", "services"})
MOTOR = frozenset({"motor", "motorway", "motorway_link"})


@dataclass(frozen=True)
class OsmFilter:
    """Which OpenStreetMap ways a mode may use (the streaming ``.osm.pbf`` reader, :mod:`geo.travel.pbf`).

    ``highway`` / ``service``: excluded values of those tags; ``access``: the access tags from the
    most specific to the general one (the first present decides); ``separate``: tags whose value
    ``separate`` excludes the way (a sidewalk mapped on its own).
    """

    highway: frozenset[str]
    service: frozenset[str]
    access: tuple[str, ...]
    separate: tuple[str, ...] = ()


@dataclass(frozen=True)
class ModeProfile:
    """Everything that differs between travel modes, in one place (every module asks the mode).

    Attributes
    ----------
    label : words for a person (``"public transport"``).
    heading : the mode as an option or a heading (``"Public transport (timetable)"``).
    on_roads : routed on OpenStreetMap roads (False: on a GTFS timetable, :mod:`geo.travel.transit`).
    speed_rule : how way speeds are set (:mod:`geo.travel.rules`): ``"posted-limits"`` (posted
        limits, the road-class table ``Settings.drive_speeds_kph`` and the national limit outside
        built-up areas; one-way streets), ``"flat"`` (the mode's speed everywhere, both ways),
        ``"flat-unsealed-slower"`` (the same, slower on unsealed ways, none on 70 mph roads).
    speed_setting : the :class:`~geo.config.Settings` field holding the mode's speed (km/h);
        None where speeds come per road (``"posted-limits"``).
    fitted_kph : the speed the straight-line estimate of the mode was fitted at (the Settings
        default when fitted); other speeds scale its minutes.  None: not scaled.
    connector_kph : speed of the straight link between a point and the nearest point of the road
        it snaps onto (:mod:`geo.travel.snapping`): walking for walk, a slow cycle for cycle, and for driving
        the residential-street speed of the class table (the leg stands for the access roads,
        driveways and car parks the drive network leaves out, and for an LSOA centroid, for the
        streets its residents actually join the network by).
    isochrone_buffer_metres : half-width of the band drawn around reached roads in catchments.
    give_way : ``(deceleration m/s², acceleration m/s², mean wait s)`` lost where the mode gives
        way at a junction; None: no junction delay.
    osm : the ways the mode may use in an ``.osm.pbf`` (:class:`OsmFilter`).
    osm_xml_excluded : highway classes dropped from OSM XML read through osmnx (which holds every
        highway); ``"posted-limits"`` modes keep only the classes of their speed table instead.
    pyrosm_type / osmnx_type / valhalla_costing : the mode's name in pyrosm, osmnx and Valhalla.
    """

    label: str
    heading: str
    on_roads: bool = True
    speed_rule: Literal["posted-limits", "flat", "flat-unsealed-slower"] = "flat"
    speed_setting: str | None = None
    fitted_kph: float | None = None
    connector_kph: float = 0.0
    isochrone_buffer_metres: float = 0.0
    give_way: tuple[float, float, float] | None = None
    osm: OsmFilter | None = None
    osm_xml_excluded: frozenset[str] = frozenset()
    pyrosm_type: str = ""
    osmnx_type: str = ""
    valhalla_costing: str = ""

    @property
    def one_way(self) -> bool:
        """Whether one-way streets bind the mode (driving)."""
        return self.speed_rule == "posted-limits"


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

    @classmethod
    def parse_road(cls, value: str | TravelMode, *, what: str = "network mode") -> TravelMode:
        """A mode routed on roads (drive, walk, cycle), or an :class:`InputError` listing them."""
        text = str(value).strip().lower()
        try:
            mode = cls(text)
        except ValueError:
            mode = None
        if mode is None or not mode.profile.on_roads:
            msg = f"unknown {what} {text!r}; choose one of {', '.join(cls.road_modes())}"
            raise InputError(msg)
        return mode

    @classmethod
    def road_modes(cls) -> tuple[TravelMode, ...]:
        """The modes routed on OpenStreetMap roads, in declaration order."""
        return tuple(m for m in cls if m.profile.on_roads)

    @property
    def profile(self) -> ModeProfile:
        """The mode's facts (:class:`ModeProfile`)."""
        return PROFILES[self]

    @property
    def label(self) -> str:
        """Words for a person: ``"public transport"`` rather than ``"transit"``."""
        return self.profile.label

    @property
    def heading(self) -> str:
        """The mode as an option or heading: ``"Drive"``, ``"Public transport (timetable)"``."""
        return self.profile.heading

    def speed_kph(self, settings: Settings) -> float | None:
        """The mode's speed in ``settings`` (km/h); None where speeds come per road (drive)."""
        field = self.profile.speed_setting
        return float(getattr(settings, field)) if field else None


#: The facts of each mode.  Adding a mode: a member above, its profile here, its speed in
#: :class:`geo.config.Settings` when it has its own, and its estimate fitted by
#: ``benchmarks/calibrate_estimate.py --update`` (:mod:`geo.travel.estimate_model`).
PROFILES: dict[TravelMode, ModeProfile] = {
    TravelMode.DRIVE: ModeProfile(
        label="drive", heading="Drive", speed_rule="posted-limits", connector_kph=32.0,
        isochrone_buffer_metres=150.0, give_way=(2.5, 1.5, 2.0),
        osm=OsmFilter(
            highway=ALWAYS_EXCLUDED | {"bridleway", "bus_guideway", "busway", "corridor", "cycleway",
                                       "elevator", "escalator", "footway", "ladder", "path",
                                       "pedestrian", "steps", "track", "trail", "service"},
            service=frozenset({"emergency_access", "parking", "parking_aisle", "private", "alley",
                               "driveway"}),
            access=("motorcar", "motor_vehicle", "vehicle", "access")),
        pyrosm_type="driving", osmnx_type="drive", valhalla_costing="auto"),
    TravelMode.WALK: ModeProfile(
        label="walk", heading="Walk", speed_rule="flat", speed_setting="walk_kph", fitted_kph=4.8,
        connector_kph=4.8, isochrone_buffer_metres=60.0,
        osm=OsmFilter(highway=ALWAYS_EXCLUDED | {"bus_guideway", "cycleway"} | MOTOR,
                      service=frozenset({"private"}), access=("foot", "access"),
                      separate=("sidewalk", "sidewalk:both", "sidewalk:left", "sidewalk:right")),
        osm_xml_excluded=frozenset({"motorway", "motorway_link"}),
        pyrosm_type="walking", osmnx_type="walk", valhalla_costing="pedestrian"),
    TravelMode.CYCLE: ModeProfile(
        label="cycle", heading="Cycle", speed_rule="flat-unsealed-slower", speed_setting="cycle_kph",
        fitted_kph=16.0, connector_kph=12.0, isochrone_buffer_metres=100.0, give_way=(1.5, 1.0, 2.0),
        osm=OsmFilter(highway=ALWAYS_EXCLUDED | {"bus_guideway", "corridor", "elevator", "escalator",
                                                 "footway", "steps"} | MOTOR,
                      service=frozenset({"private"}), access=("bicycle", "vehicle", "access")),
        osm_xml_excluded=frozenset({"motorway", "motorway_link", "footway", "steps", "pedestrian", "corridor"}),
        pyrosm_type="cycling", osmnx_type="bike", valhalla_costing="bicycle"),
    TravelMode.TRANSIT: ModeProfile(label="public transport", heading="Public transport (timetable)",
                                    on_roads=False),
}


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

    #: The statistics a window can be summarised by (``--statistic`` choices).
    STATISTICS: ClassVar[tuple[str, ...]] = TRANSIT_STATISTICS

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
