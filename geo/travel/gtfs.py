"""GTFS timetables: open a feed zip, validate its small tables, summarise it, date it.

A BODS regional feed is hundreds of MB unzipped, almost all of it ``stop_times.txt``.  So a
:class:`GtfsFeed` holds the small tables (stops, routes, trips, calendars, agency, feed_info,
transfers) as text frames and leaves ``stop_times.txt`` in the zip: :mod:`geo.travel.gtfs_stream`
reads it in chunks -- to validate every row (:func:`geo.travel.gtfs_stream.read_gtfs`) or to keep only the trips that
call in a study area (:func:`geo.travel.gtfs_stream.clip_feed`).  The whole stop_times table is
never held in pandas.

Errors
------
* :class:`~geo._errors.InputError` -- not a zip, truncated or damaged download, a zip bomb, a
  missing required file (``stops.txt``...) or an empty one.
* :class:`~geo._errors.SchemaError` -- a required column is missing, a time or coordinate does
  not parse, a trip or stop reference dangles.
* :class:`~geo._errors.CrsError` -- no stop lies in England (or ``stop_lat``/``stop_lon`` swapped).

Why this module is long: one file format -- opening, every validation rule of the small tables
with its file/row/column message, service dates and summaries -- so the rules a user's feed must
pass are in one place (the big table's rules are in :mod:`geo.travel.gtfs_stream`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import re
import zipfile
import zlib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from geo._errors import CrsError, InputError, SchemaError
from geo.crs import bng_from_lonlat, in_england_bng, in_england_degrees

logger = logging.getLogger(__name__)

#: Required files and their required columns (GTFS reference, "Dataset Files").
REQUIRED_COLUMNS: dict[str, tuple[str, ...]] = {
    "agency.txt": ("agency_name", "agency_timezone"),
    "stops.txt": ("stop_id", "stop_lat", "stop_lon"),
    "routes.txt": ("route_id", "route_type"),
    "trips.txt": ("route_id", "service_id", "trip_id"),
    "stop_times.txt": ("trip_id", "arrival_time", "departure_time", "stop_id", "stop_sequence"),
}
#: At least one of these must be present; their columns when they are.
CALENDAR_COLUMNS: dict[str, tuple[str, ...]] = {
    "calendar.txt": ("service_id", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday",
                     "sunday", "start_date", "end_date"),
    "calendar_dates.txt": ("service_id", "date", "exception_type"),
}
#: Optional files read with the small tables.  ``shapes.txt`` (large in BODS feeds, unused for
#: travel times) is not read.
OPTIONAL_FILES = ("transfers.txt", "feed_info.txt", "frequencies.txt")
STOP_TIMES = "stop_times.txt"
#: Largest GTFS zip accepted (bytes on disk) and largest total unzipped size.
MAX_ZIP_BYTES = 2 * 1024**3
MAX_UNZIPPED_BYTES = 8 * 1024**3
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
FIX_ZIP = ("re-download the feed (`geo transit fetch --area NAME`, or the regional GTFS zip from "
           "https://data.bus-data.dft.gov.uk/timetable/download/) and pass the .zip itself, not a folder or a page")


@dataclass(frozen=True, eq=False)
class GtfsFeed:
    """A GTFS feed: its small tables as text frames; ``stop_times.txt`` stays in the zip.

    ``tables["stop_times.txt"]`` exists only after clipping (:func:`geo.travel.gtfs_stream.clip_feed`)
    -- then it holds the kept trips' rows.  ``counts`` gives the rows of every file in the zip
    (stop_times once they have been streamed).
    """

    source: str
    tables: dict[str, pd.DataFrame]
    sha256: str
    notes: tuple[str, ...] = field(default_factory=tuple)
    path: Path | None = None
    counts: dict[str, int] = field(default_factory=dict)

    def table(self, name: str) -> pd.DataFrame:
        """One table, or an empty frame when the feed lacks the (optional) file."""
        return self.tables.get(name, pd.DataFrame())

    @property
    def has_stop_times(self) -> bool:
        """True once ``stop_times.txt`` rows are held (a clipped feed)."""
        return STOP_TIMES in self.tables

    @property
    def stops_bng(self) -> pd.DataFrame:
        """``stops.txt`` with ``easting``/``northing`` (EPSG:27700 metres; NaN where unlocated)."""
        st = self.table("stops.txt").copy()
        lon = pd.to_numeric(st["stop_lon"], errors="coerce").to_numpy(float)
        lat = pd.to_numeric(st["stop_lat"], errors="coerce").to_numpy(float)
        e, n = bng_from_lonlat(lon, lat)
        st["easting"], st["northing"] = e, n
        return st


def file_sha256(path: Path, *, chunk_bytes: int = 1 << 20) -> str:
    """SHA-256 of a file, read in chunks."""
    h = hashlib.sha256()
    with Path(path).open("rb") as fh:
        for block in iter(lambda: fh.read(chunk_bytes), b""):
            h.update(block)
    return h.hexdigest()


def open_zip(path: Path, name: str) -> zipfile.ZipFile:
    """The feed's zip, after the checks a download can fail (missing, empty, HTML, truncated, bomb)."""
    if not path.is_file():
        msg = f"{name}: GTFS file not found; {FIX_ZIP}"
        raise InputError(msg)
    size = path.stat().st_size
    if size == 0:
        msg = f"{name}: the file is empty; {FIX_ZIP}"
        raise InputError(msg)
    if size > MAX_ZIP_BYTES:
        msg = f"{name}: {size / 1e9:.1f} GB is over the {MAX_ZIP_BYTES / 1e9:.0f} GB GTFS limit; use a regional feed"
        raise InputError(msg)
    with path.open("rb") as fh:
        head = fh.read(4)
    if head[:2] != b"PK":
        kind = "an HTML page" if head.lstrip()[:1] == b"<" else "not a zip archive"
        msg = f"{name}: {kind}, so not a GTFS zip; {FIX_ZIP}"
        raise InputError(msg)
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        msg = f"{name}: damaged or truncated zip ({exc}); {FIX_ZIP}"
        raise InputError(msg) from exc
    total = sum(i.file_size for i in zf.infolist())
    if total > MAX_UNZIPPED_BYTES or total > 200 * max(size, 1):
        zf.close()
        msg = (f"{name}: the zip claims to expand to {total / 1e6:,.0f} MB from {size / 1e6:,.1f} MB "
               "(possible zip bomb); refused - download the feed again from the publisher "
               "(real GTFS zips compress about 5-20 times)")
        raise InputError(msg)
    return zf


