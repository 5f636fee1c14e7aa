"""Emerging issues in a partitioned Parquet dataset, on Dask's distributed scheduler.

    from koubei.detect.run import run_emerging
    run_emerging("scored/", "issues.csv", by=["supplier"], engine="dask",
                 scheduler="tcp://10.0.0.5:8786")

:func:`open_dataset` gives the :class:`koubei.detect.source.ScoredRows` of a
folder of Parquet parts (``koubei score --engine dask`` writes one per
partition); this process (the client) never holds the dataset. Each part is
one task, read on a worker (only the columns the step needs, restored as
:func:`koubei.aggregate.load_scored` does) and answered by the code a local
run applies to the whole frame:

1. counts: :func:`koubei.detect.counts.count_scored` of each part, per level
   cell × window start × key; the client adds them up, builds the cubes and
   runs every test and the folding itself;
2. evidence: for the flagged issues only, :func:`koubei.detect.evidence.gather_evidence`
   of each part (per-value trace counts, review_ids and quote texts of the
   complaints), added up in part order;
3. new kinds of complaint: :func:`koubei.detect.evidence.novel_rows` of each
   part (the complaint reviews of the windows tested, review_id and
   text), concatenated in part order and clustered here.

Parts are taken in file-name order, so the issues equal those of
``--engine local`` on the parts concatenated in that order.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from functools import reduce
from pathlib import Path
from typing import Any

import pandas as pd

from koubei.aggregate.dataset import dataset_parts, read_part
from koubei.aggregate.scored import restore_scored
from koubei.aggregate.windows import Freq
from koubei.detect.counts import EmergingCounts, count_scored
from koubei.detect.evidence import Evidence, IssueRequest, gather_evidence, novel_rows
from koubei.detect.keys import Key
from koubei.detect.trace import PAIR
from koubei.engines.cluster import released_result
from koubei.schema import DEFAULT_TZ, REQUIRED_SCORED_COLUMNS, TOPIC_PREFIX

#: what every step reads besides ``REQUIRED_SCORED_COLUMNS`` and the topics
BASE_COLUMNS = ("time", "taste_detail")


@contextmanager
def open_dataset(folder: str | Path, *, tz: str = DEFAULT_TZ, scheduler: str | None = None,
                 n_workers: int | None = None) -> Iterator[DatasetRows]:
    """The rows of a Parquet dataset folder, kept on Dask's workers while the block runs.

    Args:
        folder: a folder of Parquet parts, on a file system every worker sees at the same path.
        tz: time zone of the windows.
        scheduler: address of a running scheduler; None starts a local cluster of
            ``n_workers`` processes (default: one per core) for the block.

    Raises:
        EngineError: Dask is not installed, or the scheduler cannot be reached.
        InputError: not a folder, no Parquet part, a part that cannot be read or lacks
            the first part's columns, or parts that are not scored.
    """
    from koubei.engines.cluster import connect, require_distributed
    from koubei.io.parquet import nullable_type

    distributed = require_distributed()
    source = str(folder)
    files, schema, offsets = dataset_parts(folder)
    template = restore_scored(schema.empty_table().to_pandas(types_mapper=nullable_type),
                              source=source, tz=tz)
    with connect(distributed, scheduler, n_workers) as client:
        yield DatasetRows(client, distributed, files, offsets, schema, template, tz, source)


class DatasetRows:
    """The :class:`koubei.detect.source.ScoredRows` of a dataset's parts, one Dask task per part."""

    def __init__(self, client: Any, distributed: Any, files: list[Path], offsets: list[int], schema: Any,
                 template: pd.DataFrame, tz: str, name: str) -> None:
        self.client, self.distributed, self.files, self.offsets = client, distributed, files, offsets
        self.schema, self.template, self.tz, self.name = schema, template, tz, name

    def counts(self, *, freq: Freq, levels: Sequence[tuple[str, ...]], keys: list[Key],
               trace_candidates: Sequence[str]) -> EmergingCounts:
        wanted = {c for lv in levels for c in lv} | set(trace_candidates)
        futures = self.client.map(count_part, self._paths(), self.offsets, read=self._read(wanted),
                                  freq=freq, levels=list(levels), keys=keys,
                                  trace_candidates=list(trace_candidates), pure=False)
        # the counts add up in any order: take each part as it finishes
        done = self.distributed.as_completed(futures)
        return reduce(EmergingCounts.add, (released_result(f) for f in done))

    def evidence(self, requests: Sequence[IssueRequest], freq: Freq) -> list[Evidence]:
        wanted = {c for r in requests for c in (*r.level, *r.trace)} | {"text"}
        if "supplier+product" in wanted:
            wanted |= set(PAIR)
        futures = self.client.map(evidence_part, self._paths(), read=self._read(wanted),
                                  requests=list(requests), freq=freq, pure=False)
        per_part = _in_order(futures)
        return [reduce(Evidence.add, (part[i] for part in per_part)) for i in range(len(requests))]

    def novel_rows(self, freq: Freq, windows: Sequence[pd.Timestamp]) -> tuple[pd.DataFrame, pd.Series]:
        futures = self.client.map(novel_part, self._paths(), read=self._read({"text"}), freq=freq,
                                  windows=list(windows), pure=False)
        parts = _in_order(futures)
        return pd.concat([p[0] for p in parts], ignore_index=True), \
            pd.concat([p[1] for p in parts], ignore_index=True)

    def _paths(self) -> list[str]:
        return [str(p) for p in self.files]

    def _read(self, extra: set[str]) -> PartReader:
        """A reader of the columns every step needs (scored columns, topics) and of ``extra``, if there."""
        wanted = {*REQUIRED_SCORED_COLUMNS, *BASE_COLUMNS, *extra}
        columns = [c for c in self.schema.names if c in wanted or c.startswith(TOPIC_PREFIX)]
        return PartReader(columns=columns, schema=self.schema, tz=self.tz, source=self.name)


class PartReader:
    """How a worker reads a part (picklable): :func:`koubei.aggregate.dataset.read_part`, these settings."""

    def __init__(self, *, columns: list[str], schema: Any, tz: str, source: str) -> None:
        self.columns, self.schema, self.tz, self.source = columns, schema, tz, source

    def __call__(self, path: str) -> pd.DataFrame:
        return read_part(path, columns=self.columns, schema=self.schema, tz=self.tz, source=self.source)


# --- on the workers --------------------------------------------------------------------------


def count_part(path: str, first_row: int, *, read: Callable[[str], pd.DataFrame], freq: Freq,
               levels: list[tuple[str, ...]], keys: list[Key],
               trace_candidates: list[str]) -> EmergingCounts:
    """On a worker: the counts of one part (``first_row``: its first row's position in the dataset)."""
    return count_scored(read(path), freq=freq, levels=levels, keys=keys,
                        trace_candidates=trace_candidates, first_row=first_row)


def evidence_part(path: str, *, read: Callable[[str], pd.DataFrame], requests: list[IssueRequest],
                  freq: Freq) -> list[Evidence]:
    """On a worker: the evidence of one part for each request."""
    return gather_evidence(read(path), requests, freq)


def novel_part(path: str, *, read: Callable[[str], pd.DataFrame], freq: Freq,
               windows: list[pd.Timestamp]) -> tuple[pd.DataFrame, pd.Series]:
    """On a worker: the new-kind candidates of one part."""
    return novel_rows(read(path), freq, windows)


# --- on the client ---------------------------------------------------------------------------


def _in_order(futures: list[Any]) -> list[Any]:
    """Each part's result, in part order (rows of a later part come after those of an earlier one)."""
    return [released_result(f) for f in futures]
