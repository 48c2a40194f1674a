"""GTFS timetables: read a feed zip, validate it, clip it to a study area and summarise it.

Read with plain pandas from the zip (all columns as text), so a bad feed fails here with a
message naming the file, the row and the fix -- not deep inside the router.  Feeds can be big
(a BODS regional feed is several hundred MB unzipped), so the zip is read member by member from
disk and the stop_times check is vectorised.

Errors
------
* :class:`~geo._errors.InputError` -- not a zip, truncated or damaged download, a zip bomb, a
  missing required file (``stops.txt``...) or an empty one.
* :class:`~geo._errors.SchemaError` -- a required column is missing, a time or coordinate does
  not parse, a trip or stop reference dangles.
* :class:`~geo._errors.CrsError` -- no stop lies in England (or ``stop_lat``/``stop_lon`` swapped).

Why this module is long: one file format -- reading, every validation rule with its file/row/column message, clipping and summarising a GTFS feed -- so the rules a user's feed must pass are in one place.
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
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from geo._errors import CrsError, InputError, SchemaError
from geo.crs import bng_from_lonlat, in_england_bng, in_england_degrees

if TYPE_CHECKING:
    from shapely.geometry.base import BaseGeometry

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
OPTIONAL_FILES = ("transfers.txt", "shapes.txt", "feed_info.txt", "frequencies.txt")
#: Largest GTFS zip accepted (bytes on disk) and largest total unzipped size.
MAX_ZIP_BYTES = 2 * 1024**3
MAX_UNZIPPED_BYTES = 8 * 1024**3
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_FIX_ZIP = ("re-download the feed (e.g. the regional GTFS zip from "
            "https://data.bus-data.dft.gov.uk/timetable/download/) and pass the .zip itself, not a folder or a page")


@dataclass(frozen=True, eq=False)
class GtfsFeed:
    """A GTFS feed held as text tables (``{"stops.txt": DataFrame, ...}``)."""

    source: str
    tables: dict[str, pd.DataFrame]
    sha256: str
    notes: tuple[str, ...] = field(default_factory=tuple)

    def table(self, name: str) -> pd.DataFrame:
        """One table, or an empty frame when the feed lacks the (optional) file."""
        return self.tables.get(name, pd.DataFrame())

    @property
    def stops_bng(self) -> pd.DataFrame:
        """``stops.txt`` with ``easting``/``northing`` (EPSG:27700 metres)."""
        st = self.table("stops.txt").copy()
        e, n = bng_from_lonlat(st["stop_lon"].astype(float).to_numpy(), st["stop_lat"].astype(float).to_numpy())
        st["easting"], st["northing"] = e, n
        return st


def file_sha256(path: Path, *, chunk_bytes: int = 1 << 20) -> str:
    """SHA-256 of a file, read in chunks."""
    h = hashlib.sha256()
    with Path(path).open("rb") as fh:
        for block in iter(lambda: fh.read(chunk_bytes), b""):
            h.update(block)
    return h.hexdigest()


def _open_zip(path: Path, name: str) -> zipfile.ZipFile:
    if not path.is_file():
        msg = f"{name}: GTFS file not found; {_FIX_ZIP}"
        raise InputError(msg)
    size = path.stat().st_size
    if size == 0:
        msg = f"{name}: the file is empty; {_FIX_ZIP}"
        raise InputError(msg)
    if size > MAX_ZIP_BYTES:
        msg = f"{name}: {size / 1e9:.1f} GB is over the {MAX_ZIP_BYTES / 1e9:.0f} GB GTFS limit; use a regional feed"
        raise InputError(msg)
    with path.open("rb") as fh:
        head = fh.read(4)
    if head[:2] != b"PK":
        kind = "an HTML page" if head.lstrip()[:1] == b"<" else "not a zip archive"
        msg = f"{name}: {kind}, so not a GTFS zip; {_FIX_ZIP}"
        raise InputError(msg)
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        msg = f"{name}: damaged or truncated zip ({exc}); {_FIX_ZIP}"
        raise InputError(msg) from exc
    total = sum(i.file_size for i in zf.infolist())
    if total > MAX_UNZIPPED_BYTES or total > 200 * max(size, 1):
        zf.close()
        msg = (f"{name}: the zip claims to expand to {total / 1e6:,.0f} MB from {size / 1e6:,.1f} MB "
               "(possible zip bomb); refused - download the feed again from the publisher "
               "(real GTFS zips compress about 5-20 times)")
        raise InputError(msg)
    return zf


def _member_names(zf: zipfile.ZipFile) -> dict[str, str]:
    """``{"stops.txt": "feed/stops.txt"}``: accept files in one sub-folder, as some exporters write them."""
    out: dict[str, str] = {}
    for info in zf.infolist():
        if info.is_dir():
            continue
        base = info.filename.rsplit("/", 1)[-1].lower()
        out.setdefault(base, info.filename)
    return out


def _read_member(zf: zipfile.ZipFile, member: str, *, name: str, fname: str) -> pd.DataFrame:
    """One CSV member, streamed from the zip (a regional stop_times.txt can be ~1 GB unzipped)."""
    if zf.getinfo(member).file_size == 0:
        msg = f"{name}: {fname} is empty; every GTFS feed needs rows in it ({_FIX_ZIP})"
        raise InputError(msg)
    try:
        with zf.open(member) as fh:
            df = pd.read_csv(fh, dtype=str, keep_default_na=False, na_values=[], skipinitialspace=True,
                             encoding="utf-8-sig", encoding_errors="replace")
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as exc:
        msg = (f"{name}: {fname} cannot be unpacked ({type(exc).__name__}: {exc}); the zip is truncated or "
               f"damaged; {_FIX_ZIP}")
        raise InputError(msg) from exc
    except pd.errors.EmptyDataError as exc:
        msg = f"{name}: {fname} is empty; every GTFS feed needs rows in it ({_FIX_ZIP})"
        raise InputError(msg) from exc
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        msg = f"{name}: {fname} is not a readable CSV ({str(exc)[:200]}); fix or re-export the feed"
        raise SchemaError(msg) from exc
    df.columns = [str(c).strip().lower() for c in df.columns]
    return df


def _require_columns(df: pd.DataFrame, cols: tuple[str, ...], *, name: str, fname: str) -> None:
    missing = [c for c in cols if c not in df.columns]
    if missing:
        msg = (f"{name}: {fname} lacks required column(s) {', '.join(missing)} (has: "
               f"{', '.join(df.columns[:15])}); the GTFS reference requires them -- re-export the feed")
        raise SchemaError(msg)


def gtfs_seconds(values: pd.Series, *, name: str, fname: str, column: str,
                 allow_empty: bool = True) -> np.ndarray:
    """Parse GTFS ``H:MM:SS`` times (hours may exceed 24) to seconds after midnight; empty -> NaN.

    Vectorised with ``pyarrow.compute`` (a regional feed has millions of stop times).
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    arr = pc.utf8_trim_whitespace(pa.array(values.astype(str).to_numpy(dtype=object), type=pa.string()))
    parts = pc.extract_regex(arr, r"^(?P<h>\d{1,3}):(?P<m>[0-5]\d):(?P<s>[0-5]\d)$")
    empty = pc.equal(arr, "").to_numpy(zero_copy_only=False)
    bad = parts.is_null().to_numpy(zero_copy_only=False) & (~empty | (not allow_empty))
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        msg = (f"{name}: {fname} row {row + 2} column {column}: {values.iloc[row]!r} is not a GTFS time "
               "(H:MM:SS, e.g. 07:05:00 or 25:10:00 after midnight); correct the row")
        raise SchemaError(msg)

    def field_(k: str) -> np.ndarray:
        return pc.cast(pc.struct_field(parts, k), pa.float64()).to_numpy(zero_copy_only=False)

    return np.asarray(field_("h") * 3600 + field_("m") * 60 + field_("s"), dtype=float)


