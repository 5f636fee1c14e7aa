"""``koubei emerging`` as one library call: read scored → detect → record → write."""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from koubei.aggregate.windows import Freq
from koubei.detect.config import EmergingConfig
from koubei.detect.emerging import EmergingResult, Windows, detect_emerging
from koubei.detect.source import ScoredRows, open_scored
from koubei.engines import Engine
from koubei.errors import ColumnError
from koubei.io import write_table
from koubei.io.writers import atomic_file, check_output, table_writer
from koubei.schema import DEFAULT_TZ, ISSUE_COLUMNS
from koubei.store.state import without_store


@dataclass
class EmergingRun:
    """A finished run: the issues and what was written.

    Each issue's ``status`` (only with a store) and ``first_window`` are
    :mod:`koubei.store.state`'s, the same on every row of the issue and the same
    as ``koubei issues list`` and ``koubei export`` give.

    Attributes:
        result: what the detection found and looked at.
        issues: the issue table as written (with ``status`` when there is a store,
            and the new kinds of complaint).
        novel: how many of the issues are new kinds of complaint.
        output: the issue table written, if any.
        store: the issue store recorded in, if any.
    """

    result: EmergingResult
    issues: pd.DataFrame
    novel: int
    output: Path | None
    store: Path | None


def run_emerging(input_path: str | Path, output: str | Path | None = None, *, freq: str = "W",
                 by: Sequence[str] = (), store: str | Path | None = None, windows: Windows = "last",
                 config: EmergingConfig | None = None, novel: bool = True, model: Any = None,
                 trace_extra: Sequence[str] = (), mask: bool = True, resolve_after: int = 2,
                 fmt: str | None = None, overwrite: bool = False, tz: str = DEFAULT_TZ,
                 engine: str | Engine = Engine.local, scheduler: str | None = None,
                 n_workers: int | None = None, raw: bool = False) -> EmergingRun:
    """Find emerging issues in a scored file, record them in ``store``, write ``output``.

    The arguments not listed below are those of :func:`koubei.detect.emerging.find_emerging`.

    Args:
        input_path: a file written by ``koubei score``, or a folder of Parquet parts.
        output: the issue table to write (csv, xlsx, parquet, jsonl, json), or None.
        store: an issue-history DuckDB file (created when missing); gives each issue a status.
        novel: also cluster complaint clauses no topic covers into candidate new issues.
        model: a loaded ReviewModel whose embedder the novel clustering uses (default: the bundled one).
        engine: ``local`` reads the input into this process; ``dask`` counts the parts of a
            folder on Dask's workers and reads back only the counts and the flagged issues'
            evidence (:mod:`koubei.detect.dataset`); the issues are the same.
        scheduler: with ``dask``: address of a running scheduler (default: a local cluster).
        n_workers: with ``dask`` and no ``scheduler``: worker processes (default: one per core).
        raw: CSV/TSV cells as they are (by default formula-like text gets a leading apostrophe).

    Raises:
        EngineError: ``dask`` without Dask installed, or an unreachable scheduler.
        InputError, OutputError, StoreError: the input, output or store cannot be used. A
            damaged store is refused before the input is read. With a store, recording and
            writing ``output`` are all or nothing: the output is written to a temporary file
            beside it, the store commits, and only then is the file moved in place, so a run
            that fails (writing, recording or committing) leaves the store and ``output`` as
            they were.
    """
    if output is not None:
        check_output(output, fmt, overwrite=overwrite)
    if store is not None:
        from koubei.store.history import check_store

        check_store(store)  # a damaged store is refused before the detection, not after it
    cfg = config or EmergingConfig()
    with open_scored(input_path, engine=engine, tz=tz, scheduler=scheduler, n_workers=n_workers) as rows:
        result = detect_emerging(rows, freq=freq, by=by, config=cfg, windows=windows,
                                 trace_extra=trace_extra, mask=mask)
        found = _novel(rows, result, model, mask, cfg) if novel else None
    issues = result.issues
    n_novel = 0 if found is None else len(found)
    if found is not None and n_novel:
        issues = pd.concat([issues, found[list(ISSUE_COLUMNS)]], ignore_index=True)
    if store is None:
        issues = without_store(issues, [w for w, _ in result.evaluated], resolve_after)
        path = _write(issues, output, fmt, overwrite, raw)
    else:
        from koubei.store.history import open_store

        levels = [",".join(by[:i]) for i in range(len(by) + 1)]
        path = Path(output) if output is not None else None
        # The output goes to a temporary file inside the transaction and is moved in place
        # only after the commit: a failure up to the commit leaves neither the file nor the
        # run, and the rename after it is the one step that cannot be taken back.
        with atomic_file(path) if path else contextlib.nullcontext() as tmp, \
                open_store(store) as db, db.transaction():
            issues = db.record(issues, freq=result.freq.value, evaluated_windows=result.evaluated,
                               fingerprint=fingerprint(input_path), resolve_after=resolve_after,
                               levels=levels)
            if path is not None and tmp is not None:
                table_writer(_for_file(issues), path, fmt, raw=raw)(tmp)
    return EmergingRun(result=result, issues=issues, novel=n_novel, output=path,
                       store=Path(store) if store else None)


