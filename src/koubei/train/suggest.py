"""Which reviews to label next (``koubei suggest``): where models disagree or hesitate, not all alike.

Two ways to score how much a label would teach (``strategy``):

- **committee** (query by committee; the default for a model that has one,
  which ``koubei train`` keeps): the bundle's committee is the topic detectors
  of its k cross-validation folds, each fitted without one fold of the labels
  (:mod:`koubei.model.committee`). A review's score is the sum over topics of
  the standard deviation of the members' P(topic): where models that saw
  different labels disagree, the labels so far do not settle the answer.
- **uncertainty** (models without a committee, such as the bundled default,
  or when asked): the largest of three closeness scores in [0, 1]:

  - *topic*: a topic probability near its decision threshold
    (``1 - |p - t| / t`` below it, ``1 - |p - t| / (1 - t)`` above);
  - *polarity*: a detected topic whose two likeliest polarities are close
    (``1 - (p1 - p2)``);
  - *sentiment*: P(pos) near an edge of the neutral band (``1 - 2·distance``).

  A topic's two scores are weighted by its rarity ``w = 1 / sqrt(1 + n)``,
  ``n`` the reviews labelled with that topic in the model's training labels
  (the manifest's ``label_counts``), scaled so the rarest topic weighs 1; the
  sentiment score takes the median topic weight. A model without label counts
  (the bundled default) weighs every topic 1.

A review said in verdicts alone (强烈推荐, 超级棒, 一般: :func:`koubei.model.predict.verdicts_only`)
names no topic whatever the detector says, so its topics teach the model nothing it uses: it is
never picked for a topic or a polarity. The uncertainty strategy scores it by its sentiment alone;
the committee, which disputes topics only, scores it 0 (so it is picked only when fewer candidates
than the pool remain, with a reason that says so).

Whether either beats random picks: docs/benchmarks.md, "Learning curves and `koubei suggest`".

Diversity: the highest-scoring candidates (``pool`` of them: ``3 n`` for the
committee, ``max(3 n, 500)`` for uncertainty, by default) are embedded with the
model's TF-IDF, reduced by truncated SVD and clustered with k-means into ``n``
clusters; each cluster contributes its highest-scoring review, so 200
suggestions are not 200 near-duplicates. Exact repeats (same normalized text)
are dropped before anything else.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans
from sklearn.decomposition import TruncatedSVD
from sklearn.preprocessing import normalize as l2_normalize

from koubei.errors import IncompatibleModelError, InputError
from koubei.model.committee import disagreement
from koubei.model.predict import Prediction, predict_docs, verdicts_only
from koubei.model.review_model import ReviewModel
from koubei.text.docs import prepare_many
from koubei.text.normalize import normalize
from koubei.train.scores import Scores, model_scores

BATCH = 2000
SVD_DIMS = 64


class Strategy(StrEnum):
    """How ``suggest`` scores candidates (module docstring)."""

    auto = "auto"  # committee when the model has one, else uncertainty
    committee = "committee"
    uncertainty = "uncertainty"


@dataclass
class Uncertainty:
    """Per-candidate uncertainty and what drives it."""

    score: np.ndarray
    kind: list[str]  # committee / topic / polarity / sentiment / verdicts (settled: nothing to dispute)
    detail: list[dict[str, Any]]


@dataclass
class SuggestResult:
    """The suggestions (``frame``), their predictions, how many candidates there
    were, the strategy used and what drove each pick (``kinds``, as in :class:`Uncertainty`)."""

    frame: pd.DataFrame
    predictions: list[Prediction]
    candidates: int
    strategy: str
    kinds: list[str]


def candidates(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows worth labelling: readable text, not system-generated, each normalized text once."""
    ok = frame["status"].eq("ok")
    if "flags" in frame:
        ok &= ~frame["flags"].fillna("").str.contains("templated")
    rows = frame[ok].copy()
    rows["_norm"] = [normalize(str(t)) for t in rows["text"]]
    return rows.drop_duplicates("_norm").reset_index(drop=True)


def topic_weights(model: ReviewModel) -> np.ndarray:
    """Each topic's rarity weight ``1 / sqrt(1 + labelled reviews)``, the rarest 1 (all 1 without counts)."""
    ids = model.taxonomy.topic_ids
    counts = (model.manifest.get("training") or {}).get("label_counts")
    if not isinstance(counts, dict) or not ids:
        return np.ones(len(ids))
    n = np.array([sum((counts.get(t) or {}).values()) for t in ids], dtype=float)
    w = 1 / np.sqrt(1 + n)
    return w / w.max()


