"""Resolve an ``--encoder`` value (a name, a model directory or an object) to a backend.

As BERTopic's ``select_backend``: ``"tfidf"`` names the TF-IDF backend, a path
names a local Hugging Face model directory, and any object with an
``embed(docs)`` method is used as it is.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from koubei.embed._base import BaseEmbedder
from koubei.embed.tfidf import TfidfEmbedder
from koubei.embed.transformer import GET_MODEL_HINT, TransformerEmbedder
from koubei.errors import EncoderError, ModelNotFoundError

TFIDF_NAMES = ("tfidf", "tf-idf")
_HUB_ID = re.compile(r"^[\w.-]+/[\w.-]+$")


def select_embedder(encoder: Any = "tfidf", **options: Any) -> BaseEmbedder:
    """The embedding backend ``encoder`` names.

    Args:
        encoder: ``"tfidf"`` (or ``None``) for the TF-IDF backend (unfitted), a path to
            a local Hugging Face model directory for :class:`TransformerEmbedder`, or an
            object with an ``embed(docs)`` method, returned as it is.
        **options: keyword arguments of the chosen backend's constructor.

    Raises:
        ModelNotFoundError: a path that does not exist (a hub id such as
            ``BAAI/bge-small-zh-v1.5`` says how to download it first).
        EncoderError: an object without ``embed``, options given with an object, or an
            incomplete model directory.
    """
    if encoder is None or (isinstance(encoder, str) and encoder.strip().lower() in TFIDF_NAMES):
        return TfidfEmbedder(**options)
    if isinstance(encoder, str | os.PathLike):
        path = Path(encoder).expanduser()
        if not path.exists() and _HUB_ID.match(str(encoder)):
            raise ModelNotFoundError(
                f"no directory {encoder}: koubei does not download models at run time; {GET_MODEL_HINT}")
        return TransformerEmbedder(path, **options)
    if callable(getattr(encoder, "embed", None)):
        if options:
            raise EncoderError(f"options {sorted(options)} apply to a named backend, "
                               "not to an embedder object")
        return encoder  # type: ignore[no-any-return]
    raise EncoderError(f"cannot use a {type(encoder).__name__} as an encoder: give 'tfidf', a model "
                       "directory, or an object with an embed(docs) method")
