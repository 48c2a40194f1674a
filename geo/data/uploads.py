"""Reading user files safely: size limit, type sniffing, encodings, kept in memory.

Uploads are never executed or unpickled; CSV is parsed by pandas from bytes held in memory,
vector files by pyogrio from an in-memory buffer.  Every failure is an :class:`InputError`
naming the file and the fix.
"""

from __future__ import annotations

import io
import logging
import re
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from geo._errors import InputError

if TYPE_CHECKING:
    import geopandas as gpd

logger = logging.getLogger(__name__)

DEFAULT_MAX_BYTES = 50 * 1024 * 1024
_MAGIC = {
    b"PK\x03\x04": "a ZIP container (an Excel .xlsx file or a zip archive)",
    b"\xd0\xcf\x11\xe0": "an old Excel .xls / OLE file",
    b"%PDF": "a PDF document",
    b"\x89PNG": "a PNG image",
    b"SQLite format 3": "a SQLite/GeoPackage database",
    b"\x1f\x8b": "a gzip file",
}


def _size_text(n: float) -> str:
    """Human size: MB for large values, kB/bytes for small limits (tests, tight deployments)."""
    if n >= 1e6:
        return f"{n / 1e6:.1f} MB"
    if n >= 1e3:
        return f"{n / 1e3:.1f} kB"
    return f"{int(n)} bytes"


def _too_big(name: str, size: float, max_bytes: int) -> InputError:
    return InputError(f"{name}: {_size_text(size)} is over the {_size_text(max_bytes)} upload limit; "
                      "split or filter the file")


def read_bytes(src: str | Path | bytes, *, source: str | None = None,
               max_bytes: int = DEFAULT_MAX_BYTES) -> tuple[bytes, str]:
    """Bytes of a path or an in-memory upload, refusing empty or oversized input."""
    if isinstance(src, bytes | bytearray):
        data, name = bytes(src), source or "upload"
    else:
        path = Path(src)
        name = source or str(path)
        if not path.is_file():
            msg = f"{name}: file not found"
            raise InputError(msg)
        size = path.stat().st_size
        if size > max_bytes:
            raise _too_big(name, size, max_bytes)
        data = path.read_bytes()
    if len(data) > max_bytes:
        raise _too_big(name, len(data), max_bytes)
    if not data.strip():
        msg = f"{name}: the file is empty; check you chose the right file and that it was saved with data in it"
        raise InputError(msg)
    return data, name


def _utf16_without_bom(data: bytes) -> str | None:
    """'utf-16-le'/'utf-16-be' when ``data`` looks like BOM-less UTF-16 text (NULs in every other byte)."""
    head = data[:4096]
    if len(head) < 4 or len(head) % 2:
        head = head[: len(head) - (len(head) % 2)]
    if len(head) < 4:
        return None
    even, odd = head[0::2], head[1::2]
    if odd.count(0) >= 0.9 * len(odd) and even.count(0) == 0:
        return "utf-16-le"
    if even.count(0) >= 0.9 * len(even) and odd.count(0) == 0:
        return "utf-16-be"
    return None


#: Bytes that never occur in a text table: C0 controls other than tab, newline, vertical tab (Excel's
#: line break in a cell), form feed and return, and DEL.
_CONTROL_BYTES = bytes([*range(0, 9), *range(14, 32), 127])


def looks_binary(data: bytes, *, sample: int = 65536) -> bool:
    """Whether ``data`` (not UTF-16) is binary rather than text: more than 1% control bytes, or --
    when it is not UTF-8 -- more than half its bytes above 127 (a Windows-1252 CSV has a few £ and é)."""
    head = data[:sample]
    if not head:
        return False
    if len(head) - len(head.translate(None, _CONTROL_BYTES)) > 0.01 * len(head):
        return True
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start >= len(head) - 3 and len(data) > sample:  # a character cut at the end of the sample
            return False
        high = len(head) - len(head.translate(None, bytes(range(128, 256))))
        return high > 0.5 * len(head)
    return False


def sniff_kind(data: bytes) -> str | None:
    """Describe binary content that is not text (None for text, including UTF-16 text)."""
    for magic, what in _MAGIC.items():
        if data.startswith(magic):
            return what
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or _utf16_without_bom(data):
        return None
    if b"\x00" in data[:4096] or looks_binary(data):
        return "binary data (not text)"
    return None


def decode_text(data: bytes, *, source: str) -> str:
    """Decode UTF-8 (with or without BOM), UTF-16 with BOM, or Windows-1252 as a last resort."""
    try:
        if data.startswith((b"\xff\xfe", b"\xfe\xff")):
            return data.decode("utf-16")
        bomless = _utf16_without_bom(data)
        if bomless:
            return data.decode(bomless)
    except UnicodeDecodeError as exc:
        msg = f"{source}: damaged UTF-16 text (byte {exc.start}); save it again as 'CSV UTF-8'"
        raise InputError(msg) from exc
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError as exc:
        msg = f"{source}: text is not UTF-8 or Windows-1252 (byte {exc.start}); save it as 'CSV UTF-8'"
        raise InputError(msg) from exc
    logger.warning("%s: not UTF-8; read as Windows-1252", source)
    return text


