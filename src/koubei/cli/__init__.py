"""The ``koubei`` command line: a thin skin over the library.

Each command lives in its own module, parses options, calls one library
function and renders what it returns. Errors koubei raises on purpose become
one line on stderr and the error's exit code; no traceback reaches the user.
"""

from __future__ import annotations

import os

import typer

from koubei.cli._errors import Terminated, translate_errors

__all__ = ["Terminated", "app", "main", "translate_errors"]

app = typer.Typer(
    name="koubei",
    help="口碑 koubei: Chinese customer reviews in, complaint topics and issue lists out.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    add_completion=False,
)


def _register() -> None:
    from koubei.cli import demo, score

    app.command("score")(translate_errors(score.score))
    app.command("demo")(translate_errors(demo.demo))
    # analysis commands (one module each)
    from koubei.cli import evaluate, suggest, train

    app.command("train")(translate_errors(train.train))
    app.command("evaluate")(translate_errors(evaluate.evaluate))
    app.command("suggest")(translate_errors(suggest.suggest))
    from koubei.cli import export

    app.command("export")(translate_errors(export.export))
    from koubei.cli import report

    app.command("report")(translate_errors(report.report))
    from koubei.cli import emerging

    app.command("emerging")(translate_errors(emerging.emerging))
    from koubei.cli import issues

    app.add_typer(issues.app, name="issues", help="List recorded issues and their states; mute or unmute one.")
    from koubei.cli import aggregate

    app.command("aggregate")(translate_errors(aggregate.aggregate))
    # monitoring (koubei.monitor)
    from koubei.cli import init, run, watch

    app.command("init")(translate_errors(init.init))
    app.command("run")(translate_errors(run.run))
    app.command("watch")(translate_errors(watch.watch))


@app.callback(invoke_without_command=True)
def _root(
    ctx: typer.Context,
    version: bool = typer.Option(False, "--version", help="Print the version and exit."),
) -> None:
    if version:
        from koubei.version import __version__

        typer.echo(f"koubei {__version__}")
        raise typer.Exit()
    if ctx.invoked_subcommand is None:
        typer.echo(ctx.get_help())


_register()


#: OpenBLAS keeps its idle threads spinning for 2**28 cycles after each call (its default) before
#: they sleep; with a scoring worker on every core that spinning took the cores the workers
#: need (a sixth of their CPU time on 2 cores, scripts/bench_score.py). 2**4 lets them sleep at
#: once; the thread count, and so every result, stays as it was.
BLAS_THREAD_TIMEOUT = "4"


def main() -> None:
    """Console-script entry point.

    Sets ``OPENBLAS_THREAD_TIMEOUT`` (:data:`BLAS_THREAD_TIMEOUT`) unless the environment has it:
    OpenBLAS reads it when numpy first loads, which no command has done yet.
    """
    os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", BLAS_THREAD_TIMEOUT)
    app()
