"""The demo: the bundled dump of synthetic snack reviews, end to end.

Score it, summarize it per supplier × product × week, and look for emerging
issues with the default settings (the ones ``scripts/bench_emerging.py``
measured): the dump hides a wave of "too bland" complaints about one
supplier's batch of 原味瓜子 in its last weeks (see corpora/demo/README.md).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from koubei.errors import OutputError
from koubei.io import ReadReport
from koubei.model.parallel import available_cores
from koubei.model.review_model import load_model
from koubei.resources import corpora_path
from koubei.scoring import ScoreResult, score_file

if TYPE_CHECKING:  # the later steps are imported when the demo runs, not when the CLI starts
    from koubei.aggregate.table import AggregateResult
    from koubei.detect.run import EmergingRun
    from koubei.export import ExportResult
    from koubei.report import ReportResult

DEMO_DUMP = ("demo", "snack_reviews.csv")
DEMO_BY = ("supplier", "product")


@dataclass
class DemoResult:
    scored: ScoreResult
    summary: AggregateResult
    emerging: EmergingRun
    export: ExportResult
    report: ReportResult


def demo_dump_path() -> Path:
    """The shipped demo dump (made by scripts/make_demo.py)."""
    return corpora_path(*DEMO_DUMP)


def run_demo(out_dir: str | Path, *, on_read: Callable[[ReadReport], None] | None = None,
             progress: Callable[[int], None] | None = None) -> DemoResult:
    """Score, aggregate and detect on the demo dump; outputs in ``out_dir`` (replaced each run).

    Writes ``scored.parquet``, ``summary.xlsx`` (per supplier × product × week),
    ``issues.csv`` and the issue history ``koubei.duckdb`` (recording the same
    data again changes nothing), then the product team's files from that
    history: ``issues.xlsx`` and the self-contained ``report.html``.
    """
    from koubei.aggregate.table import aggregate_file
    from koubei.detect.run import run_emerging
    from koubei.export import export_issues
    from koubei.report import write_report

    folder = Path(out_dir)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise OutputError(f"cannot create demo folder {folder}: {e.strerror or e}") from e
    model = load_model()
    scored = score_file(demo_dump_path(), folder / "scored.parquet", model=model, overwrite=True,
                        workers=available_cores(), on_read=on_read, progress=progress)
    summary = aggregate_file(scored.output, folder / "summary.xlsx", by=DEMO_BY, freq="W", overwrite=True)
    issues = run_emerging(scored.output, folder / "issues.csv", freq="W", by=DEMO_BY,
                          store=folder / "koubei.duckdb", model=model, overwrite=True)
    exported = export_issues(folder / "koubei.duckdb", folder / "issues.xlsx", overwrite=True)
    report = write_report(scored.output, folder / "report.html", store=folder / "koubei.duckdb",
                          freq="W", by=DEMO_BY, overwrite=True)
    return DemoResult(scored=scored, summary=summary, emerging=issues, export=exported, report=report)
