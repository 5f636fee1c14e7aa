"""Scoring a review dump: read → score → write, and the headline counts of what was scored.

    from koubei.scoring import score_file
    result = score_file("reviews.xlsx", "scored.parquet", workers=4)

- :mod:`koubei.scoring.local`: :func:`score_file`, this machine, streaming chunk by chunk;
- :mod:`koubei.scoring.headline`: the counts ``koubei score`` and the report head with.

Scoring on Dask's distributed scheduler is :func:`koubei.engines.dask.score_dataset`.
"""

from typing import TYPE_CHECKING

from koubei._lazy import lazy_exports
from koubei.scoring.defaults import DEFAULT_CHUNKSIZE, STREAM_FORMATS

if TYPE_CHECKING:
    from koubei.scoring.local import (
        ParquetSink,
        ScoreResult,
        ScoreSummary,
        SummaryCounts,
        score_file,
        score_in_order,
        summarize,
    )

__getattr__ = lazy_exports(__name__, dict.fromkeys(
    ("ParquetSink", "ScoreResult", "ScoreSummary", "SummaryCounts", "score_file", "score_in_order",
     "summarize"), "koubei.scoring.local"))

__all__ = [
    "DEFAULT_CHUNKSIZE",
    "STREAM_FORMATS",
    "ParquetSink",
    "ScoreResult",
    "ScoreSummary",
    "SummaryCounts",
    "score_file",
    "score_in_order",
    "summarize",
]
