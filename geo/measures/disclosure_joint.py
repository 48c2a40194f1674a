"""Joint disclosure control: protect every number published together, not one table at a time.

A *release* is a set of published items, each a sum of unknown counts (variables).  For a client
extract the variables are the clients in each LSOA of the area plus the clients living outside
the area and the rows that could not be mapped; the items are the LSOA cells, district, IMD
decile, IMD quintile and area totals, and the headline counts (rows read, rows not mapped,
clients outside the area).  Every item is published in one of four ways:

``exact``    the true value;
``rounded``  the true value rounded to the nearest ``base`` (an intruder learns ``value +/- base // 2``);
``band``     "fewer than 5" (the intruder learns ``1 .. threshold - 1``); zero is shown as 0;
``hidden``   nothing.

:func:`protect` chooses the ways so that **no item whose true value is 1 to threshold-1 can be
pinned to a single whole number** by an intruder who knows every published item and that counts
are whole numbers >= 0.  It works in three steps, repeated until nothing changes:

1. primary suppression: LSOA cells of 1..threshold-1 are hidden; totals of 1..threshold-1 are
   hidden too (they are small counts themselves);
2. structural secondary suppression: a published total with exactly one hidden cell under it
   gets a second hidden cell (the smallest non-zero visible cell of that total);
3. the linear-programming audit (:func:`audit`): the smallest and largest value of every small
   item over all published items together (``scipy.optimize.milp`` on the LP relaxation, then on
   the integer problem when the LP range is narrow); any small item that is pinned gets one more
   hidden cell in a total that constrains it, or, when no cell is left, the total itself hidden.

Totals with a hidden cell beneath them are published rounded to ``total_base`` (5), never exact.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from geo._errors import InputError
from geo.measures.disclosure import DEFAULT_THRESHOLD

logger = logging.getLogger(__name__)

#: Publication ways, in order of how much they reveal.
WAYS = ("exact", "rounded", "band", "hidden")


@dataclass
class Item:
    """One published number: the sum of the variables in ``support``.

    ``kind`` is ``cell`` (an LSOA count; may be hidden to protect others), ``total`` (a sum of
    cells; rounded when a cell beneath it is hidden) or ``headline`` (rounded to 5 or banded).
    """

    table: str
    label: str
    support: np.ndarray
    kind: str = "total"
    way: str = "exact"
    value: int = 0
    forced_hidden: bool = False


@dataclass
class Plan:
    """The outcome of :func:`protect`: how each item is published and what the audit found."""

    items: list[Item]
    threshold: int
    total_base: int
    cell_base: int | None
    iterations: int = 0
    audit: pd.DataFrame = field(default_factory=pd.DataFrame)

    def published(self, item: Item) -> int | str | None:
        """The value shown for ``item``: an int, ``"fewer than N"`` or None (hidden)."""
        return _shown(item, self.threshold, self.total_base, self.cell_base)


def round_to(value: float, base: int) -> int:
    """Nearest multiple of ``base`` (halves away from zero, so the interval is symmetric)."""
    return int(np.floor(value / base + 0.5) * base)


def _shown(item: Item, threshold: int, total_base: int, cell_base: int | None) -> int | str | None:
    if item.way == "hidden":
        return None
    if item.way == "band":
        return 0 if item.value == 0 else f"fewer than {threshold}"
    if item.way == "rounded":
        base = cell_base if item.kind == "cell" and cell_base else total_base
        return round_to(item.value, base)
    return int(item.value)


def _interval(item: Item, threshold: int, total_base: int, cell_base: int | None) -> tuple[float, float] | None:
    """What an intruder learns about the item's true value (None: nothing)."""
    shown = _shown(item, threshold, total_base, cell_base)
    if shown is None:
        return None
    if isinstance(shown, str):
        return (1.0, float(threshold - 1))
    if item.way == "rounded":
        base = cell_base if item.kind == "cell" and cell_base else total_base
        half = (base - 1) // 2 if base % 2 else base // 2 - 0.5
        return (max(0.0, shown - half), shown + half)
    if item.way == "band":  # a shown zero
        return (0.0, 0.0)
    return (float(shown), float(shown))


