"""koubei (口碑): Chinese customer reviews in, actionable complaint topics out.

The public API is small::

    import koubei
    df = koubei.read_reviews("reviews.xlsx", text_col="评论内容")
    model = koubei.load_model()          # the bundled default model
    scored = model.score(df)

Heavy modules are imported on first use so ``import koubei`` stays fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from koubei.version import __version__

__all__ = ["__version__", "load_model", "read_reviews"]

if TYPE_CHECKING:
    from koubei.io import read_reviews
    from koubei.model import load_model


def __getattr__(name: str) -> Any:
    if name == "load_model":
        from koubei.model import load_model

        return load_model
    if name == "read_reviews":
        from koubei.io import read_reviews

        return read_reviews
    raise AttributeError(f"module 'koubei' has no attribute {name!r}")
