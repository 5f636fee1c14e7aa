"""Where ``emerging`` reads its rows: a scored frame in this process, or a dataset on Dask.

Detection asks its rows three things, each answered by code that runs on a
frame or on one partition of it (:mod:`koubei.detect.counts`,
:mod:`koubei.detect.evidence`) and adds up over partitions:

- :meth:`ScoredRows.counts`: every row counted per level cell × window × key;
- :meth:`ScoredRows.evidence`: for the flagged issues only, their trace counts,
  review_ids and quote texts;
- :meth:`ScoredRows.novel_rows`: the candidates for new kinds of complaint.

:class:`FrameRows` answers from one frame; :class:`koubei.detect.dataset.DatasetRows`
from the Parquet parts of a folder, one task per part on Dask's workers.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Protocol

import pandas as pd

from koubei.aggregate.scored import load_scored
from koubei.aggregate.windows import Freq
from koubei.detect.counts import EmergingCounts, count_scored
from koubei.detect.evidence import Evidence, IssueRequest, gather_evidence, novel_rows
from koubei.detect.keys import Key
from koubei.engines import Engine
from koubei.schema import DEFAULT_TZ


class ScoredRows(Protocol):
    """The scored rows detection reads, wherever they are.

    Attributes:
        name: how messages name the data (the file or folder).
        template: a frame with the scored columns and their dtypes (it may hold no rows).
    """

    name: str
    template: pd.DataFrame

    def counts(self, *, freq: Freq, levels: Sequence[tuple[str, ...]], keys: list[Key],
               trace_candidates: Sequence[str]) -> EmergingCounts:
        """:func:`koubei.detect.counts.count_scored` of all rows."""
        ...

    def evidence(self, requests: Sequence[IssueRequest], freq: Freq) -> list[Evidence]:
        """:func:`koubei.detect.evidence.gather_evidence` of all rows."""
        ...

    def novel_rows(self, freq: Freq, windows: Sequence[pd.Timestamp]) -> tuple[pd.DataFrame, pd.Series]:
        """:func:`koubei.detect.evidence.novel_rows` of all rows."""
        ...


class FrameRows:
    """The rows of a scored frame in this process (``--engine local``)."""

    def __init__(self, frame: pd.DataFrame, name: str = "the scored file") -> None:
        self.frame, self.name, self.template = frame, name, frame

    def counts(self, *, freq: Freq, levels: Sequence[tuple[str, ...]], keys: list[Key],
               trace_candidates: Sequence[str]) -> EmergingCounts:
        return count_scored(self.frame, freq=freq, levels=levels, keys=keys,
                            trace_candidates=trace_candidates)

    def evidence(self, requests: Sequence[IssueRequest], freq: Freq) -> list[Evidence]:
        return gather_evidence(self.frame, requests, freq)

    def novel_rows(self, freq: Freq, windows: Sequence[pd.Timestamp]) -> tuple[pd.DataFrame, pd.Series]:
        return novel_rows(self.frame, freq, windows)


@contextmanager
def open_scored(path: str | Path, *, engine: str | Engine = Engine.local, tz: str = DEFAULT_TZ,
                scheduler: str | None = None, n_workers: int | None = None) -> Iterator[ScoredRows]:
    """The rows of a scored file or folder, for as long as the ``with`` block runs.

    Args:
        path: a file written by ``koubei score``, or a folder of Parquet parts.
        engine: ``local`` reads it into this process (:func:`koubei.aggregate.load_scored`);
            ``dask`` keeps a folder's parts on Dask's workers (:func:`koubei.detect.dataset.open_dataset`).
        scheduler, n_workers: with ``dask``: as :func:`koubei.detect.dataset.open_dataset`.

    Raises:
        ValueError: an unknown engine, or ``scheduler``/``n_workers`` without ``dask``.
        InputError, EngineError: as ``load_scored`` or ``open_dataset``.
    """
    if Engine(engine) is Engine.dask:
        from koubei.detect.dataset import open_dataset

        with open_dataset(path, tz=tz, scheduler=scheduler, n_workers=n_workers) as rows:
            yield rows
        return
    if scheduler is not None or n_workers is not None:
        raise ValueError("scheduler and n_workers need engine='dask'")
    yield FrameRows(load_scored(path, tz=tz), str(path))
