"""How sure a figure is: a seeded Monte Carlo over travel-time error and site-location precision.

Every scenario, closure and optimiser figure (adults within before/after, newly within/beyond,
percentage points, mean and median minutes and their changes) is recomputed in ``draws``
simulated worlds that differ from the router's answer in the two ways we know it can be wrong.
The model is written down in ``docs/uncertainty.md``; in short:

**Where a site is.**  A site carries a ``location_precision``.  ``address`` and ``coordinates``
are exact.  A ``postcode`` site lies somewhere in its postcode: each draw places it uniformly in
a disc whose radius is the postcode's spread (:func:`geo.data.geocode.postcode_spread_metres`).
A ``town`` site (a hub the seeds name only by town) lies somewhere in the town: each draw places
it at one of the town's points (:func:`geo.data.geocode.town_points`: its NaPTAN stops, else its
pharmacies and GP practices).  The candidate positions are fixed in advance and routed once, in
one vectorised call; a draw only picks one per site.  The pick is keyed by ``site_id``, so a
site keeps the same position in the same draw whatever else changes (before = after).

**How long the journey is.**  Each origin-site journey gets an error from its straight-line
distance band (:func:`geo.travel.error_bands.travel_error_model`: the estimate's held-out
10th/90th percentiles, or the road router's error against Valhalla, centred), drawn from
the normal with the same 10th and 90th percentiles: ``true = router - error``.  Errors are a
random field over (origin position, site position) whose correlation was *measured* on real
errors (:data:`CORRELATION`, ``benchmarks/error_correlation.py``): every journey from one
neighbourhood shares an origin component, every journey to one site a site component (about a
third of the variance each for drives: a centroid far from its main road is slow to everywhere),
and the rest decays as ``exp(-d^2 / 2 L^2)`` with the distance between the other ends
(``L`` about 1 km) -- so journeys from one neighbourhood to two sites 500 m apart share most of
their error.  All three parts are drawn with
random Fourier features -- a few matrix products per draw, no loop over neighbourhoods.  The same
journey keeps the same error before and after a change, so journeys a change does not touch
cancel exactly.

A figure's range is the 10th-90th percentile of its draws, widened where needed to include
the figure computed on the router's own times; a change whose range includes zero is "not
distinguishable from no change" (both in :mod:`geo.measures.intervals`).  Draw ``r`` uses the
generator seeded with ``(seed, r)``: results are the same on every run and machine.

Sites that cannot become anyone's nearest (or second nearest, for closures) in any plausible
draw -- further than the error and location margins from the best -- are left out of the
draws; they cannot change a figure.
"""

from __future__ import annotations

import logging
import zlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from geo._errors import InputError
from geo.measures.intervals import INTERVAL_PERCENTILES

if TYPE_CHECKING:
    from collections.abc import Iterator

    from geo.config import Settings
    from geo.travel.base import Router
    from geo.travel.error_bands import ErrorModel

logger = logging.getLogger(__name__)

#: Correlation of journey errors per (method, mode), as ``(L_km, origin_share, site_share)``: two
#: journeys from one origin correlate ``origin_share + (1 - origin_share) exp(-d^2 / 2 L^2)`` at
#: distance ``d`` between their sites (to one site: ``site_share + ...`` by the distance between
#: their origins).  Measured on the 650 ordered pairs of Rutland LSOA centroids per mode (road
#: router against Valhalla; estimate against the road router) by ``benchmarks/error_correlation.py``,
#: which prints these constants.
# <measured: error_correlation.py>
CORRELATION: dict[tuple[str, str], tuple[float, float, float]] = {
    ("network", "drive"): (2.5, 0.29, 0.28), ("estimate", "drive"): (0.7, 0.29, 0.31),
    ("network", "walk"): (0.5, 0.11, 0.13), ("estimate", "walk"): (0.5, 0.22, 0.22),
    ("network", "cycle"): (0.7, 0.24, 0.18), ("estimate", "cycle"): (0.6, 0.2, 0.21),
}
# </measured>
#: Used for a method or mode without a measurement.
DEFAULT_CORRELATION = (1.0, 0.3, 0.3)
#: Random Fourier features per draw (the error field's smoothness is exact in expectation).
FEATURES = 32
#: Candidate positions per town-precision and postcode-precision site.
TOWN_POSITIONS = 24
POSTCODE_POSITIONS = 6
#: Radius (metres) used for a town site whose town has no points in the bundle.
UNKNOWN_TOWN_METRES = 1_000.0
#: Precisions that need no jitter.
EXACT_PRECISIONS = frozenset({"address", "coordinates", "exact", ""})


