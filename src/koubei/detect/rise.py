"""Is a key's complaint share in a window higher than its baseline?

Two one-sided tests per cell × key × window, both beta-binomial so the
baseline's own uncertainty counts (a supplier with 40 reviews of history is
not held to the same certainty as one with 40,000):

- **spike**: this window against the ``baseline`` windows before it;
- **drift**: the last ``drift`` windows pooled against the baseline before
  them, for a rise too slow to stand out in any one window (the windowed
  form of a CUSUM: evidence summed over consecutive windows). Only a rise
  that lasts counts: every pooled window must be above ``min_lift`` times
  the baseline.

The baseline rate is shrunk toward the key's rate over all cells
(``prior_strength`` pseudo-reviews), and raised to the same season's rate a
year earlier when that is higher, so a complaint that rises every summer does
not alarm every summer; the seasonal rate is shrunk toward the cell's own
recent rate, so a season with few reviews does not raise it. Over-dispersion
-- real complaint shares vary more between windows than a binomial allows --
is estimated per key from the
baseline windows of all cells (Pearson χ² / df, at least 1, each window's
residual capped so one past burst does not count as noise) and deflates the
effective sample sizes (quasi-likelihood).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from koubei.aggregate.stats import betabinom_sf
from koubei.detect.cube import Cube

CHI2_1_Q99 = 6.635  # 99th percentile of χ² with one degree of freedom


@dataclass(frozen=True)
class RiseParams:
    baseline: int
    drift: int
    season_lag: int
    season_halfwidth: int
    prior_strength: float
    max_dispersion: float


@dataclass
class RiseResult:
    """Arrays of shape (cells, keys) for one window."""

    count: np.ndarray
    total: np.ndarray
    baseline_rate: np.ndarray
    p_spike: np.ndarray
    drift_count: np.ndarray
    drift_total: np.ndarray
    drift_rate: np.ndarray
    drift_baseline_rate: np.ndarray
    drift_sustained: np.ndarray
    p_drift: np.ndarray
    dispersion: np.ndarray


def rise_at(cube: Cube, t: int, prior: np.ndarray, params: RiseParams, min_lift: float = 1.5) -> RiseResult:
    """Both tests for every cell and key of ``cube`` at window ``t``."""
    total, count = cube.span(t, t + 1)
    p0 = _baseline_rate(cube, t, prior, params)
    phi = _dispersion(cube, t - params.baseline, t, p0, params)
    nb, _ = cube.span(t - params.baseline, t)
    p_spike = _pvalue(count, total[:, None], p0, nb[:, None] + params.prior_strength, phi)
    d0 = t - params.drift + 1
    dt, dc = cube.span(d0, t + 1)
    pd0 = _baseline_rate(cube, d0, prior, params)
    phi_d = _dispersion(cube, d0 - params.baseline, d0, pd0, params)
    ndb, _ = cube.span(d0 - params.baseline, d0)
    p_drift = _pvalue(dc, dt[:, None], pd0, ndb[:, None] + params.prior_strength, phi_d)
    with np.errstate(invalid="ignore", divide="ignore"):
        drift_rate = np.where(dt[:, None] > 0, dc / dt[:, None], 0.0)
    sustained = _sustained(cube, max(d0, 0), t + 1, min_lift * pd0)
    return RiseResult(count=count, total=np.broadcast_to(total[:, None], count.shape).copy(),
                      baseline_rate=p0, p_spike=p_spike, drift_count=dc,
                      drift_total=np.broadcast_to(dt[:, None], dc.shape).copy(),
                      drift_rate=drift_rate, drift_baseline_rate=pd0,
                      drift_sustained=sustained, p_drift=p_drift, dispersion=phi)


def _sustained(cube: Cube, start: int, stop: int, floor: np.ndarray) -> np.ndarray:
    """(cells, keys): every window in ``[start, stop)`` has reviews and a rate at least ``floor``.

    A drift is a rise that lasts: one burst window pooled with quiet ones is a spike, not a drift.
    """
    n = cube.totals[:, start:stop].astype(float)[:, :, None]
    c = cube.counts[:, start:stop, :].astype(float)
    return ((n > 0) & (c >= floor[:, None, :] * n) & (c > 0)).all(axis=1)


def _baseline_rate(cube: Cube, t: int, prior: np.ndarray, params: RiseParams) -> np.ndarray:
    nb, cb = cube.span(t - params.baseline, t)
    m = params.prior_strength
    recent = (cb + m * prior[None, :]) / (nb[:, None] + m)
    lag, h = params.season_lag, params.season_halfwidth
    if t - lag - h < 0:
        return recent
    ns, cs = cube.span(t - lag - h, t - lag + h + 1)
    # shrunk toward the cell's own recent rate, not the prior over all cells: a season with few
    # reviews a year ago says little, and must not lift a quiet shop's baseline to the average
    # shop's (a burst of 12 taste complaints in 80 reviews was missed so)
    seasonal = (cs + m * recent) / (ns[:, None] + m)
    return np.maximum(recent, seasonal)


def _dispersion(cube: Cube, start: int, stop: int, p0: np.ndarray, params: RiseParams) -> np.ndarray:
    """Per-key Pearson χ²/df over baseline windows ``[start, stop)`` of every cell, in [1, max].

    Each cell-window's squared residual is capped at χ²₁'s 99th percentile, so one
    earlier burst inside the baseline does not pass for over-dispersion and hide the next.
    """
    a = max(0, start)
    if stop - a < 2:
        return np.ones(p0.shape[1])
    n = cube.totals[:, a:stop].astype(float)[:, :, None]
    c = cube.counts[:, a:stop, :].astype(float)
    p = np.clip(p0[:, None, :], 1e-6, 1 - 1e-6)
    live = n > 0
    with np.errstate(invalid="ignore", divide="ignore"):
        resid = np.where(live, (c - n * p) ** 2 / (n * p * (1 - p)), 0.0)
    resid = np.minimum(resid, CHI2_1_Q99)
    dof = live.sum(axis=(0, 1)) - (live.any(axis=1)).sum(axis=0)
    chi2 = resid.sum(axis=(0, 1))
    with np.errstate(invalid="ignore", divide="ignore"):
        phi = np.where(dof > 0, chi2 / np.maximum(dof, 1), 1.0)
    return np.clip(phi, 1.0, params.max_dispersion).ravel()


def _pvalue(count: np.ndarray, total: np.ndarray, p0: np.ndarray, m_eff: np.ndarray,
            phi: np.ndarray) -> np.ndarray:
    """One-sided beta-binomial P(X ≥ count) with sizes deflated by the dispersion."""
    total = np.broadcast_to(total, count.shape)
    m = np.broadcast_to(m_eff, count.shape) / phi[None, :]
    k = np.ceil(count / phi[None, :] - 1e-9)
    n = np.maximum(np.round(total / phi[None, :]), k)
    p = np.clip(p0, 1e-6, 1 - 1e-6)
    a, b = p * m, (1 - p) * m
    flat = betabinom_sf(k.ravel(), n.ravel(), a.ravel(), b.ravel())
    return flat.reshape(count.shape)
