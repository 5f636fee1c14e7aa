"""Where the data files shipped with koubei live.

In a source checkout (``pip install -e .``) they are the repository's
``corpora/`` and ``models/`` folders; in a built wheel they are copied into
``koubei/_data/``. Everything else asks this module, never builds paths itself.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

_PKG = Path(__file__).resolve().parent


@cache
def data_root() -> Path:
    """Folder that holds ``corpora/`` and ``models/``."""
    packaged = _PKG / "_data"
    if (packaged / "corpora").is_dir():
        return packaged
    return _PKG.parent.parent


def corpora_path(*parts: str) -> Path:
    """Path of a file under the shipped ``corpora/`` folder."""
    return data_root().joinpath("corpora", *parts)


def models_path(*parts: str) -> Path:
    """Path of a file under the shipped ``models/`` folder."""
    return data_root().joinpath("models", *parts)


def default_model_path() -> Path:
    """The bundled default model bundle."""
    return models_path("default")
