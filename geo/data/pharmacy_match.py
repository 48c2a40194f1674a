"""Matching a commissioner's site list to the NHS pharmacy registry (ODS).

Each row of a list (normalised column names, optional ``ods_code``, ``name``, ``postcode``) is
matched to ``sites/pharmacies_england.csv``:

1. ``exact``: the ODS code is in the registry;
2. ``probable``: same postcode and a similar name (rapidfuzz ``token_set_ratio`` of at least
   :data:`PROBABLE_NAME_SCORE`, or the only pharmacy at that postcode with at least
   :data:`SOLE_NAME_SCORE`);
3. ``unmatched``: the caller keeps it as the user's own site located by its postcode.

Every row gets a reason, so the import report can say why a row matched or did not.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from geo._errors import SchemaError
from geo.config import Settings

PROBABLE_NAME_SCORE = 80.0
SOLE_NAME_SCORE = 55.0
MATCH_KINDS = ("exact", "probable", "unmatched")
_ODS_COLS = ("ods_code", "ods", "ods_code_(f-code)", "f_code", "fcode", "pharmacy_ods_code", "contractor_code",
             "organisation_code", "org_code", "code")
_NAME_COLS = ("name", "pharmacy_name", "site_name", "pharmacy", "organisation_name", "trading_name")


def match_registry(settings: Settings) -> pd.DataFrame:
    """The registry as matching needs it: ODS code, name, postcode key, status, location, town."""
    from geo.data.loaders import load_pharmacies, normalise_postcodes

    ph = load_pharmacies(settings, active_only=False)
    reg = pd.DataFrame({
        "ods_code": ph["ods_code"].astype(str).str.upper().str.strip(),
        "reg_name": ph["name"].astype(str).str.title(),
        "reg_postcode": ph["postcode"].astype(str),
        "pc_key": normalise_postcodes(ph["postcode"].astype("string")).fillna("").str.replace(" ", "").to_numpy(),
        "reg_status": ph["status"].astype(str),
        "easting": pd.to_numeric(ph["easting"], errors="coerce"),
        "northing": pd.to_numeric(ph["northing"], errors="coerce"),
        "town": _last_part(ph),
    })
    # active rows first so a code or postcode shared with a closed record prefers the active one
    reg["_active"] = reg["reg_status"] == "active"
    return reg.sort_values("_active", ascending=False, kind="stable").drop(columns="_active")


def _last_part(ph: pd.DataFrame) -> np.ndarray:
    """Town of each registry row: the last non-empty address line (vectorised over rows)."""
    town = np.full(len(ph), "", dtype=object)
    for c in ("address_1", "address_2", "address_3", "address_4"):
        if c in ph.columns:
            part = ph[c].fillna("").astype(str).str.strip().str.title().to_numpy(dtype=object)
            town = np.where(part != "", part, town)
    return town


def match_rows(df: pd.DataFrame, registry: pd.DataFrame, *, source: str) -> pd.DataFrame:
    """Match each row to the registry: ``match``, ``match_score``, ``match_reason``, registry columns.

    ``df`` has normalised column names and optional ``ods_code``, ``name``, ``postcode``.
    """
    from rapidfuzz import fuzz, utils

    from geo.data.loaders import normalise_postcodes

    n = len(df)
    ods = next((c for c in _ODS_COLS if c in df.columns), None)
    name = next((c for c in _NAME_COLS if c in df.columns), None)
    if ods is None and (name is None or "postcode" not in df.columns):
        msg = (f"{source}: needs an 'ods_code' column, or 'name' and 'postcode' columns "
               f"(found: {', '.join(map(str, df.columns[:12]))})")
        raise SchemaError(msg)
    codes = (df[ods].fillna("").astype(str).str.upper().str.strip() if ods else pd.Series("", index=df.index))
    names = df[name].fillna("").astype(str).str.strip() if name else pd.Series("", index=df.index)
    pcs = df["postcode"].fillna("").astype(str) if "postcode" in df.columns else pd.Series("", index=df.index)
    pc_key = normalise_postcodes(pcs.astype("string")).fillna("").str.replace(" ", "")
    by_code = registry.drop_duplicates("ods_code").set_index("ods_code")
    wanted = set(pc_key[pc_key != ""])
    by_pc = dict(list(registry[registry["pc_key"].isin(wanted)].groupby("pc_key")))
    rows = []
    for i in range(n):
        code, nm, pk = codes.iloc[i], names.iloc[i], pc_key.iloc[i]
        rec = {"row": i + 2, "input_ods_code": code, "input_name": nm, "input_postcode": pcs.iloc[i].strip(),
               "match": "unmatched", "match_score": np.nan, "match_reason": "", "ods_code": ""}
        if code and code in by_code.index:
            r = by_code.loc[code]
            rec.update(match="exact", match_score=100.0, ods_code=code,
                       match_reason="ODS code in the NHS pharmacy registry" +
                       ("" if r["reg_status"] == "active" else f" ({r['reg_status']} pharmacy)"))
        else:
            why = f"ODS code {code} not in the registry; " if code else ""
            cands = by_pc.get(pk)
            if cands is None or not nm:
                rec["match_reason"] = why + ("no pharmacy at this postcode" if pk else "no ODS code and no valid postcode")
            else:
                scores = np.array([fuzz.token_set_ratio(nm, c, processor=utils.default_process)
                                   for c in cands["reg_name"]], dtype=float)
                j = int(scores.argmax())
                best = float(scores[j])
                sole = cands["ods_code"].nunique() == 1
                if best >= PROBABLE_NAME_SCORE or (sole and best >= SOLE_NAME_SCORE):
                    rec.update(match="probable", match_score=best, ods_code=cands["ods_code"].iloc[j],
                               match_reason=why + f"same postcode, name similarity {best:.0f}" +
                               (" (only pharmacy at the postcode)" if sole else ""))
                else:
                    rec["match_reason"] = why + f"pharmacy at this postcode but names differ (best similarity {best:.0f})"
        rows.append(rec)
    rep = pd.DataFrame(rows, index=df.index)
    reg = by_code.reindex(rep["ods_code"].where(rep["ods_code"] != "", "__none__"))
    for c in ("reg_name", "reg_postcode", "reg_status", "easting", "northing", "town"):
        rep[c] = reg[c].to_numpy()
    return rep


__all__ = ["MATCH_KINDS", "PROBABLE_NAME_SCORE", "SOLE_NAME_SCORE", "match_registry", "match_rows"]
