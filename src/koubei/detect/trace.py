"""Tracing: where a flagged complaint concentrates.

For one flagged key in one cell and window, each attribute column not fixed
by the cell (supplier, product, batch, channel, and the supplier × product
pair) is split into its values. Per value: the complaints now, the complaints
expected at that value's own baseline rate (shrunk toward the cell's), the
excess, its share of all positive excess, and the lift. The value holding
most of the excess is where a product team looks first.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

#: most specific first: the summary names the most specific value that holds
#: at least half of the complaints
TRACE_ORDER: tuple[str, ...] = ("batch", "supplier+product", "product", "supplier", "channel")
PAIR = ("supplier", "product")


@dataclass(frozen=True)
class TraceEntry:
    column: str
    value: str
    count: int
    total: int
    expected: float
    excess_share: float
    share: float
    lift: float

    def as_dict(self) -> dict[str, object]:
        return {"column": self.column, "value": self.value, "count": self.count, "total": self.total,
                "expected": round(self.expected, 2), "excess_share": round(self.excess_share, 3),
                "share": round(self.share, 3), "lift": round(self.lift, 2)}


def trace_candidates(extra: Sequence[str] = ()) -> list[str]:
    """The columns traced over when they hold values: batch, product, supplier, channel, ``extra``."""
    return list(dict.fromkeys(("batch", "product", "supplier", "channel", *extra)))


def trace_columns(with_values: Sequence[str], level: tuple[str, ...]) -> list[str]:
    """Columns to trace a cell of ``level`` over: those of ``with_values`` (the candidates present and
    not all empty, in candidate order) that the level does not fix, with the supplier × product pair."""
    cols = [c for c in with_values if c not in level]
    if all(c in cols for c in PAIR):
        cols.insert(cols.index("product"), "supplier+product")
    return list(dict.fromkeys(cols))


def value_counts(now: pd.DataFrame, base: pd.DataFrame, key_now: np.ndarray, key_base: np.ndarray,
                 columns: Sequence[str]) -> dict[str, pd.DataFrame]:
    """Per column, the complaints and reviews of each value, now and in the baseline.

    Returns:
        column → frame indexed by value (sorted) with ``now_k``, ``now_n``,
        ``base_k``, ``base_n``; the counts of partitions add up (:func:`add_value_counts`).
    """
    out = {}
    for col in columns:
        cur = _per_value(_values(now, col), key_now).rename(columns={"sum": "now_k", "size": "now_n"})
        old = _per_value(_values(base, col), key_base).rename(columns={"sum": "base_k", "size": "base_n"})
        out[col] = cur.join(old, how="outer").fillna(0).astype(np.int64).sort_index()
    return out


def add_value_counts(a: dict[str, pd.DataFrame], b: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """The :func:`value_counts` of two partitions added."""
    return {col: pd.concat([a[col], b[col]]).groupby(level=0).sum() for col in a}


def rank_values(counts: dict[str, pd.DataFrame], cell_rate: float, *, prior_strength: float = 20.0,
                top: int = 3) -> list[TraceEntry]:
    """Top values per column of :func:`value_counts` by excess complaints.

    Args:
        counts: per trace column (:func:`trace_columns`), the counts of the cell's
            rows in the flagged window(s) and in the baseline windows.
        cell_rate: the cell's baseline rate (the prior for each value's rate).
    """
    out: list[TraceEntry] = []
    for col, both in counts.items():
        both = both[both["now_n"] > 0]
        cur = both[["now_k", "now_n"]].set_axis(["sum", "size"], axis=1)
        old = both[["base_k", "base_n"]].set_axis(["sum", "size"], axis=1)
        n_key = max(int(cur["sum"].sum()), 1)
        rate0 = (old["sum"] + prior_strength * cell_rate) / (old["size"] + prior_strength)
        expected = cur["size"] * rate0
        excess = (cur["sum"] - expected).clip(lower=0)
        pos = float(excess.sum()) or 1.0
        with np.errstate(invalid="ignore", divide="ignore"):
            lift = (cur["sum"] / cur["size"]) / rate0.clip(lower=1e-9)
        ranked = excess.sort_values(ascending=False, kind="stable").index[:top]
        out += [TraceEntry(col, str(v), int(cur.at[v, "sum"]), int(cur.at[v, "size"]),
                           float(expected[v]), float(excess[v] / pos), cur.at[v, "sum"] / n_key,
                           float(lift[v])) for v in ranked if cur.at[v, "sum"] > 0]
    return out


def _per_value(values: np.ndarray, key: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame({"v": values, "k": key}).groupby("v")["k"].agg(["sum", "size"])


def headline(entries: list[TraceEntry], min_share: float = 0.5) -> TraceEntry | None:
    """The most specific value holding at least ``min_share`` of the complaints, else the top excess."""
    by_col: dict[str, TraceEntry] = {}
    for e in entries:
        by_col.setdefault(e.column, e)
    for col in (*TRACE_ORDER, *by_col):
        top = by_col.get(col)
        if top is not None and top.share >= min_share and top.lift > 1:
            return top
    return max(entries, key=lambda e: e.excess_share, default=None)


def _values(rows: pd.DataFrame, col: str) -> np.ndarray:
    if col == "supplier+product":
        a = rows["supplier"].astype("string").fillna("(空)")
        b = rows["product"].astype("string").fillna("(空)")
        return (a + " / " + b).to_numpy(dtype=object)
    return rows[col].astype("string").fillna("(空)").to_numpy(dtype=object)
