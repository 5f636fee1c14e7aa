"""Batch scoring of a review dump: read → score → write, as one library call.

The CLI's ``koubei score`` is a thin skin over :func:`score_file`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from koubei.io import ReadReport, read_reviews_with_report, write_table
from koubei.io.writers import check_output
from koubei.model.review_model import TOPIC_PREFIX, ReviewModel, load_model
from koubei.taxonomy import Taxonomy

UNSCORED_FLAGS = ("templated",)


@dataclass
class ScoreSummary:
    """What a scoring run did, for the terminal and for tests."""

    rows: int
    scored: int
    skipped: dict[str, int] = field(default_factory=dict)
    flagged: dict[str, int] = field(default_factory=dict)
    sentiment: dict[str, int] = field(default_factory=dict)
    complaints: int = 0
    top_complaints: list[tuple[str, str, int]] = field(default_factory=list)


@dataclass
class ScoreResult:
    output: Path
    read_report: ReadReport
    summary: ScoreSummary


def scorable(frame: pd.DataFrame) -> pd.Series:
    """Rows the model scores: status ``ok`` and not system-generated (templated)."""
    flags = frame["flags"].fillna("").astype(str)
    templated = flags.str.contains("|".join(UNSCORED_FLAGS), regex=True)
    return (frame["status"] == "ok") & ~templated


def summarize(scored: pd.DataFrame, taxonomy: Taxonomy, *, top: int = 5) -> ScoreSummary:
    """Counts of a scored frame: skipped rows by reason, sentiment split, top complaints."""
    mask = scorable(scored)
    skipped = scored.loc[scored["status"] != "ok", "status"].value_counts().to_dict()
    flags = scored["flags"].fillna("").astype(str).str.split(";").explode()
    flagged = flags[flags != ""].value_counts().to_dict()
    n_templated = int(((scored["status"] == "ok") & ~mask).sum())
    if n_templated:
        skipped["templated"] = n_templated
    sent = scored.loc[mask, "sentiment"].value_counts().to_dict()
    counts = []
    for t in taxonomy.topics:
        n = int((scored[TOPIC_PREFIX + t.id] == "neg").sum())
        if n:
            counts.append((t.id, t.zh, n))
    counts.sort(key=lambda x: -x[2])
    return ScoreSummary(
        rows=len(scored), scored=int(mask.sum()),
        skipped={str(k): int(v) for k, v in skipped.items()},
        flagged={str(k): int(v) for k, v in flagged.items()},
        sentiment={str(k): int(v) for k, v in sent.items()},
        complaints=int(scored["is_complaint"].sum()), top_complaints=counts[:top],
    )


def score_file(input_path: str | Path, output: str | Path, *, model: ReviewModel | None = None,
               model_path: str | Path | None = None, fmt: str | None = None,
               input_format: str | None = None,
               overwrite: bool = False, batch_size: int = 2000, workers: int = 1,
               on_read: Callable[[ReadReport], None] | None = None,
               progress: Callable[[int], None] | None = None, **read_options: Any) -> ScoreResult:
    """Read a dump, score every row and write the result atomically.

    Args:
        input_path: the review dump (see :func:`koubei.read_reviews`).
        output: the file to write; its format from ``fmt`` or the extension.
        input_format: the input's format when its extension does not tell.
        model: a loaded model; else ``model_path`` or the bundled default is loaded.
        workers: processes scoring batches in parallel.
        on_read: called with the read report once the file is read.
        progress: called with the number of rows scored after each batch.
        read_options: column mapping and reading options of ``read_reviews``.
    """
    check_output(output, fmt, overwrite=overwrite)
    model = model or load_model(model_path)
    frame, report = read_reviews_with_report(input_path, fmt=input_format, **read_options)
    if on_read:
        on_read(report)
    scored = model.score(frame, batch_size=batch_size, workers=workers, progress=progress)
    path = write_table(scored, output, fmt, overwrite=overwrite)
    return ScoreResult(output=path, read_report=report, summary=summarize(scored, model.taxonomy))
