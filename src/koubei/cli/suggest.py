"""``koubei suggest``: which reviews to label next, and why."""

from __future__ import annotations

from collections import Counter
from enum import StrEnum
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
    RawOpt,
    SheetOpt,
    SupplierColOpt,
    TextColOpt,
    TimeColOpt,
    flag,
    reading_options,
)

#: below this many training labels the learning curves (docs/benchmarks.md) found committee picks no better than random
FEW_LABELS = 100


class Strategy(StrEnum):
    """How suggestions are scored (koubei.train.suggest)."""

    auto = "auto"
    committee = "committee"
    uncertainty = "uncertainty"


def suggest(
    input_path: Annotated[Path, typer.Argument(metavar="INPUT", help="Unlabelled reviews: .csv .tsv .jsonl .json .xlsx .parquet")],
    model: Annotated[Path | None, typer.Option("--model", help="Model bundle whose committee or uncertainty counts (default: the bundled models/default, which has no committee).")] = None,
    n: Annotated[int, typer.Option("-n", min=1, help="How many reviews to suggest.")] = 200,
    output: Annotated[Path | None, typer.Option("-o", "--output", help="Table to label (.csv .xlsx ...), pre-filled with the model's labels and a reason column.")] = None,
    label_studio: Annotated[Path | None, typer.Option("--label-studio", help="Also write Label Studio tasks (JSON, predictions as pre-annotations) and PATH.label_config.xml beside them.")] = None,
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
    seed: Annotated[int, typer.Option("--seed", help="Seed of the clustering.")] = 0,
    strategy: Annotated[Strategy, typer.Option("--strategy", help="committee: reviews the model's committee (its cross-validation folds' topic detectors) disagree on; uncertainty: topic/polarity/sentiment scores near a decision edge; auto: committee when the model keeps one (koubei train does), else uncertainty.")] = Strategy.auto,
    overwrite: Annotated[bool, flag("--overwrite", help="Replace existing output files.")] = False,
    raw: RawOpt = False,
) -> None:
    """Rank unlabelled reviews by committee disagreement or uncertainty, one per cluster of similar reviews, with the reason.

    Correct the pre-filled sentiment/topics/taste_detail, mark the row in the
    `checked` column, then train on the file: only checked rows count.

    Examples:
      koubei suggest unlabelled.csv --model models/snacks-v2 -n 200 -o to_label.csv
      koubei suggest unlabelled.csv --model models/snacks-v2 --label-studio tasks.json
    """
    from koubei.io.writers import check_outputs_apart
    from koubei.model import load_model
    from koubei.train.labelstudio import config_path
    from koubei.train.suggest import suggest_file

    out = output if output is not None or label_studio is not None else \
        input_path.with_name(input_path.stem + ".to_label.csv")
    check_outputs_apart([out, label_studio, config_path(label_studio) if label_studio else None],
                        [input_path, model])
    loaded = load_model(model)
    reading = reading_options(locals())
    res = suggest_file(input_path, out, model=loaded, n=n, seed=seed, text_col=text_col,
                       label_studio=label_studio, overwrite=overwrite, strategy=strategy.value,
                       read_options=reading, raw=raw)
    labels = sum(int(d.get("rows", 0)) for d in loaded.manifest.get("training_data") or [])
    if res.strategy == "committee" and labels < FEW_LABELS:
        typer.echo(f"note: the model was trained on {labels} labelled reviews; in the learning curves "
                   "(docs/benchmarks.md, \"Learning curves and koubei suggest\"), picks by a model of 50 "
                   f"labels were no better than random ones, so until about {FEW_LABELS} labels a random "
                   "sample serves as well",
                   err=True)
    kinds = Counter(res.kinds)
    typer.echo(f"{len(res.frame)} of {res.candidates:,} distinct reviews suggested ({res.strategy}); "
               "picked for: " + ", ".join(f"{k} {v}" for k, v in kinds.most_common()))
    if out is not None:
        typer.echo(f"wrote {out}")
    if label_studio is not None:
        typer.echo(f"wrote {label_studio} (+ {label_studio.stem}.label_config.xml)")
