"""How koubei's errors, warnings and stop signals reach the terminal: one line on stderr and an exit code."""

from __future__ import annotations

import functools
import signal
import threading
import warnings
from collections.abc import Callable
from typing import Any

import typer

from koubei.errors import KoubeiError, KoubeiWarning


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
