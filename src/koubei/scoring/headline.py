"""The headline counts of a scored frame: one definition for ``koubei score``'s summary and the report.

Every figure is about the same rows the analysis counts (:func:`koubei.schema.countable`:
scored, not templated, not a duplicate or near duplicate), and what is left out is
counted by reason, so the terminal and the page print the same numbers for the same
file. The counts add up over chunks (:meth:`HeadlineCounts.add`), as ``score`` streams.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import pandas as pd

from koubei.schema import TOPIC_PREFIX, complaint_flags, countable, exclusions, scorable

#: the reason exclusions() gives every row whose status is not ok; shown as the statuses
_NON_OK = "non_ok_status"


@dataclass
class HeadlineCounts:
    """Rows read, scored and counted, what was left out and why, and the counted rows' figures.

    Attributes:
        rows: rows read.
        scored: rows the model scored (status ``ok``, not templated).
        counted: rows every count is made of (scored, not a duplicate or near duplicate).
        left_out: rows not counted, each under its first reason: its status when not ``ok``
            (``empty``, ``non_text``...), then ``templated``, ``duplicate``, ``near_duplicate``,
            ``unscored`` (status ok but no prediction).
        sentiment: counted rows by overall sentiment.
        complaints: counted rows that are complaints.
        topic_neg: counted rows per topic id marked negative.
    """

    rows: int = 0
    scored: int = 0
    counted: int = 0
    left_out: Counter[str] = field(default_factory=Counter)
    sentiment: Counter[str] = field(default_factory=Counter)
    complaints: int = 0
    topic_neg: Counter[str] = field(default_factory=Counter)

    @classmethod
    def of(cls, frame: pd.DataFrame) -> HeadlineCounts:
        """The counts of one scored frame (or chunk of one)."""
        counted = countable(frame)
        ok = frame["status"] == "ok"
        left = Counter({k: v for k, v in exclusions(frame, counted).items() if k != _NON_OK})
        left.update(_counts(frame.loc[~ok, "status"]))
        rows = frame.loc[counted]
        topics = [c for c in frame.columns if c.startswith(TOPIC_PREFIX)]
        return cls(
            rows=len(frame), scored=int(scorable(frame).sum()), counted=int(counted.sum()),
            left_out=left, sentiment=_counts(rows["sentiment"]),
            complaints=int(complaint_flags(rows).sum()),
            topic_neg=Counter({c[len(TOPIC_PREFIX):]: int((rows[c].astype("string") == "neg").sum())
                               for c in topics}),
        )

    def add(self, other: HeadlineCounts) -> HeadlineCounts:
        """Add ``other`` into this one; returns self."""
        self.rows += other.rows
        self.scored += other.scored
        self.counted += other.counted
        self.complaints += other.complaints
        for mine, theirs in ((self.left_out, other.left_out), (self.sentiment, other.sentiment),
                             (self.topic_neg, other.topic_neg)):
            mine.update(theirs)
        return self

    def left_out_by_count(self) -> dict[str, int]:
        """``left_out`` by decreasing count (then name), without zeros."""
        return by_count(self.left_out)


def by_count(counts: Counter[str]) -> dict[str, int]:
    """A counter as a dict by decreasing count, then name; zeros left out."""
    return {k: v for k, v in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])) if v}


def _counts(values: pd.Series) -> Counter[str]:
    return Counter({str(k): int(v) for k, v in values.value_counts().items()})


def left_out_text(left_out: dict[str, int]) -> str:
    """``empty 10, templated 24, duplicate 70``: the left-out rows by reason, as both outputs print them."""
    return ", ".join(f"{k} {v:,}" for k, v in left_out.items())