def read_gtfs(path: str | Path, *, source: str | None = None) -> GtfsFeed:
    """Read and validate a GTFS zip (see :func:`validate_feed`)."""
    path = Path(path)
    name = source or path.name
    zf = _open_zip(path, name)
    with zf:
        members = _member_names(zf)
        missing = [f for f in REQUIRED_COLUMNS if f not in members]
        if missing:
            msg = (f"{name}: the GTFS zip lacks {', '.join(missing)} (found: "
                   f"{', '.join(sorted(members)) or 'nothing'}); {_FIX_ZIP}")
            raise InputError(msg)
        if not any(c in members for c in CALENDAR_COLUMNS):
            msg = f"{name}: the GTFS zip has neither calendar.txt nor calendar_dates.txt, so no service days; {_FIX_ZIP}"
            raise InputError(msg)
        tables = {}
        for fname in (*REQUIRED_COLUMNS, *CALENDAR_COLUMNS, *OPTIONAL_FILES):
            if fname in members:
                tables[fname] = _read_member(zf, members[fname], name=name, fname=fname)
    feed = GtfsFeed(source=name, tables=tables, sha256=file_sha256(path))
    return validate_feed(feed)


def validate_feed(feed: GtfsFeed) -> GtfsFeed:
    """Check columns, references, times and stop positions; returns the feed with notes added."""
    name, t = feed.source, feed.tables
    notes: list[str] = []
    for fname, cols in {**REQUIRED_COLUMNS, **CALENDAR_COLUMNS}.items():
        if fname in t:
            _require_columns(t[fname], cols, name=name, fname=fname)
    stops = t["stops.txt"]
    lat = pd.to_numeric(stops["stop_lat"], errors="coerce")
    lon = pd.to_numeric(stops["stop_lon"], errors="coerce")
    located = lat.notna() & lon.notna()
    loc_type = stops.get("location_type", pd.Series("", index=stops.index)).astype(str).str.strip()
    needs_xy = loc_type.isin({"", "0", "1", "2"})
    bad = needs_xy & ~located
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
    st = t["stop_times.txt"]
    dup = trips["trip_id"].duplicated()
    if dup.any():
        row = int(np.flatnonzero(dup.to_numpy())[0])
        msg = f"{name}: trips.txt row {row + 2}: trip_id {trips['trip_id'].iloc[row]!r} is repeated; trip_id must be unique"
        raise SchemaError(msg)
    for col, ref, rname in (("trip_id", set(trips["trip_id"]), "trips.txt"),
                            ("stop_id", set(stops["stop_id"]), "stops.txt")):
        dangling = ~st[col].isin(ref)
        if dangling.any():
            row = int(np.flatnonzero(dangling.to_numpy())[0])
            msg = (f"{name}: stop_times.txt row {row + 2}: {col} {st[col].iloc[row]!r} is not in {rname} "
                   f"({int(dangling.sum())} such rows); the feed is inconsistent -- re-export it")
            raise SchemaError(msg)
    unknown_route = ~trips["route_id"].isin(set(t["routes.txt"]["route_id"]))
    if unknown_route.any():
        row = int(np.flatnonzero(unknown_route.to_numpy())[0])
        msg = f"{name}: trips.txt row {row + 2}: route_id {trips['route_id'].iloc[row]!r} is not in routes.txt"
        raise SchemaError(msg)
    arr = gtfs_seconds(st["arrival_time"], name=name, fname="stop_times.txt", column="arrival_time")
    dep = gtfs_seconds(st["departure_time"], name=name, fname="stop_times.txt", column="departure_time")
    seq = pd.to_numeric(st["stop_sequence"], errors="coerce")
    if seq.isna().any():
        row = int(np.flatnonzero(seq.isna().to_numpy())[0])
        msg = f"{name}: stop_times.txt row {row + 2} column stop_sequence: {st['stop_sequence'].iloc[row]!r} is not a number"
        raise SchemaError(msg)
    timed = pd.DataFrame({"trip_id": st["trip_id"].to_numpy(), "seq": seq.to_numpy(),
                          "t": np.where(np.isnan(dep), arr, dep), "row": np.arange(len(st))})
    timed = timed.sort_values(["trip_id", "seq"], kind="stable")
    ends = pd.concat([timed.groupby("trip_id", sort=False).head(1), timed.groupby("trip_id", sort=False).tail(1)])
    if ends["t"].isna().any():
        row = int(ends.loc[ends["t"].isna(), "row"].iloc[0])
        msg = (f"{name}: stop_times.txt row {row + 2}: the first and last stop of trip "
               f"{st['trip_id'].iloc[row]!r} need arrival/departure times")
        raise SchemaError(msg)
    tt = timed.dropna(subset=["t"])
    back = (tt["trip_id"].to_numpy()[1:] == tt["trip_id"].to_numpy()[:-1]) & (np.diff(tt["t"].to_numpy()) < 0)
    if back.any():
        row = int(tt["row"].to_numpy()[1:][back][0])
        msg = (f"{name}: stop_times.txt row {row + 2}: trip {st['trip_id'].iloc[row]!r} goes back in time "
               "(times must not decrease along stop_sequence); correct the timetable")
        raise SchemaError(msg)
    for fname, cols in (("calendar.txt", ("start_date", "end_date")), ("calendar_dates.txt", ("date",))):
        if fname in t:
            for c in cols:
                parsed = pd.to_datetime(t[fname][c], format="%Y%m%d", errors="coerce")
                if parsed.isna().any():
                    row = int(np.flatnonzero(parsed.isna().to_numpy())[0])
                    msg = f"{name}: {fname} row {row + 2} column {c}: {t[fname][c].iloc[row]!r} is not a YYYYMMDD date"
                    raise SchemaError(msg)
    if not len(service_dates(feed)):
        notes.append("the calendar has no service day at all")
    logger.info("GTFS %s: %d stops, %d routes, %d trips, %d stop times", name, len(stops),
                len(t["routes.txt"]), len(trips), len(st))
    return replace(feed, notes=tuple(notes))


