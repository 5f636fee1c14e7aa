"""Option parsing shared by commands."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

import typer


def flag(*decls: str, help: str) -> Any:  # noqa: A002 - typer's own name for it
    """An on/off option shown as a flag in ``--help`` (typer would print ``<bool>`` beside it)."""
    return typer.Option(*decls, metavar="", help=help)


#: ``--raw``: CSV/TSV cells as they are (see koubei.io.cells)
RawOpt = Annotated[bool, flag("--raw", help="CSV/TSV output: write text cells as they are, for programs reading the file. By default text starting with = + - @ gets a leading ' so Excel shows it instead of running it as a formula.")]


def split_list(value: str | None) -> list[str]:
    """``"supplier, product"`` → ``["supplier", "product"]`` (empty parts dropped)."""
    return [v.strip() for v in (value or "").split(",") if v.strip()]


class Quoting(StrEnum):
    """How ``"`` is read in CSV/TSV input (koubei.io.delimited.QUOTING)."""

    standard = "standard"
    none = "none"


class TableFormat(StrEnum):
    """A table's format: ``--format`` of score, aggregate and emerging (koubei.io.writers)."""

    csv = "csv"
    tsv = "tsv"
    parquet = "parquet"
    jsonl = "jsonl"
    json = "json"
    xlsx = "xlsx"


class InputFormat(StrEnum):
    """``--input-format``: what a dump is when its extension does not tell (koubei.io.formats)."""

    csv = "csv"
    tsv = "tsv"
    jsonl = "jsonl"
    json = "json"
    xlsx = "xlsx"
    parquet = "parquet"


#: ``--format`` of the commands that write a table
TableFormatOpt = Annotated[TableFormat | None, typer.Option("--format", case_sensitive=False, help="Output format (default: from the output's extension).")]


# Options of every command that reads a table of reviews (score, suggest, train, evaluate):
# the column mapping, the input format and encoding, quoting and header; read_options() turns
# them into koubei.io.ReadOptions fields.
TextColOpt = Annotated[str | None, typer.Option("--text-col", show_default=False, help="Column with the review text (default: detected from the header).")]
IdColOpt = Annotated[str | None, typer.Option("--id-col", show_default=False, help="Column with a review id (default: detected; else an id is made from the text).")]
TimeColOpt = Annotated[str | None, typer.Option("--time-col", show_default=False, help="Column with the review time (default: detected).")]
ProductColOpt = Annotated[str | None, typer.Option("--product-col", show_default=False, help="Column with the product (default: detected).")]
SupplierColOpt = Annotated[str | None, typer.Option("--supplier-col", show_default=False, help="Column with the supplier, shop or vendor (default: detected).")]
BatchColOpt = Annotated[str | None, typer.Option("--batch-col", show_default=False, help="Column with the production batch (default: detected).")]
RatingColOpt = Annotated[str | None, typer.Option("--rating-col", show_default=False, help="Column with the star rating (default: detected).")]
ChannelColOpt = Annotated[str | None, typer.Option("--channel-col", show_default=False, help="Column with the channel or platform (default: detected).")]
InputFormatOpt = Annotated[InputFormat | None, typer.Option("--input-format", case_sensitive=False, help="Input format when the extension does not tell.")]
EncodingOpt = Annotated[str | None, typer.Option("--encoding", help="Input text encoding, e.g. gb18030 or utf-8 (default: detected).")]
SheetOpt = Annotated[str | None, typer.Option("--sheet", help="Excel sheet name or 0-based index.")]
QuotingOpt = Annotated[Quoting, typer.Option("--quoting", help="CSV/TSV input quotes: standard (\"...\" holds commas and line breaks), or none to read \" as an ordinary character (for a dump whose reviews start with a stray quote).")]
NoHeaderOpt = Annotated[bool, flag("--no-header", help="The CSV/TSV/Excel input has no header row: its first row is a review; columns are named 1, 2, ... (e.g. --text-col 1).")]


#: how every ``--freq`` names its windows
FREQ_HELP = "D (day), W (week from Monday) or M (month)"

#: ``--tz`` of the commands that read or cut times
TzOpt = Annotated[str, typer.Option("--tz", help="Time zone of naive review times and of the windows.")]


#: the parameter names of the reading options above, as the commands declare them
READING = ("quoting", "no_header", "input_format", "encoding", "sheet", "id_col", "time_col",
           "product_col", "supplier_col", "batch_col", "rating_col", "channel_col")


def reading_options(params: dict[str, Any]) -> dict[str, Any]:
    """:func:`read_options` of a command's parameters (its ``locals()``), picked by the names in
    :data:`READING`: typer has no option groups, so each reading command declares the same
    parameters and hands them over in one call. ``text_col`` is left out: the label and
    suggestion readers take it on its own."""
    return read_options(**{k: params[k] for k in READING})


def read_options(*, quoting: Quoting, no_header: bool, input_format: str | None = None,
                 encoding: str | None = None, sheet: str | None = None,
                 **columns: str | None) -> dict[str, Any]:
    """``koubei.io.ReadOptions`` fields of the reading options given (``columns``: text_col,
    id_col, ... as the options name them); options left out are left to detection."""
    sheet_arg: str | int | None = int(sheet) if sheet is not None and sheet.isdigit() else sheet
    given = {"fmt": input_format, "encoding": encoding, "sheet": sheet_arg, **columns}
    return {"quoting": quoting.value, "no_header": no_header,
            **{k: v for k, v in given.items() if v is not None}}