#: Most columns a user CSV may have (checked on the first line, before the file is parsed).
MAX_COLUMNS = 500
_POSTCODE_CELL = re.compile(r"^\s*[A-Za-z]{1,2}[0-9][A-Za-z0-9]?\s*[0-9][A-Za-z]{2}\s*$")
_LSOA_CELL = re.compile(r"^\s*E0[0-9]{7}\s*$", re.IGNORECASE)
_NUMBER_CELL = re.compile(r"^\s*[-+]?[0-9][0-9.,/:-]*\s*$")


def _no_values(text: str) -> str:
    """An error text with anything quoted removed (parsers quote the offending value)."""
    first = text.splitlines()[0] if text else ""
    return re.sub(r"'[^']*'|\"[^\"]*\"", "'...'", first)[:160]


def looks_like(value: object) -> str | None:
    """What a single cell looks like (``postcodes``, ``LSOA codes``, ``numbers or dates``), or None."""
    v = str(value)
    if _POSTCODE_CELL.match(v):
        return "postcodes"
    if _LSOA_CELL.match(v):
        return "LSOA codes"
    if _NUMBER_CELL.match(v):
        return "numbers or dates"
    return None


def header_problem(columns: list[str]) -> str | None:
    """Why a header row looks like data (never quoting it), e.g. ``column 2 looks like postcodes``."""
    for i, c in enumerate(columns, start=1):
        what = looks_like(str(c).replace("_", " "))
        if what is not None:
            return f"the first row does not look like a header; column {i} looks like {what}"
    return None


def column_kinds(df: pd.DataFrame, *, sample: int = 200) -> dict[int, str]:
    """1-based column number -> what most of its values look like (postcodes, LSOA codes ...)."""
    out: dict[int, str] = {}
    for i, c in enumerate(df.columns, start=1):
        vals = df[c].dropna().astype(str).head(sample)
        if vals.empty:
            continue
        kinds = vals.map(looks_like).value_counts()
        if not kinds.empty and kinds.iloc[0] >= 0.6 * len(vals):
            out[i] = str(kinds.index[0])
    return out


def _check_width(text: str, *, name: str, max_columns: int) -> None:
    first = text.split("\n", 1)[0][: 64 * max_columns]
    n = first.count(",") + 1
    if n > max_columns:
        msg = (f"{name}: the first line has more than {max_columns:,} columns; a client extract or site "
               "list needs a few columns (e.g. postcode): check the file is a comma-separated table")
        raise InputError(msg)


def read_user_csv(src: str | Path | bytes, *, source: str | None = None,
                  max_bytes: int = DEFAULT_MAX_BYTES, max_rows: int = 2_000_000,
                  max_columns: int = MAX_COLUMNS) -> pd.DataFrame:
    """Parse a user CSV held in memory (all columns as text; caller converts types).

    Error messages name the file, row and column number, never a value from the file.
    """
    data, name = read_bytes(src, source=source, max_bytes=max_bytes)
    kind = sniff_kind(data)
    if kind is not None:
        fix = (" Open it in Excel and 'Save As' CSV UTF-8." if "Excel" in kind or "ZIP" in kind
               else " Export the table as a CSV (UTF-8) text file (e.g. Excel 'Save As' CSV UTF-8) and "
                    "upload that instead.")
        msg = f"{name}: this is {kind}, not a CSV text file.{fix}"
        raise InputError(msg)
    text = decode_text(data, source=name)
    if not text.strip():
        msg = f"{name}: the file is empty (only a byte-order mark or blanks); check you chose the right file"
        raise InputError(msg)
    _check_width(text, name=name, max_columns=max_columns)
    try:
        df = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, na_values=[""],
                         skipinitialspace=True, nrows=max_rows + 1)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as exc:
        msg = (f"{name}: not a readable CSV ({_no_values(str(exc))}); check the delimiter is a comma and "
               "quotes are balanced")
        raise InputError(msg) from exc
    if len(df) > max_rows:
        msg = f"{name}: more than {max_rows:,} rows; split the file"
        raise InputError(msg)
    if df.empty:
        msg = f"{name}: the CSV has a header but no rows; add one row per record below the header"
        raise InputError(msg)
    if len(df.columns) == 1:
        sep = next((d for d in (";", "\t", "|") if d in str(df.columns[0])), None)
        if sep is not None:
            shown = {"\t": "tabs"}.get(sep, repr(sep))
            msg = (f"{name}: columns are separated by {shown}, not commas; save it as comma-separated "
                   "CSV (UTF-8)")
            raise InputError(msg)
    df.columns = [str(c).strip().lower().replace(" ", "_") for c in df.columns]
    dup = [i + 1 for i, c in enumerate(df.columns)
           if (str(c).split(".")[0] in df.columns and "." in str(c)) or df.columns[:i].tolist().count(c)]
    if dup:
        where = ", ".join(str(i) for i in dup[:5])
        msg = f"{name}: duplicate column names (column {where}); make each header unique"
        raise InputError(msg)
    unnamed = [c for c in df.columns if c.startswith("unnamed:")]
    if unnamed and len(unnamed) == len(df.columns):
        msg = f"{name}: the first line must be a header row with column names"
        raise InputError(msg)
    return df