def service_dates(feed: GtfsFeed) -> pd.DataFrame:
    """Every date with service: columns ``date`` (datetime.date) and ``service_id``."""
    rows: list[pd.DataFrame] = []
    cal = feed.table("calendar.txt")
    if len(cal):
        for _, r in cal.iterrows():  # one row per service pattern: few
            days = pd.date_range(pd.to_datetime(r["start_date"], format="%Y%m%d"),
                                 pd.to_datetime(r["end_date"], format="%Y%m%d"), freq="D")
            on = [str(r[d]).strip() == "1" for d in WEEKDAYS]
            keep = days[[on[d.weekday()] for d in days]]
            rows.append(pd.DataFrame({"date": keep.date, "service_id": r["service_id"]}))
    base = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=["date", "service_id"])
    cd = feed.table("calendar_dates.txt")
    if len(cd):
        cd = cd.assign(date=pd.to_datetime(cd["date"], format="%Y%m%d").dt.date)
        added = cd.loc[cd["exception_type"].astype(str).str.strip() == "1", ["date", "service_id"]]
        removed = cd.loc[cd["exception_type"].astype(str).str.strip() == "2", ["date", "service_id"]]
        base = pd.concat([base, added], ignore_index=True).drop_duplicates()
        if len(removed):
            key = base["date"].astype(str) + "|" + base["service_id"].astype(str)
            rkey = set(removed["date"].astype(str) + "|" + removed["service_id"].astype(str))
            base = base[~key.isin(rkey)]
    used = set(feed.table("trips.txt")["service_id"])
    base = base[base["service_id"].isin(used)]
    return base.sort_values("date").reset_index(drop=True)


