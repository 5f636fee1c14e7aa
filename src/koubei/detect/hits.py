"""A flagged hit (a key rising in one cell and window) and how severe an issue is."""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass
class Hit:
    """One flagged key in one cell and window, before it becomes an issue row."""

    t: int
    level: int
    cell: int
    key: int
    test: str
    count: float
    total: float
    baseline_rate: float
    p: float
    q: float = 1.0

    @property
    def expected(self) -> float:
        return self.total * self.baseline_rate

    @property
    def excess(self) -> float:
        return max(self.count - self.expected, 0.0)


def severity(excess: float, lift: float, q: float) -> float:
    """0-100: half from excess complaints (saturating near 45), 30 from lift (×16 = full), 20 from q."""
    s_excess = 1 - math.exp(-excess / 15)
    s_lift = min(1.0, max(0.0, math.log2(max(lift, 1e-9)) / 4))
    s_q = min(1.0, -math.log10(max(q, 1e-300)) / 6)
    return round(100 * (0.5 * s_excess + 0.3 * s_lift + 0.2 * s_q), 1)
