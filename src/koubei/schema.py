"""The names koubei's tables share, and which of their rows are scored and counted.

A leaf: it imports nothing of koubei (and no heavy library), so every stage,
from reading a dump to exporting issues, takes its column names, flag names
and row predicates from here instead of from the stage that first wrote them.

- the canonical columns every read dump gets (:mod:`koubei.io.canonical`), the
  row statuses and the flags a row can carry;
- the columns ``koubei score`` adds (``topic_<id>`` per topic, ``TOPIC_PREFIX``);
- which scored rows the model scores (:func:`scorable`) and which every count is
  made of (:func:`countable`), and why the others are left out (:func:`exclusions`);
- the issue table ``koubei emerging`` writes, the store keeps and export reads
  (:data:`ISSUE_COLUMNS`).

The issue table, one row per issue (a complaint key elevated in one window):

==================  =======================================================
issue_id            stable id of the *key* (topic, direction, cell), the same
                    across runs and windows: ``KB-`` + 10 hex digits
topic               topic id (``taste``) or ``novel`` for a new kind of complaint
topic_zh            its Chinese name (``口味``)
direction           taste direction (``too_bland``) or ``""``
dimension           the topic's service dimension (``product``)
level               the grouping columns of the cell, ``supplier,product``; ``""`` = all
cell                JSON object {column: value} of the cell
cell_label          ``乙食品厂 / 原味瓜子`` (``全部`` for all)
freq                window frequency D/W/M
window              window label (``2026-W48``)
window_start        tz-aware start of the window
count               complaints of the key in the cell and window (countable rows)
total               countable reviews in the cell and window
rate                count / total
baseline_rate       the rate the test compared against
expected            total × baseline_rate
lift                rate / baseline_rate
test                ``spike`` (this window vs baseline) or ``drift`` (last windows pooled)
p_value, q_value    one-sided p-value; Benjamini–Hochberg q over every key tested
severity            0-100 score: excess complaints, lift and significance
first_window        the first window of this run's history where the key rose
trend               JSON list of {"window", "count", "total"} for the trend chart
trace               JSON list of {"column", "value", "count", "expected", "excess_share", "lift"}
summary             one plain line: "口味 偏淡 too_bland: 37 条 ... 89 % 来自 ..."
quotes              JSON list of up to 3 masked representative quotes
review_ids          JSON list of every review_id behind ``count``
==================  =======================================================
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

# -- a read dump (koubei.io) ---------------------------------------------------------------------

#: the time zone of naive review times and of the windows, unless ``--tz`` names another
DEFAULT_TZ = "Asia/Shanghai"

#: the columns every read dump gets, after its source columns, in this order
CANONICAL_COLUMNS: tuple[str, ...] = (
    "text",
    "review_id",
    "time",
    "product",
    "supplier",
    "batch",
    "channel",
    "rating",
    "status",
    "flags",
)
#: a row's ``status``
STATUSES: tuple[str, ...] = ("ok", "empty", "non_text")
#: the flags the annotator sets (:mod:`koubei.io.annotate`)
ANNOTATOR_FLAGS: tuple[str, ...] = ("duplicate", "duplicate_id", "near_duplicate", "templated", "truncated")
#: Every flag a row can carry, in the (sorted) order they are joined.
FLAGS: tuple[str, ...] = tuple(sorted(("bad_time", *ANNOTATOR_FLAGS)))

# -- a scored table (koubei score) ---------------------------------------------------------------

#: ``topic_<id>``: one column per taxonomy topic, ``pos``/``neg``/``neu`` or missing
TOPIC_PREFIX = "topic_"
#: the columns ``score`` adds besides the topic columns (which come after ``sentiment_score``)
OUTPUT_COLUMNS = ("sentiment", "sentiment_score", "topics", "dimensions", "taste_detail",
                  "opinions", "is_complaint")
#: the columns a scored file must have (besides at least one topic column)
REQUIRED_SCORED_COLUMNS = ("review_id", "status", "flags", "sentiment", "topics")
#: flags that keep a row out of every count (system text, repeated reviews)
UNCOUNTED_FLAGS = ("templated", "duplicate", "near_duplicate")
#: flags of rows the model does not score (system-generated text)
UNSCORED_FLAGS = ("templated",)
#: the reasons :func:`exclusions` gives, in the order they are tried
EXCLUSION_ORDER = ("non_ok_status", *UNCOUNTED_FLAGS, "unscored")


def topic_ids(frame: pd.DataFrame) -> list[str]:
    """Topic ids of a scored frame, in column order (``topic_taste`` → ``taste``)."""
    return [c[len(TOPIC_PREFIX):] for c in frame.columns if c.startswith(TOPIC_PREFIX)]


def scorable(frame: pd.DataFrame) -> pd.Series:
    """Rows the model scores: status ``ok`` and not system-generated (templated)."""
    flags = frame["flags"].fillna("").astype(str)
    templated = flags.str.contains("|".join(UNSCORED_FLAGS), regex=True)
    return (frame["status"] == "ok") & ~templated


def countable(frame: pd.DataFrame) -> pd.Series:
    """Rows that count: scored text (status ``ok``), not templated, not a repeat."""
    flags = frame["flags"].fillna("").astype(str)
    pattern = r"(?:^|;)(?:" + "|".join(UNCOUNTED_FLAGS) + r")(?:;|$)"
    hit = flags.str.contains(pattern, regex=True)
    return (frame["status"] == "ok") & ~hit & frame["sentiment"].notna()


def exclusions(frame: pd.DataFrame, counted: pd.Series) -> dict[str, int]:
    """Rows not counted, each under its first reason (status, then the flags in order)."""
    left = ~counted
    out: dict[str, int] = {}
    non_ok = left & (frame["status"] != "ok")
    out["non_ok_status"] = int(non_ok.sum())
    left &= ~non_ok
    flags = frame["flags"].fillna("").astype(str)
    for flag in UNCOUNTED_FLAGS:
        hit = left & flags.str.contains(rf"(?:^|;){flag}(?:;|$)", regex=True)
        out[flag] = int(hit.sum())
        left &= ~hit
    out["unscored"] = int(left.sum())
    return {k: v for k, v in out.items() if v}


def complaint_flags(rows: pd.DataFrame) -> np.ndarray:
    """Per row: 1 for a complaint (``is_complaint``; else negative overall or on a topic), else 0."""
    if "is_complaint" in rows:
        return rows["is_complaint"].fillna(False).astype(bool).to_numpy(dtype="int64")
    neg = rows["sentiment"].astype("string").fillna("").eq("neg")
    for tid in topic_ids(rows):
        neg |= rows[TOPIC_PREFIX + tid].astype("string").fillna("").eq("neg")
    return neg.to_numpy(dtype="int64")


# -- the issue table (koubei emerging) -----------------------------------------------------------

#: the issue table's columns, in order (see the module docstring)
ISSUE_COLUMNS: tuple[str, ...] = (
    "issue_id", "topic", "topic_zh", "direction", "dimension", "level", "cell", "cell_label",
    "freq", "window", "window_start", "count", "total", "rate", "baseline_rate", "expected",
    "lift", "test", "p_value", "q_value", "severity", "first_window", "trend", "trace",
    "summary", "quotes", "review_ids",
)
