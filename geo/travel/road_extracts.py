"""OpenStreetMap road extracts as one object: catalogue, server, cache, download, read.

:class:`RoadExtracts` is what ``geo network`` and the atlas's "download real roads" button use,
and what a notebook user would want (r5py's ``TransportNetwork`` habit: one object, its methods
hand off to the modules where the work lives -- :mod:`geo.travel.extracts` (catalogue, choice,
merge), :mod:`geo.travel.fetch` (server and verified download) and :mod:`geo.travel.network`
(reading a ``.osm.pbf``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from geo.travel.extracts import CATALOGUE, Extract

if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path

    from geo.config import Settings
    from geo.data.areas import Area
    from geo.progress import ProgressFn
    from geo.travel.graph import Network
    from geo.travel.modes import TravelMode


@dataclass(frozen=True)
class RoadExtracts:
    """The OpenStreetMap extracts (Geofabrik layout, or ``GEO_OSM_MIRROR``) seen through ``settings``."""

    settings: Settings

    #: The extract catalogue, by slug (England, its counties and cities).
    CATALOGUE: ClassVar[dict[str, Extract]] = CATALOGUE

    @property
    def server(self) -> str:
        """The server (or folder) extracts are downloaded from."""
        from geo.travel.fetch import base_url

        return base_url(self.settings)

    @property
    def cache_folder(self) -> Path:
        """Where downloaded extracts are kept."""
        from geo.travel.fetch import cache_folder

        return cache_folder(self.settings)

    def check_server(self) -> None:
        """Raise at once, in one line, when the server is unreachable and nothing is cached."""
        from geo.travel.fetch import check_reachable, is_reachable

        if not is_reachable(self.server) and not any(self.cache_folder.glob("*.osm.pbf")):
            check_reachable(self.server)

    def choose(self, area: Area, *, buffer_km: float) -> list[Extract]:
        """The smallest set of extracts covering ``area`` plus ``buffer_km`` (:func:`~geo.travel.extracts.choose_extracts`)."""
        from geo.travel.extracts import choose_extracts

        return choose_extracts(area, buffer_km=buffer_km, settings=self.settings)

    def fetch(self, extract: Extract, *, progress: ProgressFn | None = None, refresh: bool = False) -> Path:
        """The verified local copy of ``extract``, downloaded when needed (:func:`~geo.travel.fetch.fetch_extract`)."""
        from geo.travel.fetch import fetch_extract

        return fetch_extract(extract, settings=self.settings, progress=progress, refresh=refresh)

    def read(self, paths: Sequence[str | Path], *, mode: str | TravelMode) -> Network:
        """One routing network of ``mode`` from one or several extracts (read, cached, merged)."""
        from geo.travel.extracts import merge_networks
        from geo.travel.network import read_network

        nets = [read_network(p, mode=mode, settings=self.settings) for p in paths]
        return nets[0] if len(nets) == 1 else merge_networks(nets)

    def offer_for(self, area: Area) -> tuple[str, list[Extract]] | None:
        """An offer to download real roads for ``area`` (text, extracts), or None (:func:`~geo.travel.extracts.real_roads_offer`)."""
        from geo.travel.extracts import real_roads_offer

        return real_roads_offer(area, settings=self.settings)


__all__ = ["RoadExtracts"]
