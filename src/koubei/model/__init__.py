"""Model bundles: load, score, save."""

from typing import TYPE_CHECKING

from koubei._lazy import lazy_exports

if TYPE_CHECKING:
    from koubei.model.review_model import ReviewModel, load_model

__getattr__ = lazy_exports(__name__, {"ReviewModel": "koubei.model.review_model",
                                      "load_model": "koubei.model.review_model"})

__all__ = ["ReviewModel", "load_model"]
