"""Option parsing shared by commands."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

import typer

#: ``--raw``: CSV/TSV cells as they are (see koubei.io.cells)
RawOpt = Annotated[bool, typer.Option("--raw", help="CSV/TSV output: write text cells as they are, for programs reading the file. By default text starting with = + - @ gets a leading ' so Excel shows it instead of running it as a formula.")]


def split_list(value: str | None) -> list[str]:
    """``"supplier, product"`` → ``["supplier", "product"]`` (empty parts dropped)."""
    return [v.strip() for v in (value or "").split(",") if v.strip()]


class Quoting(StrEnum):
    """How ``"`` is read in CSV/TSV input (koubei.io.delimited.QUOTING)."""

    standard = "standard"
    none = "none"


# Options of every command that reads a table of reviews (score, suggest, train, evaluate).
QuotingOpt = Annotated[Quoting, typer.Option("--quoting", help="CSV/TSV input quotes: standard (\"...\" holds commas and line breaks), or none to read \" as an ordinary character (for a dump whose reviews start with a stray quote).")]
NoHeaderOpt = Annotated[bool, typer.Option("--no-header", help="The CSV/TSV/Excel input has no header row: its first row is a review; columns are named 1, 2, ... (e.g. --text-col 1).")]


def table_read_options(quoting: Quoting, no_header: bool) -> dict[str, Any]:
    """The read options (``koubei.io.ReadOptions`` fields) of --quoting and --no-header."""
    return {"quoting": quoting.value, "no_header": no_header}
