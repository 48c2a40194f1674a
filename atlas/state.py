"""Sidebar controls and the small bits of session state the atlas keeps.

Only primitives live in ``st.session_state`` (names, numbers, tuples, small dicts of
proposed sites); frames live in the caches of :mod:`atlas.data`.

Layout of the sidebar::

    ┌ Study area ─────────────┐
    │ area  [Rutland ▾]       │
    │ (other / upload)        │
    ├ Services ───────────────┤
    │ site types  [hub, ph…]  │
    │ [x] cross-border sites  │
    ├ Travel ─────────────────┤
    │ mode (drive/walk/…)     │
    │ threshold minutes       │
    │ day + time              │
    ├ Map ────────────────────┤
    │ colour by               │
    │ [ ] street map tiles    │
    └─────────────────────────┘
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import streamlit as st

from atlas import data
from atlas.team import signin
from atlas.team.roles import Permission
from geo import Method, StudySpec, TransitOptions, TravelMode, TravelSpec

PRESET_AREAS = ("Rutland", "Northamptonshire", "Leicestershire", "Leicester", "Essex",
                "North Northamptonshire", "West Northamptonshire", "Southend-on-Sea", "Thurrock")
OTHER_AREA = "Another district or county…"
UPLOAD_AREA = "Upload a boundary file…"
#: Kinds of ``geo.list_area_names`` offered under OTHER_AREA (wards: type them in the CLI or upload).
OTHER_AREA_KINDS = ("lad", "county", "former_district", "icb", "sub_icb")

#: Services offered in the site picker after the site types (each type's words are its ``plural``).
PICKER_SERVICES = {"treatment": "Any site offering treatment", "naloxone": "Naloxone supply"}
DEFAULT_TYPES = ("hub", "pharmacy")


def site_choices() -> dict[str, str]:
    """The site picker's choices and words: every registry type, then :data:`PICKER_SERVICES`."""
    from geo import SITE_TYPES

    return {**{k: t.plural for k, t in SITE_TYPES.items()}, **PICKER_SERVICES}

#: The travel-mode options and their words (each mode's ``heading``).
MODE_LABELS = {m.value: m.heading for m in TravelMode}

METRICS = {
    "minutes": "Minutes to nearest site",
    "gap": "Gap score (need × poor access)",
    "imd": "IMD decile (deprivation)",
    "clients": "Clients per 1,000 adults",
    "deaths": "Drug-poisoning deaths per 100,000",
}

#: The one assumption for sites with no published opening hours (most pharmacies), chosen in the
#: sidebar and stated the same in every view: key -> (words, OSM hours filled in; "" = none).
#: The default assumes nothing: such sites are counted apart as "hours unknown".
MISSING_HOURS = {
    "unknown": ("unknown (counted apart, not assumed open or closed)", ""),
    "open": ("open at all times", ""),
    "typical": ("open typical weekday hours (Mo-Fr 09:00-17:30, Sa 09:00-12:30)", "Mo-Fr 09:00-17:30; Sa 09:00-12:30"),
    "closed": ("closed (only sites with published hours count)", ""),
}


def missing_hours_text(key: str) -> str:
    """E.g. "Sites without published opening hours are assumed open at all times"."""
    if key == "unknown":
        return "Sites without published opening hours are counted apart as 'hours unknown' (nothing assumed)"
    return f"Sites without published opening hours are assumed {MISSING_HOURS[key][0]}"


#: The threshold slider: (min, max, step) minutes.  Tips that suggest a threshold round to its step.
THRESHOLD_SLIDER = (1, 90, 1)

DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@dataclass(frozen=True)
class Controls:
    """Everything the sidebar decides, as primitives (safe as cache keys)."""

    area_spec: str
    area_upload: tuple[str, str] | None  # (digest, filename) when the area came from a file
    site_types: tuple[str, ...]
    cross_border: bool
    mode: TravelMode
    force_estimate: bool  # True = the calibrated straight-line estimate even where roads are loaded
    gtfs_path: str | None
    threshold_minutes: int
    day: int  # 0 = Monday
    clock: dt.time
    open_only: bool
    metric: str
    tiles: str | None
    notes: tuple[str, ...] = field(default_factory=tuple)
    imd_version: int = 2025
    missing_hours: str = "unknown"

    @property
    def when(self) -> str:
        """E.g. ``"Tue 19:00"`` (what :func:`geo.measures.reference_week.parse_when` reads)."""
        return f"{DAYS[self.day]} {self.clock.strftime('%H:%M')}"

    @property
    def when_label(self) -> str:
        return f"{DAY_NAMES[self.day]} {self.clock.strftime('%H:%M')}"

    @property
    def travel(self) -> TravelSpec:
        """Mode + method (+ the public-transport feed and arrive-by time), parsed once."""
        transit = None
        if self.mode is TravelMode.TRANSIT:
            transit = TransitOptions(gtfs=self.gtfs_path, arrive_by=self.when)
        method = Method.ESTIMATE if self.force_estimate and self.mode is not TravelMode.TRANSIT else Method.AUTO
        return TravelSpec.parse(mode=self.mode, method=method, transit=transit)

    def study_spec(self, area_spec: str) -> StudySpec:
        """The :class:`~geo.planning.study.StudySpec` these controls describe (defaults from Settings)."""
        s = data.settings()
        return StudySpec(area=area_spec, services=self.site_types, travel=self.travel,
                         buffer_km=None if self.cross_border else 0.0,
                         thresholds_minutes=(float(self.threshold_minutes),),
                         display_ring_km=s.display_ring_km)


def _init_defaults() -> None:
    ss = st.session_state
    ss.setdefault("scenario_added", [])  # list of {"name", "easting", "northing", "site_type"}
    ss.setdefault("scenario_removed", [])  # list of site ids
    ss.setdefault("client_counts", None)  # the extract's protected base: perturbed counts by LSOA


