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
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from koubei.classify.sentiment import SentimentClassifier
from koubei.embed.finetune import FinetuneConfig, finetune, split_indices
from koubei.embed.hybrid import HybridEmbedder, pad_width
from koubei.embed.tfidf import TfidfEmbedder
from koubei.embed.transformer import TransformerEmbedder, require_backend
from koubei.errors import IncompatibleModelError
from koubei.text.docs import Doc

SENTIMENT_ARRAYS = ("coef_", "expert_coef_", "domain_coef_")
#: seconds between two progress lines of a long encoder pass
PROGRESS_SECONDS = 10.0

Log = Callable[[str], None]


class EncoderProgress:
    """Progress of the encoder as log lines (``koubei train`` prints them with their time).

    Called with the texts done so far in a pass (``TransformerEmbedder.progress``
    or fine-tuning's texts seen); says so at most every :data:`PROGRESS_SECONDS`,
    and once at the end of a pass that printed anything, so short passes
    (a cached fold) stay silent.
    """

    def __init__(self, log: Log, what: str, total: Callable[[], int],
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.log, self.what, self.total, self.clock = log, what, total, clock
        self._last = clock()
        self._spoke = False

    def __call__(self, done: int) -> None:
        total = self.total()
        now = self.clock()
        end = done >= total
        if now - self._last >= PROGRESS_SECONDS or (end and self._spoke):
            self.log(f"{self.what}: {done:,} / {total:,} texts")
            self._last, self._spoke = now, True
        if end:  # the next pass starts afresh
            self._last, self._spoke = now, False


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
    log: Log | None = None
    _frozen: TransformerEmbedder | None = None
    _workdir: Path | None = None

    def check(self) -> None:
        """Fail before any work: torch/transformers missing, or not a model directory."""
        require_backend()
        self._frozen = self._watched(TransformerEmbedder(
            self.model_dir, pooling=self.pooling, max_length=self.max_length, batch_size=self.batch_size,
            cache_dir=self.cache_dir), "encoder")

    def _watched(self, enc: TransformerEmbedder, what: str) -> TransformerEmbedder:
        if self.log is not None:
            enc.progress = EncoderProgress(self.log, f"{what} embedding", lambda: enc.pass_total)
        return enc

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
        texts = [d.norm for d in docs]
        train, _ = split_indices(len(texts), self.finetune.val_fraction, self.finetune.seed)
        seen = len(train) * self.finetune.epochs
        progress = None if self.log is None else EncoderProgress(self.log, f"fine-tuning ({tag})",
                                                                 lambda: seen)
        res = finetune(self.model_dir, texts, Y, self._workdir / tag,
                       labels=tuple(topic_ids), config=self.finetune, progress=progress)
        self.finetunes.append({"fit": tag, "reviews": len(docs), "losses": [round(x, 5) for x in res.losses]})
        enc = TransformerEmbedder(res.encoder_dir, pooling=self.pooling, max_length=self.max_length,
                                  batch_size=self.batch_size)
        return HybridEmbedder(tfidf, self._watched(enc, f"fine-tuned encoder ({tag})"), bundle_encoder=True)

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
    out = pad_width(sentiment, width, SENTIMENT_ARRAYS)
    W, side = out.gold_coef_, out.gold_side_
    if W is not None and W.shape[1] < width + side:  # the gold head reads its side columns, then the text
        out.gold_coef_ = np.hstack([W, np.zeros((W.shape[0], width + side - W.shape[1]), dtype=W.dtype)])
    return out  # type: ignore[no-any-return]
