"""Classifier head on dense embeddings: multi-label topics and overall sentiment.

Topics are one-vs-rest logistic regressions (``class_weight="balanced"`` for
rare topics) whose decision thresholds are tuned for F1 on a held-out
validation split, then refitted on all the data; sentiment is one multinomial
logistic regression. The fitted state is plain arrays and JSON, saved to a
directory (``head.json`` + ``head.npz``, hash-checked) that loads without pickle.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.utils.validation import check_array, check_is_fitted

from koubei.classify.linear import ArrayState, decision, sigmoid, softmax
from koubei.classify.topics import best_f1_threshold
from koubei.errors import IncompatibleModelError, ModelNotFoundError, OutputError
from koubei.io.writers import atomic_dir
from koubei.version import __version__

HEAD_KIND = "koubei.embedding-head"
HEAD_FORMAT = "1.0"


def split_indices(n: int, fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Deterministic (train, validation) index arrays; validation is empty when ``fraction`` is 0."""
    order = np.random.default_rng(seed).permutation(n)
    n_val = int(round(n * fraction)) if 0 < fraction < 1 else 0
    n_val = min(n_val, n - 2) if n > 2 else 0
    return np.sort(order[n_val:]), np.sort(order[:n_val])


def _fit_binary(X: np.ndarray, y: np.ndarray, C: float, class_weight: str | None
                ) -> tuple[np.ndarray, float]:
    if y.min() == y.max():  # a label always (never) present: a constant logit
        return np.zeros(X.shape[1]), 12.0 if y[0] else -12.0
    lr = LogisticRegression(C=C, class_weight=class_weight, max_iter=2000)
    lr.fit(X, y)
    return lr.coef_[0], float(lr.intercept_[0])


