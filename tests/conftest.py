"""Shared fixtures.  Real data comes from the open-data bundle (GEO_DATA_DIR, default
../shared/data); tests that need it skip with a clear reason when it is absent."""

from __future__ import annotations

import os

import pytest

from geo._errors import DataSourceError
from geo.config import Settings

pytest_plugins = [
    "tests.fixtures.data",
]


@pytest.fixture(scope="session")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Settings on the real bundle with a per-session cache directory."""
    try:
        s = Settings.from_env()
    except DataSourceError as exc:
        pytest.skip(f"open-data bundle not found: {exc}")
    cache = os.environ.get("GEO_TEST_CACHE_DIR")
    return s.with_(cache_dir=tmp_path_factory.mktemp("cache") if not cache else s.cache_dir.__class__(cache))
