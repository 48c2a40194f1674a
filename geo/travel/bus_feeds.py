"""Public-transport timetables as one object: the BODS catalogue, download, check, clip, tiles.

:class:`BusTimetables` is what ``geo transit list|fetch|check|build`` use and what a notebook
user would want; each method hands off to the module where the work lives: :mod:`geo.travel.bods`
(catalogue and verified download of the Bus Open Data Service GTFS exports),
:mod:`geo.travel.gtfs` / :mod:`geo.travel.gtfs_stream` (reading, validating, clipping),
:mod:`geo.travel.transit` (resolving feeds and roads) and :mod:`geo.travel.transit_tiles`
(Valhalla tiles).  Door-to-door times are a :class:`~geo.planning.study.Study`'s
(``Study.transit_router``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path

    from geo.config import Settings
    from geo.data.areas import Area
    from geo.progress import ProgressFn
    from geo.travel.bods import BodsRegion
    from geo.travel.gtfs import GtfsFeed
    from geo.travel.transit_tiles import TransitTiles


@dataclass(frozen=True)
class BusTimetables:
    """The Bus Open Data Service GTFS exports (or ``GEO_GTFS_MIRROR``) and local feeds, seen through ``settings``."""

    settings: Settings

    @property
    def server(self) -> str:
        """The server (or folder) BODS exports are downloaded from."""
        from geo.travel.bods import base_url

        return base_url(self.settings)

    def catalogue(self) -> list[dict[str, Any]]:
        """Every BODS region with its cached copy, if any (:func:`~geo.travel.bods.describe_cached`)."""
        from geo.travel.bods import describe_cached

        return describe_cached(self.settings)

    @staticmethod
    def region(name: str) -> BodsRegion:
        """The BODS region named ``name`` (slug, name or code)."""
        from geo.travel.bods import find_region

        return find_region(name)

    def regions_for(self, area: Area, *, buffer_km: float) -> list[BodsRegion]:
        """The BODS region(s) covering ``area`` plus ``buffer_km`` (:func:`~geo.travel.bods.choose_regions`)."""
        from geo.travel.bods import choose_regions

        return choose_regions(area, buffer_km=buffer_km, settings=self.settings)

    def fetch(self, region: BodsRegion, *, progress: ProgressFn | None = None, refresh: bool = False) -> Path:
        """The verified local copy of one export, downloaded when needed (:func:`~geo.travel.bods.fetch_feed`)."""
        from geo.travel.bods import fetch_feed

        return fetch_feed(region, settings=self.settings, progress=progress, refresh=refresh)

    @staticmethod
    def record(path: str | Path) -> dict[str, Any] | None:
        """What was recorded when ``path`` was downloaded (date, sha256, service dates), or None."""
        from geo.travel.bods import feed_record

        return feed_record(path)

    def resolve(self, gtfs: str | Path | Sequence[str | Path], area: Area | None, *, buffer_km: float,
                progress: ProgressFn | None = None) -> list[Path]:
        """The GTFS zip(s): paths as given, or ``auto`` = the BODS regions of the area (:func:`~geo.travel.transit.resolve_feeds`)."""
        from geo.travel.transit import resolve_feeds

        return resolve_feeds(gtfs, area, self.settings, buffer_km=buffer_km, progress=progress)

    @staticmethod
    def read(path: str | Path, *, progress: ProgressFn | None = None) -> GtfsFeed:
        """A GTFS zip, validated (stop_times streamed; :func:`~geo.travel.gtfs_stream.read_gtfs`)."""
        from geo.travel.gtfs_stream import read_gtfs

        return read_gtfs(path, progress=progress)

    @staticmethod
    def summarise(feed: GtfsFeed) -> dict[str, Any]:
        """Counts and service dates of a feed (:func:`~geo.travel.gtfs.summarise_feed`)."""
        from geo.travel.gtfs import summarise_feed

        return summarise_feed(feed)

    @staticmethod
    def clip(feed: GtfsFeed, area: Area, *, buffer_metres: float, progress: ProgressFn | None = None) -> GtfsFeed:
        """The trips calling at a stop in ``area`` grown by ``buffer_metres`` (:func:`~geo.travel.gtfs_stream.clip_feed`)."""
        from geo.travel.gtfs_stream import clip_feed

        return clip_feed(feed, area.polygon, buffer_metres=buffer_metres, progress=progress, area_name=area.name)

    def build_tiles(self, feeds: Sequence[str | Path], *, area: Area | None, network: Any = "auto",
                    clip_buffer_metres: float = 10_000.0, rebuild: bool = False,
                    progress: ProgressFn | None = None) -> tuple[TransitTiles, list[Path]]:
        """Valhalla tiles (built or reused) from ``feeds`` and the roads ``network`` resolves to, and those roads.

        ``network="auto"``: the OpenStreetMap extract(s) covering the area plus
        ``Settings.cross_border_buffer_km`` (:func:`~geo.travel.transit.resolve_pbfs`).
        """
        from geo.travel.transit import resolve_pbfs
        from geo.travel.transit_tiles import build_transit_tiles

        s = self.settings
        pbfs = resolve_pbfs(area, network, s, buffer_km=s.cross_border_buffer_km, progress=progress)
        tiles = build_transit_tiles(list(feeds), pbf=pbfs, settings=s, area=area, clip_buffer_metres=clip_buffer_metres,
                                    rebuild=rebuild, progress=progress)
        return tiles, pbfs


__all__ = ["BusTimetables"]