class EmbeddingHead(ArrayState, ClassifierMixin, BaseEstimator):
    """Topics (multi-label) and sentiment from embedding rows.

    Args:
        labels: topic names, one per column of ``Y``; empty names them ``label_0``...
        C: inverse L2 strength of each topic's logistic regression.
        class_weight: passed to each topic's regression (``"balanced"`` for rare topics).
        val_fraction: share of rows held out to tune each topic's threshold (0: all 0.5).
        seed: seed of the validation split.
        sentiment_C: inverse L2 strength of the sentiment regression.
    """

    _array_attrs = ("coef_", "intercept_", "thresholds_")
    _optional_arrays = ("sentiment_coef_", "sentiment_intercept_")
    _json_attrs = ("labels_", "sentiment_classes_")
    sentiment_coef_: np.ndarray | None
    sentiment_intercept_: np.ndarray | None
    sentiment_classes_: tuple[str, ...] | None

    def __init__(self, *, labels: tuple[str, ...] = (), C: float = 2.0, class_weight: str | None = "balanced",
                 val_fraction: float = 0.25, seed: int = 0, sentiment_C: float = 2.0) -> None:
        self.labels = labels
        self.C = C
        self.class_weight = class_weight
        self.val_fraction = val_fraction
        self.seed = seed
        self.sentiment_C = sentiment_C

    def fit(self, X: np.ndarray, Y: np.ndarray, sentiment: np.ndarray | None = None) -> EmbeddingHead:
        """Fit on embeddings ``X`` (n, dim), topic matrix ``Y`` (n, labels) of 0/1, optional sentiment."""
        X = check_array(X, dtype=np.float64)
        Y = _check_targets(Y, X.shape[0])
        train, val = split_indices(X.shape[0], self.val_fraction, self.seed)
        self._set_topics(*self._fit_topics(X[train], Y[train]), self._names(Y.shape[1]))
        self.tune_thresholds(X[val], Y[val])
        self.coef_, self.intercept_ = self._fit_topics(X, Y)
        self.sentiment_coef_ = self.sentiment_intercept_ = self.sentiment_classes_ = None
        if sentiment is not None:
            self.fit_sentiment(X, sentiment)
        return self

    @classmethod
    def from_linear(cls, coef: np.ndarray, intercept: np.ndarray, **params: Any) -> EmbeddingHead:
        """A head whose topic logits are ``X @ coef.T + intercept`` (e.g. a fine-tuned layer)."""
        self = cls(**params)
        coef = np.asarray(coef, dtype=np.float64)
        self._set_topics(coef, np.asarray(intercept, dtype=np.float64), self._names(coef.shape[0]))
        self.sentiment_coef_ = self.sentiment_intercept_ = self.sentiment_classes_ = None
        return self

    def _names(self, n: int) -> tuple[str, ...]:
        names = tuple(self.labels) or tuple(f"label_{j}" for j in range(n))
        if len(names) != n:
            raise ValueError(f"{len(names)} labels given for {n} topic columns")
        return names

    def _set_topics(self, coef: np.ndarray, intercept: np.ndarray, names: tuple[str, ...]) -> None:
        self.coef_, self.intercept_ = coef, intercept
        self.thresholds_ = np.full(coef.shape[0], 0.5)
        self.labels_ = names
        self.n_features_in_ = coef.shape[1]

    def _fit_topics(self, X: np.ndarray, Y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        fits = [_fit_binary(X, Y[:, j], self.C, self.class_weight) for j in range(Y.shape[1])]
        return np.array([w for w, _ in fits]), np.array([b for _, b in fits])

    def tune_thresholds(self, X: np.ndarray, Y: np.ndarray) -> EmbeddingHead:
        """Set each topic's threshold to the F1-best on ``(X, Y)``; 0.5 where ``Y`` has no positive."""
        check_is_fitted(self, "coef_")
        if len(X) == 0:
            return self
        P = self.predict_proba(X)
        Y = _check_targets(Y, P.shape[0])
        self.thresholds_ = np.array([best_f1_threshold(Y[:, j], P[:, j]) if Y[:, j].any() else 0.5
                                     for j in range(Y.shape[1])])
        return self

    def fit_sentiment(self, X: np.ndarray, sentiment: np.ndarray) -> EmbeddingHead:
        """Fit the sentiment regression on ``X`` and labels such as ``neg``/``neu``/``pos``."""
        X = check_array(X, dtype=np.float64)
        y = np.asarray(sentiment).astype(str)
        classes = np.unique(y)
        if len(classes) < 2:
            raise ValueError(f"sentiment needs two classes or more, got {classes.tolist()}")
        lr = LogisticRegression(C=self.sentiment_C, class_weight="balanced", max_iter=2000).fit(X, y)
        coef, b = lr.coef_, lr.intercept_
        if len(classes) == 2:  # one logit: put it in softmax form
            coef, b = np.vstack([np.zeros_like(coef[0]), coef[0]]), np.array([0.0, b[0]])
        self.sentiment_coef_, self.sentiment_intercept_ = coef, b
        self.sentiment_classes_ = tuple(str(c) for c in lr.classes_)
        return self

    def decision_function(self, X: np.ndarray) -> np.ndarray:
        check_is_fitted(self, "coef_")
        return decision(check_array(X, dtype=np.float64), self.coef_, self.intercept_)

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """Per-topic probabilities, shape (n, labels)."""
        return sigmoid(self.decision_function(X))

    def predict(self, X: np.ndarray) -> np.ndarray:
        """0/1 topic matrix: probability at or above each topic's threshold."""
        return (self.predict_proba(X) >= self.thresholds_).astype(np.int64)

    def predict_labels(self, X: np.ndarray) -> list[tuple[str, ...]]:
        """The topic names predicted for each row."""
        return [tuple(n for n, on in zip(self.labels_, row) if on) for row in self.predict(X)]

    def predict_sentiment_proba(self, X: np.ndarray) -> np.ndarray:
        """Sentiment class probabilities, columns in ``sentiment_classes_`` order."""
        check_is_fitted(self, "coef_")
        if self.sentiment_coef_ is None or self.sentiment_intercept_ is None:
            raise NotFittedError("this head was fitted without sentiment labels")
        return softmax(decision(check_array(X, dtype=np.float64), self.sentiment_coef_,
                                self.sentiment_intercept_))

    def predict_sentiment(self, X: np.ndarray) -> np.ndarray:
        """The most probable sentiment class of each row."""
        P = self.predict_sentiment_proba(X)
        return np.asarray(self.sentiment_classes_)[P.argmax(axis=1)]

    # -- directory persistence -------------------------------------------------------
    def save(self, path: str | Path, *, overwrite: bool = False) -> Path:
        """Write ``head.json`` + ``head.npz`` into directory ``path`` atomically.

        Raises:
            OutputError: ``path`` exists and ``overwrite`` is false, or its parent is missing.
        """
        meta, arrays = self.to_state()
        return write_state_dir(path, meta, arrays, kind=HEAD_KIND, overwrite=overwrite)

    @classmethod
    def load(cls, path: str | Path) -> EmbeddingHead:
        """Load a head saved by :meth:`save`, checking kind, format and hash.

        Raises:
            ModelNotFoundError: no head at ``path``.
            IncompatibleModelError: another kind or format, or damaged files.
        """
        meta, arrays = read_state_dir(path, kind=HEAD_KIND)
        return cls.from_state(meta, arrays)


def _check_targets(Y: np.ndarray, n: int) -> np.ndarray:
    Y = np.asarray(Y)
    if Y.ndim != 2 or Y.shape[0] != n:
        raise ValueError(f"Y must be a (n_samples={n}, n_labels) 0/1 matrix, got shape {Y.shape}")
    return (Y > 0).astype(np.int64)


def write_state_dir(path: str | Path, meta: dict[str, Any], arrays: dict[str, np.ndarray], *,
                    kind: str, overwrite: bool = False) -> Path:
    """Save (meta, arrays) as ``head.json`` + ``head.npz`` in a new directory (temp dir + rename)."""
    dest = Path(path)
    if dest.exists() and not overwrite:
        raise OutputError(f"{dest} exists; pass overwrite=True (--overwrite) to replace it")
    if not dest.parent.is_dir():
        raise OutputError(f"parent directory {dest.parent} does not exist")
    with atomic_dir(dest) as tmp:
        np.savez_compressed(tmp / "head.npz", **arrays)  # type: ignore[arg-type]
        doc = {"kind": kind, "format_version": HEAD_FORMAT, "koubei_version": __version__,
               "state": meta, "files": {"head.npz": _sha256(tmp / "head.npz")}}
        (tmp / "head.json").write_text(json.dumps(doc, ensure_ascii=False, indent=1), encoding="utf-8")
    return dest


def read_state_dir(path: str | Path, *, kind: str) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """(meta, arrays) of a directory written by :func:`write_state_dir`, after its checks."""
    folder = Path(path)
    if not (folder / "head.json").is_file():
        raise ModelNotFoundError(f"no embedding head in {folder} (head.json missing)")
    try:
        doc = json.loads((folder / "head.json").read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as e:
        raise IncompatibleModelError(f"{folder / 'head.json'} is not valid JSON ({e})") from e
    if doc.get("kind") != kind or str(doc.get("format_version", "")).split(".")[0] != HEAD_FORMAT[0]:
        raise IncompatibleModelError(
            f"{folder}: a {doc.get('kind')!r} v{doc.get('format_version')}, not a {kind} v{HEAD_FORMAT}")
    npz = folder / "head.npz"
    if not npz.is_file() or _sha256(npz) != doc.get("files", {}).get("head.npz"):
        raise IncompatibleModelError(f"{folder}: head.npz is missing or does not match its hash")
    with np.load(npz, allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    return doc["state"], arrays


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()