def member_names(zf: zipfile.ZipFile) -> dict[str, str]:
    """``{"stops.txt": "feed/stops.txt"}``: accept files in one sub-folder, as some exporters write them."""
    out: dict[str, str] = {}
    for info in zf.infolist():
        if info.is_dir():
            continue
        base = info.filename.rsplit("/", 1)[-1].lower()
        out.setdefault(base, info.filename)
    return out


def unpack_error(name: str, fname: str, exc: BaseException) -> InputError:
    """The one-line error for a member that cannot be decompressed."""
    return InputError(f"{name}: {fname} cannot be unpacked ({type(exc).__name__}: {exc}); the zip is truncated "
                      f"or damaged; {FIX_ZIP}")


def _read_member(zf: zipfile.ZipFile, member: str, *, name: str, fname: str) -> pd.DataFrame:
    """One small CSV member, all columns as text."""
    if zf.getinfo(member).file_size == 0:
        msg = f"{name}: {fname} is empty; every GTFS feed needs rows in it ({FIX_ZIP})"
        raise InputError(msg)
    try:
        with zf.open(member) as fh:
            df = pd.read_csv(fh, dtype=str, keep_default_na=False, na_values=[], skipinitialspace=True,
                             encoding="utf-8-sig", encoding_errors="replace")
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as exc:
        raise unpack_error(name, fname, exc) from exc
    except pd.errors.EmptyDataError as exc:
        msg = f"{name}: {fname} is empty; every GTFS feed needs rows in it ({FIX_ZIP})"
        raise InputError(msg) from exc
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        msg = f"{name}: {fname} is not a readable CSV ({str(exc)[:200]}); fix or re-export the feed"
        raise SchemaError(msg) from exc
    df.columns = [str(c).strip().lower() for c in df.columns]
    return df


def require_columns(columns: list[str] | pd.Index, cols: tuple[str, ...], *, name: str, fname: str) -> None:
    """A :class:`SchemaError` naming the file and the missing columns."""
    missing = [c for c in cols if c not in columns]
    if missing:
        msg = (f"{name}: {fname} lacks required column(s) {', '.join(missing)} (has: "
               f"{', '.join(list(columns)[:15])}); the GTFS reference requires them -- re-export the feed")
        raise SchemaError(msg)


