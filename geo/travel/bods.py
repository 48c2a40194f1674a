"""The Bus Open Data Service (BODS, Department for Transport) GTFS exports: catalogue and downloads.

BODS publishes every English local bus timetable as GTFS, nightly, one zip per region and one
for all regions (``all``: Great Britain, with Scotland and Wales), at
``https://data.bus-data.dft.gov.uk/timetable/download/gtfs-file/<region>/``
(no account needed; Open Government Licence v3).  A regional export holds every trip that calls
at a stop of that region -- whole trips, so a route crossing a regional border is in both.  The
regions are the Traveline regions of the stops' NaPTAN administrative areas, not the ONS regions:
Essex, Hertfordshire, Bedfordshire and Luton are in *South East*, Cambridgeshire, Norfolk and
Suffolk in *East Anglia*, Peterborough and North/North East Lincolnshire in *East Midlands*,
Hampshire, Southampton and Portsmouth in *South West*, Cumbria in *North East* (NPTG admin areas;
the BODS export selects trips by their stops' region code).

:func:`choose_regions` maps an area plus a buffer to the region(s) through the upper-tier
authority (UTLA) of every LSOA centroid within it; when they add up to more than half of
England (by LSOAs) the national export (``all``; ``--region england`` is the same) is used instead.

:func:`fetch_feed` downloads one export into ``Settings.cache_dir / "gtfs"`` with
:func:`pooch.retrieve` (resumable, :class:`~geo.travel.fetch.ResumingDownloader`).  BODS
publishes no checksum, so the SHA-256 is recorded on the first download in a sidecar
``<file>.json`` (with the size, source, download time and the feed's calendar range) and checked
every time the cached file is used: a file changed or damaged on disk is refused and deleted.
``refresh=True`` downloads the newest export (a new checksum is then recorded).  The server is
checked first (DNS and TCP connect, a few seconds), so offline the call fails at once with one
line.  ``GEO_GTFS_MIRROR`` (``Settings.gtfs_mirror``) replaces the BODS server: an intranet
HTTP folder or a local folder holding ``itm_<region>_gtfs.zip`` files.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import shutil
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from geo._errors import AreaError, DataSourceError, InputError
from geo.cache import atomic_path, atomic_write_text

if TYPE_CHECKING:
    from geo.config import Settings
    from geo.data.areas import Area
    from geo.progress import ProgressFn

logger = logging.getLogger(__name__)

BODS = "https://data.bus-data.dft.gov.uk"
#: Parts of an interrupted download older than this are not resumed (BODS rebuilds nightly).
STALE_PART_SECONDS = 6 * 3600


@dataclass(frozen=True)
class BodsRegion:
    """One BODS GTFS export.

    Attributes
    ----------
    slug : BODS's name (``east_midlands``); the file is ``itm_<slug>_gtfs.zip``.
    name : display name.
    code : the Traveline region code of its stops (``EM``; ``GB`` for the national export).
    """

    slug: str
    name: str
    code: str

    @property
    def path(self) -> str:
        """Path below the BODS server root."""
        return f"timetable/download/gtfs-file/{self.slug}/"

    @property
    def filename(self) -> str:
        """File name in the cache and on a mirror."""
        return f"itm_{self.slug}_gtfs.zip"


_REGIONS = (("east_anglia", "East Anglia", "EA"), ("east_midlands", "East Midlands", "EM"),
            ("london", "London", "L"), ("north_east", "North East", "NE"), ("north_west", "North West", "NW"),
            ("south_east", "South East", "SE"), ("south_west", "South West", "SW"),
            ("west_midlands", "West Midlands", "WM"), ("yorkshire", "Yorkshire", "Y"))
#: The national export: every region of Great Britain (BODS's ``all``; Scotland's and Wales's
#: trips ride along and are clipped away with the rest).
NATIONAL = BodsRegion("all", "All regions (Great Britain)", "GB")
#: Every export covering England, regions first (slug -> region).
CATALOGUE: dict[str, BodsRegion] = {slug: BodsRegion(slug, name, code) for slug, name, code in _REGIONS} | {
    "all": NATIONAL}
#: Other names of the national export (the issue and the Geofabrik catalogue say ``england``).
_NATIONAL_SPELLINGS = {"england", "all", "gb", "great_britain", "national"}

#: ONS region (2024) -> BODS region, then the upper-tier authorities whose NaPTAN admin areas
#: NPTG places in another Traveline region.
_BY_ONS_REGION = {"E12000001": "north_east", "E12000002": "north_west", "E12000003": "yorkshire",
                  "E12000004": "east_midlands", "E12000005": "west_midlands", "E12000006": "south_east",
                  "E12000007": "london", "E12000008": "south_east", "E12000009": "south_west"}
_BY_UTLA = {
    "E06000063": "north_east", "E06000064": "north_east",          # Cumberland, Westmorland and Furness
    "E06000012": "east_midlands", "E06000013": "east_midlands",    # North East / North Lincolnshire
    "E06000031": "east_midlands",                                  # Peterborough
    "E10000003": "east_anglia", "E10000020": "east_anglia", "E10000029": "east_anglia",  # Cambs, Norfolk, Suffolk
    "E10000014": "south_west", "E06000045": "south_west", "E06000044": "south_west",     # Hampshire, Soton, Portsmouth
}


def find_region(name: str) -> BodsRegion:
    """The export for a slug, display name or code (``"east_midlands"``, ``"East Midlands"``, ``"EM"``)."""
    key = name.strip().lower().replace(" ", "_").replace("-", "_")
    if key in _NATIONAL_SPELLINGS:
        return NATIONAL
    for region in CATALOGUE.values():
        if key in {region.slug, region.code.lower()}:
            return region
    msg = f"no BODS GTFS export called {name!r}; choose one of {', '.join(CATALOGUE)} (or england = all)"
    raise AreaError(msg)


def region_of_lsoas(table: Any) -> Any:
    """BODS region slug of each LSOA of an LSOA table (``utla23cd`` and ``rgn24cd`` columns)."""
    by_region = table["rgn24cd"].astype(str).map(_BY_ONS_REGION)
    return table["utla23cd"].astype(str).map(_BY_UTLA).fillna(by_region)


def choose_regions(area: Area, *, buffer_km: float, settings: Settings,
                   england_share: float = 0.5) -> list[BodsRegion]:
    """The BODS export(s) covering ``area`` plus every LSOA centroid within ``buffer_km`` of it."""
    import shapely

    from geo.data.tables import load_lsoa_table

    if area.kind == "england":
        return [NATIONAL]
    table = load_lsoa_table(settings)
    need = table.index.isin(area.lsoas.index)
    if buffer_km > 0:
        poly = area.polygon_buffered(buffer_km * 1000.0)
        shapely.prepare(poly)
        need |= shapely.contains_xy(poly, table["easting"].to_numpy(float), table["northing"].to_numpy(float))
    regions = region_of_lsoas(table)
    chosen = sorted(set(regions[need].dropna()))
    if not chosen:
        msg = f"{area.name}: no BODS region covers it (no English LSOA inside); use --gtfs FEED.zip"
        raise AreaError(msg)
    share = float(regions.isin(chosen).mean())
    if len(chosen) > 1 and share > england_share:
        logger.info("%s + %g km needs %d BODS regions (%.0f%% of England): using the national export",
                    area.name, buffer_km, len(chosen), 100 * share)
        return [NATIONAL]
    return [CATALOGUE[c] for c in chosen]


def base_url(settings: Settings) -> str:
    """The server in use: ``Settings.gtfs_mirror`` or BODS."""
    return (settings.gtfs_mirror or BODS).rstrip("/")


def offline_hint(base: str) -> str:
    """How to go on without the server (every connection error ends with it)."""
    return (f"cannot reach {base} to download the bus timetable (GTFS); download the regional zip from "
            "https://data.bus-data.dft.gov.uk/timetable/download/ on another machine and pass --gtfs FILE.zip, "
            "or set GEO_GTFS_MIRROR to a local or intranet folder of itm_<region>_gtfs.zip files")


def cache_folder(settings: Settings) -> Path:
    """Where downloaded feeds live."""
    return Path(settings.cache_dir) / "gtfs"


def _record_path(target: Path) -> Path:
    return target.with_name(target.name + ".json")


def feed_record(path: str | Path) -> dict[str, Any] | None:
    """The sidecar record of a downloaded feed (checksum, size, source, dates), or None."""
    rec = _record_path(Path(path))
    try:
        data: dict[str, Any] = json.loads(rec.read_text())
    except (OSError, ValueError):
        return None
    return data


@lru_cache(maxsize=32)
def _verified(path: str, size: int, mtime_ns: int, sha256: str) -> bool:
    from geo.travel.gtfs import file_sha256

    return file_sha256(Path(path)) == sha256


def cached_feed(region: BodsRegion, settings: Settings) -> Path | None:
    """The cached export of ``region`` when its recorded checksum still matches, else None.

    A file whose bytes no longer match the checksum recorded at download is deleted with its
    record (logged); the next fetch downloads it afresh.
    """
    target = cache_folder(settings) / region.filename
    record = feed_record(target)
    if not target.is_file() or record is None:
        return None
    st = target.stat()
    if record.get("bytes") == st.st_size and _verified(str(target), st.st_size, st.st_mtime_ns,
                                                       str(record.get("sha256"))):
        return target
    logger.warning("%s no longer matches the SHA-256 recorded when it was downloaded; deleted", target)
    target.unlink(missing_ok=True)
    _record_path(target).unlink(missing_ok=True)
    return None


def fetch_feed(region: BodsRegion, *, settings: Settings, progress: ProgressFn | None = None,
               refresh: bool = False) -> Path:
    """The verified local copy of one BODS export, downloading it when needed (see the module docs).

    Raises
    ------
    NetworkError
        The server cannot be reached (within a few seconds) or the transfer keeps failing.
    DataSourceError
        The server answered with something that is not a GTFS zip (e.g. an error page).
    """
    from geo.travel.fetch import check_reachable, is_local, local_root

    cached = cached_feed(region, settings)
    if cached is not None and not refresh:
        logger.info("BODS %s: using cached %s", region.slug, cached)
        return cached
    base = base_url(settings)
    check_reachable(base, hint=offline_hint(base))
    folder = cache_folder(settings)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / region.filename
    incoming = folder / f".{region.filename}.incoming"
    incoming.unlink(missing_ok=True)
    t0 = time.perf_counter()
    if is_local(base):
        url = str(local_root(base) / region.filename)
        _copy_from_folder(region, local_root(base), incoming, progress=progress)
    else:
        url = f"{BODS}/{region.path}" if base == BODS else f"{base}/{region.filename}"
        _download(url, incoming, label=f"downloading {region.filename}", progress=progress)
    _check_is_gtfs(incoming, url)
    import pooch

    sha = str(pooch.file_hash(str(incoming), alg="sha256"))
    previous = feed_record(target)
    os.replace(incoming, target)
    _write_record(target, region=region, sha256=sha, source=url)
    same = previous is not None and previous.get("sha256") == sha
    logger.info("BODS %s: %s %s (%d bytes) in %.1f s", region.slug, "unchanged" if same else "downloaded",
                target, target.stat().st_size, time.perf_counter() - t0)
    return target


def _write_record(target: Path, *, region: BodsRegion, sha256: str, source: str) -> None:
    from geo.travel.gtfs import feed_dates, open_gtfs

    dates = feed_dates(open_gtfs(target, sha256=sha256))
    now = dt.datetime.now(dt.UTC)
    atomic_write_text(json.dumps({"region": region.slug, "sha256": sha256, "bytes": target.stat().st_size,
                                  "source": source, "downloaded": now.date().isoformat(),
                                  "downloaded_unix": int(now.timestamp()), **dates}), _record_path(target))


def _download(url: str, target: Path, *, label: str, progress: ProgressFn | None) -> None:
    import pooch

    from geo.travel.fetch import ResumingDownloader, pooch_logging

    part = target.parent / f".{target.name.removeprefix('.').removesuffix('.incoming')}.part"
    if part.exists() and time.time() - part.stat().st_mtime > STALE_PART_SECONDS:
        part.unlink()  # a part of yesterday's export cannot be resumed with today's
    downloader = ResumingDownloader(part=part, label=label, progress=progress)
    # BODS publishes no checksum: pooch downloads into a temporary file and moves it into
    # place; the SHA-256 is recorded by the caller and checked on every later use.
    with pooch_logging():
        pooch.retrieve(url, known_hash=None, fname=target.name, path=target.parent, downloader=downloader)


def _copy_from_folder(region: BodsRegion, root: Path, target: Path, *, progress: ProgressFn | None) -> None:
    source = root / region.filename
    if not source.is_file():
        msg = (f"mirror folder {root} lacks {region.filename}; copy the BODS export there "
               f"(from {BODS}/{region.path})")
        raise DataSourceError(msg)
    with atomic_path(target) as tmp:
        shutil.copyfile(source, tmp)
    if progress is not None:
        size = target.stat().st_size
        progress(size, size, f"copied {region.filename}")


def _check_is_gtfs(path: Path, url: str) -> None:
    """A download that is not a zip (an HTML error or login page) is deleted with a one-line error."""
    with path.open("rb") as fh:
        head = fh.read(4)
    if head[:2] != b"PK":
        path.unlink(missing_ok=True)
        kind = "an HTML page" if head.lstrip()[:1] == b"<" else "not a zip file"
        msg = f"{url} sent {kind}, not a GTFS zip; try again later or use GEO_GTFS_MIRROR / --gtfs FILE.zip"
        raise DataSourceError(msg)


def feeds_for_area(area: Area, *, settings: Settings, buffer_km: float, progress: ProgressFn | None = None,
                   fetch: bool | None = None) -> list[Path]:
    """The cached BODS export(s) covering ``area`` + ``buffer_km``, downloaded when missing.

    ``fetch`` (default ``Settings.osm_auto_fetch``, on in the CLI) allows the download;
    otherwise a missing export is a one-line error naming the command that fetches it.
    """
    chosen = choose_regions(area, buffer_km=buffer_km, settings=settings)
    allow = settings.osm_auto_fetch if fetch is None else fetch
    out = []
    for region in chosen:
        path = cached_feed(region, settings)
        if path is None:
            if not allow:
                msg = (f"the BODS timetable for {area.name} ({region.name}) is not downloaded yet; run "
                       f"`geo transit fetch --area \"{area.name}\"` (or set GEO_GTFS_MIRROR), or pass --gtfs FILE.zip")
                raise InputError(msg)
            path = fetch_feed(region, settings=settings, progress=progress)
        out.append(path)
    logger.info("%s + %g km: BODS %s", area.name, buffer_km, ", ".join(r.slug for r in chosen))
    return out


def describe_cached(settings: Settings) -> list[dict[str, Any]]:
    """One row per catalogue export: whether it is cached, its checksum, download date and calendar."""
    rows = []
    for region in CATALOGUE.values():
        target = cache_folder(settings) / region.filename
        rec = feed_record(target) if target.is_file() else None
        rows.append({"region": region.slug, "name": region.name, "code": region.code,
                     "cached": bool(rec), "downloaded": (rec or {}).get("downloaded", ""),
                     "timetable": (f"{rec.get('first_service', '')} to {rec.get('last_service', '')}"
                                   if rec else ""),
                     "mb": round(target.stat().st_size / 1e6, 1) if rec else None,
                     "sha256": (rec or {}).get("sha256", "")[:16], "url": f"{BODS}/{region.path}"})
    return rows


__all__ = ["BODS", "CATALOGUE", "NATIONAL", "BodsRegion", "base_url", "cache_folder", "cached_feed", "choose_regions",
           "describe_cached", "feed_record", "feeds_for_area", "fetch_feed", "find_region", "offline_hint",
           "region_of_lsoas"]
