"""Embedding backends behind one interface (``embed(docs) -> matrix``).

torch and transformers are imported only when a transformer is used.
"""

from koubei.embed._base import BaseEmbedder
from koubei.embed.finetune import FinetuneConfig, FinetuneResult, finetune
from koubei.embed.head import EmbeddingHead
from koubei.embed.resolve import select_embedder
from koubei.embed.tfidf import TfidfEmbedder
from koubei.embed.transformer import TransformerEmbedder

__all__ = ["BaseEmbedder", "EmbeddingHead", "FinetuneConfig", "FinetuneResult", "TfidfEmbedder",
           "TransformerEmbedder", "finetune", "select_embedder"]
