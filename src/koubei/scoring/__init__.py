"""Scoring a review dump: read → score → write, and the headline counts of what was scored.

    from koubei.scoring import score_file
    result = score_file("reviews.xlsx", "scored.parquet", workers=4)

- :mod:`koubei.scoring.local`: :func:`score_file`, this machine, streaming chunk by chunk;
- :mod:`koubei.scoring.headline`: the counts ``koubei score`` and the report head with.

Scoring on Dask's distributed scheduler is :func:`koubei.engines.dask.score_dataset`.
"""

from koubei.scoring.local import (
    DEFAULT_CHUNKSIZE,
    STREAM_FORMATS,
    ParquetSink,
    ScoreResult,
    ScoreSummary,
    SummaryCounts,
    score_file,
    score_in_order,
    summarize,
)

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
