"""The one protected base of a client extract: perturbed counts per LSOA, made once.

Every client figure ``geo`` publishes -- headline, LSOA map values and tooltips, ward, district,
IMD decile and quintile tables, rates and shares, rows read, rows not mapped, clients outside
the area, in the CLI, the API and the app, for any area and either IMD edition -- is a **sum of
this base** (:mod:`geo.measures.client_release`).  The base is fixed by the extract and the
installation's secret (:mod:`geo.measures.cellkey`), so asking for more areas, tables or views
adds no new noise draws: pooling any number of releases tells an intruder nothing beyond the
base itself, and the base never shows a count of 1-4 (``docs/privacy.md``).

The base holds:

* ``lsoa``: the published count of every LSOA 2021 that has records (every other LSOA is 0),
  each perturbed once by the cell key method;
* ``not_mapped``: the published count of rows that could not be placed in an LSOA (one more cell);
* ``mse``: the stated error of each LSOA's published count -- the expected variance of its noise
  given the published counts of its district (empirical Bayes over the ptable; see
  :func:`expected_square_error`).  A figure summing several LSOAs states +/- 2 x sqrt(sum of mse).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from geo._errors import SchemaError
from geo.measures.cellkey import PTable, default_ptable, perturb_counts

if TYPE_CHECKING:
    from geo.config import Settings

logger = logging.getLogger(__name__)

#: The cell that holds rows not mapped to an LSOA.
NOT_MAPPED = "not mapped"
#: A stated error is this many standard errors (about a 95% interval).
ERROR_SE = 2.0


@dataclass(frozen=True, eq=False)
class ClientBase:
    """The protected base of one extract (see the module docstring).  Holds no true count."""

    lsoa: pd.Series
    not_mapped: int
    mse: pd.Series
    not_mapped_mse: float
    ptable: PTable
    synthetic: bool = False
    source: str = "client extract"
    unmapped_rows: tuple[int, ...] = field(default=(), repr=False)

    @property
    def label(self) -> str:
        """How the figures were protected, in words (every view and file says it)."""
        return self.ptable.label

    def counts(self, codes: pd.Index | list[str]) -> np.ndarray:
        """Published counts of these LSOAs (0 where the extract has no records)."""
        return self.lsoa.reindex(pd.Index(codes)).fillna(0).to_numpy(dtype=np.int64)

    def square_errors(self, codes: pd.Index | list[str]) -> np.ndarray:
        """Stated squared error of each of these LSOAs' published counts."""
        return self.mse.reindex(pd.Index(codes)).fillna(0.0).to_numpy(dtype=float)

    def rows_read(self) -> int:
        """Published rows read: every cell of the base."""
        return int(self.lsoa.sum()) + int(self.not_mapped)

    def rows_read_mse(self) -> float:
        """Stated squared error of :meth:`rows_read`."""
        return float(self.mse.sum()) + self.not_mapped_mse

    def rates_per_1000(self, lsoas: pd.DataFrame) -> pd.Series:
        """Published clients per 1,000 adults for the given LSOA rows (zeros included)."""
        adults = lsoas["adults"].astype(float)
        rate = pd.Series(self.counts(lsoas.index), index=lsoas.index, dtype=float) / adults.where(adults > 0)
        return (rate * 1000).round(2)


def error_95(square_error: float | np.ndarray) -> np.ndarray:
    """Half-width of the stated (about 95%) interval for figures with this squared error."""
    return np.ceil(ERROR_SE * np.sqrt(np.asarray(square_error, dtype=float)) - 1e-9).astype(np.int64)


def expected_square_error(published: np.ndarray, ptable: PTable, *, iterations: int = 200) -> np.ndarray:
    """The expected squared noise of each cell of one group (e.g. a district): E[var(c) | published].

    The noise added to a true count ``c`` has the variance of its ptable row, var(c) (exactly V
    for every count from 9 on, more for small counts).  The true counts' distribution is
    estimated from the group's published counts by EM on the ptable's likelihood (nonparametric
    maximum likelihood); ``iterations=0`` uses a flat prior (for a cell that has no group, such as
    rows not mapped).  The error of a sum of cells is then the square root of the sum of these.
    A function of published counts and the public ptable only.
    """
    p = np.asarray(published, dtype=np.int64)
    if p.size == 0:
        return np.zeros(0)
    top = int(p.max()) + ptable.max_noise + 1
    like = ptable.likelihood(top)[p]  # cells x possible true counts
    prior = np.full(top + 1, 1.0 / (top + 1))
    for _ in range(iterations):
        post = like * prior
        post /= post.sum(axis=1, keepdims=True)
        prior = post.mean(axis=0)
    post = like * prior
    post /= post.sum(axis=1, keepdims=True)
    variance = ptable.row_variance()[ptable.pcv(np.arange(top + 1))]
    return post @ variance


def build_client_base(clients: pd.DataFrame, settings: Settings | None = None, *, ptable: PTable | None = None) -> ClientBase:
    """Protect an extract once: perturbed counts per LSOA and for rows not mapped.

    Parameters
    ----------
    clients
        Output of :func:`geo.measures.clients.read_client_extract` (it carries the record keys).
    settings
        Locates the LSOA table (districts, for the stated errors).
    ptable
        Default :func:`geo.measures.cellkey.default_ptable`.

    Returns
    -------
    ClientBase
    """
    from geo.data.tables import load_lsoa_table

    if "record_key" not in clients.columns or "lsoa21cd" not in clients.columns:
        msg = "client extract has no record keys: read it with geo.measures.clients.read_client_extract"
        raise SchemaError(msg)
    pt = ptable if ptable is not None else default_ptable()
    cells = clients["lsoa21cd"].astype("string").fillna(NOT_MAPPED)
    published = perturb_counts(cells, clients["record_key"].to_numpy(), pt)
    not_mapped = int(published.get(NOT_MAPPED, 0))
    lsoa = published.drop(NOT_MAPPED, errors="ignore").astype("int64")
    lsoa.index.name = "lsoa21cd"
    lsoa.name = "clients"
    # stated errors: every LSOA of each district that has records (the rest are true zeros)
    lad = load_lsoa_table(settings)["lad24cd"].astype(str)
    footprint = lad[lad.isin(set(lad.reindex(lsoa.index).dropna()))]
    counts = lsoa.reindex(footprint.index).fillna(0).astype("int64")
    mse = pd.Series(0.0, index=footprint.index, name="mse")
    for _code, members in counts.groupby(footprint.to_numpy()):
        mse[members.index] = expected_square_error(members.to_numpy(), pt)
    not_mapped_mse = float(expected_square_error(np.array([not_mapped]), pt, iterations=0)[0])
    bad = clients.loc[clients["lsoa21cd"].isna(), "row"] if "row" in clients.columns else pd.Series([], dtype=int)
    synthetic = bool(clients["synthetic"].any()) if "synthetic" in clients.columns else False
    logger.info("client base built (%s)", pt.label)
    return ClientBase(lsoa=lsoa[lsoa > 0], not_mapped=not_mapped, mse=mse, not_mapped_mse=not_mapped_mse,
                      ptable=pt, synthetic=synthetic, source=str(clients.attrs.get("source", "client extract")),
                      unmapped_rows=tuple(int(r) for r in bad))