@dataclass(frozen=True)
class UncertaintySpec:
    """Size and seed of the Monte Carlo (from :class:`~geo.config.Settings`).

    ``correlation`` overrides the measured ``(L_km, origin_share, site_share)`` of :data:`CORRELATION`.
    """

    draws: int = 200
    seed: int = 20_250
    correlation: tuple[float, float, float] | None = None
    features: int = FEATURES

    def __post_init__(self) -> None:
        if not 0 <= int(self.draws) <= 10_000:
            msg = f"uncertainty draws must be between 0 and 10,000 (got {self.draws}); set GEO_UNCERTAINTY_DRAWS"
            raise InputError(msg)
        c = self.correlation
        if c is not None and not (c[0] > 0 and c[1] >= 0 and c[2] >= 0 and c[1] + c[2] <= 1):
            msg = f"error correlation needs a length above 0 km and shares adding up to at most 1 (got {c})"
            raise InputError(msg)

    @classmethod
    def from_settings(cls, settings: Settings) -> UncertaintySpec:
        """The spec the settings ask for (``uncertainty_draws``, ``uncertainty_seed``)."""
        return cls(draws=int(settings.uncertainty_draws), seed=int(settings.uncertainty_seed))

    def correlation_for(self, method: str, mode: str) -> tuple[float, float, float]:
        """``(L_km, origin_share, site_share)`` of the error correlation of a ``method``/``mode`` router."""
        if self.correlation is not None:
            return self.correlation
        return CORRELATION.get((str(method), str(mode)), DEFAULT_CORRELATION)

    def describe(self) -> str:
        """One line for run records."""
        lo, hi = INTERVAL_PERCENTILES
        return (f"{lo:g}th-{hi:g}th percentile of {self.draws} seeded draws (seed {self.seed}) over "
                "travel-time error and site-location precision")


# --------------------------------------------------------------------------- where sites could be
def _site_key(site_id: Any) -> int:
    return zlib.crc32(str(site_id).encode("utf-8"))


def site_positions(sites: pd.DataFrame, *, settings: Settings | None = None,
                   seed: int = 0) -> tuple[list[np.ndarray], np.ndarray]:
    """Candidate positions of each site (``(k, 2)`` metres; one row = exact) and the radius of each.

    ``town`` sites: up to :data:`TOWN_POSITIONS` of the town's points; ``postcode`` sites:
    :data:`POSTCODE_POSITIONS` points uniform in the postcode's disc; others: the site itself.
    The positions of a site depend only on its ``site_id``, its place and ``seed``.
    """
    from geo.data.geocode import postcode_spread_metres, town_points

    xy = np.column_stack([sites["easting"].to_numpy(float), sites["northing"].to_numpy(float)]).reshape(-1, 2)
    prec = (sites["location_precision"].fillna("").astype(str).str.strip().str.lower().to_numpy()
            if "location_precision" in sites.columns else np.full(len(sites), "", dtype=object))
    ids = sites["site_id"].astype(str).to_numpy() if "site_id" in sites.columns else np.arange(len(sites)).astype(str)
    towns = sites["town"].fillna("").astype(str).to_numpy() if "town" in sites.columns else np.full(len(sites), "")
    out = [xy[i:i + 1].copy() for i in range(len(sites))]
    radius = np.zeros(len(sites))
    pc = np.flatnonzero(prec == "postcode")
    spread = postcode_spread_metres(xy[pc], settings) if len(pc) else np.zeros(0)
    for j, i in enumerate(pc):  # per uncertain site, a handful of candidate points (not per LSOA)
        rng = np.random.default_rng([seed, _site_key(ids[i])])
        r = spread[j] * np.sqrt(rng.uniform(size=POSTCODE_POSITIONS))
        theta = rng.uniform(0.0, 2.0 * np.pi, size=POSTCODE_POSITIONS)
        out[i] = xy[i] + np.column_stack([r * np.cos(theta), r * np.sin(theta)])
        radius[i] = spread[j]
    for i in np.flatnonzero(prec == "town"):
        rng = np.random.default_rng([seed, _site_key(ids[i])])
        pts = town_points(towns[i], settings) if towns[i].strip() else np.zeros((0, 2))
        if len(pts) >= 2:
            take = rng.choice(len(pts), size=min(TOWN_POSITIONS, len(pts)), replace=False)
            out[i] = pts[np.sort(take)]
            radius[i] = float(np.max(np.hypot(*(out[i] - xy[i]).T)))
        else:
            r = UNKNOWN_TOWN_METRES * np.sqrt(rng.uniform(size=TOWN_POSITIONS))
            theta = rng.uniform(0.0, 2.0 * np.pi, size=TOWN_POSITIONS)
            out[i] = xy[i] + np.column_stack([r * np.cos(theta), r * np.sin(theta)])
            radius[i] = UNKNOWN_TOWN_METRES
    return out, radius