def gtfs_seconds(values: Any, *, name: str, fname: str, column: str, allow_empty: bool = True,
                 row_offset: int = 0) -> np.ndarray:
    """Parse GTFS ``H:MM:SS`` times (hours may exceed 24) to seconds after midnight; empty -> NaN.

    ``values`` is a pandas Series or a pyarrow string array (a stop_times chunk); vectorised
    with ``pyarrow.compute``.  ``row_offset`` is the chunk's first data row (for the message).
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    raw = values if isinstance(values, pa.Array | pa.ChunkedArray) else pa.array(
        pd.Series(values).astype(str).to_numpy(dtype=object), type=pa.string())
    arr = pc.utf8_trim_whitespace(raw)
    parts = pc.extract_regex(arr, r"^(?P<h>\d{1,3}):(?P<m>[0-5]\d):(?P<s>[0-5]\d)$")
    empty = pc.fill_null(pc.equal(arr, ""), True).to_numpy(zero_copy_only=False)
    bad = parts.is_null().to_numpy(zero_copy_only=False) & (~empty | (not allow_empty))
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        msg = (f"{name}: {fname} row {row_offset + row + 2} column {column}: {arr[row].as_py()!r} is not a GTFS "
               "time (H:MM:SS, e.g. 07:05:00 or 25:10:00 after midnight); correct the row")
        raise SchemaError(msg)

    def field_(k: str) -> np.ndarray:
        return np.asarray(pc.cast(pc.struct_field(parts, k), pa.float64()).to_numpy(zero_copy_only=False), float)

    return np.asarray(field_("h") * 3600 + field_("m") * 60 + field_("s"), dtype=float)


def open_gtfs(path: str | Path, *, source: str | None = None, sha256: str | None = None) -> GtfsFeed:
    """Open a GTFS zip: read and validate the small tables; stop_times stay in the zip (fast).

    Use :func:`geo.travel.gtfs_stream.read_gtfs` to validate every stop time too, or
    :func:`geo.travel.gtfs_stream.clip_feed` to keep an area's trips (validating those).
    """
    path = Path(path)
    name = source or path.name
    zf = open_zip(path, name)
    with zf:
        members = member_names(zf)
        missing = [f for f in REQUIRED_COLUMNS if f not in members]
        if missing:
            msg = (f"{name}: the GTFS zip lacks {', '.join(missing)} (found: "
                   f"{', '.join(sorted(members)) or 'nothing'}); {FIX_ZIP}")
            raise InputError(msg)
        if not any(c in members for c in CALENDAR_COLUMNS):
            msg = f"{name}: the GTFS zip has neither calendar.txt nor calendar_dates.txt, so no service days; {FIX_ZIP}"
            raise InputError(msg)
        if zf.getinfo(members[STOP_TIMES]).file_size == 0:
            msg = f"{name}: {STOP_TIMES} is empty; every GTFS feed needs rows in it ({FIX_ZIP})"
            raise InputError(msg)
        tables = {}
        for fname in (*REQUIRED_COLUMNS, *CALENDAR_COLUMNS, *OPTIONAL_FILES):
            if fname in members and fname != STOP_TIMES:
                tables[fname] = _read_member(zf, members[fname], name=name, fname=fname)
    feed = GtfsFeed(source=name, tables=tables, sha256=sha256 or file_sha256(path), path=path,
                    counts={k: len(v) for k, v in tables.items()})
    return validate_tables(feed)


def validate_tables(feed: GtfsFeed) -> GtfsFeed:
    """Check the small tables: columns, references, stop positions, calendar dates."""
    name, t = feed.source, feed.tables
    notes: list[str] = list(feed.notes)
    for fname, cols in {**REQUIRED_COLUMNS, **CALENDAR_COLUMNS}.items():
        if fname in t:
            require_columns(t[fname].columns, cols, name=name, fname=fname)
    stops = t["stops.txt"]
    lat = pd.to_numeric(stops["stop_lat"], errors="coerce")
    lon = pd.to_numeric(stops["stop_lon"], errors="coerce")
    located = lat.notna() & lon.notna()
    loc_type = stops.get("location_type", pd.Series("", index=stops.index)).astype(str).str.strip()
    bad = loc_type.isin({"", "0", "1", "2"}) & ~located
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        msg = (f"{name}: stops.txt row {row + 2} (stop_id {stops['stop_id'].iloc[row]!r}) has no numeric "
               "stop_lat/stop_lon; add the coordinates or remove the stop")
        raise SchemaError(msg)
    lat_v, lon_v = lat[located].to_numpy(), lon[located].to_numpy()
    e, n = bng_from_lonlat(lon_v, lat_v)
    inside = in_england_bng(e, n) & in_england_degrees(lon_v, lat_v)
    if located.any() and not inside.any():
        swapped = in_england_degrees(lat_v, lon_v).any()
        hint = " stop_lat and stop_lon look swapped;" if swapped else ""
        msg = f"{name}: none of the {int(located.sum())} stops lies in England;{hint} use a GB feed (WGS84 degrees)"
        raise CrsError(msg)
    if not inside.all():
        notes.append(f"{int((~inside).sum())} of {len(inside)} stops lie outside England (kept)")
    trips = t["trips.txt"]
    dup = trips["trip_id"].duplicated()
    if dup.any():
        row = int(np.flatnonzero(dup.to_numpy())[0])
        msg = f"{name}: trips.txt row {row + 2}: trip_id {trips['trip_id'].iloc[row]!r} is repeated; trip_id must be unique"
        raise SchemaError(msg)
    unknown_route = ~trips["route_id"].isin(set(t["routes.txt"]["route_id"]))
    if unknown_route.any():
        row = int(np.flatnonzero(unknown_route.to_numpy())[0])
        msg = f"{name}: trips.txt row {row + 2}: route_id {trips['route_id'].iloc[row]!r} is not in routes.txt"
        raise SchemaError(msg)
    for fname, cols in (("calendar.txt", ("start_date", "end_date")), ("calendar_dates.txt", ("date",))):
        if fname in t:
            for c in cols:
                parsed = pd.to_datetime(t[fname][c].str.strip(), format="%Y%m%d", errors="coerce")
                if parsed.isna().any():
                    row = int(np.flatnonzero(parsed.isna().to_numpy())[0])
                    msg = f"{name}: {fname} row {row + 2} column {c}: {t[fname][c].iloc[row]!r} is not a YYYYMMDD date"
                    raise SchemaError(msg)
    if "calendar.txt" not in t:
        notes.append("service days from calendar_dates.txt only (no calendar.txt)")
    if not len(service_dates(feed)):
        notes.append("the calendar has no service day at all")
    logger.info("GTFS %s: %d stops, %d routes, %d trips", name, len(stops), len(t["routes.txt"]), len(trips))
    return replace(feed, notes=tuple(dict.fromkeys(notes)))


def service_dates(feed: GtfsFeed) -> pd.DataFrame:
    """Every date with service: columns ``date`` (datetime.date) and ``service_id`` (vectorised)."""
    parts: list[pd.DataFrame] = []
    cal = feed.table("calendar.txt")
    if len(cal):
        start = pd.to_datetime(cal["start_date"].str.strip(), format="%Y%m%d").to_numpy("datetime64[D]")
        end = pd.to_datetime(cal["end_date"].str.strip(), format="%Y%m%d").to_numpy("datetime64[D]")
        span = np.maximum((end - start).astype(int) + 1, 0)
        rows = np.repeat(np.arange(len(cal)), span)
        offset = np.arange(int(span.sum())) - np.repeat(np.cumsum(span) - span, span)
        days = start[rows] + offset.astype("timedelta64[D]")
        weekday = (days.astype("datetime64[D]").view("int64") - 4) % 7  # 1970-01-01 was a Thursday
        flags = np.column_stack([cal[d].astype(str).str.strip().eq("1").to_numpy() for d in WEEKDAYS])
        on = flags[rows, weekday]
        parts.append(pd.DataFrame({"date": pd.to_datetime(days[on]).date,
                                   "service_id": cal["service_id"].to_numpy()[rows[on]]}))
    base = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["date", "service_id"])
    cd = feed.table("calendar_dates.txt")
    if len(cd):
        cd = cd.assign(date=pd.to_datetime(cd["date"].str.strip(), format="%Y%m%d").dt.date)
        kind = cd["exception_type"].astype(str).str.strip()
        added = cd.loc[kind == "1", ["date", "service_id"]]
        removed = cd.loc[kind == "2", ["date", "service_id"]]
        base = pd.concat([base, added], ignore_index=True).drop_duplicates()
        if len(removed):
            key = base["date"].astype(str) + "|" + base["service_id"].astype(str)
            rkey = set(removed["date"].astype(str) + "|" + removed["service_id"].astype(str))
            base = base[~key.isin(rkey)]
    used = set(feed.table("trips.txt")["service_id"])
    base = base[base["service_id"].isin(used)]
    return base.sort_values("date").reset_index(drop=True)


def feed_dates(feed: GtfsFeed) -> dict[str, str]:
    """Which dates the feed runs: ``first_service``/``last_service`` (calendar) and ``version``
    (``feed_info.txt``, when present); missing values are empty strings."""
    info = feed.table("feed_info.txt")
    version = str(info["feed_version"].iloc[0]).strip() if len(info) and "feed_version" in info.columns else ""
    days = service_dates(feed)["date"]
    return {"version": version, "first_service": str(days.min()) if len(days) else "",
            "last_service": str(days.max()) if len(days) else ""}


def summarise_feed(feed: GtfsFeed) -> dict[str, Any]:
    """Counts (agencies, routes, stops, trips, stop times), service date range, service days by weekday."""
    t = feed.tables
    dates = service_dates(feed)
    days = pd.Series(sorted(set(dates["date"]))) if len(dates) else pd.Series([], dtype=object)
    per_service = t["trips.txt"].groupby("service_id").size()
    trips_per_day = (dates.assign(n=dates["service_id"].map(per_service).fillna(0)).groupby("date")["n"].sum()
                     if len(dates) else pd.Series(dtype=float))
    weekday = np.array([d.weekday() for d in trips_per_day.index], dtype=int)
    by_weekday = {WEEKDAYS[d].capitalize()[:3]: float(trips_per_day[weekday == d].mean())
                  if (weekday == d).any() else float("nan") for d in range(7)}
    n_st = len(t[STOP_TIMES]) if STOP_TIMES in t else feed.counts.get(STOP_TIMES, -1)
    return {
        "feed": feed.source,
        "sha256": feed.sha256[:16],
        "agencies": len(t["agency.txt"]),
        "routes": len(t["routes.txt"]),
        "stops": len(t["stops.txt"]),
        "trips": len(t["trips.txt"]),
        "stop_times": n_st,
        "first_service_date": str(days.iloc[0]) if len(days) else "",
        "last_service_date": str(days.iloc[-1]) if len(days) else "",
        "service_days": len(days),
        "mean_trips_per_service_day_by_weekday": {k: round(v, 1) for k, v in by_weekday.items()},
        "notes": list(feed.notes),
    }


def require_service(feed: GtfsFeed, dates: list[dt.date] | tuple[dt.date, ...], *, where: str) -> None:
    """An :class:`InputError` when the feed runs no trip on one of ``dates`` (checked before any build)."""
    days = set(service_dates(feed)["date"])
    missing = sorted(set(dates) - days)
    if missing:
        raise InputError(no_service_message(feed.source, missing[0], days, where=where))


def no_service_message(source: str, day: dt.date, days: set[dt.date] | frozenset[dt.date], *, where: str) -> str:
    """One line for a day without service: the feed's date range, and its weekdays when the day is inside it."""
    if not days:
        return f"{source}: no service on {day:%a %d %b %Y} {where} (the feed has no dates at all); {FIX_ZIP}"
    first, last = min(days), max(days)
    if first <= day <= last:  # inside the calendar: a weekday the feed does not run, or a holiday
        runs = sorted({d.weekday() for d in days})
        names = ", ".join(WEEKDAYS[i][:3].capitalize() for i in runs)
        return (f"{source}: no service on {day:%a %d %b %Y} {where} (the feed runs {first} to {last}, on {names}); "
                "choose a day it runs")
    return (f"{source}: no service on {day:%a %d %b %Y} {where} (the feed runs {first} to {last}); "
            "choose a day inside the feed's calendar or download a current feed (geo transit fetch --refresh)")


