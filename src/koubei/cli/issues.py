"""``koubei issues list|mute|unmute``: read and curate the issue-history store."""

from __future__ import annotations

import os
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from koubei.cli._errors import translate_errors
from koubei.cli._options import FREQ_HELP

if TYPE_CHECKING:
    import pandas as pd

app = typer.Typer(no_args_is_help=True, pretty_exceptions_show_locals=False, add_completion=False)


class Status(StrEnum):
    new = "new"
    ongoing = "ongoing"
    resolved = "resolved"
    muted = "muted"


class Freq(StrEnum):
    D = "D"
    W = "W"
    M = "M"


StoreOpt = Annotated[Path, typer.Option("--store", help="Issue store file written by `koubei emerging --store FILE`.")]
IssueArg = Annotated[str, typer.Argument(metavar="ID", help="Issue id (KB-...), as `koubei issues list` shows it.")]


@app.command("list")
@translate_errors
def list_issues(
    store: StoreOpt,
    status: Annotated[Status | None, typer.Option("--status", help="Only issues in this state.")] = None,
    freq: Annotated[Freq | None, typer.Option("--freq", case_sensitive=False, help=f"Only this window frequency's history: {FREQ_HELP}; without it, each issue at the frequency of its latest flag.")] = None,
) -> None:
    """List every recorded issue: its state, where its current episode began, its latest flagged window.

    One row per issue, sorted by state (new, ongoing, resolved, muted), then
    by severity, highest first; then a count per state.

    Examples:
      koubei issues list --store koubei.duckdb
      koubei issues list --store koubei.duckdb --status new --freq W
    """
    from koubei.store.history import open_store  # duckdb only when a store is used

    with open_store(store, create=False) as s:
        df = s.list(status=status.value if status else None, freq=freq.value if freq else None)
    if df.empty:
        typer.echo(f"no {status.value + ' ' if status else ''}issues in {store}")
        return
    _console().print(issue_table(df))
    counts = df["status"].value_counts(sort=False)
    typer.echo(f"{len(df)} issue{'s' if len(df) != 1 else ''}: " + ", ".join(f"{k} {v}" for k, v in counts.items()))


@app.command("mute")
@translate_errors
def mute(
    issue_id: IssueArg,
    store: StoreOpt,
    reason: Annotated[str, typer.Option("--reason", help="Why it is muted (kept in the store).")] = "",
) -> None:
    """Mute an issue: it stays `muted` whatever later runs find, until unmuted.

    Examples:
      koubei issues mute KB-1a2b3c4d5e --store koubei.duckdb --reason "供应商已换配方"
    """
    from koubei.store.history import open_store

    with open_store(store, create=False) as s:
        s.mute(issue_id, reason=reason)
    typer.echo(f"muted {issue_id}")


@app.command("unmute")
@translate_errors
def unmute(issue_id: IssueArg, store: StoreOpt) -> None:
    """Unmute an issue: its state is derived from its history again.

    Examples:
      koubei issues unmute KB-1a2b3c4d5e --store koubei.duckdb
    """
    from koubei.store.history import open_store

    with open_store(store, create=False) as s:
        status = s.unmute(issue_id)
    typer.echo(f"unmuted {issue_id}: {status or 'not flagged'}")


def issue_table(df: pd.DataFrame) -> Table:
    """The rich table of ``IssueStore.list()`` rows."""
    table = Table()
    for name in ("id", "status", "topic", "direction", "cell", "first window", "window"):
        table.add_column(name, no_wrap=name in ("id", "status", "first window", "window"), min_width=4)
    for name in ("count", "lift", "q", "severity"):
        table.add_column(name, justify="right", no_wrap=True)
    table.add_column("summary", overflow="fold", ratio=1, min_width=16)
    for r in df.itertuples(index=False):
        table.add_row(r.issue_id, r.status, _text(r.topic_zh), _text(r.direction) or "-", _text(r.cell_label),
                      _text(r.first_window), r.window, _num(r.count, "{:.0f}"), _num(r.lift, "{:.1f}×"),
                      _num(r.q_value, "{:.2g}"), _num(r.severity, "{:.0f}"), _text(r.summary))
    return table


def _console() -> Console:
    """stdout; 160 columns wide when it is a file or pipe (rich would assume 80)."""
    console = Console()
    if not console.is_terminal and "COLUMNS" not in os.environ:
        console = Console(width=160)
    return console


def _text(value: object) -> str:
    import pandas as pd  # imported by the issue store already; not by --help

    return "" if value is None or pd.isna(value) else str(value)  # type: ignore[arg-type]


def _num(value: object, fmt: str) -> str:
    import pandas as pd

    return "-" if value is None or pd.isna(value) else fmt.format(value)  # type: ignore[call-overload]
