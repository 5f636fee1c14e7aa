"""Evaluating a model bundle on labelled reviews (``koubei evaluate``).

:func:`evaluate_bundle` returns plain data; :func:`table_lines`,
:func:`render_html` and :func:`write_report` render it (terminal table,
self-contained escaped HTML, JSON).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from html import escape
from pathlib import Path
from typing import Any

from koubei.corpora import GoldRecord
from koubei.errors import OutputError
from koubei.metrics import sentiment_metrics, taste_direction_accuracy, topic_metrics
from koubei.model import load_model
from koubei.model.predict import Prediction
from koubei.train.labels import read_labels
from koubei.train.labelstudio import write_text

ABSENT = "-"
REPORT_FORMATS = {".json": "json", ".html": "html", ".htm": "html"}


def evaluate_bundle(model_dir: str | Path | None, labelled_path: str | Path, *, worst: int = 20,
                    text_col: str | None = None, label_studio: bool = False,
                    read_options: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Score the labelled reviews with the bundle and compare.

    Args:
        model_dir: the model bundle (None: the bundled models/default).
        labelled_path: held-out labelled reviews, in any format :func:`read_labels` reads.
        worst: how many of the worst errors (with their text) to keep.
        text_col: the text column of a table (default: detected).
        label_studio: read ``labelled_path`` as a Label Studio export.
        read_options: as :func:`read_labels`'s.

    Returns:
        ``model``, ``labels`` (file, hash, counts), ``topics`` (micro/macro-F1,
        per-topic P/R/F1 with support, topic+polarity F1, polarity accuracy),
        ``confusion`` (per topic: gold → predicted polarity, ``-`` = absent),
        ``sentiment`` (accuracy, macro-F1, confusion), ``taste_direction`` and
        ``worst`` (the reviews with the most errors, with their text).

    Raises:
        ModelNotFoundError, IncompatibleModelError: the bundle cannot be loaded.
        InputError, LabelError: the labels cannot be read or do not fit its taxonomy.
    """
    model = load_model(model_dir)
    tax = model.taxonomy
    records, report = read_labels(labelled_path, tax, text_col=text_col, label_studio=label_studio,
                                  read_options=read_options)
    preds = model.predict([r.text for r in records])
    gold_t, pred_t = [r.topics for r in records], [p.topics for p in preds]
    topics = topic_metrics(gold_t, pred_t, tax.topic_ids)
    supported = [m["f1"] for m in topics["per_topic"].values() if m["support"]]
    topics["macro_f1_supported"] = round(sum(supported) / len(supported), 4) if supported else 0.0
    out: dict[str, Any] = {
        "model": {"path": str(model.path), "name": model.manifest.get("name", ""),
                  "taxonomy": model.manifest["taxonomy"]},
        "labels": {"path": str(labelled_path), "sha256": report.sha256, "records": len(records),
                   "skipped": report.skipped, "warnings": report.warnings},
        "topics": topics,
        "confusion": {t: polarity_confusion(gold_t, pred_t, t, tax.polarities) for t in tax.topic_ids},
        "taste_direction": taste_direction_accuracy(gold_t, [r.taste_detail for r in records],
                                                    [p.taste_detail for p in preds],
                                                    tax.taste_topic or "taste"),
    }
    rows = [i for i, r in enumerate(records) if r.sentiment]
    if rows:
        out["sentiment"] = sentiment_metrics([records[i].sentiment for i in rows],
                                             [preds[i].sentiment for i in rows])
    out["worst"] = worst_errors(records, preds, worst)
    return out


def polarity_confusion(gold: Sequence[dict[str, str]], pred: Sequence[dict[str, str]], topic: str,
                       polarities: Sequence[str]) -> dict[str, dict[str, int]]:
    """Counts gold → predicted of one topic; ``-`` means not labelled / not detected."""
    keys = [ABSENT, *polarities]
    table = {g: dict.fromkeys(keys, 0) for g in keys}
    for g, p in zip(gold, pred):
        table[g.get(topic, ABSENT)][p.get(topic, ABSENT)] += 1
    return table


def review_errors(r: GoldRecord, p: Prediction) -> list[str]:
    """What the model got wrong on one review, as short phrases."""
    errs = [f"missed {t}:{v}" for t, v in r.topics.items() if t not in p.topics]
    errs += [f"false {t}:{v}" for t, v in p.topics.items() if t not in r.topics]
    errs += [f"{t} {v}→{p.topics[t]}" for t, v in r.topics.items()
             if t in p.topics and p.topics[t] != v]
    if r.sentiment and r.sentiment != p.sentiment:
        errs.append(f"sentiment {r.sentiment}→{p.sentiment}")
    return errs


def _severity(r: GoldRecord, errs: list[str]) -> int:
    flip = any(e in ("sentiment pos→neg", "sentiment neg→pos") for e in errs)
    return len(errs) + int(flip)


def worst_errors(records: Sequence[GoldRecord], preds: Sequence[Prediction], n: int
                 ) -> list[dict[str, Any]]:
    """The ``n`` reviews with the most errors (a pos↔neg sentiment flip counts double)."""
    rows = []
    for i, (r, p) in enumerate(zip(records, preds)):
        errs = review_errors(r, p)
        if errs:
            rows.append((-_severity(r, errs), i, r, p, errs))
    rows.sort(key=lambda x: (x[0], x[1]))
    return [{"id": r.id, "where": r.selection, "text": r.text, "errors": errs,
             "gold": {"sentiment": r.sentiment, "topics": r.topics, "taste_detail": list(r.taste_detail)},
             "predicted": {"sentiment": p.sentiment, "sentiment_score": p.sentiment_score,
                           "topics": p.topics, "taste_detail": p.taste_detail}}
            for _, _, r, p, errs in rows[:n]]