def fingerprint(path: str | Path) -> str:
    """sha256 of the scored data, logged with each run in the store.

    A file: of its bytes. A folder of Parquet parts: over its parts in name order
    (the files both engines read, so ``_SUCCESS`` and hidden files are left out),
    of each part's name, a NUL byte, its size in bytes in decimal, a NUL byte and
    its bytes; renaming, adding or changing a part changes it.
    """
    p = Path(path)
    h = hashlib.sha256()
    if not p.is_dir():
        _hash_file(h, p)
        return h.hexdigest()
    from koubei.engines.cluster import parquet_files

    for part in parquet_files(p):
        h.update(f"{part.name}\0{part.stat().st_size}\0".encode())
        _hash_file(h, part)
    return h.hexdigest()


def _hash_file(h: Any, path: Path) -> None:
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)


def _novel(rows: ScoredRows, result: EmergingResult, model: Any, mask: bool,
           cfg: EmergingConfig) -> pd.DataFrame:
    """New kinds of complaint in each evaluated window, from the candidates and the window totals."""
    from koubei.detect.novel import baseline_span, clause_book, clause_clusterer, novel_issues
    from koubei.model.review_model import load_model

    if "text" not in rows.template.columns:
        raise ColumnError(f"{rows.name}: no text column to cluster new kinds of complaint in; "
                          "run with --no-novel, or score the dump again (koubei score keeps the text)")
    model = model or load_model()
    f, totals = result.freq.value, result.window_totals
    first = totals.index[0]
    wanted = sorted({w for _, start in result.evaluated
                     for w in baseline_span(first, start, f, cfg.baseline_windows)})
    candidates, windows = rows.novel_rows(Freq(f), wanted)
    book = clause_book(model)  # one for every window: each distinct text is read once
    clusterer = clause_clusterer(book.segmenter)
    parts = [novel_issues(candidates, windows, totals, freq=f, current=start, book=book,
                          clusterer=clusterer, mask=mask,
                          baseline_windows=cfg.baseline_windows, min_size=cfg.min_count, max_q=cfg.max_q,
                          min_lift=cfg.min_lift, n_quotes=cfg.n_quotes)
             for _, start in result.evaluated]
    parts = [p for p in parts if len(p)]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=list(ISSUE_COLUMNS))


def _write(issues: pd.DataFrame, output: str | Path | None, fmt: str | None, overwrite: bool,
           raw: bool) -> Path | None:
    return write_table(_for_file(issues), Path(output), fmt, overwrite=overwrite, raw=raw) if output else None


def _for_file(issues: pd.DataFrame) -> pd.DataFrame:
    """Window starts as ISO text so every format (Excel included) writes them the same."""
    out = issues.copy()
    out["window_start"] = pd.to_datetime(out["window_start"]).map(
        lambda t: t.isoformat() if pd.notna(t) else "")
    return out
