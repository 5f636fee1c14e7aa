"""``koubei train --encoder DIR [--finetune]``: a transformer encoder beside the TF-IDF features.

Every part the pipeline fits (topic detector, polarity head, and sentiment
when it is learnt from the labels) reads :class:`~koubei.embed.hybrid.HybridEmbedder`
rows: the TF-IDF columns, then the encoder's pooled, L2-normalized vector. A
sentiment model reused from a TF-IDF base or the default model reads the
TF-IDF columns only (its weights padded with zeros on the dense ones).

Without ``--finetune`` the encoder is frozen and one embedder (one cache) serves
every fold and the final model; the bundle references the encoder directory
(or holds a copy with ``--copy-encoder``). With ``--finetune`` the encoder is
fine-tuned on each cross-validation fold's training reviews (so the fold's
thresholds and metrics come from reviews its encoder never learnt from) and
once more on all of them for the final model, whose encoder is saved inside
the bundle (``encoder/``): those weights exist nowhere else.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from koubei.classify.features import Doc
from koubei.classify.sentiment import SentimentClassifier
from koubei.embed.finetune import FinetuneConfig, finetune
from koubei.embed.hybrid import HybridEmbedder, pad_width
from koubei.embed.tfidf import TfidfEmbedder
from koubei.embed.transformer import TransformerEmbedder, require_backend
from koubei.errors import IncompatibleModelError

SENTIMENT_ARRAYS = ("coef_", "expert_coef_", "domain_coef_")


@dataclass
class EncoderPlan:
    """How ``train_bundle`` embeds with a transformer encoder.

    Attributes:
        model_dir: the Hugging Face model directory given with ``--encoder``.
        pooling: ``mean`` or ``cls``.
        max_length: tokens kept per text.
        batch_size: texts per forward pass.
        finetune: fine-tuning settings, or ``None`` for a frozen encoder.
        copy: put a copy of a frozen encoder into the bundle.
        cache_dir: on-disk embedding cache shared across runs (``None``: memory only).
    """

    model_dir: Path
    pooling: str = "mean"
    max_length: int = 128
    batch_size: int = 32
    finetune: FinetuneConfig | None = None
    copy: bool = False
    cache_dir: Path | None = None
    finetunes: list[dict[str, Any]] = field(default_factory=list)
    _frozen: TransformerEmbedder | None = None
    _workdir: Path | None = None

    def check(self) -> None:
        """Fail before any work: torch/transformers missing, or not a model directory."""
        require_backend()
        self._frozen = TransformerEmbedder(self.model_dir, pooling=self.pooling, max_length=self.max_length,
                                           batch_size=self.batch_size, cache_dir=self.cache_dir)

    def embedder(self, tfidf: TfidfEmbedder, docs: list[Doc], Y: np.ndarray, tag: str,
                 topic_ids: Sequence[str]) -> HybridEmbedder:
        """The hybrid embedder of one fit (a fold or the final model) on ``docs`` with topics ``Y``."""
        if self._frozen is None:
            self.check()
        assert self._frozen is not None
        if self.finetune is None:
            return HybridEmbedder(tfidf, self._frozen, bundle_encoder=self.copy)
        if self._workdir is None:
            self._workdir = Path(tempfile.mkdtemp(prefix="koubei-finetune-"))
        res = finetune(self.model_dir, [d.norm for d in docs], Y, self._workdir / tag,
                       labels=tuple(topic_ids), config=self.finetune)
        self.finetunes.append({"fit": tag, "reviews": len(docs), "losses": [round(x, 5) for x in res.losses]})
        enc = TransformerEmbedder(res.encoder_dir, pooling=self.pooling, max_length=self.max_length,
                                  batch_size=self.batch_size)
        return HybridEmbedder(tfidf, enc, bundle_encoder=True)

    def cleanup(self) -> None:
        """Remove the fine-tuned encoders of the folds (the final one is in the bundle by now)."""
        if self._workdir is not None:
            shutil.rmtree(self._workdir, ignore_errors=True)
            self._workdir = None

    def describe(self) -> dict[str, Any]:
        """The manifest's ``training.encoder`` entry."""
        assert self._frozen is not None
        meta, _ = self._frozen.to_state()
        out: dict[str, Any] = {
            "model_dir": str(self.model_dir), "config_sha256": meta["config_sha256"],
            "architecture": meta["architecture"], "dim": meta["dim"], "pooling": self.pooling,
            "max_length": self.max_length,
            "weights": "fine-tuned copy in the bundle (encoder/)" if self.finetune else
                       ("copied into the bundle (encoder/)" if self.copy else "referenced, not copied")}
        if self.finetune is not None:
            out["finetune"] = {"config": asdict(self.finetune), "runs": self.finetunes}
        return out


def tfidf_part(embedder: Any, plan: EncoderPlan | None, base: str | Path | None) -> TfidfEmbedder:
    """The TF-IDF embedder new encoder columns go beside.

    Raises:
        IncompatibleModelError: ``--encoder`` with a base that has an encoder of its own.
    """
    if not isinstance(embedder, HybridEmbedder):
        return embedder  # type: ignore[no-any-return]
    if plan is not None:
        raise IncompatibleModelError(
            f"--base {base} already embeds with the encoder {embedder.encoder.model_dir}; leave out "
            "--encoder to reuse it, or use a base without an encoder (e.g. models/default)")
    return embedder.tfidf


def widen_sentiment(sentiment: SentimentClassifier | None, width: int) -> SentimentClassifier | None:
    """A TF-IDF sentiment model that reads hybrid rows (zero weights on the dense columns)."""
    if sentiment is None or sentiment.n_features_in_ == width:
        return sentiment
    return pad_width(sentiment, width, SENTIMENT_ARRAYS)  # type: ignore[no-any-return]
