"""Terminal rendering shared by commands (the library never prints)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
)

if TYPE_CHECKING:
    from koubei.io import ReadReport
    from koubei.scoring import ScoreSummary

err = Console(stderr=True)


class Ticker:
    """Progress on stderr: ``start(total)`` once the total is known, then ``advance(n)``."""

    def __init__(self, bar: Progress | None, label: str) -> None:
        self.bar, self.label = bar, label
        self.task: TaskID | None = None

    def start(self, total: int) -> None:
        if self.bar is not None:
            self.task = self.bar.add_task(self.label, total=total)

    def advance(self, n: int) -> None:
        if self.bar is not None and self.task is not None:
            self.bar.update(self.task, advance=n)


@contextmanager
def progress_bar(quiet: bool, label: str = "scoring") -> Iterator[Ticker]:
    """A progress ticker drawing a bar on stderr, or doing nothing when quiet."""
    if quiet:
        yield Ticker(None, label)
        return
    with Progress(TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                  console=err, transient=True) as bar:
        yield Ticker(bar, label)


def read_report(report: ReadReport, quiet: bool) -> None:
    if not quiet:
        for line in report.summary_lines():
            typer.echo(line, err=True)


def summary(s: ScoreSummary) -> list[str]:
    """Lines of a scoring summary: the headline counts ``koubei report`` shows too."""
    from koubei.scoring.headline import left_out_text

    lines = [f"rows: {s.rows:,}   scored: {s.scored:,}   counted: {s.counted:,}"]
    if s.left_out:
        lines.append(f"left out of the counts: {left_out_text(s.left_out)} "
                     "(rows not scored are kept in the output with empty predictions)")
    if s.flagged:
        lines.append("flagged: " + ", ".join(f"{k} {v:,}" for k, v in s.flagged.items()))
    total = max(1, sum(s.sentiment.values()))
    lines.append("sentiment (counted): " + ", ".join(
        f"{k} {v:,} ({v / total:.0%})" for k, v in sorted(s.sentiment.items())))
    lines.append(f"complaints: {s.complaints:,} ({s.complaints / max(1, s.counted):.0%} of counted)")
    if s.top_complaints:
        lines.append("top complaint topics: " + ", ".join(
            f"{zh} {tid} {n:,}" for tid, zh, n in s.top_complaints))
    return lines
