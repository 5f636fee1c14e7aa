"""Small statistics shared by aggregation and detection."""

from __future__ import annotations

import numpy as np
from scipy import stats

Z95 = 1.959963984540054


def wilson_interval(k: np.ndarray | float, n: np.ndarray | float,
                    z: float = Z95) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval of a proportion ``k/n``; NaN where ``n == 0``.

    Better than the normal approximation for small ``n`` and rates near 0 or 1,
    which is the usual case for a complaint topic in one supplier's week.
    """
    k = np.asarray(k, dtype=float)
    n = np.asarray(n, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = k / n
        z2 = z * z
        centre = (p + z2 / (2 * n)) / (1 + z2 / n)
        half = z * np.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n)
    lo = np.where(n > 0, np.clip(centre - half, 0.0, 1.0), np.nan)
    hi = np.where(n > 0, np.clip(centre + half, 0.0, 1.0), np.nan)
    return lo, hi


def betabinom_sf(k: np.ndarray, n: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """P(X ≥ k) for X ~ BetaBinomial(n, a, b), vectorized; 1.0 where ``k <= 0``."""
    k = np.asarray(k, dtype=float)
    n = np.asarray(n, dtype=float)
    out = np.ones_like(k)
    live = k > 0
    if live.any():
        out[live] = stats.betabinom.sf(k[live] - 1, n[live], a[live], b[live])
    return np.clip(out, 0.0, 1.0)


def bh_qvalues(p: np.ndarray) -> np.ndarray:
    """Benjamini–Hochberg adjusted p-values (q-values), in the input's order."""
    p = np.asarray(p, dtype=float)
    m = p.size
    if m == 0:
        return p
    order = np.argsort(p)
    ranked = p[order] * m / np.arange(1, m + 1)
    q = np.minimum.accumulate(ranked[::-1])[::-1]
    out = np.empty(m)
    out[order] = np.clip(q, 0.0, 1.0)
    return out

