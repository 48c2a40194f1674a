from __future__ import annotations

from pathlib import Path

import pytest

from geo._errors import DataSourceError
from geo.config import Settings, resolve_data_dir


def test_explicit_argument_wins(tmp_path: Path, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GEO_DATA_DIR", str(settings.data_dir))
    assert resolve_data_dir(tmp_path) == tmp_path.resolve()


def test_env_var_used(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GEO_DATA_DIR", str(settings.data_dir))
    assert resolve_data_dir() == settings.data_dir.resolve()


def test_missing_env_dir_is_an_error_not_skipped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GEO_DATA_DIR", str(tmp_path / "nope"))
    with pytest.raises(DataSourceError, match="GEO_DATA_DIR.*does not exist"):
        resolve_data_dir()


def test_dot_data_needs_bundle_layout(tmp_path: Path, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GEO_DATA_DIR", raising=False)
    (tmp_path / "data").mkdir()  # a ./data without the bundle marker is not used
    monkeypatch.chdir(tmp_path)
    try:
        found = resolve_data_dir()
    except DataSourceError as exc:  # no bundle beside this checkout: the message lists what was tried
        assert str(tmp_path / "data") in str(exc)
    else:
        assert found != (tmp_path / "data").resolve()
    (tmp_path / "data" / "tables").mkdir()
    (tmp_path / "data" / "tables" / "imd2025_lsoa21.csv").write_text("lsoa21cd\n")
    assert resolve_data_dir() == (tmp_path / "data").resolve()


def test_settings_are_hashable_and_frozen(settings: Settings) -> None:
    hash(settings)
    with pytest.raises(AttributeError):
        settings.walk_kph = 5.0  # type: ignore[misc]
    assert settings.with_(walk_kph=5.0).walk_kph == 5.0