def settled_topics(model: ReviewModel, docs: Sequence[Any]) -> np.ndarray:
    """Which reviews have topics a rule decides whatever the detector says: those said in
    verdicts alone (they name none; :func:`koubei.model.predict.verdicts_only`)."""
    return np.array([verdicts_only(model.components, d.norm) for d in docs], dtype=bool)


def uncertainty(model: ReviewModel, s: Scores, settled: np.ndarray | None = None) -> Uncertainty:
    """Uncertainty scores, rarity-weighted (see the module docstring); a ``settled`` review
    (:func:`settled_topics`) has only its sentiment's."""
    thr = model.components.topics.thresholds_
    w = topic_weights(model)
    p = s.topic_p
    c_topic = (1 - np.abs(p - thr) / np.where(p < thr, thr, 1 - thr)) * w
    j_topic = c_topic.argmax(axis=1) if p.shape[1] else np.zeros(len(p), dtype=int)
    lo, hi = model.components.sentiment.band_
    w_sent = float(np.median(w)) if len(w) else 1.0
    c_sent = np.clip(1 - 2 * np.minimum(np.abs(s.p_pos - lo), np.abs(s.p_pos - hi)), 0, 1) * w_sent
    scores, kinds, details = [], [], []
    for i in range(len(p)):
        j = int(j_topic[i])
        cands: list[tuple[float, str, dict[str, Any]]] = []
        asks_topics = settled is None or not settled[i]
        if asks_topics:
            cands.append((float(c_topic[i, j]), "topic",
                          {"topic": j, "p": float(p[i, j]), "t": float(thr[j])}))
        if s.polarity_margin[i] and asks_topics:
            jp, score = max(((t, (1 - gap) * w[t]) for t, gap in s.polarity_margin[i].items()),
                            key=lambda kv: kv[1])
            cands.append((score, "polarity", {"topic": jp, "margin": s.polarity_margin[i][jp]}))
        cands.append((float(c_sent[i]), "sentiment", {"p": float(s.p_pos[i]), "band": (lo, hi)}))
        best = max(cands, key=lambda c: c[0])
        scores.append(best[0])
        kinds.append(best[1])
        details.append(best[2])
    return Uncertainty(np.asarray(scores), kinds, details)


def resolve_strategy(model: ReviewModel, strategy: str | Strategy) -> Strategy:
    """``auto`` → committee if the model keeps one, else uncertainty; the committee is read here.

    Raises:
        IncompatibleModelError: ``committee`` asked of a model without one, or a damaged committee.
    """
    s = Strategy(strategy)
    if s is Strategy.auto:
        s = Strategy.committee if model.has_committee else Strategy.uncertainty
    if s is Strategy.committee and model.has_committee:
        model.committee()  # a damaged committee fails before any review is read
    elif s is Strategy.committee:
        where = model.path or "this model"
        raise IncompatibleModelError(
            f"{where} has no committee to ask (the bundled default has none, nor do models trained with "
            "--no-committee or --finetune, nor those of a koubei that predates committees); retrain it with "
            "koubei train, or use --strategy uncertainty")
    return s


def committee_uncertainty(model: ReviewModel, docs: list[Any], settled: np.ndarray | None = None
                          ) -> Uncertainty:
    """Disagreement of the model's committee (module docstring), with the most disputed topic.

    Batch by batch, so only one batch's member probabilities are held at a time. The committee
    disputes topics only: a ``settled`` review (:func:`settled_topics`) scores 0, kind ``verdicts``.
    """
    committee = model.committee()
    assert committee is not None
    scores: list[np.ndarray] = []
    details: list[dict[str, Any]] = []
    for i in range(0, len(docs), BATCH):
        P = committee.topic_proba(model.components, docs[i:i + BATCH])
        score, top = disagreement(P)
        scores.append(score)
        details += [{"topic": int(j), "lo": float(P[:, r, j].min()), "hi": float(P[:, r, j].max()),
                     "members": len(committee)} for r, j in enumerate(top)]
    score = np.concatenate(scores) if scores else np.zeros(0)
    kinds = ["committee"] * len(score)
    for i in (np.flatnonzero(settled).tolist() if settled is not None else []):
        score[i], kinds[i], details[i] = 0.0, "verdicts", {}
    return Uncertainty(score, kinds, details)


