"""``koubei train``: train a model bundle on your labelled reviews."""

from __future__ import annotations

import time
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
    SheetOpt,
    SupplierColOpt,
    TextColOpt,
    TimeColOpt,
    flag,
    reading_options,
)
from koubei.taxonomy import Taxonomy, load_taxonomy


class Pooling(StrEnum):
    """How token vectors become one review vector."""

    mean = "mean"
    cls = "cls"


def _taxonomy(path: Path | None, base: Path | None) -> Taxonomy:
    """The given taxonomy, else the base's, else the default one."""
    if path is not None:
        return load_taxonomy(path)
    if base is not None:
        from koubei.model.bundle import load_components

        return load_components(base)[0].taxonomy
    return load_taxonomy()


def train(
    labels: Annotated[Path, typer.Argument(metavar="LABELS", help="Labelled reviews: .csv .tsv .xlsx (topics column or one column per topic), .jsonl (gold format) or a Label Studio .json export.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Model bundle directory to write (refused if it exists and is not empty, unless --overwrite).")],
    taxonomy: Annotated[Path | None, typer.Option("--taxonomy", help="Taxonomy YAML/JSON the labels follow (default: the base's, else corpora/taxonomy/default.yaml).")] = None,
    base: Annotated[Path | None, typer.Option("--base", help="Reuse this bundle's vocabulary, dictionary and sentiment model (e.g. models/default); only topics and polarity are trained.")] = None,
    from_label_studio: Annotated[bool, flag("--from-label-studio", help="LABELS is a Label Studio JSON export (detected for .json files anyway).")] = False,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the folds and regressions; same labels + seed = same model.")] = 0,
    folds: Annotated[int, typer.Option("--folds", min=2, help="k of the stratified multi-label k-fold that tunes thresholds and measures the model.")] = 5,
    min_examples: Annotated[int, typer.Option("--min-examples", min=1, help="Topics with fewer labelled reviews stay rule-based (cue words only).")] = 5,
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
    overwrite: Annotated[bool, flag("--overwrite", help="Replace a non-empty output directory.")] = False,
    encoder: Annotated[Path | None, typer.Option("--encoder", help="Local Hugging Face model directory (a Chinese BERT/RoBERTa/BGE you downloaded) whose embeddings join the TF-IDF features; needs pip install \"koubei[transformers]\". The bundle references it (it must stay there) unless --copy-encoder or --finetune.")] = None,
    finetune: Annotated[bool, flag("--finetune", help="Fine-tune the --encoder on the labels (once per fold, then on all); the fine-tuned encoder is saved inside the bundle.")] = False,
    copy_encoder: Annotated[bool, flag("--copy-encoder", help="Copy the (frozen) --encoder into the bundle, so the bundle works on its own.")] = False,
    pooling: Annotated[Pooling, typer.Option("--pooling", help="mean (BERT, RoBERTa, MacBERT) or cls (BGE models) pooling of the encoder's token vectors.")] = Pooling.mean,
    max_length: Annotated[int, typer.Option("--max-length", min=8, help="Tokens of a review (or clause) the encoder reads; longer texts are cut.")] = 128,
    epochs: Annotated[int, typer.Option("--epochs", min=1, help="Fine-tuning passes over the labels (with --finetune).")] = 2,
    committee: Annotated[bool, flag("--committee/--no-committee", help="Keep the cross-validation folds' topic detectors in the bundle, so koubei suggest can pick the reviews they disagree on (query by committee); --no-committee saves their size (about --folds times the topic detector's).")] = True,
    workers: Annotated[int, typer.Option("--workers", min=0, help="Processes fitting the cross-validation folds side by side, and the fit on all the labels with a base of the same topics (0 = one per CPU core, at most one per fit); each needs about the memory of a fold's fit. The model is the same for any number. One with --encoder.")] = 0,
    quiet: Annotated[bool, flag("--quiet", "-q", help="Print only warnings and the output path.")] = False,
) -> None:
    """Train topics + polarity (and sentiment) on labelled reviews; writes a bundle koubei score --model reads.

    Each topic is calibrated on out-of-fold predictions and its threshold tuned there,
    shrunk toward one shared by the learnt topics, and stored in the bundle;
    MODEL_CARD.md lists data hashes, label counts, CV metrics, versions.
    With --encoder, a transformer encoder's embeddings join the TF-IDF features.

    Examples:
      koubei train labelled.xlsx --base models/default -o models/snacks-v2
      koubei train export.json --from-label-studio --base models/default -o models/snacks-v3
      koubei train labelled.xlsx --base models/default --encoder bge-small-zh-v1.5 --pooling cls -o models/snacks-bge
    """
    from koubei.embed.finetune import FinetuneConfig
    from koubei.io.writers import check_outputs_apart
    from koubei.model.parallel import available_cores
    from koubei.train.fit import check_output_dir, train_bundle
    from koubei.train.labels import read_labels

    check_outputs_apart([output], [labels, taxonomy, base, encoder], folder=True)
    check_output_dir(output, overwrite, base)
    if encoder is not None:
        from koubei.embed.transformer import require_backend

        require_backend()  # the install line before any work
    tax = _taxonomy(taxonomy, base)
    reading = reading_options(locals())
    records, report = read_labels(labels, tax, text_col=text_col, label_studio=from_label_studio,
                                  read_options=reading)
    if not quiet:
        for line in report.summary_lines():
            typer.echo(line, err=True)
    t0 = time.time()

    def log(msg: str) -> None:
        if msg.startswith("warning:") or not quiet:
            typer.echo(f"[{time.time() - t0:5.1f}s] {msg}", err=True)

    res = train_bundle(records, taxonomy=tax, output=output, base=base, seed=seed, folds=folds,
                       min_examples=min_examples, label_report=report, overwrite=overwrite,
                       encoder=encoder, finetune=finetune, copy_encoder=copy_encoder,
                       pooling=pooling.value, max_length=max_length,
                       finetune_config=FinetuneConfig(epochs=epochs, seed=seed), log=log,
                       committee=committee, workers=workers or available_cores())
    if not quiet:
        t = res.cv["topics"]
        typer.echo(f"cross-validated ({res.manifest['training']['folds']} folds): topic micro-F1 "
                   f"{t['micro_f1']:.3f}  macro-F1 {t['macro_f1']:.3f}  topic+polarity F1 "
                   f"{t['topic_polarity_micro_f1']:.3f}")
        if res.rule_based:
            typer.echo("rule-based (cue words only): " + ", ".join(res.rule_based))
    typer.echo(f"wrote {res.path}")
