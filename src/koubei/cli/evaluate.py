"""``koubei evaluate``: how good a model bundle is on labelled reviews."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from koubei.cli._options import (
    BatchColOpt,
    ChannelColOpt,
    EncodingOpt,
    IdColOpt,
    InputFormatOpt,
    NoHeaderOpt,
    ProductColOpt,
    Quoting,
    QuotingOpt,
    RatingColOpt,
    SheetOpt,
    SupplierColOpt,
    TextColOpt,
    TimeColOpt,
    flag,
    reading_options,
)


def evaluate(
    labelled: Annotated[Path, typer.Argument(metavar="LABELLED", help="Held-out labelled reviews (.csv .tsv .xlsx .jsonl or a Label Studio .json export).")],
    model: Annotated[Path | None, typer.Option("--model", help="Model bundle directory, e.g. models/snacks-v2 (default: the bundled models/default).")] = None,
    output: Annotated[Path | None, typer.Option("-o", "--output", help="Report file: .html or .json (replaced if it exists).")] = None,
    as_json: Annotated[bool, flag("--json", help="Print the full result as JSON instead of the table.")] = False,
    worst: Annotated[int, typer.Option("--worst", min=0, help="How many of the worst errors (with their text) to keep.")] = 20,
    text_col: TextColOpt = None,
    id_col: IdColOpt = None,
    time_col: TimeColOpt = None,
    product_col: ProductColOpt = None,
    supplier_col: SupplierColOpt = None,
    batch_col: BatchColOpt = None,
    rating_col: RatingColOpt = None,
    channel_col: ChannelColOpt = None,
    input_format: InputFormatOpt = None,
    encoding: EncodingOpt = None,
    sheet: SheetOpt = None,
    quoting: QuotingOpt = Quoting.standard,
    no_header: NoHeaderOpt = False,
) -> None:
    """Per-topic P/R/F1, micro/macro-F1, polarity, sentiment and taste-direction accuracy, confusion tables, worst errors.

    The labels must follow the bundle's taxonomy. A pos↔neg sentiment flip
    counts double among the worst errors.

    Examples:
      koubei evaluate holdout.csv --model models/snacks-v2 -o eval.html
    """
    from koubei.io.writers import check_outputs_apart
    from koubei.train.evaluate import check_report_path, evaluate_bundle, table_lines, write_report

    check_outputs_apart([output], [model, labelled])
    if output is not None:
        check_report_path(output)
    reading = reading_options(locals())
    res = evaluate_bundle(model, labelled, worst=worst, text_col=text_col,
                          read_options=reading)
    if as_json:
        typer.echo(json.dumps(res, ensure_ascii=False, indent=1))
    else:
        for line in table_lines(res):
            typer.echo(line)
    if output is not None:
        typer.echo(f"wrote {write_report(res, output)}", err=as_json)
