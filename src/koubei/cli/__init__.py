"""The ``koubei`` command line: a thin skin over the library.

Each command lives in its own module, parses options, calls one library
function and renders what it returns. Errors koubei raises on purpose become
one line on stderr and the error's exit code; no traceback reaches the user.
"""

from __future__ import annotations

import functools
import signal
import threading
import warnings
from collections.abc import Callable
from typing import Any

import typer

from koubei.errors import KoubeiError, KoubeiWarning

app = typer.Typer(
    name="koubei",
    help="口碑 koubei: Chinese customer reviews in, complaint topics and issue lists out.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    add_completion=False,
)


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where the command runs so it unwinds as after Ctrl-C:
    temporary files removed, worker processes stopped, no output half-written."""


def _raise_terminated(signum: int, frame: Any) -> None:
    raise Terminated


def translate_errors(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Turn a ``KoubeiError`` into ``error: <message>`` on stderr and its exit code,
    each ``KoubeiWarning`` into ``warning: <message>`` on stderr, and Ctrl-C
    (exit 130) and SIGTERM (exit 143) into the same clean stop."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        previous = None
        if threading.current_thread() is threading.main_thread():
            previous = signal.signal(signal.SIGTERM, _raise_terminated)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("always", KoubeiWarning)
                warnings.showwarning = _show_warning(warnings.showwarning)
                return fn(*args, **kwargs)
        except KoubeiError as e:
            typer.echo(f"error: {e}", err=True)
            raise typer.Exit(e.exit_code) from None
        except KeyboardInterrupt as e:
            term = isinstance(e, Terminated)
            typer.echo(f"{'terminated' if term else 'interrupted'}; no output was written", err=True)
            raise typer.Exit(143 if term else 130) from None
        finally:
            if previous is not None:  # a caller in-process (tests, a library user) keeps its own
                signal.signal(signal.SIGTERM, previous)

    return wrapper


def _show_warning(other: Callable[..., None]) -> Callable[..., None]:
    """A ``warnings.showwarning`` printing koubei's warnings as one line, others as ``other`` does."""

    def show(message: Warning | str, category: type[Warning], *args: Any, **kwargs: Any) -> None:
        if issubclass(category, KoubeiWarning):
            typer.echo(f"warning: {message}", err=True)
        else:
            other(message, category, *args, **kwargs)

    return show


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
        from koubei import __version__

        typer.echo(f"koubei {__version__}")
        raise typer.Exit()
    if ctx.invoked_subcommand is None:
        typer.echo(ctx.get_help())


_register()


def main() -> None:
    """Console-script entry point."""
    app()
