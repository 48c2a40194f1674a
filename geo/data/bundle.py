"""The open-data bundle as one object: its catalogue, where it is, whether it is intact, how to fetch it.

:class:`DataBundle` is what ``geo data status|fetch|sources`` and the atlas's sources table use,
and what a notebook user would want; it hands off to :mod:`geo.config` (finding the folder),
:mod:`geo.data.sources` (the registry and the verified download) and :mod:`geo.data.status`
(the status table).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from geo.data.sources import DATASETS, EXTRA_SOURCES, Dataset

if TYPE_CHECKING:
    from pathlib import Path

    import pandas as pd


@dataclass(frozen=True)
class DataBundle:
    """The bundle in ``folder`` (``tables/``, ``boundaries/``, ``sites/``, ``postcodes/``)."""

    folder: Path

    #: Every dataset of the bundle: publisher, licence, vintage, URL, file and checksum.
    DATASETS: ClassVar[dict[str, Dataset]] = DATASETS
    #: Sources a user fetches themselves (not in the bundle): title, publisher, licence, URL, note.
    EXTRA_SOURCES: ClassVar[dict[str, dict[str, str]]] = EXTRA_SOURCES

    @classmethod
    def find(cls, explicit: str | Path | None = None) -> DataBundle:
        """The bundle folder: ``explicit`` > ``GEO_DATA_DIR`` > ``./data`` > ``../shared/data``
        (:func:`geo.config.resolve_data_dir`; a :class:`~geo.DataSourceError` when there is none)."""
        from geo.config import resolve_data_dir

        return cls(resolve_data_dir(explicit))

    def status(self, *, checksum: bool = True) -> pd.DataFrame:
        """One row per dataset: found, path, rows, checksum verdict (:func:`geo.data.status.data_status`)."""
        from geo.data.status import data_status

        return data_status(self.folder, checksum=checksum)

    def fetch(self, key: str, *, base_url: str | None = None, **options: Any) -> Path:
        """Download one dataset into the folder, SHA-256 verified (:func:`geo.data.sources.fetch_dataset`)."""
        from geo.data.sources import fetch_dataset

        return fetch_dataset(key, self.folder, base_url=base_url, **options)


__all__ = ["DataBundle"]
