"""Aggregation: sentiment, 满意率 and complaints per group and time window.

    from koubei.aggregate import aggregate, aggregate_file
    table = aggregate(scored, by=["supplier", "product"], freq="W")
    result = aggregate_file("scored.parquet", "summary.xlsx", by=["supplier"], freq="W")
"""

from __future__ import annotations

from koubei.aggregate.satisfaction import (
    RATING_SCALES,
    SATISFIED_FROM,
    detect_rating_scale,
    resolve_rating_scale,
)
from koubei.aggregate.scored import load_scored, restore_scored
from koubei.aggregate.stats import wilson_interval
from koubei.aggregate.table import (
    AggregateReport,
    AggregateResult,
    aggregate,
    aggregate_file,
    aggregate_report,
)
from koubei.aggregate.windows import Freq, parse_freq
from koubei.schema import countable

__all__ = [
    "RATING_SCALES",
    "SATISFIED_FROM",
    "AggregateReport",
    "AggregateResult",
    "Freq",
    "aggregate",
    "aggregate_file",
    "aggregate_report",
    "countable",
    "detect_rating_scale",
    "load_scored",
    "parse_freq",
    "resolve_rating_scale",
    "restore_scored",
    "wilson_interval",
]
