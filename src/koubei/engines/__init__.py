"""Scoring engines: where the rows of a dump are scored.

- ``local`` (default): this machine, one process pool, streaming
  (:func:`koubei.scoring.score_file`).
- ``dask``: the partitions of a dump scored on Dask's distributed scheduler,
  a local one or an existing cluster, written as a partitioned Parquet
  dataset (:func:`koubei.engines.dask.score_dataset`). Needs the optional
  extra: ``pip install "koubei[dask]"``; importing this package does not
  import Dask.

The Dask helpers that aggregation and detection use as well (the optional
import, a client, dataset parts) are :mod:`koubei.engines.cluster`, apart from
the Dask scoring so that reading scored data never imports the scorer.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from koubei.engines.dask import DatasetResult


class Engine(StrEnum):
    """Names of the scoring engines (``koubei score --engine``)."""

    local = "local"
    dask = "dask"


def score_dataset(*args: Any, **kwargs: Any) -> DatasetResult:
    """:func:`koubei.engines.dask.score_dataset`, imported on first use."""
    from koubei.engines.dask import score_dataset as run

    return run(*args, **kwargs)


__all__ = ["Engine", "score_dataset"]
