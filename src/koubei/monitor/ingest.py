"""Incremental scoring: the feed's new rows, scored and appended to the history as Parquet parts.

The history is the folder ``koubei score --engine dask`` writes (``part-00000.parquet``...
under one schema, and a ``_SUCCESS`` file), so ``koubei aggregate``, ``emerging``,
``report`` and Dask read it as they read that one. Each run:

1. :func:`recover` finishes or undoes what a killed run left (see below);
2. lists the feed; a file whose size and mtime are unchanged is skipped unopened, one
   whose bytes hash to a known file's is skipped unread;
3. reads the others chunk by chunk (the reader of ``koubei score``), keeps the rows whose
   key (:func:`koubei.monitor.feed.row_keys`) the history does not hold, and every
   ``chunksize`` new rows (and at the end) scores them and appends one part.

A part is appended in three steps, so that a run killed at any instant (kill -9, power
loss) leaves the history and the manifest consistent:

a. the scored rows are written to a hidden temporary file beside the part's name and
   flushed to disk; the manifest records the part as ``pending`` with its row keys
   (one transaction);
b. the file is renamed to ``part-NNNNN.parquet`` (atomic) and the folder synced;
c. the manifest marks the part ``committed`` and records the dumps read to the end.

Killed before (a) commits: only a temporary file, removed by the next run. Between (a)
and (b): a pending part without its file, undone (its rows scored again next run).
Between (b) and (c): a pending part with its file, which the next run checks (its row
count) and commits. Rows are never in the history twice, nor lost.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from koubei.engines.cluster import COMPACTING
from koubei.engines.dask import PART_NAME, SUCCESS
from koubei.errors import InputError, StoreError
from koubei.io import ReviewReader
from koubei.io.annotate import KeyCounts
from koubei.io.writers import atomic_file, atomic_write
from koubei.monitor.compact import part_numbers, recover_compaction
from koubei.monitor.config import MonitorConfig
from koubei.monitor.feed import (
    FeedFile,
    fsync_dir,
    fsync_file,
    is_hash_id,
    list_feed,
    parquet_rows,
    row_keys,
    sha256_file,
)
from koubei.monitor.state import MonitorState
from koubei.scoring.local import arrow_table, conform, stream_schema

_PART = "part-"


@dataclass
class FileOutcome:
    """What the run did with one dump: ``read`` (rows, of them new), ``unchanged`` (same size
    and mtime), ``known`` (same bytes as a file read before), ``settling`` (changed just now)
    or ``error`` (it cannot be read: ``error`` says why; the next run tries it again)."""

    path: Path
    state: str
    rows: int = 0
    new_rows: int = 0
    error: str | None = None


@dataclass
class IngestResult:
    files: list[FileOutcome] = field(default_factory=list)
    new_rows: int = 0
    known_rows: int = 0
    parts: list[str] = field(default_factory=list)
    recovered: list[str] = field(default_factory=list)
    dropped_columns: list[str] = field(default_factory=list)
    history_rows: int = 0
    history_parts: int = 0


def recover(state: MonitorState, history: Path) -> list[str]:
    """Finish or undo what a killed run left in ``history``; a note per thing done.

    Raises:
        StoreError: a ``part-*.parquet`` the manifest does not know (put there by hand,
            or the manifest replaced): the history cannot be trusted to hold each row once.
    """
    notes = recover_compaction(state, history)
    temps = [t for pattern in (f".{_PART}*.tmp", f".{SUCCESS}.*.tmp", f".{COMPACTING}.*.tmp")
             for t in history.glob(pattern)]
    for tmp in sorted(temps):
        tmp.unlink(missing_ok=True)
        notes.append(f"removed {tmp.name}, left by a run that was stopped")
    for part, rows in state.execute("SELECT part, rows FROM history_parts WHERE state = 'pending'"):
        path = history / part
        if path.exists() and parquet_rows(path) == rows:
            _commit(state, part, [], history)
            notes.append(f"{part}: written by a run that was stopped before recording it; recorded")
        else:
            path.unlink(missing_ok=True)
            with state.transaction():
                state.execute("DELETE FROM history_rows WHERE part = ?", [part])
                state.execute("DELETE FROM history_parts WHERE part = ?", [part])
            notes.append(f"{part}: a run was stopped while writing it; its rows are read again")
    known = {r[0] for r in state.execute("SELECT part FROM history_parts")}
    strangers = [p.name for p in sorted(history.glob(f"{_PART}*.parquet")) if p.name not in known]
    if strangers:
        raise StoreError(f"{history}: {', '.join(strangers[:3])} not in the monitor's manifest "
                         f"({state.path.name}); move them out of the history folder (or restore the "
                         "manifest) so that no review is counted twice")
    if notes:
        write_success(state, history)
    return notes


class Ingest:
    """One run's ingestion: feed files in, parts out. See the module doc.

    Args:
        cfg: the config.
        state: the open monitor store.
        load_model: called once, when the first new rows are to be scored.
        progress: called with the number of rows scored after each batch.
    """

    def __init__(self, cfg: MonitorConfig, state: MonitorState, load_model: Callable[[], Any],
                 progress: Callable[[int], None] | None = None) -> None:
        self.cfg, self.state, self.history, self.base = cfg, state, cfg.history, cfg.path.parent
        self._load_model, self.progress = load_model, progress
        self.result = IngestResult()
        self._seen = np.zeros(0, dtype=np.uint64)  # the history's row keys, read after recovery
        self._buffer: list[pd.DataFrame] = []
        self._keys: list[np.ndarray] = []
        self._done: list[tuple[FeedFile, str, int, int]] = []  # files read to the end, waiting for a part
        self._sources: dict[str, None] = {}  # dumps with rows in the buffer, in order
        self._schema: Any = None
        self._stack = contextlib.ExitStack()
        self._model: Any = None

    def run(self) -> IngestResult:
        """Recover, read the feed, append the new rows; the outcome."""
        self.result.recovered = recover(self.state, self.history)
        self._seen = np.sort(self.state.column("SELECT row_key FROM history_rows").astype(np.uint64))
        cfg = self.cfg
        own = [cfg.path, cfg.history, cfg.store, *cfg.issues, *([cfg.report] if cfg.report else []),
               *(p.with_suffix(".review_ids.csv") for p in cfg.issues)]
        files, settling = list_feed(cfg.input.paths, cfg.path.parent, settle_seconds=cfg.input.settle_seconds,
                                    exclude=own)
        self.result.files += [FileOutcome(p, "settling") for p in settling]
        with self._stack:
            for f in files:
                self._file(f)
            self._flush()
        self.result.history_rows, self.result.history_parts = self._totals()
        return self.result

    @property
    def model(self) -> Any:
        """The model, loaded on first use."""
        if self._model is None:
            from koubei.model.parallel import keep_workers

            self._model = self._load_model()
            self._stack.enter_context(keep_workers(self._model, self._workers()))
        return self._model

    def _workers(self) -> int:
        from koubei.model.parallel import available_cores

        return self.cfg.model.workers or available_cores()

    # -- reading ----------------------------------------------------------------------------

    def _file(self, f: FeedFile) -> None:
        row = self.state.execute("SELECT size, mtime_ns FROM feed_files WHERE path = ?",
                                 [feed_name(f.path, self.base)])
        if row and row[0] == (f.size, f.mtime_ns):
            self.result.files.append(FileOutcome(f.path, "unchanged"))
            return
        digest = sha256_file(f.path)
        if self.state.execute("SELECT 1 FROM feed_files WHERE sha256 = ? LIMIT 1", [digest]):
            self._record_files([(f, digest, 0, 0)])
            self.result.files.append(FileOutcome(f.path, "known"))
            return
        outcome = FileOutcome(f.path, "read")
        mark, parts = len(self._buffer), len(self.result.parts)
        try:
            self._read(f, outcome)
        except InputError as e:
            # A dump that cannot be read does not stop the feed: its rows wait in no buffer, it is
            # not recorded, and the next run reads it again (fixed, or still failing with this).
            keep = mark if len(self.result.parts) == parts else 0
            del self._buffer[keep:], self._keys[keep:]
            self._sources.pop(feed_name(f.path, self.base), None)
            self.result.files.append(FileOutcome(f.path, "error", error=str(e)))
            return
        self.result.files.append(outcome)
        self.result.new_rows += outcome.new_rows
        self.result.known_rows += outcome.rows - outcome.new_rows
        self._done.append((f, digest, outcome.rows, outcome.new_rows))
        if not self._buffer:  # nothing waiting: the file is read to the end now
            self._record_files(self._done)
            self._done = []

    def _read(self, f: FeedFile, outcome: FileOutcome) -> None:
        counts = KeyCounts()
        reader = ReviewReader(f.path, chunksize=self.cfg.model.chunksize, **self.cfg.input.read_options())
        for chunk in reader:
            keys = row_keys(chunk, counts)
            new = ~_in_sorted(keys, self._seen) & ~_in_sorted(keys, self._pending_keys())
            outcome.rows += len(chunk)
            outcome.new_rows += int(new.sum())
            if new.any():
                self._buffer.append(chunk.loc[new])
                self._keys.append(keys[new])
                self._sources[feed_name(f.path, self.base)] = None
            if sum(len(b) for b in self._buffer) >= self.cfg.model.chunksize:
                self._flush()

    def _pending_keys(self) -> np.ndarray:
        """The keys of the rows waiting in the buffer, sorted."""
        if not self._keys:
            return np.zeros(0, dtype=np.uint64)
        return np.sort(np.concatenate(self._keys))

    # -- writing ----------------------------------------------------------------------------

    def _flush(self) -> None:
        """Score the buffered rows and append them as one part (see the module doc)."""
        if not self._buffer:
            if self._done:
                self._record_files(self._done)
                self._done = []
            return
        frame = pd.concat(self._buffer, ignore_index=True)
        keys = np.concatenate(self._keys)
        self._buffer, self._keys = [], []
        scored = self.model.score(frame, batch_size=self.cfg.model.batch_size, workers=self._workers(),
                                  progress=self.progress)
        scored["review_id"], bases = self._history_ids(scored["review_id"])
        table = self._fit(arrow_table(scored))
        part = self._next_part()
        rows = pd.DataFrame({"row_key": keys, "review_id": scored["review_id"].astype(str), "id_base": bases,
                             "part": part})
        self._write_part(part, table, rows, list(self._sources))
        _commit(self.state, part, self._done, self.base)
        self._done, self._sources = [], {}
        self._seen = np.union1d(self._seen, keys)
        self.result.parts.append(part)
        write_success(self.state, self.history)

    def _write_part(self, part: str, table: Any, rows: pd.DataFrame, sources: list[str]) -> None:
        import pyarrow.parquet as pq

        target = self.history / part
        try:
            with atomic_file(target) as tmp:
                pq.write_table(table, tmp)
                fsync_file(tmp)
                with self.state.transaction():
                    self.state.execute("INSERT INTO history_parts VALUES (?, ?, 'pending', ?, now())",
                                       [part, len(rows), json.dumps(sources, ensure_ascii=False)])
                    self.state.insert_frame("history_rows", rows)
        except BaseException:
            if not target.exists():  # recorded but not renamed: undo now rather than next run
                with contextlib.suppress(StoreError), self.state.transaction():
                    self.state.execute("DELETE FROM history_rows WHERE part = ?", [part])
                    self.state.execute("DELETE FROM history_parts WHERE part = ?", [part])
            raise
        fsync_dir(self.history)

    def _history_ids(self, ids: pd.Series) -> tuple[pd.Series, pd.Series]:
        """Review ids unique over the history, and each one's content-hash base (None for source ids).

        A content-hash id (``r`` + 16 hex) already in the history (好吃 on another day) gets the
        next ``-N`` after those there; source ids are kept (their rows are new, so are they).
        """
        ids = ids.astype(str).reset_index(drop=True)
        hashed = is_hash_id(ids)
        bases = ids.str.slice(0, 17).where(hashed, None)
        if not hashed.any():
            return ids, bases
        wanted = pd.DataFrame({"b": bases[hashed].unique()})
        with self.state.registered("_bases", wanted):
            prior = dict(self.state.execute("SELECT id_base, count(*) FROM history_rows "
                                            "WHERE id_base IN (SELECT b FROM _bases) GROUP BY id_base"))
        n = bases[hashed].map(lambda b: prior.get(b, 0)).to_numpy() + \
            bases[hashed].groupby(bases[hashed]).cumcount().to_numpy() + 1
        out = ids.copy()
        out[hashed] = [b if k == 1 else f"{b}-{k}" for b, k in zip(bases[hashed], n)]
        return out, bases

    def _fit(self, table: Any) -> Any:
        """``table`` under the history's schema: the first part's (columns the history lacks are
        dropped, those this dump lacks are empty)."""
        import pyarrow as pa

        if self._schema is None:
            first = self.state.execute("SELECT part FROM history_parts WHERE state = 'committed' "
                                       "ORDER BY part LIMIT 1")
            self._schema = _read_schema(self.history / first[0][0]) if first else history_schema(table)
        schema = self._schema
        dropped = [c for c in table.column_names if c not in schema.names]
        self.result.dropped_columns += [c for c in dropped if c not in self.result.dropped_columns]
        cols = [table[f.name] if f.name in table.column_names else pa.nulls(len(table), f.type)
                for f in schema]
        return conform(pa.table(cols, names=schema.names), schema)

    def _next_part(self) -> str:
        used = [r[0] for r in self.state.execute("SELECT part FROM history_parts")]
        used += [p.name for p in self.history.glob(f"{_PART}*.parquet")]
        numbers = [n[1] for n in map(part_numbers, used) if n is not None]  # merged parts: their last
        return PART_NAME.format(max(numbers, default=-1) + 1)

    def _record_files(self, done: list[tuple[FeedFile, str, int, int]]) -> None:
        with self.state.transaction():
            _record_files(self.state, done, self.base)

    def _totals(self) -> tuple[int, int]:
        row = self.state.execute("SELECT coalesce(sum(rows), 0), count(*) FROM history_parts "
                                 "WHERE state = 'committed'")[0]
        return int(row[0]), int(row[1])


def history_schema(first: Any) -> Any:
    """The schema every part of a history is written with, from the first part's table.

    :func:`koubei.scoring.stream_schema`, and an all-empty column of any kind (an
    unmapped ``supplier`` in the first dump) becomes text, so a later dump can fill it.
    """
    import pyarrow as pa

    schema = stream_schema(first)
    fields = [f.with_type(pa.large_string()) if pa.types.is_null(f.type) else f for f in schema]
    return pa.schema(fields, metadata=schema.metadata)


def _read_schema(path: Path) -> Any:
    import pyarrow.parquet as pq

    return pq.read_schema(path)


def _commit(state: MonitorState, part: str, done: list[tuple[FeedFile, str, int, int]], base: Path) -> None:
    with state.transaction():
        state.execute("UPDATE history_parts SET state = 'committed' WHERE part = ?", [part])
        _record_files(state, done, base)
        state.set_meta("history_version", str(state.version("history_version") + 1))


def _record_files(state: MonitorState, done: list[tuple[FeedFile, str, int, int]], base: Path) -> None:
    for f, digest, rows, new in done:
        state.execute("INSERT OR REPLACE INTO feed_files VALUES (?, ?, ?, ?, ?, ?, now())",
                      [feed_name(f.path, base), f.size, f.mtime_ns, digest, rows, new])


def feed_name(path: Path, base: Path) -> str:
    """How the manifest names a dump: relative to the config's folder when inside it (the whole
    monitoring folder can move), else absolute."""
    try:
        return path.resolve().relative_to(base.resolve()).as_posix()
    except ValueError:
        return str(path.resolve())


def write_success(state: MonitorState, history: Path) -> None:
    """The ``_SUCCESS`` marker of ``koubei score --engine dask`` (rows, partitions), rewritten atomically."""
    from koubei import __version__

    rows, parts = state.execute("SELECT coalesce(sum(rows), 0), count(*) FROM history_parts "
                                "WHERE state = 'committed'")[0]
    text = json.dumps({"rows": int(rows), "partitions": int(parts), "koubei": __version__}) + "\n"

    def write(tmp: Path) -> None:
        tmp.write_text(text, encoding="utf-8")

    atomic_write(history / SUCCESS, write)


def _in_sorted(keys: np.ndarray, sorted_keys: np.ndarray) -> np.ndarray:
    """Whether each key is in ``sorted_keys`` (sorted ``uint64``)."""
    if not len(sorted_keys):
        return np.zeros(len(keys), dtype=bool)
    pos = np.searchsorted(sorted_keys, keys)
    pos[pos == len(sorted_keys)] = 0
    return sorted_keys[pos] == keys
