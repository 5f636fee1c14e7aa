"""The row half of emerging-issue detection: what the flagged issues need from the rows.

Once the tests have flagged their hits on the counts alone, each hit becomes
an :class:`IssueRequest` (a cell, a key, its window(s) and baseline windows),
and :func:`gather_evidence` reads a scored frame, or one partition of it, for
them: per trace column the complaints and reviews of each value
(:func:`koubei.detect.trace.value_counts`), and the review_ids and quote texts
of the complaints in the flagged window(s). :meth:`Evidence.add` adds two
partitions' evidence (the later partition's rows after the earlier one's), so
the total equals one pass over the whole frame. :func:`novel_rows` picks the
candidates of :mod:`koubei.detect.novel` the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from koubei.aggregate.windows import Freq
from koubei.detect.counts import row_windows
from koubei.detect.cube import cell_text
from koubei.detect.keys import Key, key_matrix
from koubei.detect.novel import complaint_rows
from koubei.detect.trace import add_value_counts, value_counts


@dataclass(frozen=True)
class IssueRequest:
    """The rows behind one flagged hit: a cell's countable rows in its windows.

    Attributes:
        level: the cell's grouping columns.
        cell: its values, as :meth:`koubei.detect.cube.Cube.cell_value` gives them.
        key: the complaint key.
        base_from: start of the first baseline window; the baseline runs up to ``now_from``.
        now_from: start of the first flagged window (of the pooled ones for a drift).
        now_to: start of the last flagged window.
        trace: the columns to trace over (:func:`koubei.detect.trace.trace_columns`).
    """

    level: tuple[str, ...]
    cell: dict[str, str]
    key: Key
    base_from: pd.Timestamp
    now_from: pd.Timestamp
    now_to: pd.Timestamp
    trace: tuple[str, ...] = ()


@dataclass
class Evidence:
    """What the rows say about one request.

    Attributes:
        trace: per trace column, the counts per value (:func:`koubei.detect.trace.value_counts`).
        review_ids: the complaints in the flagged window(s), in row order.
        texts: their quote texts (``text``, else the review_id).
    """

    trace: dict[str, pd.DataFrame] = field(default_factory=dict)
    review_ids: list[str] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)

    def add(self, other: Evidence) -> Evidence:
        """This partition's evidence, then ``other``'s (a later partition)."""
        return Evidence(trace=add_value_counts(self.trace, other.trace),
                        review_ids=self.review_ids + other.review_ids, texts=self.texts + other.texts)


def quote_texts(rows: pd.DataFrame) -> pd.Series:
    """The text quoted for each row: ``text``, or the review_id when there is none."""
    return rows["text"].astype(str) if "text" in rows else rows["review_id"].astype(str)


def gather_evidence(frame: pd.DataFrame, requests: Sequence[IssueRequest], freq: Freq) -> list[Evidence]:
    """The evidence of ``frame`` (a scored frame, or one partition of it) for each request."""
    starts, live, _ = row_windows(frame, freq)
    ns = pd.DatetimeIndex(starts).as_unit("ns").asi8  # NaT rows are not live
    cells: dict[str, tuple[np.ndarray, pd.Index]] = {}
    out = []
    for req in requests:
        in_cell = live & (ns >= req.base_from.value) & (ns <= req.now_to.value)
        for col, value in req.cell.items():
            if col not in cells:  # each grouping column coded once
                cells[col] = pd.factorize(cell_text(frame[col]))
            codes, values = cells[col]
            in_cell &= codes == (values.get_loc(value) if value in values else -2)
        rows = frame.loc[in_cell]
        now = ns[in_cell] >= req.now_from.value
        k = key_matrix(rows, [req.key])[:, 0]
        hit = rows.loc[now & k.astype(bool)]
        out.append(Evidence(trace=value_counts(rows.loc[now], rows.loc[~now], k[now], k[~now], req.trace),
                            review_ids=hit["review_id"].astype(str).tolist(),
                            texts=quote_texts(hit).tolist()))
    return out


def novel_rows(frame: pd.DataFrame, freq: Freq,
               windows: Sequence[pd.Timestamp]) -> tuple[pd.DataFrame, pd.Series]:
    """The candidates of :func:`koubei.detect.novel.novel_issues` in ``windows``.

    Returns:
        The complaint rows (:func:`koubei.detect.novel.complaint_rows`) of those
        windows, ``review_id`` and ``text`` only, in row order, and their window starts.
    """
    starts, live, _ = row_windows(frame, freq)
    keep = live & complaint_rows(frame).to_numpy() & starts.isin(list(windows)).to_numpy()
    return frame.loc[keep, ["review_id", "text"]].reset_index(drop=True), \
        starts[keep].reset_index(drop=True)
