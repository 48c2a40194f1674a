"""Cell key perturbation (ONS Census 2021 / ABS TableBuilder) for counts of client records.

The method, as in ONS's ``cell-key-perturbation`` package (which :func:`perturb_counts` calls):

* every **record** gets a record key, a whole number 0-255 (here an HMAC of the record under a
  secret kept per installation, so the same extract always gets the same keys; see
  :func:`record_keys`);
* a **cell**'s key is the sum of its records' keys mod 256, so the same set of records always
  has the same cell key, whichever table or area it is counted in;
* a **perturbation table** (ptable) gives, for each true count (``pcv`` 1-750; larger counts
  reuse rows 501-750) and each cell key, the noise to add.  Zero stays zero.

Our ptable (:func:`make_ptable`) has three parameters: the maximum noise ``D``, the noise
variance ``V`` for counts above the small range, and ``js``: counts 1..js are never published
(each is moved to 0 or to js+1 or more).  Each row is the maximum-entropy distribution on
``[count - D, count + D]`` (Giessing 2016, as the R ``ptable`` package builds them) with mean
zero and variance ``V`` (or the least variance the gap 1..js allows for small counts, plus one),
quantised to 256ths so that every row is **exactly unbiased**.  See ``docs/privacy.md``.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import io
import logging
import os
import secrets
import stat
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from geo._errors import DataSourceError, InputError

if TYPE_CHECKING:
    from geo.config import Settings

logger = logging.getLogger(__name__)

#: Maximum noise added to a count (the ptable's D).
MAX_NOISE = 5
#: Noise variance for counts above the small range (the ptable's V).
VARIANCE = 2.0
#: Counts 1..SMALL_COUNT are never published (the ptable's js).
SMALL_COUNT = 4
#: Cell keys run 0..KEY_RANGE-1 (ONS: 256).
KEY_RANGE = 256
#: Rows of the ptable (ONS: counts above 750 reuse rows 501-750).
MAX_PCV = 750
#: Columns of the ONS ptable format.
PTABLE_COLUMNS = ("pcv", "ckey", "pvalue")
#: Columns that identify a client across extracts (their record key then survives edits of other fields).
ID_ALIASES = ("client_id", "client_ref", "client_reference", "person_id", "patient_id", "nhs_number", "nhs_no",
              "unique_id", "id")


@dataclass(frozen=True, eq=False)
class PTable:
    """A perturbation table in ONS's long format plus the lookup array used to read it.

    Attributes
    ----------
    max_noise, variance, small_count
        D, V and js.
    frame
        Columns ``pcv`` (1..750), ``ckey`` (0..255), ``pvalue`` (noise), as ONS ships them.
    noise
        ``noise[pcv, ckey]`` (row 0 is all zeros: an empty cell stays empty).
    """

    max_noise: int
    variance: float
    small_count: int
    frame: pd.DataFrame
    noise: np.ndarray

    @property
    def label(self) -> str:
        """The rule in words, as every output states it."""
        return (f"counts perturbed (cell key method), D = {self.max_noise}, V = {self.variance:g}; "
                f"counts 1-{self.small_count} never shown")

    def pcv(self, counts: np.ndarray) -> np.ndarray:
        """ONS's row of the ptable for each count (counts above 750 reuse rows 501-750)."""
        c = np.asarray(counts, dtype=np.int64)
        return np.where(c <= MAX_PCV, c, (c - 1) % 250 + 501)

    def perturb(self, counts: np.ndarray, ckeys: np.ndarray) -> np.ndarray:
        """Published counts for true ``counts`` with cell keys ``ckeys`` (vectorised lookup)."""
        c = np.asarray(counts, dtype=np.int64)
        return c + self.noise[self.pcv(c), np.asarray(ckeys, dtype=np.int64) % KEY_RANGE]

    def row_variance(self) -> np.ndarray:
        """Noise variance of each row (index = pcv; row 0 = 0)."""
        return (self.noise.astype(float) ** 2).mean(axis=1)

    def likelihood(self, max_count: int) -> np.ndarray:
        """``P[p, c]``: probability that a true count ``c`` (0..max_count) is published as ``p``."""
        counts = np.arange(max_count + 1)
        rows = self.noise[self.pcv(counts)] + counts[:, None]  # (count, key) -> published
        out = np.zeros((max_count + self.max_noise + 1, max_count + 1))
        np.add.at(out, (rows.ravel(), np.repeat(counts, KEY_RANGE)), 1.0 / KEY_RANGE)
        return out

    def support(self, published: int) -> tuple[int, int]:
        """Smallest and largest true count the ptable can publish as ``published`` (what an
        intruder who knows the ptable learns from one published count)."""
        counts = np.arange(max(0, published - self.max_noise), published + self.max_noise + 1)
        rows = self.noise[self.pcv(counts)] + counts[:, None]
        possible = counts[(rows == published).any(axis=1)]
        if possible.size == 0:
            msg = f"{published} is never published by this ptable (counts 1-{self.small_count} are not shown)"
            raise InputError(msg)
        return int(possible.min()), int(possible.max())


