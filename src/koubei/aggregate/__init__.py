"""Aggregation: sentiment, 满意率 and complaints per group and time window.

    from koubei.aggregate import aggregate, aggregate_file
    table = aggregate(scored, by=["supplier", "product"], freq="W")
    result = aggregate_file("scored.parquet", "summary.xlsx", by=["supplier"], freq="W")
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from koubei._lazy import lazy_exports
from koubei.aggregate.freq import Freq, parse_freq
from koubei.schema import countable

if TYPE_CHECKING:
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

__getattr__ = lazy_exports(__name__, {
    **dict.fromkeys(("RATING_SCALES", "SATISFIED_FROM", "detect_rating_scale", "resolve_rating_scale"),
                    "koubei.aggregate.satisfaction"),
    **dict.fromkeys(("load_scored", "restore_scored"), "koubei.aggregate.scored"),
    "wilson_interval": "koubei.aggregate.stats",
    **dict.fromkeys(("AggregateReport", "AggregateResult", "aggregate", "aggregate_file", "aggregate_report"),
                    "koubei.aggregate.table"),
})

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
