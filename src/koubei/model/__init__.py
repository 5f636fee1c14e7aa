"""Model bundles: load, score, save."""

from koubei.model.review_model import ReviewModel, load_model

__all__ = ["ReviewModel", "load_model"]
