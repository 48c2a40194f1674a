"""The user's saved site lists: where they live, saving one, reading them all back.

A saved list (:func:`save_site_list`, e.g. from ``geo sites import --save``) is a plain sites CSV
in :func:`user_sites_dir`, which :func:`geo.data.sites.load_sites` reads for every command
(:func:`registered_site_lists`; the same file also works with ``--extra-sites``).
"""

from __future__ import annotations

import logging
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from geo._errors import InputError
from geo.config import Settings
from geo.data.site_schema import RANK_USER

if TYPE_CHECKING:
    import geopandas as gpd

logger = logging.getLogger(__name__)

USER_SITES_ENV = "GEO_USER_SITES_DIR"


def user_sites_dir(settings: Settings | None = None) -> Path:
    """Folder of the user's registered site lists (``GEO_USER_SITES_DIR``, else ``<sites_dir>/user``).

    The folder is the user's data, not the project's: ``data/sites/user/`` is git-ignored.
    """
    env = os.environ.get(USER_SITES_ENV)
    if env:
        return Path(env).expanduser()
    s = settings if settings is not None else Settings.from_env()
    return Path(s.sites_dir) / "user"


def registered_site_lists(settings: Settings | None = None) -> list[gpd.GeoDataFrame]:
    """Every saved list in :func:`user_sites_dir` as a sites frame (rank: user list)."""
    from geo.data.user_sites import read_sites_file

    d = user_sites_dir(settings)
    if not d.is_dir():
        return []
    out = []
    for p in sorted(d.glob("*.csv")):
        f = read_sites_file(p, settings, on_unlocated="report")
        f["source_rank"] = RANK_USER
        out.append(f)
        logger.info("user site list %s: %d sites", p.name, len(f))
    return out


#: Columns written to a saved list (a plain sites CSV that read_sites_file reads back).
SAVED_COLUMNS = ("site_id", "name", "site_type", "services", "ods_code", "match", "postcode", "town",
                 "easting", "northing", "location_precision", "opening_hours", "capacity", "source")


def save_site_list(sites: pd.DataFrame, name: str, settings: Settings | None = None, *,
                   folder: Path | None = None, overwrite: bool = False) -> Path:
    """Write ``sites`` as ``<name>.csv`` in :func:`user_sites_dir` (atomically) and return the path.

    Every command then uses the list (:func:`geo.data.sites.load_sites` reads the folder); the
    file also works with ``--extra-sites``.
    """
    from geo.cache import atomic_write_text

    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,80}", name or ""):
        msg = f"list name {name!r}: use letters, digits, '-', '_' or '.' (e.g. leicester-nsp-2025)"
        raise InputError(msg)
    d = folder if folder is not None else user_sites_dir(settings)
    path = d / f"{name.removesuffix('.csv')}.csv"
    if path.exists() and not overwrite:
        msg = f"{path} exists; choose another --save name or pass --replace to overwrite it"
        raise InputError(msg)
    d.mkdir(parents=True, exist_ok=True)
    out = pd.DataFrame(sites).reindex(columns=list(SAVED_COLUMNS))
    atomic_write_text(out.to_csv(index=False), path)
    logger.info("saved %d sites to %s", len(out), path)
    return path


__all__ = ["SAVED_COLUMNS", "USER_SITES_ENV", "registered_site_lists", "save_site_list", "user_sites_dir"]
