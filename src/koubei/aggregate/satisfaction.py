"""满意率 (satisfaction rate) from star ratings.

Chinese satisfaction surveys count 很满意 + 满意 as satisfied: on a 5-point
scale the share of 4 and 5. Ratings on other scales are mapped to that:

=====================  ==========================  =====================
scale                  where it comes from         satisfied when
=====================  ==========================  =====================
``5`` (1-5)            most shops, JD, Taobao      rating ≥ 4
``10`` (1-10)          10-point surveys            rating ≥ 8 (4-5 of 5 after halving)
``50`` (10-50)         Meituan/Dianping stars ×10  rating ≥ 40 (4-5 after dividing by 10)
=====================  ==========================  =====================

Half stars keep their value (4.5 and 45 are satisfied, 3.5 and 35 are not).
Without an explicit scale it is told from the data's largest rating: ≤ 5 →
5-point, ≤ 10 → 10-point, ≤ 50 → 10-50. A 10-50 dump whose best rating is 10,
or a 10-point dump that never goes above 5, is told wrong: pass the scale.
A rating that is missing, 0 or negative (platforms write 0 for "no stars
given") is not a rating.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from koubei.errors import InputError

#: scale (its largest rating) → smallest satisfied rating
SATISFIED_FROM: dict[int, float] = {5: 4.0, 10: 8.0, 50: 40.0}
RATING_SCALES: tuple[int, ...] = tuple(SATISFIED_FROM)


def valid_ratings(ratings: pd.Series | None) -> pd.Series:
    """The ratings that count as given (positive numbers), as floats; may be empty."""
    if ratings is None:
        return pd.Series([], dtype=float)
    values = pd.to_numeric(ratings, errors="coerce").astype(float)
    return values[values > 0]


def detect_rating_scale(ratings: pd.Series | None) -> int | None:
    """The scale (5, 10 or 50) told from the largest rating; None when there are no ratings.

    Raises:
        InputError: the largest rating is above 50, beyond every known scale.
    """
    given = valid_ratings(ratings)
    if given.empty:
        return None
    top = float(given.max())
    for scale in RATING_SCALES:
        if top <= scale:
            return scale
    raise InputError(
        f"ratings go up to {top:g}, beyond every scale koubei reads (1-5, 1-10, 10-50); "
        "rescale the rating column to one of them and score again"
    )


def resolve_rating_scale(ratings: pd.Series | None, rating_scale: int | None = None,
                         source: str = "the scored file") -> int | None:
    """``rating_scale`` checked against the data, or the detected scale.

    Raises:
        InputError: an unknown scale, or ratings above the given scale's maximum.
    """
    if rating_scale is None:
        try:
            return detect_rating_scale(ratings)
        except InputError as e:
            raise InputError(f"{source}: {e}") from None
    if rating_scale not in SATISFIED_FROM:
        raise InputError(f"unknown rating scale {rating_scale!r}; use 5 (1-5), 10 (1-10) or 50 (10-50)")
    given = valid_ratings(ratings)
    if not given.empty and float(given.max()) > rating_scale:
        raise InputError(
            f"{source}: ratings go up to {float(given.max()):g}, above the rating scale {rating_scale}; "
            "pass the right --rating-scale (5, 10 or 50) or leave it out to detect it"
        )
    return rating_scale


def satisfaction_flags(ratings: pd.Series | None, scale: int | None,
                       index: pd.Index) -> tuple[np.ndarray, np.ndarray]:
    """Per row: (rated, satisfied) as 0/1 integer arrays aligned with ``index``."""
    if ratings is None or scale is None:
        zeros = np.zeros(len(index), dtype=np.int64)
        return zeros, zeros.copy()
    values = pd.to_numeric(ratings, errors="coerce").astype(float).reindex(index).to_numpy()
    with np.errstate(invalid="ignore"):
        rated = values > 0
        satisfied = rated & (values >= SATISFIED_FROM[scale])
    return rated.astype(np.int64), satisfied.astype(np.int64)