# -- rendering ----------------------------------------------------------------------------------

def table_lines(res: dict[str, Any]) -> list[str]:
    """A terminal table of the headline metrics and per-topic P/R/F1."""
    t = res["topics"]
    lines = [f"{res['labels']['records']} labelled reviews, model {res['model']['path']}",
             f"topics: micro-F1 {t['micro_f1']:.3f} (P {t['micro_precision']:.3f} R {t['micro_recall']:.3f})"
             f"  macro-F1 {t['macro_f1']:.3f} (labelled topics {t['macro_f1_supported']:.3f})"
             f"  topic+polarity F1 {t['topic_polarity_micro_f1']:.3f}"
             f"  polarity accuracy {t['polarity_accuracy_on_detected']:.3f}",
             f"{'topic':26s} {'P':>6s} {'R':>6s} {'F1':>6s} {'n':>5s}"]
    for tid, m in t["per_topic"].items():
        lines.append(f"{tid:26s} {m['precision']:6.3f} {m['recall']:6.3f} {m['f1']:6.3f} {m['support']:5d}")
    if "sentiment" in res:
        s = res["sentiment"]
        lines.append(f"sentiment: accuracy {s['accuracy']:.3f}  macro-F1 {s['macro_f1']:.3f} (n={s['n']})")
    d = res["taste_direction"]
    lines.append(f"taste direction: accuracy {d['accuracy']:.3f} (n={d['n']})")
    for w in res["worst"][:5]:
        lines.append(f"  ✗ {w['text'][:40]}  [{'; '.join(w['errors'])}]")
    return lines


def _table(head: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    th = "".join(f"<th>{escape(str(h))}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td>{escape(str(c))}</td>" for c in r) + "</tr>" for r in rows)
    return f"<table><tr>{th}</tr>{body}</table>"


def render_html(res: dict[str, Any]) -> str:
    """A self-contained HTML report; every value is escaped."""
    t = res["topics"]
    parts = [f"<h1>koubei evaluate: {escape(res['model']['path'])}</h1>",
             f"<p>{res['labels']['records']} labelled reviews from {escape(res['labels']['path'])}</p>",
             _table(["metric", "value"], [[k, t[k]] for k in (
                 "micro_f1", "micro_precision", "micro_recall", "macro_f1", "macro_f1_supported",
                 "topic_polarity_micro_f1", "polarity_accuracy_on_detected")]),
             "<h2>Per topic</h2>",
             _table(["topic", "precision", "recall", "F1", "support"],
                    [[k, m["precision"], m["recall"], m["f1"], m["support"]]
                     for k, m in t["per_topic"].items()])]
    if "sentiment" in res:
        s = res["sentiment"]
        parts += [f"<h2>Sentiment: accuracy {s['accuracy']}, macro-F1 {s['macro_f1']}</h2>",
                  _confusion_html(s["confusion"])]
    d = res["taste_direction"]
    parts.append(f"<h2>Taste direction: accuracy {d['accuracy']} (n={d['n']})</h2>")
    parts.append("<h2>Topic polarity confusion (gold → predicted, - = absent)</h2>")
    for tid, conf in res["confusion"].items():
        if sum(v for k, row in conf.items() if k != ABSENT for v in row.values()):
            parts += [f"<h3>{escape(tid)}</h3>", _confusion_html(conf)]
    parts.append("<h2>Worst errors</h2>")
    parts.append(_table(["text", "errors", "gold", "predicted"],
                        [[w["text"], "; ".join(w["errors"]), json.dumps(w["gold"], ensure_ascii=False),
                          json.dumps(w["predicted"], ensure_ascii=False)] for w in res["worst"]]))
    style = ("body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;margin:.5em 0}"
             "td,th{border:1px solid #ccc;padding:3px 8px;text-align:left}")
    return (f'<!doctype html><html lang="zh"><head><meta charset="utf-8"><title>koubei evaluate</title>'
            f"<style>{style}</style></head><body>{''.join(parts)}</body></html>\n")


def _confusion_html(conf: dict[str, dict[str, int]]) -> str:
    cols = list(next(iter(conf.values())))
    return _table(["gold \\ predicted", *cols], [[g, *(row[c] for c in cols)] for g, row in conf.items()])


def check_report_path(path: Path, overwrite: bool = True) -> str:
    """The report format from the extension (``.json`` or ``.html``).

    Raises:
        OutputError: another extension, a missing folder, or an existing file without ``overwrite``.
    """
    fmt = REPORT_FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise OutputError(f"{path}: the report is .html or .json")
    if not path.parent.is_dir():
        raise OutputError(f"directory {path.parent} does not exist")
    if path.exists() and not overwrite:
        raise OutputError(f"{path} exists; pass --overwrite to replace it")
    return fmt


def write_report(res: dict[str, Any], path: str | Path, *, overwrite: bool = True) -> Path:
    """Write the result as JSON or HTML (by extension), atomically."""
    target = Path(path)
    fmt = check_report_path(target, overwrite)
    text = render_html(res) if fmt == "html" else json.dumps(res, ensure_ascii=False, indent=1)
    write_text(target, text)
    return target