_DAY_NAMES = {d[:3]: i for i, d in enumerate(WEEKDAYS)}


def resolve_service_datetime(spec: str, *, today: dt.date | None = None) -> dt.datetime:
    """``"Tue 12:00"`` -> the next Tuesday (today included) at 12:00; ISO ``2026-12-01T12:00`` as given.

    Times are local (Europe/London, as the feeds' agency_timezone).
    """
    text = str(spec).strip()
    try:
        return dt.datetime.fromisoformat(text.replace(" ", "T", 1) if re.match(r"^\d{4}-", text) else text)
    except ValueError:
        pass
    m = re.match(r"^([A-Za-z]{3})[a-z]*\.?\s+(\d{1,2}):(\d{2})$", text)
    if not m or m.group(1).lower() not in _DAY_NAMES:
        msg = f"cannot read the time {spec!r}; write a weekday and 24-hour time like 'Tue 12:00', or '2026-12-01T12:00'"
        raise InputError(msg)
    hour, minute = int(m.group(2)), int(m.group(3))
    if hour > 23:
        msg = f"{spec!r}: hour {hour} is not 0-23"
        raise InputError(msg)
    today = today or dt.date.today()
    ahead = (_DAY_NAMES[m.group(1).lower()] - today.weekday()) % 7
    return dt.datetime.combine(today + dt.timedelta(days=ahead), dt.time(hour, minute))


__all__ = [
    "REQUIRED_COLUMNS",
    "GtfsFeed",
    "feed_dates",
    "file_sha256",
    "gtfs_seconds",
    "no_service_message",
    "open_gtfs",
    "require_service",
    "resolve_service_datetime",
    "service_dates",
    "summarise_feed",
    "validate_tables",
]
