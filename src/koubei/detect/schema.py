"""The issue table: what ``koubei emerging`` finds, the store keeps and export writes.

One row per issue (a complaint key elevated in one window). Columns:

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

ISSUE_COLUMNS: tuple[str, ...] = (
    "issue_id", "topic", "topic_zh", "direction", "dimension", "level", "cell", "cell_label",
    "freq", "window", "window_start", "count", "total", "rate", "baseline_rate", "expected",
    "lift", "test", "p_value", "q_value", "severity", "first_window", "trend", "trace",
    "summary", "quotes", "review_ids",
)