def _row_distribution(count: int, *, max_noise: int, variance: float, small_count: int) -> tuple[np.ndarray,
                                                                                                   np.ndarray]:
    """Maximum-entropy noise distribution of one row: (noise values, probabilities)."""
    from scipy.optimize import minimize

    d = np.arange(-max_noise, max_noise + 1)
    j = count + d
    d = d[(j >= 0) & ~((j >= 1) & (j <= small_count))]
    below, above = d[d < 0], d[d > 0]
    if 1 <= count <= small_count:  # two-point minimum around the gap: 0 and small_count + 1
        least = float(count * (small_count + 1 - count))
    else:
        least = 0.0
    if below.size == 0:
        return np.array([0]), np.array([1.0])
    target = max(variance, least + 1.0) if least else variance
    widest = float(-below.min() * above.max())
    target = min(target, widest - 1e-6)

    def dual(lam: np.ndarray) -> float:  # log partition minus the constraints: convex
        z = lam[0] * d + lam[1] * (d.astype(float) ** 2 - target)
        top = z.max()
        return float(top + np.log(np.exp(z - top).sum()))

    res = minimize(dual, np.zeros(2), method="BFGS", options={"gtol": 1e-12, "maxiter": 2000})
    z = res.x[0] * d + res.x[1] * d.astype(float) ** 2
    p = np.exp(z - z.max())
    return d, p / p.sum()


