"""What a study is: :class:`StudySpec`, plain hashable values checked once (a cache key and a run record).

The CLI turns its flags into a spec, the atlas its widgets; :class:`~geo.planning.study.Study`
resolves it against :class:`~geo.config.Settings` (``None`` fields take the defaults there).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from geo._errors import InputError
from geo.travel.modes import TravelSpec

#: Longest area text accepted (names, codes, ``;`` lists).
MAX_AREA_CHARS = 255


@dataclass(frozen=True)
class StudySpec:
    """What a study is, as plain hashable values (a cache key and a run record).

    ``None`` means "the default in :class:`~geo.config.Settings`": ``services`` ->
    ``default_services``, ``buffer_km`` -> ``cross_border_buffer_km``, ``thresholds_minutes`` ->
    ``thresholds_minutes``, ``threshold_km`` -> ``threshold_km``.

    Parameters
    ----------
    area : LAD/county/ICB/region name or code, ``"England"``, ``"A; B"`` lists, or a polygon file.
    services : site types or services to study (``hub``, ``pharmacy``, ``nsp`` ...).
    travel : mode + method + network source (:class:`~geo.travel.modes.TravelSpec`).
    buffer_km : sites (and LSOAs) this far beyond the border also count; 0 = in-area sites only.
    in_area_only : count only sites inside the area (the seeds' method).
    include_historical : also use sites the seeds list as historical (2015).
    extra_sites : the user's own site files (CSV/GeoJSON/GeoPackage paths); ``osm:FILE`` adds an
        OpenStreetMap extract's pharmacy opening hours and harm-reduction tags.
    thresholds_minutes : travel-time thresholds (the first is the headline one).
    threshold_km : distance threshold for ``method="straight-line"``.
    display_ring_km : neighbouring LSOAs shown faded around the area (maps); not counted.
    any_commissioner : also count other authorities' commissioned treatment sites within the
        buffer (default: the commissioning rule of :func:`geo.data.commissioning.restrict_to_commissioner`).
    """

    area: str
    services: tuple[str, ...] | None = None
    travel: TravelSpec = field(default_factory=TravelSpec)
    buffer_km: float | None = None
    in_area_only: bool = False
    include_historical: bool = False
    extra_sites: tuple[str, ...] = ()
    thresholds_minutes: tuple[float, ...] | None = None
    threshold_km: float | None = None
    display_ring_km: float = 0.0
    any_commissioner: bool = False

    def __post_init__(self) -> None:
        area = str(self.area)
        if not area.strip():
            msg = "--area is empty: name a district, county, region or 'England', or give a polygon file"
            raise InputError(msg)
        if len(area) > MAX_AREA_CHARS:
            msg = (f"--area is {len(area):,} characters long (at most {MAX_AREA_CHARS}); name fewer districts "
                   "or give a polygon file instead")
            raise InputError(msg)
        if self.buffer_km is not None and not (0.0 <= float(self.buffer_km) <= 200.0):
            msg = f"--buffer-km must be between 0 and 200 km (got {self.buffer_km:g})"
            raise InputError(msg)
        for t in self.thresholds_minutes or ():
            if not (0.0 < float(t) <= 24 * 60):
                msg = f"threshold {t:g} minutes is out of range: use a number of minutes between 1 and 1440"
                raise InputError(msg)
        if self.threshold_km is not None and not (0.0 < float(self.threshold_km) <= 500.0):
            msg = f"--threshold-km must be between 0 and 500 km (got {self.threshold_km:g})"
            raise InputError(msg)


__all__ = ["MAX_AREA_CHARS", "StudySpec"]