def cluster(X: Any, k: int, seed: int) -> np.ndarray:
    """k-means labels of the rows of ``X`` (TF-IDF) after truncated SVD; one row, one cluster if k ≥ rows."""
    n = X.shape[0]
    if k >= n:
        return np.arange(n)
    dims = min(SVD_DIMS, X.shape[1] - 1, n - 1)
    Z = TruncatedSVD(dims, random_state=seed).fit_transform(X) if dims >= 2 else X.toarray()
    Z = l2_normalize(Z)
    return KMeans(n_clusters=k, n_init=3, random_state=seed).fit_predict(Z)


def pick(u: np.ndarray, labels: np.ndarray) -> list[int]:
    """The most uncertain row of each cluster, most uncertain first (ties: earlier row)."""
    best: dict[int, int] = {}
    for i in np.lexsort((np.arange(len(u)), -u)):
        best.setdefault(int(labels[i]), int(i))
    return sorted(best.values(), key=lambda i: (-u[i], i))


def reason(model: ReviewModel, kind: str, d: dict[str, Any], cl: int, k: int, size: int) -> str:
    """A Chinese + English line saying why a review was picked."""
    tax = model.taxonomy
    if kind == "committee":
        t = tax.topics[d["topic"]]
        why = (f"{d['members']} 个模型对「{t.zh}」意见不一 (P={d['lo']:.2f}–{d['hi']:.2f}) / "
               f"committee of {d['members']} split on {t.id}: P {d['lo']:.2f}-{d['hi']:.2f}")
    elif kind == "topic":
        t = tax.topics[d["topic"]]
        why = (f"话题「{t.zh}」概率 {d['p']:.2f} 接近阈值 {d['t']:.2f} / "
               f"topic {t.id} p={d['p']:.2f} near threshold {d['t']:.2f}")
    elif kind == "polarity":
        t = tax.topics[d["topic"]]
        why = (f"「{t.zh}」的褒贬难以确定 (差 {d['margin']:.2f}) / "
               f"{t.id} polarity unsure, margin {d['margin']:.2f}")
    elif kind == "verdicts":
        why = "只有评价词，无话题可标 / said in verdicts alone: no topic to label"
    else:
        lo, hi = d["band"]
        why = (f"整体情感 P(正面)={d['p']:.2f} 接近中性区间 [{lo:.2f}, {hi:.2f}) / "
               f"sentiment P(pos)={d['p']:.2f} near the neutral band [{lo:.2f}, {hi:.2f})")
    counts = (model.manifest.get("training") or {}).get("label_counts")
    if kind not in ("sentiment", "verdicts") and isinstance(counts, dict):
        n = sum((counts.get(tax.topics[d["topic"]].id) or {}).values())
        why += f"; 该话题已标注 {n} 条 / {n} labelled so far"
    return f"{why}; 聚类 cluster {cl + 1}/{k} ({size} 条相似 similar)"


def _scores(model: ReviewModel, docs: list[Any]) -> Scores:
    parts = [model_scores(model.components, docs[i:i + BATCH]) for i in range(0, len(docs), BATCH)]
    return Scores(np.vstack([p.topic_logit for p in parts]), np.concatenate([p.p_pos for p in parts]),
                  [m for p in parts for m in p.polarity_margin])


def suggest(frame: pd.DataFrame, model: ReviewModel, *, n: int = 200, seed: int = 0,
            pool: int | None = None, strategy: str | Strategy = Strategy.auto) -> SuggestResult:
    """Rank unlabelled reviews for labelling (see the module docstring).

    Args:
        frame: canonical reviews (``koubei.io.read_reviews``).
        model: the model whose committee or uncertainty counts.
        n: how many to suggest.
        pool: the highest-scoring candidates that are clustered (default ``3 n``
            for the committee, ``max(3 n, 500)`` for uncertainty).
        strategy: ``auto`` (committee if the model has one), ``committee`` or ``uncertainty``.

    Returns:
        ``frame`` with ``rank, review_id, text``, the model's labels pre-filled
        (``sentiment, topics, taste_detail``; to correct), an empty ``checked``
        column, ``uncertainty, cluster, cluster_size, reason``.

    Raises:
        InputError: no review to suggest.
        IncompatibleModelError: ``committee`` asked of a model without one, or a damaged committee.
    """
    use = resolve_strategy(model, strategy)
    rows = candidates(frame)
    if rows.empty:
        raise InputError("no readable reviews to suggest from (all empty, templated or repeated)")
    docs = prepare_many(rows["text"].astype(str).tolist(), model.segmenter)
    settled = settled_topics(model, docs)
    if use is Strategy.committee:
        u, default_pool = committee_uncertainty(model, docs, settled), 3 * n
    else:
        u, default_pool = uncertainty(model, _scores(model, docs), settled), max(3 * n, 500)
    top = np.lexsort((np.arange(len(u.score)), -u.score))[: pool or default_pool]
    k = min(n, len(top))
    labels = cluster(model.components.embedder.transform([docs[i] for i in top]), k, seed)
    chosen = pick(u.score[top], labels)
    idx = [int(top[c]) for c in chosen]
    preds = predict_docs(model.components, [docs[i] for i in idx])
    sizes = np.bincount(labels, minlength=k)
    reasons = [reason(model, u.kind[i], u.detail[i], int(labels[c]), k, int(sizes[labels[c]]))
               for i, c in zip(idx, chosen)]
    out = _frame(model, rows.iloc[idx], preds, u.score[idx], labels[chosen], sizes[labels[chosen]], reasons)
    return SuggestResult(out, preds, len(rows), use.value, [u.kind[i] for i in idx])