def _quantise(d: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Whole 256ths close to ``p`` (least total change) with mean exactly zero."""
    from scipy.optimize import Bounds, LinearConstraint, milp

    k = len(d)
    if k == 1:
        return np.array([KEY_RANGE])
    target = p * KEY_RANGE
    # variables: n (k counts), e (k absolute deviations); minimise sum e
    c = np.concatenate([np.zeros(k), np.ones(k)])
    eye = np.eye(k)
    cons = [LinearConstraint(np.concatenate([np.ones(k), np.zeros(k)])[None, :], KEY_RANGE, KEY_RANGE),
            LinearConstraint(np.concatenate([d.astype(float), np.zeros(k)])[None, :], 0, 0),
            LinearConstraint(np.hstack([eye, -eye]), -np.inf, target),
            LinearConstraint(np.hstack([-eye, -eye]), -np.inf, -target)]
    res = milp(c, constraints=cons, integrality=np.concatenate([np.ones(k), np.zeros(k)]),
               bounds=Bounds(np.zeros(2 * k), np.full(2 * k, np.inf)))
    if res.status != 0:  # pragma: no cover - a feasible row always exists (the D-symmetric one)
        msg = f"ptable row cannot be quantised: {res.message}"
        raise InputError(msg)
    return np.round(res.x[:k]).astype(int)


def _assemble(rows: dict[int, tuple[tuple[int, int], ...]], *, max_noise: int, variance: float,
              small_count: int) -> PTable:
    """A :class:`PTable` from its distinct rows ``{count: ((noise, number of cell keys), ...)}``;
    counts above the last row use the last row (from there on every row has the same shape)."""
    noise = np.zeros((MAX_PCV + 1, KEY_RANGE), dtype=np.int64)
    last = max(rows)
    for count in range(1, MAX_PCV + 1):
        pairs = rows[min(count, last)]
        noise[count] = np.repeat([d for d, _ in pairs], [n for _, n in pairs])  # most negative noise first
    pcv, ckey = np.meshgrid(np.arange(1, MAX_PCV + 1), np.arange(KEY_RANGE), indexing="ij")
    frame = pd.DataFrame({"pcv": pcv.ravel(), "ckey": ckey.ravel(), "pvalue": noise[1:].ravel()})
    return PTable(max_noise=max_noise, variance=float(variance), small_count=small_count, frame=frame,
                  noise=noise)


def make_ptable(max_noise: int = MAX_NOISE, variance: float = VARIANCE, small_count: int = SMALL_COUNT) -> PTable:
    """Build the perturbation table for D, V and js (see the module docstring).

    Parameters
    ----------
    max_noise
        D: no count moves by more than this.  Must be at least ``small_count`` (a count of 1 must
        be able to reach ``small_count + 1``).
    variance
        V: noise variance of counts above the small range (the small counts need more).
    small_count
        js: counts 1..js are never published.

    Returns
    -------
    PTable
    """
    if small_count < 0 or max_noise < max(1, small_count) or variance <= 0:
        msg = (f"ptable D={max_noise}, V={variance}, js={small_count}: need D >= js >= 0, D >= 1 and V > 0 "
               "(a count of 1 must be able to move past js)")
        raise InputError(msg)
    rows = {}
    for count in range(1, small_count + 2 * max_noise + 2):  # from js + D + 1 on, every row has one shape
        d, p = _row_distribution(count, max_noise=max_noise, variance=variance, small_count=small_count)
        n = _quantise(d, p)
        rows[count] = tuple((int(x), int(k)) for x, k in zip(d, n, strict=True) if k)
    return _assemble(rows, max_noise=max_noise, variance=variance, small_count=small_count)


#: The rows of the default ptable (D = 5, V = 2, js = 4) in whole 256ths: ``{count: ((noise, cell
#: keys), ...)}``, counts from 9 on as the last row.  Exactly what ``make_ptable()`` computes
#: (tests/test_cellkey.py checks it), kept here so publishing needs no optimiser at run time.
DEFAULT_ROWS: dict[int, tuple[tuple[int, int], ...]] = {
    1: ((-1, 213), (4, 2), (5, 41)),
    2: ((-2, 162), (3, 61), (4, 24), (5, 9)),
    3: ((-3, 110), (2, 112), (3, 30), (4, 4)),
    4: ((-4, 59), (1, 161), (2, 33), (3, 3)),
    5: ((-5, 16), (0, 173), (1, 55), (2, 11), (3, 1)),
    6: ((-1, 133), (0, 59), (1, 29), (2, 15), (3, 10), (4, 6), (5, 4)),
    7: ((-2, 40), (-1, 62), (0, 66), (1, 50), (2, 26), (3, 9), (4, 2), (5, 1)),
    8: ((-3, 9), (-2, 28), (-1, 57), (0, 71), (1, 54), (2, 27), (3, 8), (4, 2)),
    9: ((-4, 1), (-3, 8), (-2, 27), (-1, 56), (0, 72), (1, 56), (2, 27), (3, 8), (4, 1)),
}


@lru_cache(maxsize=1)
def default_ptable() -> PTable:
    """The ptable every client release uses (D = 5, V = 2, js = 4)."""
    return _assemble(DEFAULT_ROWS, max_noise=MAX_NOISE, variance=VARIANCE, small_count=SMALL_COUNT)


# --------------------------------------------------------------------------------------------
# the installation's secret and the record keys
# --------------------------------------------------------------------------------------------
def load_secret(path: str | Path) -> bytes:
    """The installation's record-key secret, created (256 random bits, mode 0600) on first use.

    Raises
    ------
    DataSourceError
        The file is not a regular file, can be read by other users, or holds no usable secret.
    """
    p = Path(path).expanduser()
    if not p.exists():
        p.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        try:
            fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process created it first: read theirs
            pass
        else:
            with os.fdopen(fd, "w", encoding="ascii") as fh:
                fh.write(secrets.token_hex(32) + "\n")
                fh.flush()
                os.fsync(fh.fileno())
            logger.info("created the cell-key secret %s (keep it: a new secret gives every extract new noise)", p)
    st = p.lstat()
    if not stat.S_ISREG(st.st_mode):
        msg = (f"{p}: the cell-key secret must be a regular file; point GEO_CELLKEY_SECRET_FILE at the "
               "installation's secret file (or at a new path, where one is created)")
        raise DataSourceError(msg)
    if hasattr(os, "getuid") and (st.st_mode & 0o077 or st.st_uid != os.getuid()):
        msg = (f"{p}: the cell-key secret must belong to this user and be readable by nobody else; "
               f"run `chmod 600 {p}` (or point GEO_CELLKEY_SECRET_FILE at the service's own copy)")
        raise DataSourceError(msg)
    text = p.read_text(encoding="ascii", errors="replace").strip()
    if len(text) < 32:
        msg = (f"{p}: the cell-key secret is empty or too short (at least 32 characters); put the "
               "installation's secret back, or remove the file to create a new one (every extract then gets "
               "new noise)")
        raise DataSourceError(msg)
    return text.encode("ascii", errors="replace")


def record_keys(raw: pd.DataFrame, secret: bytes) -> np.ndarray:
    """A record key (0-255) for every row of an extract, stable across runs of the same extract.

    A row is identified by its client ID when the extract has one (:data:`ID_ALIASES`), so a
    client keeps their key when other fields change between extracts; otherwise by the whole
    row (every column, in column-name order).  Identical rows are told apart by their
    occurrence (first, second, ...), so they get different keys and reordering the file changes
    nothing.  The key is the first byte of HMAC-SHA256(secret, identity): no one without the
    secret can compute it.

    Parameters
    ----------
    raw
        The extract as read (column names normalised), before postcodes are dropped.
    secret
        From :func:`load_secret`.

    Returns
    -------
    numpy.ndarray
        ``uint8`` keys, one per row.
    """
    cols = sorted(str(c) for c in raw.columns)
    text = {c: pd.Series(raw[c].to_numpy(), index=raw.index).astype("string").fillna("").str.strip() for c in cols}
    identity = pd.Series("", index=raw.index, dtype="string")
    for c in cols:
        identity = identity + f"{c}=" + text[c] + "\x1f"
    id_col = next((c for c in ID_ALIASES if c in text), None)
    if id_col is not None:
        has_id = text[id_col] != ""
        identity = identity.where(~has_id, "id\x1f" + text[id_col].str.lower())
    identity = identity.astype(object)
    occurrence = identity.groupby(identity).cumcount()
    keys = np.fromiter(
        (hmac.new(secret, f"{ident}\x1e{k}".encode(), hashlib.sha256).digest()[0]
         for ident, k in zip(identity.to_numpy(), occurrence.to_numpy(), strict=True)),
        dtype=np.uint8, count=len(identity))
    return keys


def secret_for(settings: Settings) -> bytes:
    """The secret at ``settings.cellkey_secret_file``."""
    return load_secret(settings.cellkey_secret_file)


# --------------------------------------------------------------------------------------------
# perturbation (ONS's implementation)
# --------------------------------------------------------------------------------------------
def perturb_counts(cells: pd.Series, keys: np.ndarray, ptable: PTable | None = None) -> pd.Series:
    """Perturbed record counts per cell, by ONS's ``create_perturbed_table``.

    Parameters
    ----------
    cells
        The cell of every record (e.g. its LSOA code, or a label for rows not mapped).
    keys
        Record keys (:func:`record_keys`), aligned with ``cells``.
    ptable
        Default :func:`default_ptable`.

    Returns
    -------
    pandas.Series
        Published count per cell (index = cell label; cells without records are absent: they
        are 0 and stay 0).  True counts never leave this function.
    """
    try:
        from cell_key_perturbation.create_perturbed_table import create_perturbed_table
    except ImportError:  # pragma: no cover - installed with geo-access[privacy]
        msg = ("client figures need ONS's cell-key-perturbation package: "
               "pip install 'geo-access[privacy]' (or cell-key-perturbation)")
        raise InputError(msg) from None
    pt = ptable if ptable is not None else default_ptable()
    if len(cells) == 0:
        return pd.Series([], dtype="int64", index=pd.Index([], name="cell"), name="count")
    data = pd.DataFrame({"cell": np.asarray(cells, dtype=object), "record_key": np.asarray(keys, dtype=np.int64)})
    # The package reports on stdout ("Input validation completed.", key-range notes that name a
    # record key); a library must not print, so its output is kept and logged at DEBUG only.
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        table = create_perturbed_table(data=data, ptable=pt.frame, geog=["cell"], tab_vars=[],
                                       record_key="record_key", use_existing_ons_id=False, threshold=0)
    logger.debug("cell-key-perturbation: %d cells (%d characters of package output)", len(table),
                 len(buffer.getvalue()))
    out = pd.Series(table["count"].astype("int64").to_numpy(), index=pd.Index(table["cell"].astype(str),
                                                                             name="cell"), name="count")
    return out
