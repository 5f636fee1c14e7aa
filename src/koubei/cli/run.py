"""``koubei run``: one monitoring cycle over the feed (new reviews → history → issues → alerts)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from koubei.cli import _render
from koubei.cli.export import Lang

if TYPE_CHECKING:
    from koubei.monitor.cycle import RunResult

ConfigArg = Annotated[Path, typer.Argument(metavar="CONFIG", help="Monitor config file (write one with `koubei init`).")]
LangOpt = Annotated[Lang | None, typer.Option("--lang", help="Language of every alert: zh or en (default: each channel's lang, else \\[alerts] lang).")]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar; print only the summary lines.")]


def run(
    config: ConfigArg,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Send and queue no alert: print each one as it would be posted. The history, issue store and outputs are updated as usual, so the next run sends exactly these.")] = False,
    lang: LangOpt = None,
    quiet: QuietOpt = False,
    compact: Annotated[bool, typer.Option("--compact", help="Merge the history's small Parquet parts now (into parts of up to \\[history] compact_rows rows), not only when there are more than \\[history] compact_at. The rows and their order do not change.")] = False,
) -> None:
    """Run one monitoring cycle: new reviews → history → emerging issues → outputs → alerts.

    Scores the feed's new reviews into the history, looks for emerging issues, rewrites
    the issue list and report, and alerts the team about new and escalated issues. Only rows the history does not hold are scored; a run with nothing new changes nothing
    and sends nothing. Exit code 10 when an alert could not be sent (it is kept and sent by
    the next run), 3 when an output could not be written, 2 when a dump could not be read
    (the others are still read; it is tried again by the next run).
    """
    from koubei.monitor import load_config, run_once

    cfg = load_config(config)
    with _render.progress_bar(quiet) as ticker:
        result = run_once(cfg, dry_run=dry_run, lang=lang.value if lang else None,
                          progress=lambda n: _advance(ticker, n), compact=compact)
    for line in result_lines(result, cfg.history, quiet=quiet):
        typer.echo(line)
    code = exit_code(result)
    if code:
        raise typer.Exit(code)


def _advance(ticker: _render.Ticker, n: int) -> None:
    """Advance the bar, started open-ended on the first rows scored (a run may score none)."""
    if ticker.bar is not None and ticker.task is None:
        ticker.task = ticker.bar.add_task(ticker.label, total=None)
    ticker.advance(n)


def exit_code(result: RunResult) -> int:
    """2 when a dump could not be read, 3 when an output could not be written, 10 when an alert
    could not be sent, else 0."""
    from koubei.errors import AlertError, InputError, OutputError

    if any(f.state == "error" for f in result.ingest.files):
        return InputError.exit_code
    if result.detect.errors:
        return OutputError.exit_code
    return AlertError.exit_code if result.failed else 0


def result_lines(r: RunResult, history: Path, *, quiet: bool = False) -> list[str]:
    """What a cycle did, a few lines (and with --dry-run each alert's payload)."""
    ing, det = r.ingest, r.detect
    states = Counter(f.state for f in ing.files)
    lines = [*(f"recovered: {n}" for n in ing.recovered)]
    files = ", ".join(f"{n} {s}" for s, n in states.items()) or "none"
    if ing.new_rows or states.get("read"):
        lines.append(f"feed: {len(ing.files)} files ({files}); rows read {ing.new_rows + ing.known_rows:,}: "
                     f"{ing.new_rows:,} new, {ing.known_rows:,} already in the history")
    else:
        lines.append(f"feed: nothing new ({len(ing.files)} files: {files})")
    if ing.dropped_columns:
        lines.append(f"columns the history does not have, left out: {', '.join(ing.dropped_columns)}")
    lines.append(f"history: {history} ({ing.history_parts} parts, {ing.history_rows:,} rows)"
                 + (f"; added {', '.join(ing.parts)}" if ing.parts else ""))
    if r.compacted:
        merged = sum(len(sources) for _, sources in r.compacted)
        lines.append(f"compacted: {merged} parts merged into {', '.join(t for t, _ in r.compacted)}")
    if det.ran:
        lines.append(f"issues: windows {', '.join(det.windows)} evaluated, {det.flagged} flagged")
        if det.outputs:
            lines.append("wrote " + ", ".join(str(p) for p in det.outputs))
    if det.by_status:
        lines.append("issues now: " + ", ".join(f"{k} {v}" for k, v in det.by_status.items()))
    lines += [f"error: {e} (written again by the next run)" for e in det.errors]
    lines += [f"error: {f.error} (left out; the next run reads it again)" for f in ing.files if f.state == "error"]
    lines += _alert_lines(r, quiet)
    return lines


def _alert_lines(r: RunResult, quiet: bool) -> list[str]:
    ds = r.deliveries
    if r.dry_run:
        out = [f"dry run: {len(ds)} alert{'s' if len(ds) != 1 else ''} would be sent, none was"]
        for d in ds:
            out.append(f"--- {d.state}: {d.kind} {d.issue_id} to {d.channel} ({d.target})")
            if d.preview and not quiet:
                out.append(d.preview)
        return out
    if not ds and not r.queued:
        return ["alerts: none to send"]
    by = Counter(d.state for d in ds)
    sent_to = Counter(d.channel for d in ds if d.state == "sent")
    line = f"alerts: {r.queued} queued; sent {by.get('sent', 0)}"
    line += f" ({', '.join(f'{c} {n}' for c, n in sent_to.items())})" if sent_to else ""
    line += f"; failed {by['failed']} (kept, sent again by the next run)" if by.get("failed") else ""
    line += f"; cancelled {by['cancelled']} (muted)" if by.get("cancelled") else ""
    line += f"; deferred {by['deferred']} (rate limit; sent by the next run)" if by.get("deferred") else ""
    out = [line]
    out += [f"  not sent: {d.kind} {d.issue_id} to {d.channel}: {d.error}" for d in ds if d.state in ("failed", "skipped")]
    return out