def _frame(model: ReviewModel, rows: pd.DataFrame, preds: Sequence[Prediction], u: np.ndarray,
           clusters: np.ndarray, sizes: np.ndarray, reasons: list[str]) -> pd.DataFrame:
    cols = model.prediction_columns(preds)
    return pd.DataFrame({
        "rank": np.arange(1, len(rows) + 1), "review_id": rows["review_id"].astype(str).to_numpy(),
        "text": rows["text"].astype(str).to_numpy(),
        "sentiment": cols["sentiment"].to_numpy(), "topics": cols["topics"].to_numpy(),
        "taste_detail": cols["taste_detail"].to_numpy(), "checked": "",
        "uncertainty": np.round(u, 4), "cluster": clusters.astype(int) + 1,
        "cluster_size": sizes.astype(int), "reason": reasons,
    })


def suggest_file(input_path: str | Path, output: str | Path | None, *, model: ReviewModel,
                 n: int = 200, seed: int = 0, text_col: str | None = None,
                 label_studio: str | Path | None = None, overwrite: bool = False,
                 strategy: str | Strategy = Strategy.auto,
                 read_options: Mapping[str, Any] | None = None, raw: bool = False) -> SuggestResult:
    """Read a dump, suggest, write the table (CSV/Excel/...) and/or Label Studio tasks.

    Args:
        input_path: unlabelled reviews, in any format ``koubei score`` reads.
        output: the table to label (pre-filled with the model's labels), or None.
        model: the model whose committee or uncertainty ranks the reviews.
        n: how many reviews to suggest.
        seed: seed of the clustering.
        text_col: the text column (default: detected).
        label_studio: also write Label Studio tasks to this JSON file, and their
            labelling config beside it.
        overwrite: replace existing output files.
        strategy: ``auto`` (``committee`` when the model keeps one, else
            ``uncertainty``), ``committee`` or ``uncertainty``.
        read_options: further ``koubei.io.ReadOptions`` fields (``quoting``, ``no_header``...).
        raw: CSV/TSV cells as they are (by default formula-like text gets a
            leading apostrophe, :mod:`koubei.io.cells`).

    Returns:
        The suggestions and what was written.

    Raises:
        OutputError: an output exists without ``overwrite`` (checked before any work).
        InputError: the dump cannot be read, or has nothing to suggest.
        IncompatibleModelError: ``committee`` asked of a model without one (checked before reading).
    """
    from koubei.io import check_output, read_reviews, write_table
    from koubei.train.labelstudio import build_tasks, check_tasks_output, write_tasks

    if output is not None:
        check_output(output, overwrite=overwrite)
    if label_studio is not None:
        check_tasks_output(label_studio, overwrite)
    resolve_strategy(model, strategy)
    frame = read_reviews(input_path, text_col=text_col, **(read_options or {}))
    res = suggest(frame, model, n=n, seed=seed, strategy=strategy)
    if output is not None:
        write_table(res.frame, output, overwrite=overwrite, raw=raw)
    if label_studio is not None:
        f = res.frame
        tasks = build_tasks(f["text"].tolist(), res.predictions, ids=f["review_id"].tolist(),
                            model_version=str(model.manifest.get("name", "koubei")),
                            scores=f["uncertainty"].tolist(),
                            extra=[{"reason": r, "rank": int(k)} for r, k in zip(f["reason"], f["rank"])])
        write_tasks(label_studio, tasks, model.taxonomy, overwrite=overwrite)
    return res
