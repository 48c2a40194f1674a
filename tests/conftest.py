"""Shared fixtures.  Real data comes from the open-data bundle (GEO_DATA_DIR, default
../shared/data); tests that need it skip with a clear reason when it is absent."""

from __future__ import annotations

import os

import pytest

from geo._errors import DataSourceError
from geo.config import Settings

# `--network auto` may download OpenStreetMap extracts; never in the test run (tests that check
# the download set Settings.osm_auto_fetch and a loopback mirror themselves).
os.environ.setdefault("GEO_OSM_AUTO_FETCH", "0")

#: The fixed record-key secret of every test run (cell key method, docs/privacy.md), so client
#: figures are the same in every run; a real installation creates its own on first use.
TEST_CELLKEY_SECRET = "geo-test-cellkey-secret-0123456789abcdef0123456789abcdef"


def _write_test_secret() -> str:
    import tempfile

    path = os.path.join(tempfile.gettempdir(), f"geo-test-cellkey-{os.getuid() if hasattr(os, 'getuid') else 0}"
                        f"-{os.getpid()}.secret")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(TEST_CELLKEY_SECRET + "\n")
    os.chmod(path, 0o600)
    return path


os.environ["GEO_CELLKEY_SECRET_FILE"] = _write_test_secret()

pytest_plugins = [
    "tests.fixtures.data",
    "tests.fixtures.transit",
    "tests.fixtures.app_upload",
    "tests.fixtures.loopback",
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


# --------------------------------------------------------------------------- disclosure audit
# Every file the library writes through geo.cache (CSV, JSON, GeoPackage, HTML reports, ...) is
# logged; at the end of the session each one still on disk is scanned for small counts and
# postcodes (public service-site postcodes allowed).  A finding fails the run.

_AUDIT: dict[str, object] = {}


def pytest_configure(config: pytest.Config) -> None:
    import tempfile

    log = os.path.join(tempfile.gettempdir(), f"geo-outputs-{os.getpid()}.log")
    open(log, "w").close()
    os.environ["GEO_OUTPUT_LOG"] = log
    _AUDIT["log"] = log


def _is_cache(path: str) -> bool:
    parts = path.split(os.sep)
    return any(p.startswith(("cache", ".geo-cache")) or p in {"geo", ".cache"} for p in parts[:-1])


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    log = _AUDIT.get("log")
    if not log or not os.path.exists(str(log)):
        return
    paths = sorted({p for p in open(str(log), encoding="utf-8").read().splitlines() if p})  # noqa: SIM115
    # synthetic client extracts are demo *inputs* (record-level by design, labelled synthetic)
    files = [p for p in paths if os.path.isfile(p) and not _is_cache(p)
             and "synthetic" not in os.path.basename(p).lower()]
    findings: list[str] = []
    if files:
        try:
            from geo.data.sites import public_site_postcodes
            from geo.measures.disclosure import scan_file

            allowed = public_site_postcodes()
            for p in files:
                findings += scan_file(p, allowed_postcodes=allowed)
        except DataSourceError:
            return
    _AUDIT["result"] = (len(files), findings)
    if findings:
        session.exitstatus = 1


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    result = _AUDIT.get("result")
    if result:
        n, findings = result  # type: ignore[misc]
        terminalreporter.write_line(f"disclosure scan: {n} output files written by the suite, "
                                    f"{len(findings)} findings")
        for f in findings[:50]:
            terminalreporter.write_line(f"  {f}", red=True)
