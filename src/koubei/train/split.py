"""Folds for cross-validation.

:func:`multilabel_folds`: stratified k-fold for multi-label data (iterative stratification).
Sechidis, Tsoumakas & Vlahavas (2011): labels are served rarest first; each
example of the label goes to the fold that still lacks most of it, so every
fold gets its share of every rare topic, which a random split would not.

:func:`hashed_group_folds`: each group's fold read off a hash of its key, so that a change
to a few keys moves only their rows.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np


def hashed_group_folds(keys: Sequence[str], k: int, seed: int = 0) -> list[np.ndarray]:
    """Test indices of ``k`` folds in which rows with the same key (a normalized text) share a fold.

    A row's fold is the SHA-1 of ``seed`` and its key, modulo ``k``: it depends on the key alone,
    not on which other keys there are. A shuffled group k-fold numbers the groups and deals them
    out, so one text normalized differently renumbers the rest and moves every fold: comparing two
    versions of the normalization or the lexicon then measures the new folds as much as the
    change. Fold sizes are even in expectation, not exactly (the 8,158 gold reviews in 5 folds,
    seed 0: 1,582 to 1,673 rows).

    Raises:
        ValueError: a fold gets no row (fewer distinct keys than folds, or too few to spread).
    """
    fold_of = np.fromiter(
        (int.from_bytes(hashlib.sha1(f"{seed}\x00{key}".encode()).digest()[:8], "big") % k for key in keys),
        dtype=np.int64, count=len(keys))
    folds = [np.flatnonzero(fold_of == f) for f in range(k)]
    if any(len(f) == 0 for f in folds):
        raise ValueError(f"{len(set(keys))} distinct texts leave some of {k} folds empty: use fewer folds "
                         f"or more labelled reviews")
    return folds


def multilabel_folds(Y: np.ndarray, k: int, seed: int = 0) -> list[np.ndarray]:
    """Test indices of ``k`` folds over the rows of a 0/1 matrix ``Y`` (rows × labels).

    Deterministic for a given ``seed``; every row is in exactly one fold.
    """
    Y = np.asarray(Y, dtype=int)
    n = len(Y)
    rng = np.random.default_rng(seed)
    order = rng.permutation(n)
    need_rows = np.full(k, n / k)
    need = np.outer(np.full(k, 1.0 / k), Y.sum(axis=0))  # folds × labels
    fold_of = np.full(n, -1)
    left = Y.copy()
    while (left.sum(axis=0) > 0).any():
        counts = left.sum(axis=0).astype(float)
        counts[counts == 0] = np.inf
        label = int(np.argmin(counts))
        for i in order[left[order, label] == 1]:
            f = _pick(need[:, label], need_rows, rng)
            fold_of[i] = f
            need[f] -= Y[i]
            need_rows[f] -= 1
            left[i] = 0
    for i in order[fold_of[order] < 0]:
        f = _pick(need_rows, need_rows, rng)
        fold_of[i] = f
        need_rows[f] -= 1
    return [np.flatnonzero(fold_of == f) for f in range(k)]


def _pick(primary: np.ndarray, secondary: np.ndarray, rng: np.random.Generator) -> int:
    best = np.flatnonzero(primary >= primary.max() - 1e-9)
    if len(best) > 1:
        best = best[secondary[best] >= secondary[best].max() - 1e-9]
    return int(best[rng.integers(len(best))]) if len(best) > 1 else int(best[0])