def _bounds(lo: np.ndarray, hi: np.ndarray, a: np.ndarray, c_lo: np.ndarray, c_hi: np.ndarray,
            obj: np.ndarray, *, integer: bool) -> tuple[float, float]:
    from scipy.optimize import Bounds, LinearConstraint, milp

    cons = [LinearConstraint(a, c_lo, c_hi)] if len(a) else []
    integrality = np.ones(len(obj)) if integer else np.zeros(len(obj))
    out = []
    for sign in (1.0, -1.0):
        res = milp(sign * obj, constraints=cons, bounds=Bounds(lo, hi), integrality=integrality,
                   options={"presolve": True})
        if res.status == 0:
            out.append(sign * float(res.fun))
        elif res.status == 3 or sign < 0:  # unbounded above
            out.append(np.inf if sign < 0 else 0.0)
        else:
            out.append(0.0)
    return out[0], out[1]


def audit(items: Sequence[Item], n_vars: int, *, threshold: int = DEFAULT_THRESHOLD, total_base: int = 5,
          cell_base: int | None = None) -> pd.DataFrame:
    """Feasible range of every small item (true value 1..threshold-1) given all published items.

    Returns
    -------
    pandas.DataFrame
        One row per small item: ``table``, ``label``, ``value``, ``lower``, ``upper`` and ``pinned``
        (only one whole number is possible).  **Holds true values: for tests and checks only,
        never publish it.**
    """
    var_lo = np.zeros(n_vars)
    var_hi = np.full(n_vars, np.inf)
    rows, c_lo, c_hi = [], [], []
    for it in items:
        iv = _interval(it, threshold, total_base, cell_base)
        if iv is None:
            continue
        if len(it.support) == 1:
            j = int(it.support[0])
            var_lo[j], var_hi[j] = max(var_lo[j], iv[0]), min(var_hi[j], iv[1])
            continue
        row = np.zeros(n_vars)
        row[it.support] = 1.0
        rows.append(row)
        c_lo.append(iv[0])
        c_hi.append(iv[1])
    a = np.array(rows) if rows else np.zeros((0, n_vars))
    lo_arr, hi_arr = np.array(c_lo, dtype=float), np.array(c_hi, dtype=float)
    out = []
    for it in items:
        if not 1 <= it.value < threshold:
            continue
        obj = np.zeros(n_vars)
        obj[it.support] = 1.0
        lo, hi = _bounds(var_lo, var_hi, a, lo_arr, hi_arr, obj, integer=False)
        if hi - lo < 2.0 - 1e-6:  # narrow: the integer problem may pin it where the LP does not
            lo, hi = _bounds(var_lo, var_hi, a, lo_arr, hi_arr, obj, integer=True)
        pinned = bool(np.floor(hi + 1e-6) - np.ceil(lo - 1e-6) < 1)
        out.append({"table": it.table, "label": it.label, "value": it.value, "lower": lo, "upper": hi,
                    "pinned": pinned})
    return pd.DataFrame(out, columns=["table", "label", "value", "lower", "upper", "pinned"])


def _set_ways(items: list[Item], hidden_vars: set[int], *, threshold: int, cell_base: int | None) -> None:
    """Ways of totals and headlines from the current hidden cells."""
    for it in items:
        if it.kind == "cell":
            continue
        if it.kind == "headline":
            it.way = "band" if it.value < threshold else "rounded"
            continue
        if it.forced_hidden or 1 <= it.value < threshold:
            it.way = "hidden"
        elif cell_base or hidden_vars.intersection(it.support.tolist()):
            it.way = "rounded"
        else:
            it.way = "exact"


