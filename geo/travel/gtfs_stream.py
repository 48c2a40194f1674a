"""Stream ``stop_times.txt`` of a GTFS zip in chunks: validate it, clip it to an area, write it out.

A BODS regional ``stop_times.txt`` is hundreds of MB of text (millions of rows).  It is read
straight from the zip with ``pyarrow.csv.open_csv`` in blocks of :data:`CHUNK_BYTES`, all
columns as text, and never held whole:

* :func:`validate_stop_times` checks every row (times ``H:MM:SS`` with hours past 24 allowed,
  numeric ``stop_sequence``, ``trip_id``/``stop_id`` present in trips/stops) and, where rows of a
  trip are contiguous (as exporters write them), that times never go back and that each trip's
  first and last stop are timed -- with one message naming the file, row, column and fix;
* :func:`clip_feed` keeps the trips that call at a stop inside a polygon grown by a buffer, in
  two passes: pass 1 reads only ``trip_id``/``stop_id`` to find those trips, pass 2 keeps their
  rows (whole trips, also their stops outside the area).  Only the kept rows become a pandas
  frame, and they are validated in full (order and timed ends per trip).

Peak memory is about one block plus the kept rows (see ``benchmarks/bench_transit.py``).

Why this module is long: the feed's one big table -- streaming, row and trip checks across
chunk boundaries, two-pass clipping, merging regions and writing -- lives in one place.
"""

from __future__ import annotations

import csv
import io
import logging
import time
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from geo._errors import InputError, SchemaError
from geo.progress import report
from geo.travel.gtfs import (
    CALENDAR_COLUMNS,
    FIX_ZIP,
    REQUIRED_COLUMNS,
    STOP_TIMES,
    GtfsFeed,
    gtfs_seconds,
    member_names,
    open_gtfs,
    open_zip,
    require_columns,
    unpack_error,
)

if TYPE_CHECKING:

    import pyarrow as pa
    from shapely.geometry.base import BaseGeometry

    from geo.progress import ProgressFn

logger = logging.getLogger(__name__)

#: Bytes of CSV text parsed at a time (one pyarrow block, ~80k stop_times rows).
CHUNK_BYTES = 4 << 20
#: stop_times columns Valhalla reads besides the required ones (kept when present).
OPTIONAL_STOP_TIME_COLUMNS = ("pickup_type", "drop_off_type", "stop_headsign", "shape_dist_traveled", "timepoint")


def _header(zf: zipfile.ZipFile, member: str, *, name: str) -> list[str]:
    try:
        with zf.open(member) as fh:
            first = io.TextIOWrapper(fh, encoding="utf-8-sig", errors="replace").readline()
    except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
        raise unpack_error(name, STOP_TIMES, exc) from exc
    cols = [c.strip().lower() for c in next(csv.reader([first]), [])]
    require_columns(cols, REQUIRED_COLUMNS[STOP_TIMES], name=name, fname=STOP_TIMES)
    return cols


def iter_stop_times(feed: GtfsFeed, columns: tuple[str, ...], *,
                    chunk_bytes: int = CHUNK_BYTES) -> Iterator[tuple[int, pa.RecordBatch]]:
    """``(first data row, batch)`` of ``columns`` (text, whitespace trimmed), block by block.

    Damaged compressed data gives the one-line "cannot be unpacked" error; ragged CSV rows a
    :class:`SchemaError` naming the file.
    """
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pcsv

    if feed.path is None:
        msg = f"{feed.source}: the feed has no zip to stream stop_times from"
        raise InputError(msg)
    name = feed.source
    zf = open_zip(feed.path, name)
    with zf:
        member = member_names(zf)[STOP_TIMES]
        header = _header(zf, member, name=name)
        wanted = [c for c in columns if c in header]
        read = pcsv.ReadOptions(column_names=header, skip_rows=1, block_size=chunk_bytes, use_threads=False)
        convert = pcsv.ConvertOptions(column_types=dict.fromkeys(header, pa.string()), include_columns=wanted,
                                      strings_can_be_null=False)
        offset = 0
        try:
            with zf.open(member) as fh:
                reader = pcsv.open_csv(fh, read_options=read, convert_options=convert)
                for batch in reader:
                    trimmed = pa.RecordBatch.from_arrays(
                        [pc.utf8_trim_whitespace(batch.column(i)) for i in range(batch.num_columns)],
                        names=batch.schema.names)
                    yield offset, trimmed
                    offset += batch.num_rows
        except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
            raise unpack_error(name, STOP_TIMES, exc) from exc
        except pa.ArrowInvalid as exc:
            if _member_damaged(zf, member):
                raise unpack_error(name, STOP_TIMES, exc) from exc
            msg = (f"{name}: {STOP_TIMES} is not a readable CSV near data row {offset + 2} "
                   f"({str(exc)[:160]}); fix or re-export the feed")
            raise SchemaError(msg) from exc


