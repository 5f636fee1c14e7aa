"""Counts per cell × window × key, with cumulative sums for fast window ranges.

A *level* is a tuple of grouping columns (``()`` is everything, ``("supplier",)``
one cell per supplier, ``("supplier", "product")`` one per pair). Every level
gets a dense cube: windows with no reviews hold zeros, so baselines are
counted in calendar windows, not in "windows that happened to have data".
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass
class Cube:
    """Counts of one level.

    Attributes:
        level: the grouping columns.
        cells: one row per cell, the level's columns (empty frame for ``()``).
        cell_of_row: each input row's cell index (-1 for rows left out).
        totals: (cells, windows) countable reviews.
        counts: (cells, windows, keys) reviews raising each key.
    """

    level: tuple[str, ...]
    cells: pd.DataFrame
    cell_of_row: np.ndarray
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


def build_cube(frame: pd.DataFrame, level: tuple[str, ...], wpos: np.ndarray,
               keys: np.ndarray, n_windows: int) -> Cube:
    """Count ``frame`` (rows with ``wpos >= 0``) into a dense cube for ``level``.

    Args:
        frame: the rows (its level columns are read; missing values form a cell "(空)").
        level: grouping columns.
        wpos: each row's window index, -1 for rows left out.
        keys: (rows × keys) 0/1 matrix.
        n_windows: number of windows.
    """
    live = wpos >= 0
    if level:
        values = frame.loc[:, list(level)].astype("string").fillna("(空)")
        codes, cells = _codes(values, live)
    else:
        codes = np.where(live, 0, -1)
        cells = pd.DataFrame(index=[0])
    n_cells = len(cells)
    idx = np.where(live, codes * n_windows + wpos, 0)
    size = n_cells * n_windows
    totals = np.bincount(idx[live], minlength=size).reshape(n_cells, n_windows)
    counts = np.stack(
        [np.bincount(idx[live], weights=keys[live, j], minlength=size) for j in range(keys.shape[1])],
        axis=-1,
    ).reshape(n_cells, n_windows, keys.shape[1]).astype(np.int64) if keys.shape[1] else \
        np.zeros((n_cells, n_windows, 0), dtype=np.int64)
    return Cube(level=level, cells=cells.reset_index(drop=True), cell_of_row=np.where(live, codes, -1),
                totals=totals.astype(np.int64), counts=counts)


def _codes(values: pd.DataFrame, live: np.ndarray) -> tuple[np.ndarray, pd.DataFrame]:
    cols = list(values.columns)
    cells = values[live].drop_duplicates().sort_values(cols, kind="stable").reset_index(drop=True)
    lookup = pd.MultiIndex.from_frame(cells)
    codes = lookup.get_indexer(pd.MultiIndex.from_frame(values))
    return np.where(live, codes, -1), cells
