"""``koubei watch``: ``koubei run`` every so often, for hosts without cron or systemd timers."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from koubei.cli.run import ConfigArg, LangOpt, QuietOpt, result_lines
from koubei.errors import KoubeiError

if TYPE_CHECKING:
    from koubei.monitor import RunResult


def watch(
    config: ConfigArg,
    every: Annotated[str, typer.Option("--every", help="Time from the start of one cycle to the next: 30m, 1h, 1h30m, 1d.")] = "1h",
    lang: LangOpt = None,
    max_runs: Annotated[int | None, typer.Option("--max-runs", min=1, help="Stop after this many cycles (default: until Ctrl-C or SIGTERM).")] = None,
    quiet: QuietOpt = False,
) -> None:
    """Run a monitoring cycle now and then every --every, until stopped (Ctrl-C, SIGTERM).

    The config is read again before each cycle; the model is loaded once. An error in a
    later cycle (a network down, the history in use) is printed and the next cycle runs as
    planned; an error in the first one stops the watch. Prefer cron or a systemd timer
    calling `koubei run` where you have them.
    """
    from koubei.monitor import ModelCache, load_config, parse_interval, run_once
    from koubei.monitor import watch as watch_loop

    try:
        seconds = parse_interval(every)
    except ValueError as e:
        raise typer.BadParameter(str(e), param_hint="--every") from None
    models = ModelCache()

    def cycle() -> tuple[Path, RunResult]:
        cfg = load_config(config)
        result = run_once(cfg, lang=lang.value if lang else None, models=models)
        return cfg.history, result

    def show(done: tuple[Path, RunResult]) -> None:
        history, result = done
        typer.echo(f"[{_now()}] run finished")
        for line in result_lines(result, history, quiet=quiet):
            typer.echo(f"  {line}")

    def failed(e: KoubeiError) -> None:
        typer.echo(f"[{_now()}] error: {e}; next run in {every}", err=True)

    n = watch_loop(cycle, seconds, on_result=show, on_error=failed, max_runs=max_runs)
    typer.echo(f"stopped after {n} run{'s' if n != 1 else ''}")


def _now() -> str:
    return dt.datetime.now().astimezone().isoformat(timespec="seconds")
