"""``koubei emerging`` as one library call: read scored → detect → record → write."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from koubei.aggregate.scored import load_scored
from koubei.detect.emerging import EmergingConfig, EmergingResult, Windows, find_emerging
from koubei.detect.schema import ISSUE_COLUMNS
from koubei.io import write_table
from koubei.io.writers import check_output


@dataclass
class EmergingRun:
    """A finished run: the issues (with ``status`` when a store was given) and what was written."""

    result: EmergingResult
    issues: pd.DataFrame
    novel: int
    output: Path | None
    store: Path | None


def run_emerging(input_path: str | Path, output: str | Path | None = None, *, freq: str = "W",
                 by: Sequence[str] = (), store: str | Path | None = None, windows: Windows = "last",
                 config: EmergingConfig | None = None, novel: bool = True, model: Any = None,
                 trace_extra: Sequence[str] = (), mask: bool = True, resolve_after: int = 2,
                 fmt: str | None = None, overwrite: bool = False, tz: str = "Asia/Shanghai") -> EmergingRun:
    """Find emerging issues in a scored file, record them in ``store``, write ``output``.

    Args:
        input_path: a file written by ``koubei score``.
        output: the issue table to write (csv, xlsx, parquet, jsonl, json), or None.
        store: an issue-history DuckDB file (created when missing); gives each issue a status.
        novel: also cluster uncovered negative reviews into candidate new issues.
        model: a loaded ReviewModel whose embedder the novel clustering uses (default: the bundled one).
        The rest: as :func:`koubei.detect.emerging.find_emerging`.
    """
    if output is not None:
        check_output(output, fmt, overwrite=overwrite)
    frame = load_scored(input_path, tz=tz)
    result = find_emerging(frame, freq=freq, by=by, config=config, windows=windows,
                           trace_extra=trace_extra, mask=mask, source=str(input_path))
    issues = result.issues
    n_novel = 0
    if novel:
        found = _novel(frame, result, model, mask, config or EmergingConfig())
        n_novel = len(found)
        issues = pd.concat([issues, found[list(ISSUE_COLUMNS)]], ignore_index=True) if n_novel else issues
    if store is not None:
        issues = _record(store, issues, result, by, fingerprint(input_path), resolve_after)
    path = write_table(_for_file(issues), Path(output), fmt, overwrite=overwrite) if output else None
    return EmergingRun(result=result, issues=issues, novel=n_novel, output=path,
                       store=Path(store) if store else None)


def fingerprint(path: str | Path) -> str:
    """sha256 of a file's bytes (logged with each run in the store)."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _novel(frame: pd.DataFrame, result: EmergingResult, model: Any, mask: bool,
           cfg: EmergingConfig) -> pd.DataFrame:
    from koubei.detect.novel import find_novel
    from koubei.model.review_model import load_model

    model = model or load_model()
    parts = [find_novel(frame, freq=result.freq.value, current=start, model=model, mask=mask,
                        baseline_windows=cfg.baseline_windows, min_size=cfg.min_count, max_q=cfg.max_q,
                        min_lift=cfg.min_lift, n_quotes=cfg.n_quotes)
             for _, start in result.evaluated]
    parts = [p for p in parts if len(p)]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=list(ISSUE_COLUMNS))


def _record(store: str | Path, issues: pd.DataFrame, result: EmergingResult, by: Sequence[str],
            digest: str, resolve_after: int) -> pd.DataFrame:
    from koubei.detect.history import open_store

    levels = [",".join(by[:i]) for i in range(len(by) + 1)]
    with open_store(store) as db:
        return db.record(issues, freq=result.freq.value, evaluated_windows=result.evaluated,
                         fingerprint=digest, resolve_after=resolve_after, levels=levels)


def _for_file(issues: pd.DataFrame) -> pd.DataFrame:
    """Window starts as ISO text so every format (Excel included) writes them the same."""
    out = issues.copy()
    out["window_start"] = pd.to_datetime(out["window_start"]).map(
        lambda t: t.isoformat() if pd.notna(t) else "")
    return out