def clip_feed(feed: GtfsFeed, polygon: BaseGeometry, *, buffer_metres: float = 0.0) -> GtfsFeed:
    """Keep the trips that call at a stop inside ``polygon`` (EPSG:27700) grown by ``buffer_metres``.

    Whole trips are kept (also their stops outside the area), with their routes, services,
    agencies, shapes and the transfers between kept stops.
    """
    import shapely

    geom = polygon.buffer(buffer_metres) if buffer_metres > 0 else polygon
    stops = feed.stops_bng
    inside = shapely.contains_xy(geom, stops["easting"].to_numpy(), stops["northing"].to_numpy())
    inside_ids = set(stops.loc[inside, "stop_id"])
    st = feed.tables["stop_times.txt"]
    trip_ids = set(st.loc[st["stop_id"].isin(inside_ids), "trip_id"])
    if not trip_ids:
        msg = (f"{feed.source}: no trip calls at a stop inside the study area (+{buffer_metres:g} m); "
               "use the regional feed that covers this area")
        raise InputError(msg)
    t = dict(feed.tables)
    t["stop_times.txt"] = st[st["trip_id"].isin(trip_ids)]
    t["trips.txt"] = t["trips.txt"][t["trips.txt"]["trip_id"].isin(trip_ids)]
    kept_stops = set(t["stop_times.txt"]["stop_id"])
    all_stops = t["stops.txt"]
    if "parent_station" in all_stops.columns:
        kept_stops |= set(all_stops.loc[all_stops["stop_id"].isin(kept_stops), "parent_station"]) - {""}
    t["stops.txt"] = all_stops[all_stops["stop_id"].isin(kept_stops)]
    t["routes.txt"] = t["routes.txt"][t["routes.txt"]["route_id"].isin(set(t["trips.txt"]["route_id"]))]
    services = set(t["trips.txt"]["service_id"])
    for fname in CALENDAR_COLUMNS:
        if fname in t:
            t[fname] = t[fname][t[fname]["service_id"].isin(services)]
    if "agency_id" in t["routes.txt"].columns and "agency_id" in t["agency.txt"].columns:
        used = set(t["routes.txt"]["agency_id"])
        t["agency.txt"] = t["agency.txt"][t["agency.txt"]["agency_id"].isin(used) | (t["agency.txt"]["agency_id"] == "")]
    if "shapes.txt" in t and "shape_id" in t["trips.txt"].columns:
        t["shapes.txt"] = t["shapes.txt"][t["shapes.txt"]["shape_id"].isin(set(t["trips.txt"]["shape_id"]))]
    if "transfers.txt" in t and {"from_stop_id", "to_stop_id"} <= set(t["transfers.txt"].columns):
        tr = t["transfers.txt"]
        t["transfers.txt"] = tr[tr["from_stop_id"].isin(kept_stops) & tr["to_stop_id"].isin(kept_stops)]
    if "frequencies.txt" in t:
        t["frequencies.txt"] = t["frequencies.txt"][t["frequencies.txt"]["trip_id"].isin(trip_ids)]
    logger.info("clipped GTFS %s: %d of %d trips, %d of %d stops", feed.source, len(trip_ids),
                len(feed.tables["trips.txt"]), len(t["stops.txt"]), len(all_stops))
    return replace(feed, tables=t,
                   notes=(*feed.notes, f"clipped to the area + {buffer_metres:g} m: {len(trip_ids)} trips kept"))