# --------------------------------------------------------------------------- the draws
def relevant_rows(matrix: np.ndarray, states: list[np.ndarray], margin_minutes: np.ndarray, *,
                  rank: int = 1) -> np.ndarray:
    """Rows (sites) that could be an origin's nearest -- or ``rank``-th nearest -- in some state.

    ``states`` are boolean masks over the rows (the site sets compared); a row is relevant when
    it is in a state and within ``margin_minutes`` (per row, or per row and origin) of that
    state's ``rank``-th best minutes for at least one origin.
    """
    margin_minutes = np.asarray(margin_minutes, dtype=float)
    if margin_minutes.ndim == 1:
        margin_minutes = margin_minutes[:, None]
    m = np.where(np.isnan(matrix), np.inf, np.asarray(matrix, dtype=float))
    keep = np.zeros(m.shape[0], dtype=bool)
    for state in states:
        rows = np.flatnonzero(state)
        if not len(rows):
            continue
        sub = m[rows]
        k = min(rank, len(rows)) - 1
        kth = np.partition(sub, k, axis=0)[k]  # inf where fewer than ``rank`` sites are reachable
        near = np.isfinite(sub) & (sub <= kth[None, :] + margin_minutes[rows])
        keep[rows[near.any(axis=1)]] = True
    return keep


