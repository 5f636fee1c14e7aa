"""Counts per cell × window × key, with cumulative sums for fast window ranges.

A *level* is a tuple of grouping columns (``()`` is everything, ``("supplier",)``
one cell per supplier, ``("supplier", "product")`` one per pair). Every level
gets a dense cube: windows with no reviews hold zeros, so baselines are
counted in calendar windows, not in "windows that happened to have data".

Counting is split so that it can run part by part: :func:`level_sums` sums one
partition's rows per cell × window, :func:`add_sums` adds the sums of two
partitions, and :func:`dense_cube` lays the total out as a cube. A whole frame
is one partition.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

#: the cell value of a missing grouping value
EMPTY = "(空)"


@dataclass
class Cube:
    """Counts of one level.

    Attributes:
        level: the grouping columns.
        cells: one row per cell, the level's columns (empty frame for ``()``), sorted.
        totals: (cells, windows) countable reviews.
        counts: (cells, windows, keys) reviews raising each key.
    """

    level: tuple[str, ...]
    cells: pd.DataFrame
    totals: np.ndarray
    counts: np.ndarray

    def __post_init__(self) -> None:
        zero_t = np.zeros((self.totals.shape[0], 1), dtype=np.int64)
        self._cum_t = np.concatenate([zero_t, np.cumsum(self.totals, axis=1)], axis=1)
        zero_k = np.zeros((self.counts.shape[0], 1, self.counts.shape[2]), dtype=np.int64)
        self._cum_k = np.concatenate([zero_k, np.cumsum(self.counts, axis=1)], axis=1)

    @property
    def n_cells(self) -> int:
        return int(self.totals.shape[0])

    def span(self, start: int, stop: int) -> tuple[np.ndarray, np.ndarray]:
        """(totals (cells,), counts (cells, keys)) summed over windows ``[start, stop)``."""
        n_windows = self.totals.shape[1]
        a, b = max(0, start), max(0, min(stop, n_windows))
        if b <= a:
            return np.zeros(self.n_cells), np.zeros((self.n_cells, self.counts.shape[2]))
        return (self._cum_t[:, b] - self._cum_t[:, a]).astype(float), \
            (self._cum_k[:, b] - self._cum_k[:, a]).astype(float)

    def cell_value(self, i: int) -> dict[str, str]:
        return {c: str(self.cells.iloc[i][c]) for c in self.level}


def cell_text(values: pd.Series) -> pd.Series:
    """A grouping column as the cell values it gives: text, missing → ``(空)``."""
    return values.astype("string").fillna(EMPTY)


def level_sums(frame: pd.DataFrame, level: tuple[str, ...], starts: pd.Series, live: np.ndarray,
               keys: np.ndarray) -> pd.DataFrame:
    """The rows of ``frame`` with ``live`` summed per cell of ``level`` × window.

    Args:
        frame: the rows (its level columns are read).
        level: grouping columns.
        starts: each row's window start.
        live: the rows that count (with a window).
        keys: (rows × keys) 0/1 matrix.

    Returns:
        One row per cell × window seen: ``c0``, ``c1``... the cell's values
        (:func:`cell_text`), ``w`` the window start, ``n`` the rows, ``k0``,
        ``k1``... the rows raising each key.
    """
    groups = pd.DataFrame({**{f"c{i}": cell_text(frame.loc[live, col]).array for i, col in enumerate(level)},
                           "w": starts[live].array})
    values = pd.DataFrame(np.column_stack([np.ones(int(live.sum()), dtype=np.int64),
                                           keys[live].astype(np.int64)]),
                          columns=["n", *_key_cols(keys.shape[1])])
    sums = values.groupby([groups[c] for c in groups.columns], sort=False).sum()
    return sums.reset_index()


def add_sums(a: pd.DataFrame, b: pd.DataFrame) -> pd.DataFrame:
    """The :func:`level_sums` of two partitions added (cells × windows of both)."""
    group = [c for c in a.columns if c.startswith("c") or c == "w"]
    both = pd.concat([a, b], ignore_index=True)
    return both.groupby(group, sort=False).sum().reset_index()


def dense_cube(level: tuple[str, ...], sums: pd.DataFrame, index: pd.DatetimeIndex, n_keys: int) -> Cube:
    """The cube of ``level`` from its summed counts, one column per window of ``index``."""
    cols = [f"c{i}" for i in range(len(level))]
    if level:
        cells = sums[cols].drop_duplicates().sort_values(cols, kind="stable").reset_index(drop=True)
        codes = pd.MultiIndex.from_frame(cells).get_indexer(pd.MultiIndex.from_frame(sums[cols]))
        cells.columns = list(level)
    else:
        cells, codes = pd.DataFrame(index=[0]), np.zeros(len(sums), dtype=np.int64)
    wpos = index.get_indexer(pd.DatetimeIndex(sums["w"]))
    totals = np.zeros((len(cells), len(index)), dtype=np.int64)
    np.add.at(totals, (codes, wpos), sums["n"].to_numpy(dtype=np.int64))
    counts = np.zeros((len(cells), len(index), n_keys), dtype=np.int64)
    np.add.at(counts, (codes, wpos), sums[_key_cols(n_keys)].to_numpy(dtype=np.int64))
    return Cube(level=level, cells=cells, totals=totals, counts=counts)


def _key_cols(n: int) -> list[str]:
    return [f"k{j}" for j in range(n)]
