"""The counting half of emerging-issue detection: rows of a scored frame → additive counts.

:func:`count_scored` looks at every row once (which rows count, their window,
their cell at each level, the complaint keys they raise) and sums them per
level cell × window. Everything it returns adds up over partitions
(:meth:`EmergingCounts.add`), so a scored dataset can be counted part by part
on other machines; :func:`cubes_of` lays the sum out as the dense cubes the
tests of :mod:`koubei.detect.rise` read. Windows are keyed by their start, so
parts align whatever windows each one holds.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from koubei.aggregate.windows import Freq, window_range, window_start
from koubei.detect.cube import Cube, add_sums, dense_cube, level_sums
from koubei.detect.keys import Key, key_matrix
from koubei.errors import ColumnError
from koubei.schema import countable

#: review_ids of countable rows without a time that a result lists
NO_TIME_IDS = 20


@dataclass
class EmergingCounts:
    """The additive counts of one or more partitions of a scored frame.

    Attributes:
        sums: per level, the rows summed per cell × window (:func:`koubei.detect.cube.level_sums`).
        rows: rows read.
        counted: countable rows with a window.
        no_time: countable rows without a parseable time.
        no_time_ids: the first of those as (0-based row position in the whole data, review_id).
        timed: rows with a time, countable or not.
        with_values: the trace candidates holding a value in some row.
    """

    sums: list[pd.DataFrame]
    rows: int = 0
    counted: int = 0
    no_time: int = 0
    no_time_ids: list[tuple[int, str]] = field(default_factory=list)
    timed: int = 0
    with_values: frozenset[str] = frozenset()

    def add(self, other: EmergingCounts) -> EmergingCounts:
        """The counts of both partitions (in any order)."""
        return EmergingCounts(
            sums=[add_sums(a, b) for a, b in zip(self.sums, other.sums)],
            rows=self.rows + other.rows, counted=self.counted + other.counted,
            no_time=self.no_time + other.no_time,
            no_time_ids=sorted(self.no_time_ids + other.no_time_ids)[:NO_TIME_IDS],
            timed=self.timed + other.timed, with_values=self.with_values | other.with_values,
        )


@dataclass
class Cubes:
    """What the rise tests read: the windows, the keys and one cube per level."""

    freq: Freq
    index: pd.DatetimeIndex
    keys: list[Key]
    cubes: list[Cube]

    @property
    def window_totals(self) -> pd.Series:
        """Countable reviews per window start (every window of ``index``)."""
        return pd.Series(self.cubes[0].totals[0], index=self.index)


def row_windows(frame: pd.DataFrame, freq: Freq) -> tuple[pd.Series, np.ndarray, np.ndarray]:
    """Each row's window start, whether it counts in a window, and whether it would but has no time."""
    ok = countable(frame).to_numpy()
    starts = window_start(frame["time"], freq)
    no_time = ok & starts.isna().to_numpy()
    return starts, ok & ~no_time, no_time


def count_scored(frame: pd.DataFrame, *, freq: Freq, levels: Sequence[tuple[str, ...]],
                 keys: list[Key], trace_candidates: Sequence[str] = (),
                 first_row: int = 0) -> EmergingCounts:
    """The additive counts of one partition.

    Args:
        frame: the partition, dtypes restored (:func:`koubei.aggregate.scored.restore_scored`).
        freq: the windows.
        levels: the grouping levels, ``()`` first.
        keys: the complaint keys (:func:`koubei.detect.keys.complaint_keys`).
        trace_candidates: the columns traced over, if they hold values.
        first_row: the partition's first row's 0-based position in the whole data.
    """
    starts, live, no_time = row_windows(frame, freq)
    matrix = key_matrix(frame, keys)
    ids = frame["review_id"].astype(str).to_numpy()
    return EmergingCounts(
        sums=[level_sums(frame, lv, starts, live, matrix) for lv in levels],
        rows=len(frame), counted=int(live.sum()), no_time=int(no_time.sum()),
        no_time_ids=[(first_row + int(i), str(ids[i])) for i in np.flatnonzero(no_time)[:NO_TIME_IDS]],
        timed=int(frame["time"].notna().sum()),
        with_values=frozenset(c for c in trace_candidates if c in frame.columns and frame[c].notna().any()),
    )


def cubes_of(counts: EmergingCounts, *, freq: Freq, levels: Sequence[tuple[str, ...]], keys: list[Key],
             source: str) -> Cubes:
    """The dense cubes of the summed counts, windows from the first to the last one with reviews.

    Raises:
        ColumnError: no review has a time, or no countable one has.
    """
    if not counts.timed:
        raise no_times(source)
    if not counts.counted:
        raise ColumnError(f"{source}: no countable review has a parseable time, so there is no window "
                          "to test; check the time column the dump was scored with (--time-col)")
    seen = pd.DatetimeIndex(counts.sums[0]["w"])
    index = window_range(seen.min(), seen.max(), freq)
    cubes = [dense_cube(lv, sums, index, len(keys)) for lv, sums in zip(levels, counts.sums)]
    return Cubes(freq=freq, index=index, keys=keys, cubes=cubes)


def no_times(source: str) -> ColumnError:
    """The error of scored data without review times."""
    return ColumnError(
        f"{source}: emerging needs review times and there are none; score the dump with "
        "--time-col COLUMN (koubei aggregate works without times)"
    )
