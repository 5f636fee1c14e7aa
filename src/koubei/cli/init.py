"""``koubei init``: write a commented monitor config to start from."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def init(
    config: Annotated[Path, typer.Argument(metavar="CONFIG", help="Config file to write, e.g. monitor.toml.")] = Path("monitor.toml"),
    force: Annotated[bool, typer.Option("--force", help="Replace an existing file.")] = False,
) -> None:
    """Write a commented monitor config (TOML) to edit, then `koubei run CONFIG`.

    It holds every setting with its default: the feed and its columns, model, windows and
    grouping, history, issue store, outputs and alert channels (commented out).
    """
    from koubei.monitor import write_template

    path = write_template(config, force=force)
    typer.echo(f"wrote {path}; edit [input] and the alert channels, then run: koubei run {path} --dry-run")