def sidebar() -> Controls:
    """Draw the sidebar and return the chosen controls."""
    _init_defaults()
    sb = st.sidebar
    sb.markdown("### Study area")
    choice = sb.selectbox("Area", [*PRESET_AREAS, OTHER_AREA, UPLOAD_AREA], index=0, key="area_choice",
                          help="Local authority district or county. Neighbourhoods are LSOA 2021.")
    upload: tuple[str, str] | None = None
    spec = choice
    notes: list[str] = []
    if choice == OTHER_AREA:
        try:
            names = data.area_names()
            options = sorted(set().union(*(names.get(k, []) for k in OTHER_AREA_KINDS)))
        except Exception:
            options = list(PRESET_AREAS)
        spec = sb.selectbox("District, former district, county, ICB or sub-ICB location", options, key="area_other",
                            index=options.index("Corby") if "Corby" in options else 0)
    elif choice == UPLOAD_AREA:
        f = sb.file_uploader("Boundary file (GeoJSON, GeoPackage or zipped Shapefile)",
                             type=["geojson", "json", "gpkg", "zip"], key="area_file")
        if f is None:
            notes.append("Upload a polygon to analyse it; showing Rutland meanwhile.")
            spec = "Rutland"
        else:
            raw = f.getvalue()
            dig = data.digest(raw)
            st.session_state["area_bytes"] = (dig, f.name, raw)
            upload = (dig, f.name)
            spec = f"upload:{dig}"

    sb.markdown("### Services")
    choices = site_choices()
    types = sb.multiselect("Site types", list(choices), default=list(DEFAULT_TYPES),
                           format_func=choices.get, key="site_types")
    cross = sb.toggle("Count sites across the border", value=True, key="cross_border",
                      help="People use the nearest service even if it is in the next county.")

    sb.markdown("### Travel")
    modes = [m.value for m in TravelMode.road_modes()]
    with sb.expander("Public transport (GTFS timetable)"):
        bods = st.toggle("Bus Open Data Service timetable for this area", value=False, key="gtfs_auto",
                         help="The official bus timetables (DfT) of the region(s) around the area: downloaded "
                              "once and cached (tens of MB), with the area's OpenStreetMap roads outside Rutland. "
                              "The first run may take minutes.")
        g = st.file_uploader("…or your own GTFS feed (.zip)", type=["zip"], key="gtfs_file", disabled=bods,
                             help="e.g. a regional GTFS zip saved from the Bus Open Data Service.")
        if bods:
            st.session_state["gtfs_path"] = "auto"
        elif g is not None:
            st.session_state["gtfs_path"] = data.save_gtfs(g.getvalue(), g.name)
        elif st.session_state.get("gtfs_path") and (st.session_state.get("gtfs_uploaded")
                                                     or st.session_state.get("gtfs_path") == "auto"):
            st.session_state["gtfs_path"] = None
        st.session_state["gtfs_uploaded"] = g is not None and not bods
    if st.session_state.get("gtfs_path"):
        modes.append("transit")
    mode = sb.radio("Travel mode", modes, format_func=MODE_LABELS.get, key="mode",
                    help="Drive/walk/cycle use the real road network where the atlas has one "
                         "(Rutland); elsewhere times are a calibrated straight-line estimate. Public "
                         "transport arrives by the day and time below.")
    force_estimate = sb.toggle("Use the straight-line estimate", value=False, key="force_estimate",
                               disabled=mode == "transit",
                               help="Calibrated straight-line times even where real roads are loaded "
                                    "(to compare with areas that have no road network).")
    default_threshold = int(data.settings().threshold_minutes)
    lo, hi, step = THRESHOLD_SLIDER
    threshold = sb.slider("Threshold (minutes)", lo, hi, default_threshold, step=step, key="threshold",
                          help="Adults further than this from every site count as 'beyond'.")
    c1, c2 = sb.columns(2)
    day = c1.selectbox("Day", range(7), index=1, format_func=lambda i: DAYS[i], key="day")
    clock = c2.time_input("Time", dt.time(10, 0), step=dt.timedelta(minutes=30), key="clock")
    open_only = sb.toggle("Only sites open at this time", value=False, key="open_only",
                          help="Leaves out sites known to be closed; sites whose hours are unknown stay in "
                               "unless the assumption below says closed.")
    missing = sb.selectbox("Sites without published hours are…", list(MISSING_HOURS), key="missing_hours",
                           format_func=lambda k: ("counted apart (hours unknown)" if k == "unknown" else
                                                  "assumed " + MISSING_HOURS[k][0].split(" (")[0]),
                           help="Most pharmacies publish no hours in the open data. By default they are counted "
                                "apart as 'hours unknown'; an assumption here is used by the open-now filter, the "
                                "Opening hours view and the method notes.")

    sb.markdown("### Map")
    metrics = [m for m in METRICS if m != "clients" or signin.can(Permission.CLIENTS)]  # client rates: analysts
    metric = sb.selectbox("Colour neighbourhoods by", metrics, format_func=METRICS.get, key="metric")
    imd = sb.selectbox("Deprivation index", [2025, 2019], key="imd_version",
                       format_func=lambda v: {2025: "IMD 2025", 2019: "IMD 2019 (the seeds' version)"}[v],
                       help="Which English Indices of Deprivation give the deciles in charts, tables and the map. "
                            "IMD 2019 is published for 2011 neighbourhoods: split ones keep their parent's rank, "
                            "merged ones take the mean rank of their parents.")
    online = sb.toggle("Street map background (needs internet)", value=False, key="tiles_online",
                       help="Place names, main roads and site names are drawn without it.")
    if online and not data.tiles_reachable():
        sb.caption(":orange[Street map tiles cannot be reached from here (offline?): the map is drawn "
                   "without them.]")
        online = False
    return Controls(
        area_spec=spec, area_upload=upload, site_types=tuple(types) or DEFAULT_TYPES, cross_border=cross,
        mode=TravelMode.parse(mode), force_estimate=bool(force_estimate),
        gtfs_path=st.session_state.get("gtfs_path") if mode == "transit" else None,
        threshold_minutes=int(threshold), day=int(day), clock=clock, open_only=open_only, metric=metric,
        tiles="auto" if online else None, notes=tuple(notes), imd_version=int(imd),
        missing_hours=str(missing))


def resolve_area(c: Controls) -> Any:
    """The :class:`geo.data.areas.Area` the controls point at (cached)."""
    if c.area_upload is not None:
        dig, name, raw = st.session_state["area_bytes"]
        return data.area_from_upload(dig, raw, name, c.imd_version)
    return data.area(c.area_spec, c.imd_version)
