"""Embedding backends behind one interface (``embed(docs) -> matrix``)."""

from koubei.embed._base import BaseEmbedder
from koubei.embed.tfidf import TfidfEmbedder

__all__ = ["BaseEmbedder", "TfidfEmbedder"]