def protect(values: np.ndarray, items: list[Item], *, threshold: int = DEFAULT_THRESHOLD, total_base: int = 5,
            cell_base: int | None = None, max_iterations: int = 200, hide_all_cells: bool = False) -> Plan:
    """Choose how each item is published so that no small item can be worked out.

    Parameters
    ----------
    values
        True value of every variable (whole numbers >= 0).
    items
        Every number of the release (see :class:`Item`); ``value`` is filled in here.
    threshold
        Smallest count that may be shown exactly (5).
    total_base
        Totals with a hidden cell beneath them, and headline counts, are rounded to this base.
    cell_base
        Round visible cells (and every total) to this base as well (``--round-to``); None: exact.
    max_iterations
        Safety bound on audit rounds.
    hide_all_cells
        Hide every cell, zeros included (used when the whole release is about fewer than
        ``threshold`` people: shown zeros would point at where they live).

    Returns
    -------
    Plan
        Items with their ``way`` set; ``audit`` holds the final feasible ranges (true values:
        never publish it).
    """
    vals = np.asarray(values, dtype=float)
    if (vals < 0).any() or (vals != np.round(vals)).any():
        msg = "counts must be whole numbers >= 0"
        raise InputError(msg)
    if total_base < 1 or (cell_base is not None and cell_base < 1):
        msg = "rounding bases must be whole numbers >= 1"
        raise InputError(msg)
    for it in items:
        it.support = np.asarray(it.support, dtype=int)
        it.value = int(vals[it.support].sum())
    cells = {int(it.support[0]): it for it in items if it.kind == "cell"}
    hidden: set[int] = set()
    for j, it in cells.items():
        small = 1 <= it.value < threshold or hide_all_cells
        it.way = "hidden" if small else ("rounded" if cell_base else "exact")
        if it.way == "hidden":
            hidden.add(j)
    totals = [it for it in items if it.kind == "total"]

    def hide_in(total: Item, exclude: set[int]) -> bool:
        cand = [j for j in total.support.tolist() if j in cells and j not in hidden and j not in exclude]
        if not cand:
            return False
        nonzero = [j for j in cand if vals[j] > 0]
        pick = min(nonzero or cand, key=lambda j: (vals[j], j))
        hidden.add(pick)
        cells[pick].way = "hidden"
        return True

    plan = Plan(items=items, threshold=threshold, total_base=total_base, cell_base=cell_base)
    for it_round in range(max_iterations):
        plan.iterations = it_round + 1
        # structural pass: a published total never has exactly one hidden cell beneath it
        changed = True
        while changed:
            changed = False
            _set_ways(items, hidden, threshold=threshold, cell_base=cell_base)
            for t in totals:
                if t.way != "hidden" and len(hidden.intersection(t.support.tolist())) == 1 and hide_in(t, set()):
                    changed = True
        rep = audit(items, len(vals), threshold=threshold, total_base=total_base, cell_base=cell_base)
        plan.audit = rep
        pinned = rep[rep["pinned"]]
        if pinned.empty:
            break
        by_label = {(it.table, it.label): it for it in items}
        acted = False
        for r in pinned.itertuples():
            target = by_label[(r.table, r.label)]
            sup = set(target.support.tolist())
            # totals that constrain the target: published, sharing a variable, not the target itself
            lines = sorted((t for t in totals if t is not target and t.way != "hidden"
                            and sup.intersection(t.support.tolist())), key=lambda t: len(t.support))
            if any(hide_in(t, sup) for t in lines):
                acted = True
                continue
            if lines:  # nothing left to hide: withhold the smallest constraining total
                lines[0].forced_hidden = True
                acted = True
        if not acted:
            logger.warning("disclosure: %d small item(s) could not be protected", len(pinned))
            break
    _set_ways(items, hidden, threshold=threshold, cell_base=cell_base)
    logger.info("disclosure: %d of %d cells hidden after %d audit round(s)", len(hidden), len(cells),
                plan.iterations)
    return plan