def _member_damaged(zf: zipfile.ZipFile, member: str) -> bool:
    """True when the member fails its CRC (damaged data can decompress to ragged text)."""
    try:
        with zf.open(member) as fh:
            while fh.read(1 << 22):
                pass
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError):
        return True
    return False


def _first_bad(mask: np.ndarray) -> int | None:
    idx = np.flatnonzero(mask)
    return int(idx[0]) if len(idx) else None


def check_rows(batch: pa.RecordBatch, offset: int, *, feed: GtfsFeed, trip_ids: pa.Array,
               stop_ids: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """Row checks of one chunk (references, times, sequence); returns (seconds, stop_sequence).

    Seconds are the departure time, else the arrival time, NaN when neither is given.
    """
    import pyarrow.compute as pc

    name = feed.source
    for col, ref, rname in (("trip_id", trip_ids, "trips.txt"), ("stop_id", stop_ids, "stops.txt")):
        values = batch.column(batch.schema.get_field_index(col))
        known = pc.is_in(values, value_set=ref).to_numpy(zero_copy_only=False)
        row = _first_bad(~known)
        if row is not None:
            msg = (f"{name}: {STOP_TIMES} row {offset + row + 2}: {col} {values[row].as_py()!r} is not in {rname} "
                   f"({int((~known).sum())} such rows in this part of the file); the feed is inconsistent -- re-export it")
            raise SchemaError(msg)
    arr = gtfs_seconds(batch.column(batch.schema.get_field_index("arrival_time")), name=name, fname=STOP_TIMES,
                       column="arrival_time", row_offset=offset)
    dep = gtfs_seconds(batch.column(batch.schema.get_field_index("departure_time")), name=name, fname=STOP_TIMES,
                       column="departure_time", row_offset=offset)
    seq_text = batch.column(batch.schema.get_field_index("stop_sequence"))
    ok = pc.match_substring_regex(seq_text, r"^\d{1,9}$").to_numpy(zero_copy_only=False)
    row = _first_bad(~ok)
    if row is not None:
        msg = (f"{name}: {STOP_TIMES} row {offset + row + 2} column stop_sequence: {seq_text[row].as_py()!r} "
               "is not a whole number; correct the row")
        raise SchemaError(msg)
    seq = pc.cast(seq_text, "int64").to_numpy(zero_copy_only=False)
    return np.where(np.isnan(dep), arr, dep), seq


class _OrderCheck:
    """Times never go back along a trip and its ends are timed, across chunk boundaries.

    Exact when each trip's rows are contiguous in the file (every exporter we know writes them
    so); a trip seen again after another trip switches the end checks off (noted) -- clipped
    trips are then still checked in full by :func:`check_trips`.
    """

    def __init__(self, feed: GtfsFeed) -> None:
        self.feed = feed
        self.carry: tuple[str, int, float, int] | None = None  # trip, seq, seconds, file row of the last row
        self.finished: set[str] = set()
        self.contiguous = True

    def add(self, trips: np.ndarray, seq: np.ndarray, secs: np.ndarray, rows: np.ndarray) -> None:
        if self.carry is not None:
            c_trip, c_seq, c_t, c_row = self.carry
            trips = np.concatenate([[c_trip], trips])
            seq = np.concatenate([[c_seq], seq])
            secs = np.concatenate([[c_t], secs])
            rows = np.concatenate([[c_row], rows])
        codes, uniq = pd.factorize(trips)
        if self.contiguous:
            seen = [u for u in uniq[1:] if u in self.finished] if len(uniq) > 1 else []
            if seen:
                self.contiguous = False
                logger.info("%s: stop_times rows of trip %s are not contiguous", self.feed.source, seen[0])
        order = np.lexsort((seq, codes))
        codes, seq, secs, rows = codes[order], seq[order], secs[order], rows[order]
        timed = ~np.isnan(secs)
        tc, tt, tr = codes[timed], secs[timed], rows[timed]
        back = (tc[1:] == tc[:-1]) & (np.diff(tt) < 0)
        if back.any():
            self._fail_back(int(tr[1:][back][0]), trips[order][timed][1:][back][0])
        if self.contiguous:
            first = np.r_[True, codes[1:] != codes[:-1]]
            last = np.r_[codes[1:] != codes[:-1], False]  # the final trip may go on in the next chunk
            if self.carry is not None:
                first[0] = False  # the carried row's trip started in an earlier chunk
            untimed = (first | last) & ~timed
            row = _first_bad(untimed)
            if row is not None:
                self._fail_ends(int(rows[row]), trips[order][row])
        sorted_trips = trips[order]
        self.finished.update(uniq[:-1].tolist() if len(uniq) else [])
        self.carry = (str(sorted_trips[-1]), int(seq[-1]), float(secs[-1]), int(rows[-1])) if len(rows) else None

    def close(self) -> None:
        if self.contiguous and self.carry is not None and np.isnan(self.carry[2]):
            self._fail_ends(self.carry[3], self.carry[0])

    def _fail_back(self, row: int, trip: str) -> None:
        msg = (f"{self.feed.source}: {STOP_TIMES} row {row + 2}: trip {trip!r} goes back in time "
               "(times must not decrease along stop_sequence); correct the timetable")
        raise SchemaError(msg)

    def _fail_ends(self, row: int, trip: str) -> None:
        msg = (f"{self.feed.source}: {STOP_TIMES} row {row + 2}: the first and last stop of trip {trip!r} "
               "need arrival/departure times")
        raise SchemaError(msg)


def _refs(feed: GtfsFeed) -> tuple[pa.Array, pa.Array]:
    import pyarrow as pa

    return (pa.array(feed.tables["trips.txt"]["trip_id"].str.strip().to_numpy(dtype=object), type=pa.string()),
            pa.array(feed.tables["stops.txt"]["stop_id"].str.strip().to_numpy(dtype=object), type=pa.string()))


def _member_bytes(feed: GtfsFeed) -> int:
    assert feed.path is not None
    with zipfile.ZipFile(feed.path) as zf:
        return zf.getinfo(member_names(zf)[STOP_TIMES]).file_size


def read_gtfs(path: str | Path, *, source: str | None = None, progress: ProgressFn | None = None) -> GtfsFeed:
    """Open a GTFS zip and validate everything, streaming every stop time in chunks.

    The returned feed holds the small tables and the row count of stop_times (not its rows).
    """
    return validate_stop_times(open_gtfs(path, source=source), progress=progress)


def validate_stop_times(feed: GtfsFeed, *, progress: ProgressFn | None = None,
                        chunk_bytes: int = CHUNK_BYTES) -> GtfsFeed:
    """Check every stop time row by row (see the module docs); the feed gains the row count."""
    import pyarrow.compute as pc

    t0 = time.perf_counter()
    trip_ids, stop_ids = _refs(feed)
    order = _OrderCheck(feed)
    total_bytes, n = max(_member_bytes(feed), 1), 0
    cols = REQUIRED_COLUMNS[STOP_TIMES]
    for offset, batch in iter_stop_times(feed, cols, chunk_bytes=chunk_bytes):
        secs, seq = check_rows(batch, offset, feed=feed, trip_ids=trip_ids, stop_ids=stop_ids)
        enc = pc.dictionary_encode(batch.column(0))  # one str object per trip, not per row
        trips = np.asarray(enc.dictionary.to_pylist(), dtype=object)[enc.indices.to_numpy(zero_copy_only=False)]
        order.add(trips, seq, secs, np.arange(offset, offset + batch.num_rows))
        n = offset + batch.num_rows
        report(progress, min(n * 60, total_bytes), total_bytes, f"checking {STOP_TIMES}")
    if n == 0:
        msg = f"{feed.source}: {STOP_TIMES} has a header but no rows; {FIX_ZIP}"
        raise InputError(msg)
    order.close()
    notes = list(feed.notes)
    if not order.contiguous:
        notes.append("stop_times rows are not grouped by trip: end-of-trip checks ran on clipped trips only")
    logger.info("GTFS %s: %d stop times checked in %.1f s", feed.source, n, time.perf_counter() - t0)
    return replace(feed, counts={**feed.counts, STOP_TIMES: n}, notes=tuple(notes))


def check_trips(feed: GtfsFeed, st: pd.DataFrame, rows: np.ndarray) -> None:
    """Whole-trip checks on held rows: times never go back, first and last stops timed."""
    arr = gtfs_seconds(st["arrival_time"], name=feed.source, fname=STOP_TIMES, column="arrival_time")
    dep = gtfs_seconds(st["departure_time"], name=feed.source, fname=STOP_TIMES, column="departure_time")
    secs = np.where(np.isnan(dep), arr, dep)
    order = _OrderCheck(feed)  # one chunk holding whole trips: exact
    order.add(st["trip_id"].to_numpy(dtype=object), st["stop_sequence"].astype("int64").to_numpy(), secs, rows)
    order.close()


def clip_feed(feed: GtfsFeed, polygon: BaseGeometry, *, buffer_metres: float = 0.0,
              progress: ProgressFn | None = None, chunk_bytes: int = CHUNK_BYTES,
              area_name: str | None = None) -> GtfsFeed:
    """Keep the trips that call at a stop inside ``polygon`` (EPSG:27700) grown by ``buffer_metres``.

    Whole trips are kept (also their stops outside the area), with their routes, services,
    agencies and the transfers between kept stops.  ``stop_times.txt`` is streamed twice (see
    the module docs); the kept rows are checked row by row and trip by trip.

    Raises
    ------
    InputError
        No trip calls inside: the feed is for another region (the message says where its stops
        are and how to get this area's feed).
    """
    import pyarrow as pa
    import pyarrow.compute as pc
    import shapely

    if feed.has_stop_times:
        return _clip_held(feed, polygon, buffer_metres=buffer_metres, area_name=area_name)
    t0 = time.perf_counter()
    geom = polygon.buffer(buffer_metres) if buffer_metres > 0 else polygon
    stops = feed.stops_bng
    ok = stops["easting"].notna().to_numpy()
    inside = np.zeros(len(stops), dtype=bool)
    inside[ok] = shapely.contains_xy(geom, stops.loc[ok, "easting"].to_numpy(), stops.loc[ok, "northing"].to_numpy())
    if not inside.any():
        raise _other_region_error(feed, stops, geom, buffer_metres, area_name)
    inside_ids = pa.array(stops.loc[inside, "stop_id"].str.strip().to_numpy(dtype=object), type=pa.string())
    trip_ids, stop_ids = _refs(feed)
    total = max(_member_bytes(feed), 1) * 2
    kept: set[str] = set()
    seen = 0
    for offset, batch in iter_stop_times(feed, ("trip_id", "stop_id"), chunk_bytes=chunk_bytes):
        hit = pc.is_in(batch.column(1), value_set=inside_ids)
        kept.update(pc.unique(pc.filter(batch.column(0), hit)).to_pylist())
        seen = offset + batch.num_rows
        report(progress, min(seen * 60, total // 2), total, f"clipping {STOP_TIMES} (pass 1 of 2)")
    if not kept:
        raise _other_region_error(feed, stops, geom, buffer_metres, area_name, n_inside=int(inside.sum()))
    keep_set = pa.array(sorted(kept), type=pa.string())
    cols = (*REQUIRED_COLUMNS[STOP_TIMES], *OPTIONAL_STOP_TIME_COLUMNS)
    parts: list[pa.Table] = []
    rows: list[np.ndarray] = []
    for offset, batch in iter_stop_times(feed, cols, chunk_bytes=chunk_bytes):
        mask = pc.is_in(batch.column(batch.schema.get_field_index("trip_id")), value_set=keep_set)
        idx = np.flatnonzero(mask.to_numpy(zero_copy_only=False))
        if len(idx):
            sub = batch.take(pa.array(idx))
            parts.append(pa.Table.from_batches([sub]))
            rows.append(offset + idx)
        report(progress, total // 2 + min((offset + batch.num_rows) * 60, total // 2), total,
               f"clipping {STOP_TIMES} (pass 2 of 2)")
    table = pa.concat_tables(parts)
    st = table.to_pandas()
    file_rows = np.concatenate(rows)
    _check_kept_rows(feed, table, file_rows, trip_ids, stop_ids)
    check_trips(feed, st, file_rows)
    out = _subset_tables(feed, st, kept)
    n_all = seen
    logger.info("clipped GTFS %s: %d of %d trips, %d of %d stop times, %d of %d stops in %.1f s", feed.source,
                len(kept), len(feed.tables["trips.txt"]), len(st), n_all, len(out["stops.txt"]), len(stops),
                time.perf_counter() - t0)
    return replace(feed, tables=out, counts={**feed.counts, STOP_TIMES: n_all},
                   notes=(*feed.notes, f"clipped to the area + {buffer_metres / 1000:g} km: {len(kept):,} of "
                          f"{len(feed.tables['trips.txt']):,} trips kept"))


def _check_kept_rows(feed: GtfsFeed, table: pa.Table, file_rows: np.ndarray, trip_ids: pa.Array,
                     stop_ids: pa.Array) -> None:
    """Row checks on the kept rows, with messages naming their row in the file."""
    batch = table.combine_chunks().to_batches()[0] if table.num_rows else None
    if batch is None:
        return
    try:
        check_rows(batch, 0, feed=feed, trip_ids=trip_ids, stop_ids=stop_ids)
    except SchemaError as exc:  # re-point "row N" (position among kept rows) at the row in the file
        import re

        text = str(exc)
        m = re.search(rf"{STOP_TIMES} row (\d+)", text)
        if m:
            text = text.replace(m.group(0), f"{STOP_TIMES} row {int(file_rows[int(m.group(1)) - 2]) + 2}", 1)
        raise SchemaError(text) from None


def _other_region_error(feed: GtfsFeed, stops: pd.DataFrame, geom: BaseGeometry, buffer_metres: float,
                        area_name: str | None, *, n_inside: int = 0) -> InputError:
    """'no stop near the area': say where the feed's stops are and how to get the right feed."""
    import shapely

    where = area_name or "the study area"
    fetch = f'`geo transit fetch --area "{area_name}"`' if area_name else "`geo transit fetch --area NAME`"
    ok = stops["easting"].notna().to_numpy()
    x, y = stops.loc[ok, "easting"].to_numpy(float), stops.loc[ok, "northing"].to_numpy(float)
    if n_inside:
        msg = (f"{feed.source}: {n_inside} stops lie within {buffer_metres / 1000:g} km of {where} but no trip calls "
               f"at them; the feed has no service there -- use the area's BODS feed (--gtfs auto, or {fetch})")
        return InputError(msg)
    dist = shapely.distance(geom, shapely.points(x, y)) if len(x) else np.array([np.nan])
    nearest = float(np.nanmin(dist)) / 1000.0 if len(x) else float("nan")
    span = (f"E {x.min() / 1000:.0f}-{x.max() / 1000:.0f} km, N {y.min() / 1000:.0f}-{y.max() / 1000:.0f} km"
            if len(x) else "no located stops")
    msg = (f"{feed.source}: none of its {len(stops):,} stops lies within {buffer_metres / 1000:g} km of {where} "
           f"(nearest {nearest:,.0f} km away; the stops span {span}), so it is a feed for another region; use the "
           f"area's BODS feed: --gtfs auto, or {fetch}")
    return InputError(msg)


def _subset_tables(feed: GtfsFeed, st: pd.DataFrame, trip_ids: set[str] | pd.Index) -> dict[str, pd.DataFrame]:
    """The small tables cut to the kept trips (routes, services, agencies, stops, transfers)."""
    t = dict(feed.tables)
    t[STOP_TIMES] = st.reset_index(drop=True)
    trips = t["trips.txt"]
    t["trips.txt"] = trips[trips["trip_id"].str.strip().isin(trip_ids)]
    kept_stops = set(st["stop_id"])
    all_stops = t["stops.txt"]
    if "parent_station" in all_stops.columns:
        kept_stops |= set(all_stops.loc[all_stops["stop_id"].isin(kept_stops), "parent_station"]) - {""}
    t["stops.txt"] = all_stops[all_stops["stop_id"].str.strip().isin(kept_stops)]
    t["routes.txt"] = t["routes.txt"][t["routes.txt"]["route_id"].isin(set(t["trips.txt"]["route_id"]))]
    services = set(t["trips.txt"]["service_id"])
    for fname in CALENDAR_COLUMNS:
        if fname in t:
            t[fname] = t[fname][t[fname]["service_id"].isin(services)]
    if "agency_id" in t["routes.txt"].columns and "agency_id" in t["agency.txt"].columns:
        used = set(t["routes.txt"]["agency_id"])
        t["agency.txt"] = t["agency.txt"][t["agency.txt"]["agency_id"].isin(used) | (t["agency.txt"]["agency_id"] == "")]
    if "transfers.txt" in t and {"from_stop_id", "to_stop_id"} <= set(t["transfers.txt"].columns):
        tr = t["transfers.txt"]
        t["transfers.txt"] = tr[tr["from_stop_id"].isin(kept_stops) & tr["to_stop_id"].isin(kept_stops)]
    if "frequencies.txt" in t:
        t["frequencies.txt"] = t["frequencies.txt"][t["frequencies.txt"]["trip_id"].isin(trip_ids)]
    return t


def _clip_held(feed: GtfsFeed, polygon: BaseGeometry, *, buffer_metres: float, area_name: str | None) -> GtfsFeed:
    """Clip a feed whose stop_times are already held (a clipped feed clipped again)."""
    import shapely

    geom = polygon.buffer(buffer_metres) if buffer_metres > 0 else polygon
    stops = feed.stops_bng
    ok = stops["easting"].notna().to_numpy()
    inside = np.zeros(len(stops), dtype=bool)
    inside[ok] = shapely.contains_xy(geom, stops.loc[ok, "easting"].to_numpy(), stops.loc[ok, "northing"].to_numpy())
    st = feed.tables[STOP_TIMES]
    trips = set(st.loc[st["stop_id"].isin(set(stops.loc[inside, "stop_id"])), "trip_id"])
    if not trips:
        raise _other_region_error(feed, stops, geom, buffer_metres, area_name, n_inside=int(inside.sum()))
    return replace(feed, tables=_subset_tables(feed, st[st["trip_id"].isin(trips)], trips),
                   notes=(*feed.notes, f"clipped to the area + {buffer_metres / 1000:g} km: {len(trips):,} trips kept"))


def merge_feeds(feeds: list[GtfsFeed]) -> GtfsFeed:
    """One clipped feed from several clipped feeds of one publisher (BODS regions overlap at borders).

    BODS regional exports share ids (ATCO stop codes, trip and service ids), and a trip that
    crosses a regional border is in both: rows are concatenated and repeats dropped.
    """
    if len(feeds) == 1:
        return feeds[0]
    keys = {"stops.txt": ["stop_id"], "trips.txt": ["trip_id"], "routes.txt": ["route_id"],
            "agency.txt": ["agency_id"], STOP_TIMES: ["trip_id", "stop_sequence"]}
    names = sorted({k for f in feeds for k in f.tables})
    tables: dict[str, pd.DataFrame] = {}
    for n in names:
        frames = [f.tables[n] for f in feeds if n in f.tables]
        merged = pd.concat(frames, ignore_index=True)
        subset = [c for c in keys.get(n, []) if c in merged.columns] or None
        tables[n] = merged.drop_duplicates(subset=subset).reset_index(drop=True)
    source = " + ".join(f.source for f in feeds)
    import hashlib

    sha = hashlib.sha256("".join(f.sha256 for f in feeds).encode()).hexdigest()
    return GtfsFeed(source=source, tables=tables, sha256=sha, path=None,
                    notes=tuple(dict.fromkeys(n for f in feeds for n in f.notes)),
                    counts={STOP_TIMES: sum(f.counts.get(STOP_TIMES, 0) for f in feeds)})


def write_gtfs_dir(feed: GtfsFeed, folder: Path) -> Path:
    """Write the (clipped) feed's tables as ``*.txt`` CSV files into ``folder`` (Valhalla's ingest)."""
    if not feed.has_stop_times:
        msg = f"{feed.source}: clip the feed to an area before writing it (stop_times are not held)"
        raise InputError(msg)
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    for fname, df in feed.tables.items():
        df.to_csv(out / fname, index=False, lineterminator="\n")
    return out


__all__ = ["CHUNK_BYTES", "check_rows", "check_trips", "clip_feed", "iter_stop_times", "merge_feeds", "read_gtfs",
           "validate_stop_times", "write_gtfs_dir"]
