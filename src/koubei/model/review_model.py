"""``ReviewModel``: a loaded bundle that scores review frames.

    model = koubei.load_model()                 # models/default
    scored = model.score(["味道太淡了", "送餐太慢，等了两个小时"])
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from koubei.model.bundle import load_components
from koubei.model.committee import Committee, load_committee
from koubei.model.parallel import predict_batches
from koubei.model.predict import Components, Prediction, predict_docs
from koubei.resources import default_model_path
from koubei.schema import OUTPUT_COLUMNS, TOPIC_PREFIX, scorable
from koubei.taxonomy import Taxonomy
from koubei.text.docs import prepare_many
from koubei.text.segment import Segmenter

Progress = Callable[[int], None]


class ReviewModel:
    """A fitted review model with its taxonomy and manifest.

    Args:
        components: the fitted parts.
        manifest: the bundle manifest (versions, hashes, metrics).
        user_dict: jieba dictionary the model was trained with.
        path: where the bundle was loaded from, if anywhere.
    """

    def __init__(self, components: Components, manifest: dict[str, Any],
                 user_dict: Path | None = None, path: Path | None = None) -> None:
        self.components = components
        self.manifest = manifest
        self.path = path
        self.segmenter = Segmenter(user_dict=str(user_dict) if user_dict else None)
        self._committee: Committee | None = None

    @property
    def has_committee(self) -> bool:
        """Whether the bundle keeps a committee of topic detectors (:mod:`koubei.model.committee`)."""
        return bool(self.manifest.get("committee")) and self.path is not None

    def committee(self) -> Committee | None:
        """The bundle's committee, read on first use; None when it has none.

        Raises:
            IncompatibleModelError: the committee files are damaged or do not fit the model.
        """
        if self._committee is None and self.has_committee:
            assert self.path is not None
            self._committee = load_committee(self.path, self.manifest,
                                             int(self.components.topics.n_features_in_))
        return self._committee

    @property
    def taxonomy(self) -> Taxonomy:
        """The taxonomy the model speaks (its topics, dimensions and taste directions)."""
        return self.components.taxonomy

    @property
    def uses_encoder(self) -> bool:
        """Whether the model embeds with a transformer encoder (``koubei train --encoder``)."""
        return hasattr(self.components.embedder, "encoder")

    def topic_columns(self) -> list[str]:
        return [TOPIC_PREFIX + t for t in self.taxonomy.topic_ids]

    def output_columns(self) -> list[str]:
        """The columns ``score`` adds, in order."""
        return [*OUTPUT_COLUMNS[:2], *self.topic_columns(), *OUTPUT_COLUMNS[2:]]

    def warm(self) -> None:
        """Load now what :meth:`predict` loads on first use (the segmenter's dictionaries); a
        scoring worker does so as it starts (:mod:`koubei.model.parallel`)."""
        self.segmenter.warm()

    def predict(self, texts: Sequence[str]) -> list[Prediction]:
        """Predictions for raw texts (normalized and segmented here).

        Args:
            texts: review texts as written.

        Returns:
            One prediction per text, in order.
        """
        return predict_docs(self.components, prepare_many(list(texts), self.segmenter))

    def score(self, data: pd.DataFrame | pd.Series | Sequence[str], *, batch_size: int = 2000,
              workers: int = 1, progress: Progress | None = None, **mapping: Any) -> pd.DataFrame:
        """Score reviews: the input rows plus canonical and prediction columns.

        Args:
            data: a frame from :func:`koubei.read_reviews` (used as is), any
                other frame (its columns are mapped like a file's, ``mapping``
                as in ``read_reviews``), or a list/Series of texts.
            batch_size: reviews predicted together.
            workers: processes predicting batches in parallel (the output is the
                same for any number). A model with a transformer encoder always
                predicts in this process: torch already spreads each batch over
                the cores, and forked copies of the encoder would only compete.
            progress: called with the number of rows done after each batch.

        Returns:
            One row per input row (none dropped); rows whose ``status`` is not
            ``ok``, and system-generated (``templated``) rows, get empty predictions.
        """
        frame = _canonical(data, mapping)
        if self.uses_encoder:
            workers = 1
        ok = np.flatnonzero(scorable(frame).to_numpy())
        texts = frame["text"].to_numpy()
        batches = [[str(t) for t in texts[ok[i:i + batch_size]]] for i in range(0, len(ok), batch_size)]
        preds: list[Prediction] = []
        for part in predict_batches(self, batches, workers, progress):
            preds.extend(part)
        cols = self.prediction_columns(preds)
        out = frame.copy()
        at = np.full(len(frame), -1, dtype=np.int64)  # each row's prediction; -1: none (missing)
        at[ok] = np.arange(len(ok))
        for name, values in cols.items():
            out[name] = pd.Series(values.array.take(at, allow_fill=True), index=frame.index)
        out["is_complaint"] = out["is_complaint"].fillna(False).astype(bool)
        return out

    def prediction_columns(self, preds: Sequence[Prediction]) -> dict[str, pd.Series]:
        """Output columns for a list of predictions (docs/reference/output-columns.md, `koubei score`)."""
        tax = self.taxonomy
        cols: dict[str, Any] = {
            "sentiment": pd.Series([p.sentiment for p in preds], dtype="string"),
            "sentiment_score": pd.Series([p.sentiment_score for p in preds], dtype="float64"),
        }
        # a review names one or two topics: fill those cells, not every topic's cell of every row
        per_topic: dict[str, list[str | None]] = {t: [None] * len(preds) for t in tax.topic_ids}
        for i, p in enumerate(preds):
            for t, pol in p.topics.items():
                if (col := per_topic.get(t)) is not None:
                    col[i] = pol
        for t, col in per_topic.items():
            cols[TOPIC_PREFIX + t] = pd.Series(col, dtype="string")
        cols["topics"] = pd.Series([_join(p.topics) for p in preds], dtype="string")
        dims: dict[tuple[tuple[str, str], ...], str] = {}  # a few hundred topic sets in a chunk
        cols["dimensions"] = pd.Series([_dimensions_text(p.topics, tax, dims) for p in preds],
                                       dtype="string")
        cols["taste_detail"] = pd.Series([";".join(p.taste_detail) for p in preds], dtype="string")
        cols["opinions"] = pd.Series([";".join(p.opinions) for p in preds], dtype="string")
        cols["is_complaint"] = pd.Series([is_complaint(p) for p in preds], dtype="boolean")
        return cols


def _join(d: dict[str, str]) -> str:
    return ";".join(f"{k}:{v}" for k, v in d.items())


def _dimensions_text(topics: dict[str, str], taxonomy: Taxonomy,
                     seen: dict[tuple[tuple[str, str], ...], str]) -> str:
    """``_join(dimensions_of(topics, taxonomy))``, remembered in ``seen`` per topic set."""
    key = tuple(topics.items())
    text = seen.get(key)
    if text is None:
        text = seen[key] = _join(dimensions_of(topics, taxonomy))
    return text


def dimensions_of(topics: dict[str, str], taxonomy: Taxonomy) -> dict[str, str]:
    """Service dimensions of a review from its topics: ``neg`` if any topic of the
    dimension is negative, else ``pos`` if any is positive, else ``neu``."""
    out: dict[str, str] = {}
    for t, pol in topics.items():
        dim = taxonomy.dimension_of(t)
        prev = out.get(dim)
        if prev is None or pol == "neg" or (pol == "pos" and prev == "neu"):
            out[dim] = pol
    order = [d.id for d in taxonomy.dimensions]
    return {d: out[d] for d in order if d in out}


def is_complaint(p: Prediction) -> bool:
    """A complaint: the review is negative overall or criticises at least one topic."""
    return p.sentiment == "neg" or "neg" in p.topics.values()


def _canonical(data: Any, mapping: dict[str, Any]) -> pd.DataFrame:
    from koubei.io import canonicalize

    if isinstance(data, pd.DataFrame) and "read_report" in data.attrs and not mapping:
        return data
    if isinstance(data, pd.DataFrame) and {"review_id", "status", "text"} <= set(data.columns) \
            and not mapping:
        return data
    return canonicalize(data, **mapping)


def load_model(path: str | Path | None = None, *, taxonomy: Taxonomy | None = None,
               encoder_dir: str | Path | None = None) -> ReviewModel:
    """Load a model bundle (the bundled default when ``path`` is None).

    Args:
        path: the bundle directory (``models/default``, or one ``koubei train`` wrote).
        taxonomy: when given, the bundle must speak exactly this taxonomy.
        encoder_dir: for a model trained with ``--encoder``, where its encoder
            directory is now, if it moved (it must be the same model, checked by hash).

    Raises:
        ModelNotFoundError: no bundle there.
        IncompatibleModelError: another format version or taxonomy, damaged files,
            or an encoder that is not the one the model was trained with.
        EncoderError: the model's encoder is missing or not a model directory, or
            torch/transformers are not installed.
    """
    folder = Path(path) if path else default_model_path()
    comps, manifest, user_dict = load_components(folder, expect_taxonomy=taxonomy, encoder_dir=encoder_dir)
    return ReviewModel(comps, manifest, user_dict=user_dict, path=folder)
