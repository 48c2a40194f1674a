"""Commissioners' own site lists: import a CSV/XLSX into sites and a row-by-row report.

``geo sites import FILE`` reads a CSV or XLSX with, per row, an ODS code *or* a name and
postcode, plus services (``services`` = ``"nsp;supervised_consumption"``, or one yes/no column
per service such as ``nsp``, ``needle exchange``, ``supervised consumption``, ``naloxone``) and
hours (``opening_hours`` in OSM syntax, or a Monday-Sunday table such as ``mon_from``/``mon_to``
... ``sun_from``/``sun_to``, or one ``monday`` ... ``sunday`` column holding ``09:00-17:30``).

Each row is matched to the NHS pharmacy registry (exact ODS code, probable by postcode and
name, or unmatched: kept as the user's own site located by its postcode, or listed as
unlocated) by :mod:`geo.data.pharmacy_match`.  The report has one row per input row -- nothing
is silently dropped.  Matched rows keep the registry ``site_id`` (``ods:<code>``), so the list
adds services and hours to the registry pharmacy rather than duplicating it.  A list is saved
and reused by :mod:`geo.data.site_lists`.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from geo._errors import InputError, SchemaError
from geo.config import Settings
from geo.data.hours_syntax import check_hours, day_columns, day_table_row_to_osm
from geo.data.pharmacy_match import MATCH_KINDS, match_registry, match_rows
from geo.data.services import SERVICE_ALIASES, SERVICES, join_services, parse_services

if TYPE_CHECKING:
    import geopandas as gpd

logger = logging.getLogger(__name__)

_TRUE = {"y", "yes", "true", "1", "x", "✓", "provided", "active"}
_FALSE = {"", "n", "no", "false", "0", "-", "nan", "none"}


@dataclass
class ImportResult:
    """Sites made from an imported list and the row-by-row match report."""

    sites: gpd.GeoDataFrame
    report: pd.DataFrame
    source: str
    counts: dict[str, int] = field(default_factory=dict)

    def summary(self) -> str:
        """One line: ``"42 rows: 38 exact, 2 probable, 2 unmatched (1 located by postcode, 1 not located)"``."""
        c = self.counts
        return (f"{self.source}: {c.get('rows', 0)} rows: {c.get('exact', 0)} exact, {c.get('probable', 0)} probable, "
                f"{c.get('unmatched', 0)} unmatched ({c.get('unmatched_located', 0)} located by postcode, "
                f"{c.get('not_located', 0)} not located)")


def read_table(src: str | Path | bytes, *, source: str, max_bytes: int = 50 * 1024 * 1024) -> pd.DataFrame:
    """A CSV or XLSX as text columns (first sheet of a workbook)."""
    from geo.data.uploads import read_user_csv

    name = source.lower()
    if name.endswith((".xlsx", ".xlsm", ".xls")):
        import io

        data = src if isinstance(src, bytes | bytearray) else Path(src).read_bytes()
        if len(data) > max_bytes:
            msg = f"{source}: file is larger than {max_bytes // (1024 * 1024)} MB; split it or save as CSV"
            raise InputError(msg)
        try:
            df = pd.read_excel(io.BytesIO(data), dtype=str, sheet_name=0)
        except Exception as exc:  # openpyxl raises many types for corrupt workbooks
            msg = f"{source}: cannot read the workbook ({type(exc).__name__}); save it as .xlsx or CSV"
            raise InputError(msg) from exc
        return df.dropna(how="all")
    return read_user_csv(src, source=source, max_bytes=max_bytes)


def _norm_cols(df: pd.DataFrame) -> pd.DataFrame:
    df = df.copy()
    df.columns = [re.sub(r"\s+", "_", str(c).strip().lower()) for c in df.columns]
    if df.columns.duplicated().any():
        dup = sorted({str(c) for c in df.columns[df.columns.duplicated()]})
        msg = f"duplicate column name(s) {', '.join(dup)}; rename them so each header is unique"
        raise SchemaError(msg)
    return df


def _services_per_row(df: pd.DataFrame, *, source: str, default: tuple[str, ...]) -> list[tuple[str, ...]]:
    flag_cols: dict[str, str] = {}
    for c in df.columns:
        key = c.replace("_", " ").strip()
        svc = SERVICE_ALIASES.get(key) or (c if c in SERVICES else None)
        if svc and c != "services":
            flag_cols[c] = svc
    out = []
    for i, (_, row) in enumerate(df.iterrows()):
        s = list(parse_services(row.get("services", ""), source=source, row=i + 2)) if "services" in df else []
        for c, svc in flag_cols.items():
            v = str(row.get(c, "")).strip().lower()
            if v in _TRUE:
                s.append(svc)
            elif v not in _FALSE:
                msg = f"{source}: column '{c}' at row {i + 2} should be yes/no (Y, N, 1, 0 or blank)"
                raise InputError(msg)
        out.append(tuple(dict.fromkeys(s or default)))
    return out


def _hours_per_row(df: pd.DataFrame, *, source: str) -> list[str]:
    days = day_columns(list(df.columns))
    out: list[str] = []
    problems: list[str] = []
    for i, (_, row) in enumerate(df.iterrows()):
        where = f"{source} row {i + 2}"
        osm = str(row.get("opening_hours", "") or "").strip() if "opening_hours" in df else ""
        if osm.lower() in {"nan", "none"}:
            osm = ""
        if not osm and days:
            osm = day_table_row_to_osm(row, days, where=where)
        if osm:
            status, problem, warning = check_hours(osm)
            if status == "invalid":
                problems.append(f"row {i + 2}: {problem}")
            elif warning:
                logger.warning("%s: opening hours %s", where, warning)
        out.append(osm)
    if problems:
        more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
        msg = (f"{source}: opening_hours not readable at " + "; ".join(problems[:5]) + more +
               ". Use OSM syntax ('Mo-Fr 09:00-17:30; Sa 09:00-13:00') or mon_from/mon_to ... sun_from/sun_to columns")
        raise InputError(msg)
    return out


def import_sites(src: str | Path | bytes, settings: Settings | None = None, *, source: str | None = None,
                 default_services: str | tuple[str, ...] = (), default_type: str = "pharmacy",
                 list_name: str | None = None) -> ImportResult:
    """Read a commissioner's list, match it to the pharmacy registry and build a sites frame.

    Parameters
    ----------
    src
        CSV/XLSX path or bytes (an upload).
    settings
        Data locations.
    source
        Name for messages (default: the file name).
    default_services
        Services for rows that name none (e.g. ``"nsp"`` for a list of NSP pharmacies).
    default_type
        ``site_type`` for unmatched rows without one (matched rows are ``pharmacy``).
    list_name
        Name recorded in ``source`` (default: the file stem).

    Returns
    -------
    ImportResult
        ``sites`` (located rows: matched ones at the registry location with ``site_id``
        ``ods:<code>``; unmatched ones at their postcode), ``report`` (one row per input row:
        ``match`` exact/probable/unmatched, score, reason, the registry name and postcode, and
        ``outcome``) and ``counts``.
    """
    from geo.data.user_sites import sites_from_table

    s = settings if settings is not None else Settings.from_env()
    name = source or (str(src) if not isinstance(src, bytes | bytearray) else "upload.csv")
    label = list_name or Path(name).stem
    raw = read_table(src, source=name, max_bytes=s.max_upload_bytes)
    if raw.empty:
        msg = f"{name}: no rows; add one row per site (ODS code, or name and postcode)"
        raise InputError(msg)
    try:
        df = _norm_cols(raw)
    except SchemaError as exc:
        raise SchemaError(f"{name}: {exc}") from None
    defaults = parse_services(default_services, source="--services") if default_services else ()
    services = _services_per_row(df, source=name, default=defaults)
    hours = _hours_per_row(df, source=name)
    rep = match_rows(df, match_registry(s), source=name)
    rep["services"] = [join_services(x) for x in services]
    rep["opening_hours"] = hours
    matched = rep["match"] != "unmatched"
    # two rows naming the same pharmacy: one site with the union of their services
    dup = matched & rep["ods_code"].duplicated(keep="first")
    first_row = rep[matched & ~dup].set_index("ods_code")["row"]
    for i in np.flatnonzero(dup.to_numpy()):
        code = rep["ods_code"].iloc[i]
        keep = rep.index[(rep["row"] == first_row[code])][0]
        rep.loc[keep, "services"] = join_services([*rep.loc[keep, "services"].split(";"),
                                                   *rep["services"].iloc[i].split(";")])
        if not rep.loc[keep, "opening_hours"]:
            rep.loc[keep, "opening_hours"] = rep["opening_hours"].iloc[i]
    cap = df["capacity"] if "capacity" in df.columns else pd.Series("", index=df.index)
    m = matched & ~dup
    table_m = pd.DataFrame({
        "site_id": "ods:" + rep.loc[m, "ods_code"], "name": rep.loc[m, "reg_name"], "site_type": "pharmacy",
        "services": [join_services(["dispensing", *x.split(";")]) for x in rep.loc[m, "services"]],
        "postcode": rep.loc[m, "reg_postcode"], "town": rep.loc[m, "town"],
        "easting": rep.loc[m, "easting"], "northing": rep.loc[m, "northing"],
        "opening_hours": rep.loc[m, "opening_hours"], "capacity": cap[m], "ods_code": rep.loc[m, "ods_code"],
        "match": rep.loc[m, "match"], "location_precision": "postcode",
        "source": [f"user list {label} (row {r}, {k} match)" for r, k in zip(rep.loc[m, "row"], rep.loc[m, "match"],
                                                                             strict=True)],
    })
    um = ~matched
    stype = df["site_type"].fillna("").astype(str) if "site_type" in df.columns else pd.Series("", index=df.index)
    table_u = pd.DataFrame({
        "site_id": [f"user:{label}:{r}" for r in rep.loc[um, "row"]],
        "name": rep.loc[um, "input_name"].where(rep.loc[um, "input_name"] != "", "row " + rep.loc[um, "row"].astype(str)),
        "site_type": stype[um].where(stype[um].str.strip() != "", default_type),
        "services": rep.loc[um, "services"], "postcode": rep.loc[um, "input_postcode"],
        "opening_hours": rep.loc[um, "opening_hours"], "capacity": cap[um],
        "ods_code": rep.loc[um, "input_ods_code"], "match": "unmatched",
        "source": [f"user list {label} (row {r}, unmatched: located by its postcode)" for r in rep.loc[um, "row"]],
    })
    for c in ("easting", "northing"):
        for t in (table_m, table_u):
            t[c] = pd.to_numeric(t.get(c, np.nan), errors="coerce")
    located_m = sites_from_table(table_m, s, source=name, default_type="pharmacy", on_unlocated="report") \
        if len(table_m) else None
    located_u = sites_from_table(table_u, s, source=name, default_type=default_type, on_unlocated="report") \
        if len(table_u) else None
    frames = [f for f in (located_m, located_u) if f is not None]
    import geopandas as gpd

    sites = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=frames[0].crs) if frames else None
    unl = [r for f in frames for r in f.attrs.get("unlocated", [])]
    not_located_ids = {r["site_id"] for r in unl}
    if sites is None:
        from geo.data.site_schema import empty_sites

        sites = empty_sites()
    sites.attrs["unlocated"] = unl
    outcome = []
    for _, r in rep.iterrows():
        if r["match"] != "unmatched":
            sid = f"ods:{r['ods_code']}"
            if dup.loc[_]:
                outcome.append(f"merged into row {first_row[r['ods_code']]} (same pharmacy)")
            else:
                outcome.append("registry pharmacy" + (" (not located)" if sid in not_located_ids else ""))
        else:
            sid = f"user:{label}:{r['row']}"
            outcome.append("not located: " + next((u["problem"] for u in unl if u["site_id"] == sid), "")
                           if sid in not_located_ids else "own site at its postcode")
    rep["outcome"] = outcome
    counts = {"rows": len(rep), **{k: int((rep["match"] == k).sum()) for k in MATCH_KINDS},
              "unmatched_located": int(((rep["match"] == "unmatched") & (rep["outcome"] == "own site at its postcode")).sum()),
              "not_located": int(rep["outcome"].str.startswith("not located").sum()), "sites": len(sites)}
    report = rep[["row", "input_ods_code", "input_name", "input_postcode", "match", "match_score", "match_reason",
                  "ods_code", "reg_name", "reg_postcode", "services", "opening_hours", "outcome"]]
    res = ImportResult(sites=sites, report=report.reset_index(drop=True), source=name, counts=counts)
    logger.info("%s", res.summary())
    return res



__all__ = ["ImportResult", "import_sites", "read_table"]
