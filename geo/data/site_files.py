"""The user's site files and lists as one object: read, import, save, the seed registry, OSM overlays.

:class:`SiteLists` is what ``geo sites check|import|list``, ``geo hours`` and the atlas's site-list
section use, and what a notebook user would want; each method hands off to the module where the
work lives: :mod:`geo.data.user_sites` (reading a sites file), :mod:`geo.data.site_import`
(matching an uploaded list to known sites), :mod:`geo.data.site_lists` (saved lists, read by every
command), :mod:`geo.data.sites` (the seed registry), :mod:`geo.data.osm_pois` (pharmacies' hours
from an OpenStreetMap extract) and :mod:`geo.data.uploads` (a plain CSV, bounded).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

    import geopandas as gpd
    import pandas as pd

    from geo.config import Settings
    from geo.data.osm_pois import OsmHarvest
    from geo.data.site_import import ImportResult


@dataclass(frozen=True)
class SiteLists:
    """Site files and saved lists, seen through ``settings`` (``GEO_USER_SITES_DIR``, the bundle's seeds)."""

    settings: Settings

    @property
    def folder(self) -> Path:
        """Folder of the saved lists every command reads (:func:`geo.data.site_lists.user_sites_dir`)."""
        from geo.data.site_lists import user_sites_dir

        return user_sites_dir(self.settings)

    def read(self, src: str | Path | bytes, *, on_unlocated: str = "error") -> gpd.GeoDataFrame:
        """A sites file located by postcode or coordinates (:func:`geo.data.user_sites.read_sites_file`);
        ``on_unlocated="report"`` keeps the rows it could not place in ``attrs`` (see :meth:`unlocated`)."""
        from geo.data.user_sites import read_sites_file

        return read_sites_file(src, self.settings, on_unlocated=on_unlocated)

    @staticmethod
    def read_table(src: str | Path | bytes, *, source: str | None = None) -> pd.DataFrame:
        """A CSV as it is, size- and row-bounded, nothing located (:func:`geo.data.uploads.read_user_csv`)."""
        from geo.data.uploads import read_user_csv

        return read_user_csv(src, source=source)

    @staticmethod
    def unlocated(sites: pd.DataFrame) -> pd.DataFrame:
        """Rows that could not be located when ``sites`` was read (:func:`geo.data.sites.unlocated_sites`)."""
        from geo.data.sites import unlocated_sites

        return unlocated_sites(sites)

    def import_file(self, src: str | Path | bytes, *, source: str | None = None,
                    default_services: str | tuple[str, ...] = (), default_type: str = "pharmacy",
                    list_name: str | None = None) -> ImportResult:
        """A list matched to known sites, with a match report (:func:`geo.data.site_import.import_sites`)."""
        from geo.data.site_import import import_sites

        return import_sites(src, self.settings, source=source, default_services=default_services,
                            default_type=default_type, list_name=list_name)

    def save(self, sites: pd.DataFrame, name: str, *, folder: Path | None = None, overwrite: bool = False) -> Path:
        """Save ``sites`` as list ``name`` (atomically); every command then reads it (:func:`geo.data.site_lists.save_site_list`)."""
        from geo.data.site_lists import save_site_list

        return save_site_list(sites, name, self.settings, folder=folder, overwrite=overwrite)

    def seed(self) -> gpd.GeoDataFrame:
        """Sites named in the seed needs assessments (:func:`geo.data.sites.load_seed_sites`)."""
        from geo.data.sites import load_seed_sites

        return load_seed_sites(self.settings)

    def from_osm(self, path: str | Path) -> OsmHarvest:
        """Pharmacies' hours and services from an OpenStreetMap extract (:func:`geo.data.osm_pois.harvest_osm_sites`)."""
        from geo.data.osm_pois import harvest_osm_sites

        return harvest_osm_sites(path, self.settings)


__all__ = ["SiteLists"]
