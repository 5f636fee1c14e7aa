"""Optional fine-tuning of a transformer encoder with a linear multi-label topic head.

A short torch loop on CPU: the encoder's pooled, L2-normalized embedding (what
:class:`~koubei.embed.transformer.TransformerEmbedder` returns) feeds a linear
layer trained with a weighted binary cross-entropy; the encoder gets a small
learning rate, the head a larger one. Seeded, and run inside a forked RNG so
the caller's random state is left alone.

The output directory loads back without pickle::

    OUT/encoder/        the fine-tuned encoder and its tokenizer (save_pretrained)
    OUT/head/           EmbeddingHead: the trained layer as topic weights, thresholds
                        tuned on the validation split, and a sentiment regression
    OUT/finetune.json   configuration, losses per epoch, versions, base model
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from koubei.embed.head import EmbeddingHead, split_indices
from koubei.embed.transformer import (
    ProgressFn,
    check_model_dir,
    import_backend,
    load_pretrained,
    model_fingerprint,
    model_inputs,
    pool,
    quiet_transformers,
)
from koubei.errors import OutputError
from koubei.io.writers import atomic_dir
from koubei.version import __version__


@dataclass(frozen=True)
class FinetuneConfig:
    """Fine-tuning settings (documented defaults for a base-size Chinese encoder).

    Attributes:
        epochs: passes over the training split.
        batch_size: texts per optimizer step.
        max_length: tokens kept per text.
        lr: learning rate of the encoder.
        head_lr: learning rate of the linear head (it starts from zero knowledge).
        weight_decay: AdamW weight decay.
        pooling: ``mean`` or ``cls``, as the embedder will use it.
        val_fraction: share held out to tune the thresholds.
        max_pos_weight: cap on the positive-class weight of a rare topic.
        seed: seeds the head's initialization, dropout, shuffling and the split.
    """

    epochs: int = 2
    batch_size: int = 16
    max_length: int = 128
    lr: float = 2e-5
    head_lr: float = 5e-3
    weight_decay: float = 0.01
    pooling: str = "mean"
    val_fraction: float = 0.2
    max_pos_weight: float = 20.0
    seed: int = 0


@dataclass
class FinetuneResult:
    """What :func:`finetune` made.

    Attributes:
        path: the output directory.
        encoder_dir: the fine-tuned encoder (a Hugging Face model directory).
        head_dir: the saved :class:`EmbeddingHead`.
        head: that head.
        losses: mean training loss of each epoch.
        embeddings: the fine-tuned encoder's embeddings of the training texts.
    """

    path: Path
    encoder_dir: Path
    head_dir: Path
    head: EmbeddingHead
    losses: list[float]
    embeddings: np.ndarray


def finetune(model_dir: str | Path, texts: Sequence[str], Y: np.ndarray, out_dir: str | Path, *,
             labels: tuple[str, ...] = (), sentiment: Sequence[str] | None = None,
             config: FinetuneConfig | None = None, overwrite: bool = False,
             progress: ProgressFn | None = None) -> FinetuneResult:
    """Fine-tune the encoder in ``model_dir`` on texts with 0/1 topic matrix ``Y``; save to ``out_dir``.

    Args:
        labels: topic names, one per column of ``Y``.
        sentiment: optional sentiment label per text, fitted on the fine-tuned embeddings.
        progress: called after each step with the number of training texts seen so far.

    Raises:
        EncoderError: torch/transformers missing, or the model directory is incomplete.
        OutputError: ``out_dir`` exists without ``overwrite``, or its parent is missing.
    """
    cfg = config or FinetuneConfig()
    Y = np.asarray(Y) > 0
    if Y.ndim != 2 or Y.shape[0] != len(texts) or len(texts) < 2:
        raise ValueError(f"Y must be a (len(texts), n_labels) matrix over ≥ 2 texts, got {Y.shape}")
    dest = _check_output(Path(out_dir), overwrite)
    source = check_model_dir(model_dir)
    torch, transformers = import_backend()
    train, val = split_indices(len(texts), cfg.val_fraction, cfg.seed)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(cfg.seed)
        with quiet_transformers(transformers):
            tokenizer, model = load_pretrained(transformers, source)
        head = torch.nn.Linear(model.config.hidden_size, Y.shape[1])
        losses = _train(torch, model, tokenizer, head, [texts[i] for i in train], Y[train], cfg, progress)
    model.eval()
    E = _embed(torch, model, tokenizer, list(texts), cfg)
    emb_head = _to_head(head, E, Y, val, labels=labels, sentiment=sentiment, cfg=cfg)
    meta = {"kind": "koubei.finetuned-encoder", "koubei_version": __version__,
            "torch_version": torch.__version__, "transformers_version": transformers.__version__,
            "base_model": str(source), "base_fingerprint": model_fingerprint(source),
            "config": asdict(cfg), "labels": list(emb_head.labels_), "losses": losses,
            "n_train": len(train), "n_val": len(val)}
    _write(dest, (model, tokenizer, emb_head), meta, transformers)
    return FinetuneResult(path=dest, encoder_dir=dest / "encoder", head_dir=dest / "head",
                          head=emb_head, losses=losses, embeddings=E)


def _to_head(layer: Any, E: np.ndarray, Y: np.ndarray, val: np.ndarray, *, labels: tuple[str, ...],
             sentiment: Sequence[str] | None, cfg: FinetuneConfig) -> EmbeddingHead:
    """The trained layer as an EmbeddingHead: thresholds tuned on the held-out rows, sentiment fitted."""
    head = EmbeddingHead.from_linear(layer.weight.detach().numpy(), layer.bias.detach().numpy(),
                                     labels=tuple(labels), val_fraction=cfg.val_fraction, seed=cfg.seed)
    head.tune_thresholds(E[val], Y[val])
    if sentiment is not None:
        head.fit_sentiment(E, np.asarray(sentiment))
    return head


def _check_output(dest: Path, overwrite: bool) -> Path:
    if dest.exists() and not overwrite:
        raise OutputError(f"{dest} exists; pass --overwrite to replace it")
    if not dest.parent.is_dir():
        raise OutputError(f"parent directory {dest.parent} does not exist")
    return dest


def _train(torch: Any, model: Any, tokenizer: Any, head: Any, texts: list[str], Y: np.ndarray,
           cfg: FinetuneConfig, progress: ProgressFn | None) -> list[float]:
    pos = Y.sum(axis=0)
    pos_weight = np.clip((len(Y) - pos) / np.maximum(pos, 1), 1.0, cfg.max_pos_weight)
    loss_fn = torch.nn.BCEWithLogitsLoss(pos_weight=torch.tensor(pos_weight, dtype=torch.float32))
    opt = torch.optim.AdamW([{"params": model.parameters(), "lr": cfg.lr},
                             {"params": head.parameters(), "lr": cfg.head_lr}],
                            weight_decay=cfg.weight_decay)
    target = torch.tensor(Y, dtype=torch.float32)
    gen = torch.Generator().manual_seed(cfg.seed)
    model.train()
    losses, seen = [], 0
    for _ in range(cfg.epochs):
        order = torch.randperm(len(texts), generator=gen).tolist()
        total = 0.0
        for i in range(0, len(order), cfg.batch_size):
            idx = order[i:i + cfg.batch_size]
            inputs = model_inputs(model, tokenizer, [texts[j] for j in idx], cfg.max_length, "cpu")
            emb = pool(model(**inputs).last_hidden_state, inputs["attention_mask"], cfg.pooling)
            loss = loss_fn(head(emb), target[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += float(loss.detach()) * len(idx)
            seen += len(idx)
            if progress is not None:
                progress(seen)
        losses.append(total / len(texts))
    return losses


def _embed(torch: Any, model: Any, tokenizer: Any, texts: list[str], cfg: FinetuneConfig) -> np.ndarray:
    out = []
    with torch.inference_mode():
        for i in range(0, len(texts), cfg.batch_size):
            inputs = model_inputs(model, tokenizer, texts[i:i + cfg.batch_size], cfg.max_length, "cpu")
            out.append(pool(model(**inputs).last_hidden_state, inputs["attention_mask"], cfg.pooling))
    return np.concatenate([o.float().numpy() for o in out]).astype(np.float32)


def _write(dest: Path, parts: tuple[Any, Any, EmbeddingHead], meta: dict[str, Any],
           transformers: Any) -> None:
    model, tokenizer, head = parts
    with atomic_dir(dest) as tmp:
        with quiet_transformers(transformers):
            model.save_pretrained(tmp / "encoder")
            tokenizer.save_pretrained(tmp / "encoder")
        head.save(tmp / "head")
        (tmp / "finetune.json").write_text(json.dumps(meta, ensure_ascii=False, indent=1), encoding="utf-8")