class AccessDraws:
    """Simulated true minutes from every origin to a set of sites, one matrix per draw.

    Build once for the union of every site set a question compares (before and after, all
    services); :meth:`matrix` gives draw ``r``'s ``(n_sites, n_origins)`` minutes (``inf`` =
    unreachable, or a site that cannot matter).  ``draw 0 ... draws-1``; :attr:`point` is the
    router's own matrix.
    """

    def __init__(self, router: Router, origins_xy: np.ndarray, sites: pd.DataFrame, matrix: np.ndarray, *,
                 spec: UncertaintySpec, settings: Settings | None = None,
                 states: list[np.ndarray] | None = None, rank: int = 1) -> None:
        from geo.travel.error_bands import travel_error_model

        self.spec = spec
        self.origins_xy = np.asarray(origins_xy, dtype=float).reshape(-1, 2)
        self.sites = pd.DataFrame(sites).reset_index(drop=True)
        self.point = np.where(np.isnan(matrix), np.inf, np.asarray(matrix, dtype=float))
        n_s, n_o = self.point.shape
        self.method = str(getattr(router, "method", ""))
        self.correlation = spec.correlation_for(self.method, getattr(router, "mode", ""))
        self.bands: ErrorModel | None = travel_error_model(getattr(router, "mode", ""), getattr(router, "method", ""),
                                                           settings)
        self.xy = np.column_stack([self.sites["easting"].to_numpy(float),
                                   self.sites["northing"].to_numpy(float)]).reshape(-1, 2)
        positions, radius = site_positions(self.sites, settings=settings, seed=spec.seed)
        # minutes per metre of each site's row, to turn a location radius into minutes
        km = self._km(self.xy)
        with np.errstate(divide="ignore", invalid="ignore"):
            pace = np.where((km > 0.5) & np.isfinite(self.point), self.point / km, np.nan)
        valid = ~np.isnan(pace)
        count = valid.sum(axis=1)
        ranked = np.sort(np.where(valid, pace, np.inf), axis=1)
        at = np.clip((0.9 * (count - 1)).astype(np.int64), 0, None)
        per_km = np.where(count > 0, ranked[np.arange(n_s), at] if n_o else 2.0, 2.0)
        # a site can matter where it is within 3 sd of the difference of two journeys' errors (and
        # twice its location radius) of the best: sd of the difference <= sqrt(2) x this journey's sd
        sd = self.bands.normal(km)[1] if self.bands is not None else np.zeros_like(km)
        margin = 3.0 * np.sqrt(2.0) * sd + (2.0 * radius / 1000.0 * per_km + 0.5)[:, None]
        if states is None:
            states = [np.ones(n_s, dtype=bool)]
        self.keep = relevant_rows(self.point, states, margin, rank=rank) if n_s and n_o else np.zeros(n_s, bool)
        self._rows = np.flatnonzero(self.keep)
        self._route_positions(router, positions)
        self._mu, self._sd = self._error_params(self._km(self.xy[self._rows]))
        logger.info("uncertainty: %d of %d sites can matter, %d jittered (%d positions routed), %d draws",
                    len(self._rows), n_s, len(self._jitter), sum(len(c) for c in self._cand_rows), spec.draws)

    # ------------------------------------------------------------------ setup
    def _km(self, sxy: np.ndarray) -> np.ndarray:
        o = self.origins_xy
        return np.hypot(sxy[:, None, 0] - o[None, :, 0], sxy[:, None, 1] - o[None, :, 1]) / 1000.0

    def _error_params(self, km: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if self.bands is None:
            return np.zeros_like(km), np.zeros_like(km)
        return self.bands.normal(km)

    def _route_positions(self, router: Router, positions: list[np.ndarray]) -> None:
        """Route every candidate position of the relevant uncertain sites in one call.

        Candidates are stacked in one array (``_cand_*``); site ``n`` of ``_jitter`` owns rows
        ``_offset[n] : _offset[n] + _count[n]``, and draw ``r`` takes row ``_offset[n] + _picks[n, r]``.
        """
        jitter = [int(r) for r in self._rows if len(positions[r]) > 1]
        self._jitter = np.array(jitter, dtype=np.int64)
        self._at = np.searchsorted(self._rows, self._jitter)  # position of each jittered site in _rows
        n_o = len(self.origins_xy)
        self._cand_rows = np.zeros((0, n_o))
        self._cand_xy = np.zeros((0, 2))
        self._cand_mu = np.zeros((0, n_o))
        self._cand_sd = np.zeros((0, n_o))
        self._offset = np.zeros(len(jitter), dtype=np.int64)
        self._picks = np.zeros((len(jitter), self.spec.draws), dtype=np.int64)
        if not jitter:
            return
        allxy = np.vstack([positions[j] for j in jitter])
        finite = self.point[self._rows][np.isfinite(self.point[self._rows])]
        cap = float(finite.max()) * 1.5 + 30.0 if len(finite) else None
        routed = np.asarray(router.site_origin_minutes(allxy, self.origins_xy, max_minutes=cap), dtype=float)
        routed = np.where(np.isnan(routed), np.inf, routed)
        counts = np.array([len(positions[j]) for j in jitter], dtype=np.int64)
        owner = np.repeat(np.arange(len(jitter)), counts)
        ok = np.isfinite(routed).any(axis=1)
        none = np.bincount(owner[ok], minlength=len(jitter))[: len(jitter)] == 0
        if none.any():  # no candidate joins the roads: the site stays where it is
            keep_own = np.isin(owner, np.flatnonzero(none))
            first = np.zeros(len(owner), dtype=bool)
            first[np.r_[0, np.cumsum(counts)[:-1]]] = True
            routed[keep_own & first] = self.point[self._jitter[owner[keep_own & first]]]
            allxy[keep_own & first] = self.xy[self._jitter[owner[keep_own & first]]]
            ok |= keep_own & first
        self._cand_rows, self._cand_xy, owner = routed[ok], allxy[ok], owner[ok]
        self._cand_mu, self._cand_sd = self._error_params(self._km(self._cand_xy))
        kept = np.bincount(owner, minlength=len(jitter))[: len(jitter)]
        self._offset = np.r_[0, np.cumsum(kept)[:-1]].astype(np.int64)
        ids = self.sites["site_id"].astype(str).to_numpy() if "site_id" in self.sites else np.arange(len(self.sites))
        for n, j in enumerate(jitter):  # one generator per uncertain site: its picks follow its site_id
            rng = np.random.default_rng([self.spec.seed, 1, _site_key(ids[j])])
            self._picks[n] = rng.integers(0, kept[n], size=self.spec.draws)

    # ------------------------------------------------------------------ draws
    @property
    def draws(self) -> int:
        """Number of draws."""
        return int(self.spec.draws)

    @property
    def jittered_sites(self) -> int:
        """Sites whose position is uncertain and can change a figure."""
        return len(self._jitter)

    def matrices(self) -> Iterator[tuple[int, np.ndarray]]:
        """``(r, matrix(r))`` for every draw, with BLAS held to one thread.

        The products are small (sites x features x origins); threads only contend for the cores
        (on a busy 2-core machine, ten times the CPU for the same answer).
        """
        from threadpoolctl import threadpool_limits

        with threadpool_limits(limits=1, user_api="blas"):
            for r in range(self.draws):
                yield r, self.matrix(r)

    def matrix(self, r: int) -> np.ndarray:
        """Draw ``r``: simulated true minutes, ``(n_sites, n_origins)``; ``inf`` = unreachable/irrelevant."""
        n_s, n_o = self.point.shape
        out = np.full((n_s, n_o), np.inf)
        if not len(self._rows):
            return out
        rows = self.point[self._rows].copy()
        sxy = self.xy[self._rows].copy()
        mu, sd = self._mu.copy(), self._sd.copy()
        if len(self._jitter):  # uncertain sites: the routed position this draw picks
            take = self._offset + self._picks[:, r]
            rows[self._at] = self._cand_rows[take]
            sxy[self._at] = self._cand_xy[take]
            mu[self._at], sd[self._at] = self._cand_mu[take], self._cand_sd[take]
        if self.bands is not None:
            field = self._field(r, sxy)
            rows = np.maximum(rows - (mu + sd * field), 0.0)
        out[self._rows] = rows
        return out

    def _field(self, r: int, sxy: np.ndarray) -> np.ndarray:
        """Unit-variance Gaussian field over (site, origin) positions, ``(n_sites, n_origins)``.

        ``sqrt(a) u(origin) + sqrt(b) v(site) + sqrt(1 - a - b) g(origin, site)``: an origin
        component shared by every journey from a neighbourhood, a site component shared by every
        journey to a site (both smooth over ``L``), and a joint part; each drawn with random
        Fourier features of the Gaussian kernel of length ``L`` (a few matrix products).
        """
        f = int(self.spec.features)
        rng = np.random.default_rng([self.spec.seed, 2, int(r)])
        length, a_share, b_share = self.correlation
        scale = 1.0 / float(length)
        centre = self.origins_xy.mean(axis=0)
        o_km = (self.origins_xy - centre) / 1000.0
        s_km = (sxy - centre) / 1000.0

        def field_1d(xy_km: np.ndarray) -> np.ndarray:  # one point set: u or v
            w = rng.normal(0.0, scale, size=(f, 2))
            b = rng.uniform(0.0, 2.0 * np.pi, size=f)
            return np.sqrt(2.0 / f) * (np.cos(xy_km @ w.T + b) @ rng.normal(size=f))

        u, v = field_1d(o_km), field_1d(s_km)
        w_o = rng.normal(0.0, scale, size=(f, 2))
        w_s = rng.normal(0.0, scale, size=(f, 2))
        b = rng.uniform(0.0, 2.0 * np.pi, size=f)
        a = rng.normal(size=f)
        p = o_km @ w_o.T  # (n_o, f)
        q = s_km @ w_s.T + b  # (n_s, f)
        p, q = p.astype(np.float32), q.astype(np.float32)  # single precision: twice as fast, ample for noise
        g = (np.cos(p) * a.astype(np.float32)) @ np.cos(q).T - (np.sin(p) * a.astype(np.float32)) @ np.sin(q).T
        joint = np.sqrt(2.0 / f) * g.T
        return (np.sqrt(a_share) * u[None, :] + np.sqrt(b_share) * v[:, None]
                + np.sqrt(max(1.0 - a_share - b_share, 0.0)) * joint)


__all__ = ["CORRELATION", "DEFAULT_CORRELATION", "AccessDraws", "UncertaintySpec", "relevant_rows", "site_positions"]