def check_json_vector(data: bytes, *, name: str) -> None:
    """Refuse JSON text that is broken or is not GeoJSON/TopoJSON/Esri JSON, before GDAL sees it."""
    import json

    try:
        doc = json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        msg = f"{name}: GeoJSON must be UTF-8 text ({exc}); export the area from QGIS as GeoJSON again"
        raise InputError(msg) from exc
    except json.JSONDecodeError as exc:
        msg = (f"{name}: not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno}); the file may be "
               "truncated or hand-edited - export it from QGIS as GeoJSON again")
        raise InputError(msg) from exc
    if not isinstance(doc, dict) or not {"type", "features", "geometryType"} & set(doc):
        found = {"list": "a JSON list", "str": "a JSON string", "dict": "a JSON object without 'type'",
                 "NoneType": "JSON null"}.get(type(doc).__name__, "a JSON number or boolean")
        msg = (f"{name}: valid JSON but not GeoJSON (found {found}; GeoJSON is an object like "
               '{"type": "FeatureCollection", "features": [...]}); export the area from QGIS as GeoJSON')
        raise InputError(msg)


def read_user_vector(src: str | Path | bytes, *, source: str | None = None,
                     max_bytes: int = DEFAULT_MAX_BYTES) -> gpd.GeoDataFrame:
    """Read GeoJSON / GeoPackage / zipped Shapefile bytes with pyogrio, in memory."""
    import geopandas as gpd

    data, name = read_bytes(src, source=source, max_bytes=max_bytes)
    if data.startswith((b"PK\x03\x04", b"PK\x05\x06")):  # a zip (or an empty one)
        _check_zip(data, name=name, max_bytes=max_bytes)
    elif not (data.lstrip().startswith(b"{") or data.startswith(b"SQLite format 3")):
        what = "binary data" if sniff_kind(data) else "text that is not GeoJSON (GeoJSON starts with '{')"
        msg = (f"{name}: this is {what}: not GeoJSON, a GeoPackage or a zipped Shapefile; export the boundary "
               "from QGIS as GeoJSON and upload that")
        raise InputError(msg)
    elif data.lstrip().startswith(b"{"):
        check_json_vector(data, name=name)
    try:
        gdf = gpd.read_file(io.BytesIO(data), engine="pyogrio")
    except Exception as exc:  # pyogrio/GDAL errors
        msg = (f"{name}: cannot read it as a vector file ({type(exc).__name__}: {str(exc)[:200]}); "
               "export it from QGIS as GeoJSON (EPSG:4326), GeoPackage or a zipped Shapefile")
        raise InputError(msg) from exc
    if not isinstance(gdf, gpd.GeoDataFrame):  # e.g. a lone .dbf table read without geometry
        msg = (f"{name}: the file has no geometry column; export it from QGIS as GeoJSON, GeoPackage or "
               "a zipped Shapefile with .shp, .shx, .dbf and .prj")
        raise InputError(msg)
    return gdf


def _check_zip(data: bytes, *, name: str, max_bytes: int) -> None:
    """Refuse zip bombs: total uncompressed size and compression ratio are bounded."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            infos = zf.infolist()
    except zipfile.BadZipFile as exc:
        msg = f"{name}: damaged zip file ({exc}); download or zip the files again"
        raise InputError(msg) from exc
    total = sum(i.file_size for i in infos)
    if total > 4 * max_bytes or total > 200 * max(len(data), 1):
        msg = (f"{name}: the zip expands to {_size_text(total)}, over the limit (possible zip bomb); refused. "
               "Unzip it, check its contents and send only the shapefile parts")
        raise InputError(msg)
    stems: dict[str, set[str]] = {}
    for info in infos:
        stem, dot, ext = info.filename.rpartition(".")
        if dot and ext.lower() in {"shp", "shx", "dbf"}:
            stems.setdefault(stem, set()).add(ext.lower())
    for stem, parts in stems.items():
        missing = sorted({"shp", "shx", "dbf"} - parts)
        if missing:
            msg = (f"{name}: the shapefile {stem} is incomplete (missing {', '.join('.' + m for m in missing)}); "
                   "put all its parts (.shp, .shx, .dbf and .prj) in one zip")
            raise InputError(msg)
