"""New kinds of complaint: clusters of negative reviews that no taxonomy topic covers.

A review is *uncovered* when the model calls it negative overall but marks no
topic negative: the customer is unhappy about something the taxonomy has no
name for. :class:`NovelClusterer` embeds such reviews (TF-IDF, or the model's
own embedder, reduced with truncated SVD and L2-normalized), clusters them
with HDBSCAN (no number of clusters up front; stray reviews stay noise) and
names each cluster by class-based TF-IDF over its jieba words (as BERTopic's
c-TF-IDF). :func:`find_novel` clusters the uncovered negatives of the current
window together with those of the baseline windows and reports each cluster
whose share of reviews grew (one-sided binomial test) as an issue row
(:data:`koubei.schema.ISSUE_COLUMNS`) with ``topic="novel"``.

    issues = find_novel(scored, freq="W")             # latest week vs the 8 before

:func:`novel_issues` is the same from the candidates and per-window totals
alone, which is how ``koubei emerging --engine dask`` runs it.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse, stats
from sklearn.base import BaseEstimator
from sklearn.cluster import HDBSCAN
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize as l2_normalize
from sklearn.utils.validation import check_is_fitted

from koubei.aggregate.stats import bh_qvalues
from koubei.aggregate.windows import window_label, window_range, window_start
from koubei.classify.linear import used_columns
from koubei.detect.hits import severity
from koubei.detect.quotes import mask_personal, shown_quote
from koubei.resources import corpora_path
from koubei.schema import ISSUE_COLUMNS, TOPIC_PREFIX, complaint_flags, countable, topic_ids
from koubei.text.clauses import clause_words
from koubei.text.normalize import MAX_REVIEW_CHARS, normalize
from koubei.text.segment import Segmenter, default_segmenter, load_stopwords

NOVEL_TOPIC = "novel"
NOVEL_ZH = "新问题"
NOVEL_COLUMNS: tuple[str, ...] = (*ISSUE_COLUMNS, "keywords")
#: clause clustering (:func:`clause_clusterer`), tuned on bench_novel's dev topics: fewest
#: distinct clauses in a cluster, HDBSCAN min_samples, SVD dimensions (at most one per
#: ROWS_PER_COMPONENT clauses)
MIN_CLAUSES = 5
MIN_SAMPLES: int | None = None
N_COMPONENTS = 50
ROWS_PER_COMPONENT = 10
#: word clusters of the clauses HDBSCAN leaves as noise (:func:`word_clusters`): a word held by more
#: than this share of the clauses (and more than MAX_WORD_FLOOR of them) is too common to name a kind
MAX_WORD_SHARE = 0.005
MAX_WORD_FLOOR = 25
_WORD = re.compile(r"[\u4e00-\u9fffA-Za-z]")
Mask = Callable[[str], str]


def uncovered(frame: pd.DataFrame) -> pd.Series:
    """Countable rows that are negative overall with no topic marked ``neg``.

    Args:
        frame: a scored frame (``status``, ``flags``, ``sentiment``, ``topic_<id>``).

    Returns:
        A boolean Series aligned with ``frame``.
    """
    neg_topic = pd.Series(False, index=frame.index)
    for t in topic_ids(frame):
        neg_topic |= frame[TOPIC_PREFIX + t].astype("string").fillna("").eq("neg").to_numpy()
    sentiment = frame["sentiment"].astype("string").fillna("")
    return (countable(frame) & sentiment.eq("neg") & ~neg_topic).astype(bool)


def complaint_rows(frame: pd.DataFrame) -> pd.Series:
    """Countable rows that complain: negative overall or with a topic marked ``neg``.

    Their clauses that no topic's cue covers are the candidates of new kinds
    of complaint (:class:`ClauseBook`): a review can complain about its taste
    (a known topic) and, in another clause, about something the taxonomy has
    no name for. A complaint is what :func:`koubei.schema.complaint_flags` counts.
    """
    return (countable(frame) & complaint_flags(frame).astype(bool)).astype(bool)


def generic_words_path() -> Path:
    """The shipped list of complaint words that name no subject (差, 失望, 垃圾...)."""
    return corpora_path("dict", "generic_complaints.txt")


def load_generic_words(path: str | None = None) -> frozenset[str]:
    """Generic complaint words, one per line; blank lines and ``#`` comments ignored (read as
    :func:`koubei.text.segment.load_stopwords` reads its list; a missing file: none)."""
    return load_stopwords(path or str(generic_words_path()))


class ClauseBook:
    """The uncovered complaint clauses of review texts, each text read once.

    A clause (:func:`koubei.text.clauses.clause_words`) is *uncovered*
    when it holds no cue word of any topic of ``cues`` (the taxonomy the
    reviews were scored with), no personal data (``电话138...``: contact
    details, not a complaint) and a content word that is neither a stopword
    nor a generic complaint word (差, 失望: they say the customer is unhappy,
    not about what). Clause texts are kept once (``texts``, their
    content words in ``tokens``); :meth:`of` gives a review text's clause ids.
    Texts already read are remembered, so a backfill over many windows reads
    each distinct text once.

    Args:
        cues: a :class:`koubei.classify.cues.CueMatcher` (``model.components.cues``);
            ``None``: no clause is covered.
        segmenter: jieba segmenter (``None``: the shipped dictionary).
        generic: generic complaint words (``None``: :func:`load_generic_words`).
    """

    def __init__(self, cues: Any = None, segmenter: Segmenter | None = None,
                 generic: frozenset[str] | None = None) -> None:
        self.cues = cues
        self.segmenter = segmenter or default_segmenter()
        self.generic = load_generic_words() if generic is None else generic
        self.stop = load_stopwords()
        self.texts: list[str] = []
        self.tokens: list[list[str]] = []
        self._ids: dict[str, int] = {}
        self._of: dict[str, tuple[int, ...]] = {}
        self._fitted: tuple[tuple[str, bytes], NovelClusterer] | None = None

    def of(self, text: str) -> tuple[int, ...]:
        """Ids (into ``texts``) of the uncovered clauses of one raw review text."""
        got = self._of.get(text)
        if got is None:
            self.read([text])
            got = self._of[text]
        return got

    def read(self, texts: Sequence[str]) -> list[tuple[int, ...]]:
        """:meth:`of` for many texts, the cue scan done once over the new clauses."""
        new = list(dict.fromkeys(t for t in texts if t not in self._of))
        per_text: list[list[tuple[str, list[str]]]] = []
        for text in new:
            norm = normalize((text or "")[:MAX_REVIEW_CHARS])
            found: list[tuple[str, list[str]]] = []
            for clause in clause_words(norm, self.segmenter):
                content = [w for w in clause if len(w) >= 2 and w not in self.stop
                           and w not in self.generic and _WORD.search(w)]
                joined = "".join(clause)
                if content and mask_personal(joined) == joined:  # contact data is no complaint
                    found.append((joined, content))
            per_text.append(found)
        flat = [c for found in per_text for c, _ in found]
        covered = (self.cues.counts(flat).sum(axis=1) > 0) if self.cues is not None and flat \
            else np.zeros(len(flat), dtype=bool)
        at = 0
        for text, found in zip(new, per_text):
            ids = []
            for clause_text, toks in found:
                if not covered[at]:
                    ids.append(self._id(clause_text, toks))
                at += 1
            self._of[text] = tuple(dict.fromkeys(ids))
        return [self._of[t] for t in texts]

    def clustered(self, clusterer: NovelClusterer, ids: np.ndarray) -> NovelClusterer:
        """``clusterer`` fitted on the clauses ``ids`` (in that order), or the copy fitted last
        time when that was on the same clauses with the same settings: consecutive windows
        of a backfill whose spans hold the same clauses cluster them once."""
        key = (repr(sorted(clusterer.get_params().items())), ids.tobytes())
        if self._fitted is None or self._fitted[0] != key:
            clusterer.fit([self.texts[i] for i in ids], tokens=[self.tokens[i] for i in ids])
            self._fitted = (key, copy.copy(clusterer))  # fit replaces, never mutates, its arrays
        return self._fitted[1]

    def _id(self, clause: str, tokens: list[str]) -> int:
        i = self._ids.get(clause)
        if i is None:
            i = self._ids[clause] = len(self.texts)
            self.texts.append(clause)
            self.tokens.append(tokens)
        return i


def keyword_tokens(text: str, segmenter: Segmenter | None = None,
                   stopwords: frozenset[str] | None = None) -> list[str]:
    """Content words of a raw text: jieba words of two or more characters holding a
    letter or Chinese character, stopwords (``corpora/dict/stopwords.txt``) removed."""
    seg = segmenter or default_segmenter()
    stop = load_stopwords() if stopwords is None else stopwords
    norm = normalize((text or "")[:MAX_REVIEW_CHARS])  # as the models read it
    words = seg.cut(norm) if norm else []
    return [w for w in words if len(w) >= 2 and w not in stop and _WORD.search(w)]


def _joined(tokens: list[str]) -> str:
    return " ".join(tokens)


def _space_split(s: str) -> list[str]:
    return s.split()


def class_tfidf(tokens: Sequence[Sequence[str]], labels: np.ndarray, n_keywords: int
                ) -> dict[int, list[str]]:
    """Top words per class by c-TF-IDF (BERTopic): ``tf(t, c) · log(1 + A / f(t))``.

    ``tf`` is the class's L1-normalized count of documents holding the word
    (each review counts a word once, so one long review cannot name a
    cluster), ``A`` the mean number of words per class and ``f(t)`` the
    word's count over every class. Noise (label -1) is a class too, so words
    common to all complaints are weighted down, but it gets no keywords.
    """
    classes = np.unique(labels)
    vocab = sorted({w for doc in tokens for w in doc})
    if not vocab:
        return {int(c): [] for c in classes if c >= 0}
    index = {w: i for i, w in enumerate(vocab)}
    rows: list[int] = []
    cols: list[int] = []
    for doc, lab in zip(tokens, labels):
        row = int(np.searchsorted(classes, lab))
        for w in set(doc):
            rows.append(row)
            cols.append(index[w])
    # sparse: a backfill's window holds thousands of clusters and tens of thousands of words
    counts = sparse.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(classes), len(vocab)))
    counts.sum_duplicates()
    sizes = np.asarray(counts.sum(axis=1)).ravel()
    idf = np.log(1 + sizes.mean() / np.maximum(np.asarray(counts.sum(axis=0)).ravel(), 1))
    out = {}
    for row, c in enumerate(classes):
        if c < 0:
            continue
        cols_c = counts.indices[counts.indptr[row]:counts.indptr[row + 1]]
        score = counts.data[counts.indptr[row]:counts.indptr[row + 1]] / max(sizes[row], 1) * idf[cols_c]
        order = np.lexsort((cols_c, -score))  # ties: alphabetical
        out[int(c)] = [vocab[j] for j in cols_c[order[:n_keywords]]]
    return out


class NovelClusterer(BaseEstimator):
    """Clusters of short texts with keywords, noise left out.

    Args:
        min_cluster_size: smallest cluster HDBSCAN keeps.
        min_samples: HDBSCAN's density parameter (``None``: ``min_cluster_size``).
        n_components: truncated-SVD dimensions (fewer when the data has fewer).
        n_keywords: keywords kept per cluster.
        embedder: a fitted embedder with ``transform(docs)`` over
            :class:`koubei.text.docs.Doc` (``model.components.embedder``);
            ``None`` fits a TF-IDF over the texts' content words and character
            bigrams.
        segmenter: jieba segmenter (``None``: the shipped dictionary).
        random_state: seed of the SVD.
        rows_per_component: at most one SVD dimension per this many texts (few texts,
            few dimensions: in as many dimensions as texts every text is far from every other).
        word_clusters: after HDBSCAN, group the noise texts that share a content word
            (:func:`word_clusters`).
        max_word_share: with ``word_clusters``, a word held by more than this share of all
            the texts (and more than ``max_word_floor`` of them) groups nothing.
        max_word_floor: see ``max_word_share``.

    Attributes:
        labels_: cluster of each text, -1 for noise.
        embedding_: the reduced, L2-normalized vectors.
        centrality_: cosine of each text to its cluster's centroid (0 for noise).
        keywords_: cluster → keywords, best first.
        n_clusters_: number of clusters.
    """

    def __init__(self, *, min_cluster_size: int = 5, min_samples: int | None = None,
                 n_components: int = 50, n_keywords: int = 5, embedder: Any = None,
                 segmenter: Segmenter | None = None, random_state: int = 0,
                 rows_per_component: int = 1, word_clusters: bool = False,
                 max_word_share: float = MAX_WORD_SHARE, max_word_floor: int = MAX_WORD_FLOOR) -> None:
        self.min_cluster_size = min_cluster_size
        self.min_samples = min_samples
        self.n_components = n_components
        self.n_keywords = n_keywords
        self.embedder = embedder
        self.segmenter = segmenter
        self.random_state = random_state
        self.rows_per_component = rows_per_component
        self.word_clusters = word_clusters
        self.max_word_share = max_word_share
        self.max_word_floor = max_word_floor

    def fit(self, texts: Sequence[Any], y: Any = None,
            tokens: Sequence[list[str]] | None = None) -> NovelClusterer:
        """Embed, reduce, cluster and name ``texts`` (raw strings or prepared Docs);
        ``tokens``: their content words when the caller has them (:class:`ClauseBook`)."""
        raw = [t if isinstance(t, str) else t.norm for t in texts]
        tokens = [keyword_tokens(t, self.segmenter) for t in raw] if tokens is None else list(tokens)
        self.embedding_ = self._embed(texts, raw, tokens)
        self.labels_ = self._cluster(self.embedding_)
        if self.word_clusters:
            most = max(self.max_word_floor, int(self.max_word_share * len(raw)))
            self.labels_ = word_clusters(self.labels_, tokens, self.min_cluster_size, most,
                                         load_generic_words())
        self.centrality_ = _centrality(self.embedding_, self.labels_)
        self.keywords_ = class_tfidf(tokens, self.labels_, self.n_keywords)
        self.n_clusters_ = int(self.labels_.max() + 1) if len(self.labels_) else 0
        return self

    def fit_predict(self, texts: Sequence[Any], y: Any = None) -> np.ndarray:
        """``fit`` and return ``labels_``."""
        return self.fit(texts).labels_

    def central(self, cluster: int, n: int | None = None) -> np.ndarray:
        """Indices of a cluster's members, most central first."""
        check_is_fitted(self, "labels_")
        idx = np.flatnonzero(self.labels_ == cluster)
        order = np.lexsort((idx, -self.centrality_[idx]))
        return idx[order][:n]

    def _embed(self, texts: Sequence[Any], raw: list[str], tokens: list[list[str]]) -> np.ndarray:
        if len(raw) == 0:
            return np.zeros((0, 0))
        X = self._features(texts, raw, tokens)
        if sparse.issparse(X):  # the model's vocabulary has 240k columns, a window's texts use a few
            X = X[:, used_columns(X)]  # thousand: the SVD's cost grows with the columns
        k = min(self.n_components, X.shape[1] - 1, X.shape[0] - 1,
                max(2, X.shape[0] // self.rows_per_component))
        if k >= 2:
            X = TruncatedSVD(k, random_state=self.random_state).fit_transform(X)
        dense = X.toarray() if sparse.issparse(X) else np.asarray(X)
        return l2_normalize(dense)

    def _features(self, texts: Sequence[Any], raw: list[str], tokens: list[list[str]]
                  ) -> sparse.csr_matrix:
        if self.embedder is not None:
            from koubei.text.docs import prepare_many

            docs = texts if not isinstance(texts[0], str) else prepare_many(raw, self.segmenter)
            return self.embedder.transform(list(docs))
        words = TfidfVectorizer(analyzer=_space_split, sublinear_tf=True, lowercase=False)
        chars = TfidfVectorizer(analyzer="char", ngram_range=(2, 2), sublinear_tf=True,
                                min_df=2 if len(raw) >= 20 else 1, lowercase=False)
        joined = [_joined(t) for t in tokens]
        parts = [_fit_or_empty(words, joined, len(raw)), _fit_or_empty(chars, joined, len(raw))]
        return sparse.hstack(parts, format="csr")

    def _cluster(self, Z: np.ndarray) -> np.ndarray:
        if len(Z) < max(self.min_cluster_size, 2):
            return np.full(len(Z), -1, dtype=int)
        hdb = HDBSCAN(min_cluster_size=self.min_cluster_size, min_samples=self.min_samples,
                      copy=True)
        return _renumber(hdb.fit_predict(Z))


def word_clusters(labels: np.ndarray, tokens: Sequence[Sequence[str]], min_size: int, most: int,
                  generic: frozenset[str] = frozenset()) -> np.ndarray:
    """``labels`` with the noise (-1) texts that share a content word grouped into new clusters.

    Density clustering leaves most complaint clauses as noise: a kind of complaint is
    said in many ways, and most of its clauses are distinct (0.5 % of a window's
    clauses or fewer hold the same content word). Here a word that at least
    ``min_size`` noise texts hold, and at most ``most`` texts in all (a word in
    more is common to complaints of every kind: 可以, 比较, a shop's own name; in a
    small window the caller's floor on ``most`` lets such a word through)
    and is no ``generic`` complaint word (太差, 不会: :func:`load_generic_words`),
    takes those noise texts as a cluster; words are taken the most widely held
    first, each text goes to the first word that takes it, and a word left with
    fewer than ``min_size`` untaken texts takes none. Clusters are renumbered by size.
    """
    out = labels.copy()
    noise = [int(i) for i in np.flatnonzero(labels < 0)]
    if not noise or len(noise) < min_size:
        return out
    held: dict[str, list[int]] = {}
    for i in noise:
        for w in dict.fromkeys(tokens[i]):
            held.setdefault(w, []).append(i)
    df = Counter(w for doc in tokens for w in set(doc))
    first = nxt = int(labels.max()) + 1
    for w in sorted(held, key=lambda w: (-len(held[w]), w)):
        if len(held[w]) < min_size:
            break
        if df[w] > most or w in generic:
            continue
        free = [i for i in held[w] if out[i] < 0]
        if len(free) >= min_size:
            out[free] = nxt
            nxt += 1
    return _renumber(out) if nxt > first else out


def _fit_or_empty(vec: TfidfVectorizer, docs: list[str], n: int) -> sparse.csr_matrix:
    try:
        return vec.fit_transform(docs).tocsr()
    except ValueError:  # empty vocabulary (texts with no content words)
        return sparse.csr_matrix((n, 0))


def _renumber(labels: np.ndarray) -> np.ndarray:
    """Clusters numbered by size (largest 0), ties by first member; noise stays -1."""
    out = np.full(len(labels), -1, dtype=int)
    ids, first, inverse, sizes = np.unique(labels, return_index=True, return_inverse=True, return_counts=True)
    order = np.lexsort((first, -sizes))
    rank = np.empty(len(ids), dtype=int)
    rank[order[ids[order] >= 0]] = np.arange(int((ids >= 0).sum()))
    kept = labels >= 0
    out[kept] = rank[inverse.reshape(-1)[kept]]
    return out


def _centrality(Z: np.ndarray, labels: np.ndarray) -> np.ndarray:
    out = np.zeros(len(labels))
    for c in np.unique(labels):
        if c < 0:
            continue
        m = labels == c
        centroid = Z[m].mean(axis=0)
        out[m] = Z[m] @ (centroid / max(np.linalg.norm(centroid), 1e-12))
    return out


# -- growth test and issue rows ---------------------------------------------------------

def growth_pvalue(count: int, total: int, base_count: int, base_total: int) -> float:
    """One-sided P(X ≥ count), X ~ Binomial(total, p0), p0 the baseline rate smoothed
    as ``(base_count + 0.5) / (base_total + 1)`` so an empty baseline still tests."""
    if count <= 0 or total <= 0:
        return 1.0
    p0 = (base_count + 0.5) / (base_total + 1)
    return float(stats.binom.sf(count - 1, total, min(p0, 1.0)))


def novel_issue_id(keywords: Sequence[str]) -> str:
    """Id of a new-kind cluster: ``KB-`` + sha1 of ``novel`` and its 3 top keywords, sorted."""
    raw = json.dumps([NOVEL_TOPIC, sorted(keywords[:3])], ensure_ascii=False)
    return "KB-" + hashlib.sha1(raw.encode("utf-8")).hexdigest()[:10]


def find_novel(frame: pd.DataFrame, *, freq: str = "W", windows: pd.Series | None = None,
               current: pd.Timestamp | None = None, baseline_windows: int = 8,
               model: Any = None, min_size: int = 5, max_q: float = 0.05, min_lift: float = 1.5,
               clusterer: NovelClusterer | None = None, book: ClauseBook | None = None,
               mask: bool | Mask = True, n_quotes: int = 3) -> pd.DataFrame:
    """Growing clusters of uncovered complaint clauses, as issue rows.

    Args:
        frame: a scored frame (``koubei.aggregate.scored.load_scored``) with
            ``text``, ``review_id`` and ``time`` (or ``windows``).
        freq: window length D, W or M (labels and, without ``windows``, windows).
        windows: each row's window start (aligned with ``frame``; NaT = none);
            default ``window_start(frame["time"], freq)``.
        current: start of the window tested (default: the latest one).
        baseline_windows: windows before ``current`` clustered with it and
            pooled as the baseline rate.
        model: a loaded ``ReviewModel``: its taxonomy's cues say which clauses a
            known topic covers, its segmenter cuts them; ``None``: the shipped one.
        min_size: fewest current-window reviews to report.
        max_q: Benjamini–Hochberg q over the clusters tested, at most.
        min_lift: current rate / baseline rate, at least.
        clusterer: a configured :class:`NovelClusterer` (default: :func:`clause_clusterer`).
        book: a :class:`ClauseBook` (overrides ``model`` for the clauses; reuse one
            across windows so each text is read once).
        mask: mask personal data in quotes (``True``: ``koubei.detect.quotes.mask_personal``),
            or a function text → text.
        n_quotes: quotes per issue, most central first.

    Returns:
        One row per growing cluster, ``NOVEL_COLUMNS`` (the issue columns plus
        ``keywords``), by severity; empty (with the columns) when there is nothing.
    """
    wins = window_start(frame["time"], freq) if windows is None else pd.Series(windows, index=frame.index)
    ok = countable(frame) & wins.notna()
    cand = (complaint_rows(frame) & ok).to_numpy()
    return novel_issues(frame.loc[cand], wins[cand], wins[ok].value_counts(), freq=freq, current=current,
                        baseline_windows=baseline_windows, model=model, min_size=min_size, max_q=max_q,
                        min_lift=min_lift, clusterer=clusterer, book=book, mask=mask, n_quotes=n_quotes)


def clause_book(model: Any = None) -> ClauseBook:
    """A :class:`ClauseBook` with the cues and segmenter of ``model`` (``None``: the shipped one)."""
    model = model or _shipped_model()
    return ClauseBook(model.components.cues, model.segmenter)


def _shipped_model() -> Any:
    from koubei.model.review_model import load_model

    return load_model()


def clause_clusterer(segmenter: Segmenter | None = None) -> NovelClusterer:
    """The clusterer of complaint clauses: TF-IDF over their content words and character
    bigrams, reduced to at most :data:`N_COMPONENTS` dimensions (one per
    :data:`ROWS_PER_COMPONENT` clauses), HDBSCAN with clusters of at least
    :data:`MIN_CLAUSES` distinct clauses, then word clusters of the clauses it leaves as noise
    (:func:`word_clusters`)."""
    return NovelClusterer(min_cluster_size=MIN_CLAUSES, min_samples=MIN_SAMPLES, n_components=N_COMPONENTS,
                          rows_per_component=ROWS_PER_COMPONENT, segmenter=segmenter, random_state=0,
                          word_clusters=True)


def novel_issues(candidates: pd.DataFrame, windows: pd.Series, totals: pd.Series, *, freq: str = "W",
                 current: pd.Timestamp | None = None, baseline_windows: int = 8, model: Any = None,
                 min_size: int = 5, max_q: float = 0.05, min_lift: float = 1.5,
                 clusterer: NovelClusterer | None = None, book: ClauseBook | None = None,
                 mask: bool | Mask = True, n_quotes: int = 3) -> pd.DataFrame:
    """:func:`find_novel` from the candidates and the window totals alone.

    The result depends on the other rows only through ``totals``, so the
    candidates can be picked part by part (:func:`koubei.detect.evidence.novel_rows`)
    and the totals taken from counts.

    Args:
        candidates: the complaint rows with a window (:func:`complaint_rows`), in
            row order, with ``review_id`` and ``text``; rows outside the windows tested are ignored.
        windows: their window starts (aligned with ``candidates``).
        totals: countable reviews per window start, every window with reviews (windows
            without any may be left out or hold 0).
        The rest: as :func:`find_novel`.
    """
    seen = totals[totals > 0]
    if seen.empty:
        return _empty()
    cur = pd.Timestamp(current) if current is not None else seen.index.max()
    span = baseline_span(seen.index.min(), cur, freq, baseline_windows)
    in_span = windows.isin(span).to_numpy()
    cand, wins = candidates.loc[in_span], windows.loc[in_span]
    if len(cand) == 0 or not (wins == cur).any():
        return _empty()
    book = book or clause_book(model)
    codes, uniq = pd.factorize(cand["text"].astype(str), sort=False)
    incidence = _incidence(book.read(list(uniq)), len(book.texts))  # distinct texts x clauses
    used = used_columns(incidence)
    if len(used) == 0:
        return _empty()
    # by text, not by id: ids follow the order the book met the clauses (one window, every window, a
    # Dask partition first...), and the SVD and HDBSCAN depend on the order of their rows
    used = used[np.argsort(np.array([book.texts[i] for i in used], dtype=object), kind="stable")]
    cl = book.clustered(clusterer or clause_clusterer(book.segmenter), used)
    ctx = _Context(cand, wins, totals[totals.index.isin(span)], cur, span, freq, _mask_fn(mask), n_quotes)
    rows = []
    for c in range(cl.n_clusters_):
        member, central = _members(incidence, codes, used, cl, c)
        rows.append(ctx.row(member, central, cl.keywords_.get(c, [])))
    rows = [r for r in rows if r["count"] >= min_size and r["lift"] >= min_lift]
    if not rows:
        return _empty()
    out = pd.DataFrame(rows)
    out["q_value"] = bh_qvalues(out["p_value"].to_numpy())
    out = out[out["q_value"] <= max_q].copy()
    out["severity"] = [_severity(r) for r in out.itertuples()]
    return out.sort_values("severity", ascending=False, kind="stable")[list(NOVEL_COLUMNS)] \
        .reset_index(drop=True)


def _incidence(per_text: list[tuple[int, ...]], n_clauses: int) -> sparse.csr_matrix:
    """Texts x clause ids, 1 where the text holds the clause."""
    lens = np.fromiter((len(p) for p in per_text), dtype=np.int64, count=len(per_text))
    cols = np.fromiter((i for p in per_text for i in p), dtype=np.int64, count=int(lens.sum()))
    indptr = np.concatenate([[0], np.cumsum(lens)])
    return sparse.csr_matrix((np.ones(len(cols)), cols, indptr), shape=(len(per_text), n_clauses))


def _members(incidence: sparse.csr_matrix, codes: np.ndarray, used: np.ndarray, cl: NovelClusterer,
             c: int) -> tuple[np.ndarray, np.ndarray]:
    """Candidate rows holding a clause of cluster ``c``, and each row's best clause centrality."""
    col = np.zeros(incidence.shape[1])
    inside = cl.labels_ == c
    col[used[inside]] = cl.centrality_[inside] + 2.0  # > 0 even for a clause at -1 cosine
    best = incidence.multiply(col[None, :]).max(axis=1).toarray().ravel()[codes] - 2.0
    member = np.flatnonzero(best > -2.0)
    return member, best[member]


def _empty() -> pd.DataFrame:
    return _EMPTY.copy()


_EMPTY = pd.DataFrame({c: pd.Series(dtype=object) for c in NOVEL_COLUMNS})


def baseline_span(first: pd.Timestamp, cur: pd.Timestamp, freq: str, n: int) -> list[pd.Timestamp]:
    """The window ``cur`` and the ``n`` before it, none before the data's ``first`` window."""
    starts = list(window_range(min(first, cur), cur, freq))
    return starts[-(n + 1):]


def _embedder(model: Any) -> Any:
    return None if model is None else model.components.embedder


def _segmenter(model: Any) -> Segmenter | None:
    return None if model is None else model.segmenter


def _mask_fn(mask: bool | Mask) -> Mask | None:
    if callable(mask):
        return mask
    return mask_personal if mask else None


def _severity(r: Any) -> float:
    return severity(max(r.count - r.expected, 0.0), r.lift, r.q_value)


class _Context:
    """What the row builder needs: the candidates, their windows and the window totals."""

    def __init__(self, cand: pd.DataFrame, wins: pd.Series, totals: pd.Series, cur: pd.Timestamp,
                 span: list[pd.Timestamp], freq: str, mask: Mask | None, n_quotes: int) -> None:
        self.cur, self.span, self.freq = cur, span, freq
        self.mask, self.n_quotes = mask, n_quotes
        self.cand_win = pd.DatetimeIndex(wins).as_unit("ns").asi8  # no Timestamp objects to compare
        self.cur_ns = pd.Timestamp(cur).value
        self.span_ns = np.array([pd.Timestamp(w).value for w in span], dtype=np.int64)
        self.totals = totals
        self.review_ids = cand["review_id"].astype(str).to_numpy()
        self.texts = cand["text"].astype(str).to_numpy()

    def row(self, member: np.ndarray, centrality: np.ndarray, kw: list[str]) -> dict[str, Any]:
        """The issue row of a cluster: ``member`` its candidate rows, ``centrality`` theirs."""
        wins = self.cand_win[member]
        now = member[wins == self.cur_ns]
        k, n = len(now), int(self.totals.get(self.cur, 0))
        base_k, base_n = len(member) - k, int(self.totals.sum()) - n
        p0 = (base_k + 0.5) / (base_n + 1)  # smoothed: an empty baseline still compares
        label = str(window_label(self.cur, self.freq))
        per_window = (wins[:, None] == self.span_ns[None, :]).sum(axis=0)
        trend = [{"window": str(window_label(w, self.freq)), "count": int(c),
                  "total": int(self.totals.get(w, 0))} for w, c in zip(self.span, per_window)]
        ranked = member[np.lexsort((member, -centrality))]
        central = ranked[self.cand_win[ranked] == self.cur_ns].tolist()
        return {
            "issue_id": novel_issue_id(kw), "topic": NOVEL_TOPIC, "topic_zh": NOVEL_ZH,
            "direction": "", "dimension": "", "level": "", "cell": "{}", "cell_label": "全部",
            "freq": str(self.freq), "window": label, "window_start": self.cur,
            "count": k, "total": n, "rate": k / n if n else 0.0, "baseline_rate": p0,
            "expected": n * p0, "lift": (k / n) / p0 if n else 0.0,
            "test": "spike", "p_value": growth_pvalue(k, n, base_k, base_n), "q_value": np.nan,
            "severity": np.nan, "first_window": next((t["window"] for t in trend if t["count"]), label),
            "trend": json.dumps(trend, ensure_ascii=False), "trace": "[]",
            "summary": f"{NOVEL_ZH}: {'/'.join(kw[:3])} — {k} 条 (基线 {n * p0:.1f})",
            "quotes": json.dumps(self._quotes(central), ensure_ascii=False),
            "review_ids": json.dumps([str(self.review_ids[i]) for i in now], ensure_ascii=False),
            "keywords": json.dumps(kw, ensure_ascii=False),
        }

    def _quotes(self, rows: list[int]) -> list[str]:
        out: list[str] = []
        seen: set[str] = set()
        for i in rows:
            text = " ".join(self.texts[i].split())
            key = normalize(text)
            if not key or key in seen:
                continue
            seen.add(key)
            out.append(shown_quote(text, mask=self.mask or False))
            if len(out) == self.n_quotes:
                break
        return out
