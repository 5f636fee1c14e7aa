"""``ReviewModel``: a loaded bundle that scores review frames.

    model = koubei.load_model()                 # models/default
    scored = model.score(["味道太淡了", "送餐太慢，等了两个小时"])
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from koubei.classify.features import prepare_many
from koubei.model.bundle import load_components
from koubei.model.committee import Committee, load_committee
from koubei.model.parallel import predict_batches
from koubei.model.predict import Components, Prediction, predict_docs
from koubei.resources import default_model_path
from koubei.schema import OUTPUT_COLUMNS, TOPIC_PREFIX, scorable
from koubei.taxonomy import Taxonomy
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
        """Load now what :meth:`predict` loads on first use (the segmenter's dictionaries)."""
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
        return self.scored_frame(self.predict_rows(data, batch_size=batch_size, workers=workers,
                                                   progress=progress, **mapping))

    def predict_rows(self, data: pd.DataFrame | pd.Series | Sequence[str], *, batch_size: int = 2000,
                     workers: int = 1, progress: Progress | None = None, **mapping: Any) -> PredictedRows:
        """The first half of :meth:`score` (same arguments): the predictions of the scorable rows.

        :meth:`scored_frame` makes the output frame of them. Streaming scoring builds that frame
        in its writer thread, so that the workers get the next chunk without waiting for it.
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
        return PredictedRows(frame, ok, preds)

    def scored_frame(self, rows: PredictedRows) -> pd.DataFrame:
        """The second half of :meth:`score`: the input rows plus the prediction columns."""
        frame, ok = rows.frame, rows.ok
        every = len(ok) == len(frame)  # most chunks: no row left unscored
        cols = self.prediction_columns(rows.preds, None if every else (ok, len(frame)))
        out = frame.copy()
        for name, values in cols.items():
            values.index = frame.index
            out[name] = values
        out["is_complaint"] = out["is_complaint"].fillna(False).astype(bool)
        return out

    def prediction_columns(self, preds: Sequence[Prediction],
                           rows: tuple[np.ndarray, int] | None = None) -> dict[str, pd.Series]:
        """Output columns for a list of predictions (docs/reference/output-columns.md, `koubei score`).

        ``rows``: (the positions of the predictions, the number of rows); the other rows get
        empty values. Default: one row per prediction.
        """
        tax = self.taxonomy
        n = len(preds) if rows is None else rows[1]
        at = range(len(preds)) if rows is None else rows[0].tolist()

        def column(values: Sequence[Any], dtype: str) -> pd.Series:
            if rows is None:
                return pd.Series(values, dtype=dtype)
            full: list[Any] = [None] * n
            for i, v in zip(at, values):
                full[i] = v
            return pd.Series(full, dtype=dtype)

        per_topic: dict[str, list[str | None]] = {t: [None] * len(preds) for t in tax.topic_ids}
        joined: dict[tuple[tuple[str, str], ...], tuple[str, str]] = {}  # topics -> both strings
        topics, dims = [], []
        for i, p in enumerate(preds):  # one pass over the topics each review has (a few)
            for t, pol in p.topics.items():
                per_topic[t][i] = pol
            key = tuple(p.topics.items())  # a few hundred distinct ones in a chunk
            if (both := joined.get(key)) is None:
                both = joined[key] = (_join(p.topics), _join(dimensions_of(p.topics, tax)))
            topics.append(both[0])
            dims.append(both[1])
        cols: dict[str, Any] = {
            "sentiment": column([p.sentiment for p in preds], "string"),
            "sentiment_score": column([p.sentiment_score for p in preds], "float64"),
        }
        for t in tax.topic_ids:
            cols[TOPIC_PREFIX + t] = column(per_topic[t], "string")
        cols["topics"] = column(topics, "string")
        cols["dimensions"] = column(dims, "string")
        cols["taste_detail"] = column([";".join(p.taste_detail) for p in preds], "string")
        cols["opinions"] = column([";".join(p.opinions) for p in preds], "string")
        cols["is_complaint"] = column([is_complaint(p) for p in preds], "boolean")
        return cols


@dataclass
class PredictedRows:
    """What :meth:`ReviewModel.predict_rows` returns: the canonical ``frame``, the positions of
    its scorable rows (``ok``) and their predictions, in order."""

    frame: pd.DataFrame
    ok: np.ndarray
    preds: list[Prediction]


def _join(d: dict[str, str]) -> str:
    return ";".join(f"{k}:{v}" for k, v in d.items())


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
