"""The one registry of site types: what each kind of building is called, how it is drawn and
what it offers.

:data:`SITE_TYPES` maps a ``site_type`` (``hub``, ``pharmacy``, ...) to its :class:`SiteType`.
Everything that knows about types reads it, at call time: the web map's markers and the
report's static maps (:mod:`geo.outputs.geojson`, :mod:`geo.outputs.report_html`: one shape,
colour and glyph per type, so both draw a type the same), map labels
(:mod:`geo.outputs.map_context`), the importers' validation (:mod:`geo.data.user_sites`,
:mod:`geo.data.site_import`), default services (:mod:`geo.data.services`), selections and the
commissioning rule (:mod:`geo.data.sites`, :mod:`geo.data.commissioning`), the CLI's choices and
help (``geo sites types`` prints this table) and the atlas's pickers, legends and scenario
editor.  None of them lists the types again.

To add a service type, add one :class:`SiteType` to :data:`SITE_TYPES` below (its services must
be names of :data:`geo.data.services.SERVICES`); maps, report, CLI, importers and app take it up.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

#: Marker shapes every map can draw (web map SVG, report matplotlib marker).
SHAPES = ("square", "circle", "diamond", "triangle")


@dataclass(frozen=True)
class SiteType:
    """One kind of site: its words, its marker and its facts.

    Attributes
    ----------
    name : str
        The ``site_type`` value in frames and files (``"hub"``).
    label : str
        Singular, for legends and popups (``"Treatment hub"``); lower-cased first letter in
        sentences and per-service results (:attr:`phrase`).
    plural : str
        For pickers (``"Treatment hubs"``).
    colour : str
        Marker fill, ``#rrggbb`` (Okabe-Ito colour-blind-safe palette for the common types).
    shape : str
        One of :data:`SHAPES`.
    glyph : str
        One character drawn in white on the marker.
    size_px : int
        Marker size on the web map in pixels (the report scales it); bigger types are drawn on top.
    services : tuple of str
        Services the type offers when a source names none (``hub`` -> ``treatment``).
    source : str
        Where sites of this type come from, in words (``geo sites types`` shows it).
    label_zoom : int
        Web-map zoom from which site names of this type are shown.
    commissioned : bool
        A local authority commissions it: a cross-border site of another commissioner does not
        count for the area (:func:`geo.data.commissioning.restrict_to_commissioner`).
    national : bool
        Contracted nationally (community pharmacies): every one comes from the NHS ODS registry
        and counts across the border whoever commissions it.
    proposable : bool
        Offered as the type of a new site in the atlas's scenario editor.
    """

    name: str
    label: str
    plural: str
    colour: str
    shape: str
    glyph: str
    size_px: int
    services: tuple[str, ...] = ()
    source: str = "your own lists (geo sites import, --extra-sites)"
    label_zoom: int = 12
    commissioned: bool = False
    national: bool = False
    proposable: bool = False

    @property
    def phrase(self) -> str:
        """The label inside a sentence: ``"treatment hub"``, ``"needle & syringe programme (NSP)"``."""
        return self.label[:1].lower() + self.label[1:]


_SEEDS = "the needs assessments' registry (data/sites/seed_sites.csv) and your own lists"

#: Every site type, in the order pickers and tables show them (``other`` last).
SITE_TYPES: dict[str, SiteType] = {t.name: t for t in (
    SiteType("hub", "Treatment hub", "Treatment hubs", "#5b2a86", "square", "H", 22, ("treatment",),
             source=_SEEDS + "; CQC substance-misuse locations", label_zoom=9, commissioned=True, proposable=True),
    SiteType("satellite", "Satellite clinic", "Satellite clinics", "#0072b2", "square", "S", 18, ("treatment",),
             source=_SEEDS, label_zoom=10, commissioned=True, proposable=True),
    SiteType("outreach", "Outreach point", "Outreach points", "#d55e00", "triangle", "O", 18,
             ("treatment", "outreach"), source=_SEEDS, label_zoom=11, commissioned=True, proposable=True),
    SiteType("pharmacy", "Community pharmacy", "Community pharmacies", "#009e73", "circle", "+", 13,
             ("dispensing",), source="every active NHS community pharmacy (ODS), hours from OpenStreetMap "
             "and your lists", label_zoom=13, national=True, proposable=True),
    SiteType("nsp", "Needle & syringe programme (NSP)", "Needle & syringe programmes (hubs and listed pharmacies)",
             "#cc79a7", "diamond", "N", 16, ("nsp",), proposable=True),
    SiteType("supervised_consumption", "Supervised consumption", "Supervised consumption (listed pharmacies)",
             "#e69f00", "diamond", "C", 16, ("supervised_consumption",)),
    SiteType("young_people", "Young people's service", "Young people's services", "#56b4e9", "circle", "Y", 16,
             ("young_people",), source=_SEEDS),
    SiteType("hospital", "Hospital", "Hospitals", "#c00000", "square", "+", 18, source=_SEEDS, label_zoom=10),
    SiteType("recovery", "Recovery service", "Recovery services", "#8c6d31", "circle", "R", 16, ("recovery",),
             source=_SEEDS),
    SiteType("other", "Other site", "Other sites", "#555555", "circle", "•", 14, source=_SEEDS),
)}
#: The type of a site whose type is unknown.
OTHER = "other"
#: The type of a site a scenario adds when none is given (``geo scenario add``, the atlas editor).
NEW_SITE_TYPE = "satellite"


def site_type(name: object) -> SiteType:
    """The :class:`SiteType` called ``name`` (an unknown or missing type is ``other``)."""
    return SITE_TYPES.get(str(name), SITE_TYPES[OTHER])


def default_services(name: object) -> tuple[str, ...]:
    """Services a site of type ``name`` offers when its source names none (unknown: none)."""
    return SITE_TYPES[str(name)].services if str(name) in SITE_TYPES else ()


def types_where(flag: str) -> tuple[str, ...]:
    """Names of the types whose boolean attribute ``flag`` is true (``"commissioned"``, ``"national"``...)."""
    return tuple(k for k, t in SITE_TYPES.items() if getattr(t, flag))


def check_registry(services: Iterable[str]) -> None:
    """Raise ``ValueError`` naming the entry if a registry entry is inconsistent (tests call it).

    ``services`` are the service names a type may offer (:data:`geo.data.services.SERVICES`).
    """
    services = set(services)
    for key, t in SITE_TYPES.items():
        problems = [p for p, bad in (
            (f"is filed under {key!r}", key != t.name),
            (f"shape {t.shape!r} is not one of {', '.join(SHAPES)}", t.shape not in SHAPES),
            (f"colour {t.colour!r} is not #rrggbb", not (len(t.colour) == 7 and t.colour.startswith("#"))),
            (f"services {t.services} are not all known services", not set(t.services) <= services),
            ("needs one glyph character", len(t.glyph) != 1),
        ) if bad]
        if problems:
            msg = f"site type {t.name!r}: " + "; ".join(problems)
            raise ValueError(msg)
    if OTHER not in SITE_TYPES or not SITE_TYPES.get(NEW_SITE_TYPE, SITE_TYPES[OTHER]).proposable:
        msg = f"the registry needs {OTHER!r} and a proposable {NEW_SITE_TYPE!r} (NEW_SITE_TYPE)"
        raise ValueError(msg)


__all__ = ["NEW_SITE_TYPE", "OTHER", "SHAPES", "SITE_TYPES", "SiteType", "check_registry", "default_services", "site_type",
           "types_where"]
