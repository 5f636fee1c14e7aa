"""Option parsing shared by commands."""

from __future__ import annotations

from typing import Annotated

import typer

#: ``--raw``: CSV/TSV cells as they are (see koubei.io.cells)
RawOpt = Annotated[bool, typer.Option("--raw", help="CSV/TSV output: write text cells as they are, for programs reading the file. By default text starting with = + - @ gets a leading ' so Excel shows it instead of running it as a formula.")]


def split_list(value: str | None) -> list[str]:
    """``"supplier, product"`` → ``["supplier", "product"]`` (empty parts dropped)."""
    return [v.strip() for v in (value or "").split(",") if v.strip()]