def write_gtfs_dir(feed: GtfsFeed, folder: Path) -> Path:
    """Write the feed's tables as ``*.txt`` CSV files into ``folder`` (for Valhalla's ingest)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for fname, df in feed.tables.items():
        df.to_csv(folder / fname, index=False, lineterminator="\n")
    return folder


def summarise_feed(feed: GtfsFeed) -> dict[str, Any]:
    """Counts (agencies, routes, stops, trips), service date range and service days by weekday."""
    t = feed.tables
    dates = service_dates(feed)
    days = pd.Series(sorted(set(dates["date"]))) if len(dates) else pd.Series([], dtype=object)
    per_service = t["trips.txt"].groupby("service_id").size()
    trips_per_day = (dates.assign(n=dates["service_id"].map(per_service).fillna(0)).groupby("date")["n"].sum()
                     if len(dates) else pd.Series(dtype=float))
    by_weekday = {WEEKDAYS[d].capitalize()[:3]: float(trips_per_day[[x.weekday() == d for x in trips_per_day.index]].mean())
                  if len(trips_per_day) else float("nan") for d in range(7)}
    return {
        "feed": feed.source,
        "sha256": feed.sha256[:16],
        "agencies": len(t["agency.txt"]),
        "routes": len(t["routes.txt"]),
        "stops": len(t["stops.txt"]),
        "trips": len(t["trips.txt"]),
        "stop_times": len(t["stop_times.txt"]),
        "first_service_date": str(days.iloc[0]) if len(days) else "",
        "last_service_date": str(days.iloc[-1]) if len(days) else "",
        "service_days": len(days),
        "mean_trips_per_service_day_by_weekday": {k: round(v, 1) for k, v in by_weekday.items()},
        "notes": list(feed.notes),
    }


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
    "clip_feed",
    "file_sha256",
    "gtfs_seconds",
    "read_gtfs",
    "resolve_service_datetime",
    "service_dates",
    "summarise_feed",
    "validate_feed",
    "write_gtfs_dir",
]
