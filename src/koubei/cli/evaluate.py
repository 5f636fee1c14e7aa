"""``koubei evaluate``: how good a model bundle is on labelled reviews."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from koubei.cli._options import NoHeaderOpt, Quoting, QuotingOpt, table_read_options


def evaluate(
    model: Annotated[Path, typer.Argument(metavar="MODEL", help="Model bundle directory (e.g. models/snacks-v2).")],
    labelled: Annotated[Path, typer.Argument(metavar="LABELLED", help="Held-out labelled reviews (.csv .tsv .xlsx .jsonl or a Label Studio .json export).")],
    output: Annotated[Path | None, typer.Option("-o", "--output", help="Report file: .html or .json (replaced if it exists).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the full result as JSON instead of the table.")] = False,
    worst: Annotated[int, typer.Option("--worst", min=0, help="How many of the worst errors (with their text) to keep.")] = 20,
    text_col: Annotated[str | None, typer.Option("--text-col", help="Column with the review text (default: detected).")] = None,
    quoting: QuotingOpt = Quoting.standard,
    no_header: NoHeaderOpt = False,
) -> None:
    """Per-topic P/R/F1, micro/macro-F1, polarity, sentiment and taste-direction accuracy, confusion tables, worst errors.

    The labels must follow the bundle's taxonomy. A pos↔neg sentiment flip
    counts double among the worst errors.

    Examples:
      koubei evaluate models/snacks-v2 holdout.csv -o eval.html
    """
    from koubei.io.writers import check_outputs_apart
    from koubei.train.evaluate import check_report_path, evaluate_bundle, table_lines, write_report

    check_outputs_apart([output], [model, labelled])
    if output is not None:
        check_report_path(output)
    res = evaluate_bundle(model, labelled, worst=worst, text_col=text_col,
                          read_options=table_read_options(quoting, no_header))
    if as_json:
        typer.echo(json.dumps(res, ensure_ascii=False, indent=1))
    else:
        for line in table_lines(res):
            typer.echo(line)
    if output is not None:
        typer.echo(f"wrote {write_report(res, output)}", err=as_json)
