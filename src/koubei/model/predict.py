"""Batch prediction: prepared docs in, per-review labels out.

All reviews of a batch and all their clauses are embedded in two sparse
matrix products; the per-topic work is then cheap array indexing.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
from scipy import sparse

from koubei.classify.cues import CueMatcher
from koubei.classify.lexicon import MEASURES, PAST_PAD, Evidence, PolarityLexicon, evidence_features
from koubei.classify.linear import WithDense, sigmoid
from koubei.classify.opinions import JOINERS, MAX_CHARS, best_opinion, with_degree
from koubei.classify.polarity import TopicPolarityClassifier, pair_features
from koubei.classify.sentiment import SentimentClassifier
from koubei.classify.taste import COMPLEMENTS, TasteDirector
from koubei.classify.taste_head import TasteDirectionHead, direction_features
from koubei.classify.topics import TopicDetector, TopicPass
from koubei.embed.hybrid import HybridEmbedder
from koubei.embed.tfidf import TfidfEmbedder
from koubei.embed.wordvec import DenseView
from koubei.taxonomy import Taxonomy
from koubei.text.clauses import CONTRAST_WORDS, has_negator, rarely_said
from koubei.text.docs import Doc, without_negation

#: words of relief just before a cue make it no complaint (点的微辣，还好不辣): the
#: customer is glad of it
RELIEF = ("还好", "幸好", "好在", "幸亏", "庆幸")
#: at most this many characters between the word of relief and the cue (还好真的不辣)
RELIEF_WINDOW = 3

#: characters between a lexicon phrase and the opinion phrase after it that still join them
#: (没有以前[那么]贵)
LEXICON_REACH = 3

#: a taste cue that ``detects_topic`` adds no taste topic where the detector's best
#: clause puts taste below this probability (a review plainly about something else: 洗完头发很油)
TASTE_CUE_FLOOR = 0.02
#: ...unless the cue is this long: 糖放太多 or 甜得发腻 says taste whatever the detector reads
#: (it gave 糖放太多了 a taste probability of 0.0002: the labelled reviews rarely name sugar)
TASTE_CUE_SURE = 4

#: a detected topic whose best clause, read alone, gives it less than this probability
#: and whose cues the review does not hold is "borrowed" (see :func:`drop_borrowed`)...
BORROWED_BELOW = 0.5
#: ...and is dropped where another detected topic has a clause at least this sure
PLAIN_AT = 0.85
#: a clause of a mention that the sentiment model reads this much further the other way than
#: the mention's clause it reads most its way is not quoted for it (see :func:`_describe`):
#: 酒店位置不错 (P(pos) 0.61) beside 房间隔音太差 (0.02) for a negative environment; not
#: 分量足 (0.49, a word the sentiment model hardly knows) beside 辣度正好 (0.86)
OTHER_WAY = 0.5


@dataclass
class Prediction:
    """What the model says about one review.

    Attributes:
        sentiment: overall sentiment, ``pos``, ``neu`` or ``neg``.
        sentiment_score: P(pos), 0-1.
        topics: polarity per topic mentioned (``{"taste": "neg"}``); topics not mentioned are absent.
        taste_detail: directions of a negative taste mention (``["too_bland"]``).
        opinions: opinion phrases, ``中文topic:phrase`` (``口味:太淡``).
    """

    sentiment: str
    sentiment_score: float
    topics: dict[str, str] = field(default_factory=dict)
    taste_detail: list[str] = field(default_factory=list)
    opinions: list[str] = field(default_factory=list)


def side_width(taxonomy: Taxonomy, dense: DenseView | None) -> int:
    """Columns after the embedding in a topic detector's features: one cue count per topic, then
    the word vectors' dimensions (:attr:`Components.side_features`)."""
    return len(taxonomy.topics) + (0 if dense is None else dense.dim)


@dataclass
class Components:
    """The fitted parts of a model; ``ReviewModel`` wraps them with a taxonomy and manifest."""

    taxonomy: Taxonomy
    embedder: TfidfEmbedder | HybridEmbedder  # hybrid: TF-IDF + a transformer encoder
    sentiment: SentimentClassifier
    topics: TopicDetector
    polarity: TopicPolarityClassifier
    context_threshold: float = 0.5
    #: word vectors read off the TF-IDF rows (topic and polarity features); None in
    #: models trained without them
    dense: DenseView | None = None
    #: clause-level polarity evidence that overrules the polarity head where it is
    #: one-sided (:mod:`koubei.classify.lexicon`); None in models saved without one
    lexicon: PolarityLexicon | None = None
    #: taste directions learnt from labelled taste details (:mod:`koubei.classify.taste_head`);
    #: None in models trained without them, whose directions come from the rules alone
    directions: TasteDirectionHead | None = None

    def __post_init__(self) -> None:
        self.cues = CueMatcher(self.taxonomy)
        self.detect_words = CueMatcher(self.taxonomy, "detects", self.taxonomy.detects_exclude)
        self.taste = TasteDirector(self.taxonomy, self.lexicon.past_as_denial if self.lexicon else None)

    def detected_words(self, texts: list[str]) -> np.ndarray:
        """Which ``texts`` hold one of which topic's taxonomy ``detects`` words, said or denied,
        a comparison that falls short of the past read as a denial (没上次脆: 不脆); and for
        the taste topic, a taxonomy seasoning phrase of :data:`TASTE_CUE_SURE` characters or
        more, said or denied (盐放得太重, 没有放太多盐, 盐都没放: :meth:`TasteDirector.seasoned`;
        not 油太多 of 出油太多, a face's oil)."""
        read = texts if self.lexicon is None else [self.lexicon.past_as_denial(t) for t in texts]
        found = self.detect_words.counts(read) > 0
        taste = self.taxonomy.taste_topic
        if taste in self.taxonomy.topic_ids and self.taste.has_seasonings:
            found[:, self.taxonomy.topic_ids.index(taste)] |= np.fromiter(
                (self.taste.seasoned(t, TASTE_CUE_SURE) for t in texts), dtype=bool, count=len(texts))
        return found

    def encode(self, docs: list[Doc]) -> Encoding:
        """``docs`` and their clauses as the fitted parts read them (see :class:`Encoding`)."""
        return Encoding(self, docs)

    def topic_features(self, X: sparse.csr_matrix, texts: list[str],
                       cue_counts: np.ndarray | None = None) -> WithDense:
        """Topic features: the embedding, then its word-vector view (if any) and the
        taxonomy's cue evidence as dense side columns (the topic detector's passthrough).
        ``cue_counts``: ``cues.counts(texts)``, when the caller has it. Fitting reads
        the same columns as one sparse matrix (``WithDense.tocsr``)."""
        side = [self.cues.matrix(texts, cue_counts).toarray()]
        if self.dense is not None:
            side.insert(0, self.dense.transform(X))
        return WithDense(sparse.csr_matrix(X), np.hstack(side).astype(np.float32))

    @property
    def side_features(self) -> int:
        """Columns after the embedding in :meth:`topic_features` (kept as they are by the topic detector)."""
        return side_width(self.taxonomy, self.dense)


class Encoding:
    """A batch of docs and their clauses as every part of a model reads them: one pass, each
    part computed on first use and kept.

    Attributes:
        docs: the reviews; ``texts`` their normalized texts.
        clauses: every clause of every review (a review with none stands for itself, see
            :func:`clause_index`), ``owner`` the review of each, ``clause_texts`` their texts.
    """

    def __init__(self, c: Components, docs: list[Doc]) -> None:
        self.components = c
        self.docs = docs
        self.texts = [d.norm for d in docs]
        self.clauses, self.owner = clause_index(docs)
        self.clause_texts = [d.norm for d in self.clauses]

    @cached_property
    def X(self) -> sparse.csr_matrix:
        """The reviews' embedding."""
        return self.components.embedder.transform(self.docs)

    @cached_property
    def Xc(self) -> sparse.csr_matrix:
        """The clauses' embedding."""
        return self.components.embedder.transform(self.clauses)

    @cached_property
    def clause_cues(self) -> np.ndarray:
        """Each clause's cue count per topic (``cues.counts``)."""
        return self.components.cues.counts(self.clause_texts)

    @property
    def cued(self) -> np.ndarray:
        """Which clauses hold a cue of which topic."""
        return self.clause_cues > 0

    @cached_property
    def named(self) -> np.ndarray:
        """Which clauses hold one of which topic's taxonomy ``detects`` words (受潮: freshness)."""
        return self.components.detected_words(self.clause_texts)

    @cached_property
    def review_cues(self) -> np.ndarray:
        """Each review's cue count per topic (``cues.counts``): its topic features, and
        :func:`drop_borrowed`, read them."""
        return self.components.cues.counts(self.texts)

    @cached_property
    def features(self) -> WithDense:
        """The reviews' topic features (:meth:`Components.topic_features`)."""
        return self.components.topic_features(self.X, self.texts, self.review_cues)

    @cached_property
    def clause_features(self) -> WithDense:
        """The clauses' topic features."""
        return self.components.topic_features(self.Xc, self.clause_texts, self.clause_cues)

    def topic_pass(self, detector: TopicDetector | None = None) -> TopicPass:
        """``detector``'s (default: the model's own) topic pass over the reviews and their clauses."""
        det = self.components.topics if detector is None else detector
        return det.topic_pass(self.features, self.clause_features, self.owner)


def clause_index(docs: list[Doc]) -> tuple[list[Doc], np.ndarray]:
    """All clauses of all docs (a doc with none stands for itself) and their owners."""
    clauses, owner = [], []
    for i, d in enumerate(docs):
        parts = d.clauses or [d]
        clauses.extend(parts)
        owner.extend([i] * len(parts))
    return clauses, np.asarray(owner, dtype=np.int64)


def clause_spans(owner: np.ndarray, n: int) -> list[range]:
    """The clause rows of each of ``n`` reviews (``owner``: each clause's review, ascending)."""
    starts = np.searchsorted(owner, np.arange(n))
    ends = np.searchsorted(owner, np.arange(n), side="right")
    return [range(int(a), int(b)) for a, b in zip(starts, ends)]


def topic_contexts(c: Components, enc: Encoding, topic_sets: list[list[int]],
                   Pc: np.ndarray) -> list[list[list[int]]]:
    """For each review and each of its topics, the clause rows that speak of it.

    A clause speaks of a topic when it holds one of the topic's cues or
    ``detects`` words (for the taste topic, a taste direction that detects it too:
    the polarity of 糖放太多了。不过物流很快 is read off its first clause), or the topic
    model, applied to the clause alone, says so; failing all, the clause the topic
    model likes best.

    "Says so" is the first-stage clause probability against
    ``context_threshold``, the rule the polarity head was trained with; the
    topic's decision threshold is on another scale (the calibrated, stacked
    review-level probability) and is not used here. ``Pc``: first-stage clause
    probabilities (:attr:`TopicPass.clause_proba`).
    """
    cued = enc.cued | enc.named
    taste = c.taxonomy.topic_ids.index(c.taxonomy.taste_topic) if c.taxonomy.taste_topic else -1
    out = []
    for tset, rows in zip(topic_sets, clause_spans(enc.owner, len(enc.docs))):
        per_topic = []
        for j in tset:
            sel = [r for r in rows if Pc[r, j] >= c.context_threshold or cued[r, j]
                   or (j == taste and _names_taste(c, enc.clause_texts[r]))]
            if not sel:
                sel = [max(rows, key=lambda r: Pc[r, j])]
            per_topic.append(sel)
        out.append(per_topic)
    return out


def context_matrix(Xc: sparse.csr_matrix, groups: list[list[int]]) -> sparse.csr_matrix:
    """Row-wise sum of the clause rows in each group, L2-normalized."""
    indptr = np.cumsum([0] + [len(g) for g in groups])
    indices = np.fromiter((r for g in groups for r in g), dtype=np.int64, count=int(indptr[-1]))
    S = sparse.csr_matrix((np.ones(len(indices), dtype=np.float32), indices, indptr),
                          shape=(len(groups), Xc.shape[0]))
    M = (S @ Xc).tocsr()
    norms = np.sqrt(np.asarray(M.multiply(M).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    return sparse.diags(1.0 / norms).dot(M).tocsr()


def predict_docs(c: Components, docs: list[Doc], topic_sets: list[list[int]] | None = None
                 ) -> list[Prediction]:
    """Predict every review of a batch.

    Args:
        c: fitted components.
        docs: prepared reviews.
        topic_sets: force the topics of each review (used when training the
            polarity head on gold topics); ``None`` detects them.
    """
    if not docs:
        return []
    enc = c.encode(docs)
    X, texts, clauses, owner, clause_texts = enc.X, enc.texts, enc.clauses, enc.owner, enc.clause_texts
    z_rev = c.sentiment.pooled_decision(X)  # what the polarity head was trained on
    z = c.sentiment.decision_function(X, pooled=z_rev)
    p_pos = sigmoid(z)
    evidence = None if c.lexicon is None else c.lexicon.evidence_many(texts)
    labels = c.sentiment.label_rows(X, z_rev, z, None if evidence is None else evidence_features(evidence))
    tpass = enc.topic_pass()
    if topic_sets is None:
        topic_sets = detect_topics(c, enc, tpass)
    ctx = topic_contexts(c, enc, topic_sets, tpass.clause_proba)
    spans = clause_spans(owner, len(docs))
    alone = after_contrast(enc, ctx, spans)
    pol = decisive_taste_cues(c, _polarities(c, X, enc.Xc, ctx, topic_sets, z_rev, alone), ctx, topic_sets,
                              clause_texts)
    # last: 一点也不咸 is praise, not too bland; unless what goes on says still bad
    pol = settle_by_lexicon(c, pol, ctx, clause_texts, topic_sets, enc.named)
    pol = still_as_bad(c, pol, ctx, clause_texts, spans)
    # a mention read off several clauses quotes one that agrees with it (see _describe)
    clause_pos = (sigmoid(c.sentiment.pooled_decision(enc.Xc))
                  if any(len(rows) > 1 for per in ctx for rows in per) else None)
    preds = []
    k = 0
    for i, tset in enumerate(topic_sets):
        tp = {}
        for j in tset:
            tp[c.taxonomy.topics[j].id] = pol[k]
            k += 1
        label = str(labels[i])
        if evidence is not None:
            label = slang_sentiment(settled_sentiment(label, evidence[i], tp), evidence[i], len(spans[i]), tp)
        label = one_clause_sentiment(label, len(spans[i]), tp, None if evidence is None else evidence[i],
                                     texts[i])
        label = conceded_sentiment(c.lexicon, label, clause_texts, spans[i], ctx[i], tp)
        if tset and verdicts_only(c, texts[i]):
            tp, tset = {}, []
        pred = Prediction(sentiment=label,
                          sentiment_score=round(float(p_pos[i]), 4), topics=tp)
        _describe(c, pred, tset, ctx[i], clauses[spans[i].start:spans[i].stop], spans[i].start, clause_pos)
        preds.append(pred)
    if c.directions is not None:  # learnt directions replace the rules' (see taste_head)
        mentions = [i for i, p in enumerate(preds) if p.topics.get(c.taxonomy.taste_topic or "") == "neg"]
        if mentions:
            rules = [preds[i].taste_detail for i in mentions]  # what _describe read: not read again
            taste = c.taxonomy.topic_ids.index(c.taxonomy.taste_topic or "")
            said = c.directions.predict(*taste_mentions(c, enc, ctx, topic_sets, mentions, rules))
            for i, dirs, given in zip(mentions, said, rules):
                if dirs == [c.taste.fallback]:
                    own = [clause_texts[r] for r in ctx[i][topic_sets[i].index(taste)]]
                    dirs = sure_directions(c, own, given) or dirs
                preds[i].taste_detail = dirs
    return preds


def sure_directions(c: Components, texts: list[str], given: list[str]) -> list[str]:
    """The specific directions of ``given`` (what the rules gave a taste mention) that a cue
    deciding polarity names in ``texts``, the mention's own clauses: 糖放太多了, 盐放得太重. Where
    the direction head says only the fallback (bad in general) they are the mention's directions:
    the head's words outweighed a cue it saw too rarely in the labels."""
    rules = c.taste.rules
    return list(dict.fromkeys(d for t in texts for d, cue in c.taste.find(t)
                              if d in given and d != c.taste.fallback and rules.decides(d, cue)))


def taste_mentions(c: Components, enc: Encoding, ctx: list[list[list[int]]], topic_sets: list[list[int]],
                   reviews: list[int], rules: list[list[str]] | None = None
                   ) -> tuple[list[list[str]], sparse.csr_matrix]:
    """What the taste direction head reads of the taste mention of each of ``reviews``
    (each must have the taste topic in ``topic_sets``): its rule features and the
    TF-IDF of its clauses (:mod:`koubei.classify.taste_head`). ``rules``: each mention's
    directions from the rules, when the caller has them."""
    taste = c.taxonomy.topic_ids.index(c.taxonomy.taste_topic or "")
    spans = clause_spans(enc.owner, len(enc.docs))
    names, groups = [], []
    for k, i in enumerate(reviews):
        rows = ctx[i][topic_sets[i].index(taste)]
        texts, others = _taste_texts([enc.clause_texts[r] for r in spans[i]],
                                     [r - spans[i].start for r in rows])
        names.append(direction_features(c.taste, texts, others, None if rules is None else rules[k]))
        groups.append(rows)
    if not groups:
        return names, sparse.csr_matrix((0, enc.Xc.shape[1]))
    return names, context_matrix(enc.Xc, groups)


def taste_mention_features(c: Components, docs: list[Doc], topic_sets: list[list[int]]
                           ) -> tuple[list[list[str]], sparse.csr_matrix]:
    """:func:`taste_mentions` of ``docs`` with the topics ``topic_sets`` (each holding the
    taste topic): what the direction head learns from, for labelled reviews."""
    enc = c.encode(docs)
    ctx = topic_contexts(c, enc, topic_sets, enc.topic_pass().clause_proba)
    return taste_mentions(c, enc, ctx, topic_sets, list(range(len(docs))))


def _taste_texts(clauses: list[str], own: list[int]) -> tuple[list[str], list[str]]:
    """The texts of a taste mention's own clauses (``own``: positions in ``clauses``, a
    review's clause texts) and of the review's other clauses."""
    texts = [clauses[k] for k in own]
    seen = set(texts)  # a set: a list made this quadratic in the clauses of a long review
    return texts, [t for t in clauses if t not in seen]


def detect_topics(c: Components, enc: Encoding, tp: TopicPass) -> list[list[int]]:
    """Indices of the topics each review mentions: the detector's thresholds on its
    probabilities, then :func:`refine_topics` (``tp``: the model's topic pass of ``enc``)."""
    rows, cols = np.nonzero(c.topics.thresholds_ <= tp.proba)  # row by row, topics ascending
    sets: list[list[int]] = [[] for _ in range(len(tp.proba))]
    for i, j in zip(rows.tolist(), cols.tolist()):
        sets[i].append(j)
    return refine_topics(c, sets, enc, tp)


def refine_topics(c: Components, topic_sets: list[list[int]], enc: Encoding, tp: TopicPass
                  ) -> list[list[int]]:
    """The thresholded topic sets of the reviews of ``enc`` (``tp``: their topic pass), with the
    rules that read clauses and words applied in order: :func:`drop_borrowed`,
    :func:`added_by_words`, :func:`taste_by_cues`, :func:`drop_negator_borne`,
    :func:`added_by_denial`, :func:`added_by_unheard`, :func:`yield_by_context`,
    :func:`drop_verdict_borne`, :func:`drop_named_over`, :func:`drop_lacking_taste`."""
    texts = enc.texts
    topic_sets = drop_borrowed(c, topic_sets, texts, tp.clause_max, enc.review_cues > 0)
    topic_sets = added_by_words(c, topic_sets, texts)
    topic_sets = taste_by_cues(c, topic_sets, texts, tp.clause_max)
    again = denials_read_again(c, enc)
    topic_sets = drop_negator_borne(c, topic_sets, enc, tp, again)
    topic_sets = added_by_denial(c, topic_sets, enc, again)
    topic_sets = added_by_unheard(c, topic_sets, enc)
    topic_sets = yield_by_context(c, topic_sets, enc.clause_texts, enc.owner, enc.cued)
    topic_sets = drop_verdict_borne(c, topic_sets, enc, tp)
    topic_sets = drop_named_over(topic_sets, enc, tp)
    return drop_lacking_taste(c, topic_sets, enc, tp)


def verdicts_only(c: Components, text: str) -> bool:
    """Whether a review is said in verdicts alone (:meth:`PolarityLexicon.verdicts_only`): it
    names no topic, whatever the detector and the rules found.

    强烈推荐 came out as taste (0.92) and 超级棒 as taste too: the detector learnt 推荐 and 棒
    from the many labelled reviews that praise a dish with them, but said alone they judge
    nothing named; every gold review said so has no topic. Its topics are dropped after they
    gave the review its sentiment (一般 read with a neutral taste is neutral, as before). Never,
    for a model without a lexicon, or whose lexicon has no ``hollow`` words (before 1.15).
    """
    return c.lexicon is not None and c.lexicon.verdicts_only(text)


def clauses_saying(enc: Encoding, tp: TopicPass) -> np.ndarray:
    """Which clauses say which topic (clauses × topics): giving it :data:`BORROWED_BELOW` or more,
    or holding one of its cues."""
    return (tp.clause_proba >= BORROWED_BELOW) | enc.cued


def drop_named_over(topic_sets: list[list[int]], enc: Encoding, tp: TopicPass) -> list[list[int]]:
    """Drop a topic that only clauses naming another of the review's topics carried.

    A taxonomy ``detects`` word says what its clause speaks of (咸淡, 甜度: taste), but the
    detector may read another topic into the clause's other words: 咸淡正好 came out as a
    portion that fits (正好) beside taste. Where every clause saying a topic (giving it
    :data:`BORROWED_BELOW` or more) names another of the review's topics by its ``detects``
    words and holds none of the topic's own cues or ``detects`` words, the topic is dropped.
    裤子很合适 names nothing, so its fit stays a portion.
    """
    named = enc.named
    if not named.any():
        return topic_sets
    own = enc.cued | named
    says = clauses_saying(enc, tp) | named  # clauses × topics that say the topic
    some = np.zeros(len(topic_sets), dtype=bool)  # the few reviews with a clause naming a topic
    some[enc.owner[named.any(axis=1)]] = True
    out = []
    for tset, span, any_named in zip(topic_sets, clause_spans(enc.owner, len(enc.docs)), some):
        if any_named and len(tset) > 1:
            block = named[span.start:span.stop][:, tset]  # its clauses × its topics
            saying = says[span.start:span.stop][:, tset]
            mine = own[span.start:span.stop][:, tset]
            # a topic goes when it has clauses saying it, none with its own words, each naming another
            tset = [j for n, j in enumerate(tset)
                    if not (saying[:, n].any() and not mine[:, n].any()
                            and np.delete(block, n, axis=1)[saying[:, n]].any(axis=1).all())]
        out.append(tset)
    return out


def drop_lacking_taste(c: Components, topic_sets: list[list[int]], enc: Encoding, tp: TopicPass
                       ) -> list[list[int]]:
    """Drop a topic that only clauses saying the food lacks a seasoning or a flavour carried.

    这次炒的花生忘放盐了, 凉皮辣椒加少了，没有辣味, 卤蛋不入味 came out as order accuracy beside
    taste: the detector learnt 忘, 少了 and 没有 from missing items. Where the review's taste is
    detected, a topic is dropped when every clause saying it (giving it :data:`BORROWED_BELOW` or
    more, or holding one of its cues) says a seasoning was put in or left out, or holds a cue of a
    direction that lacks something (:meth:`~koubei.classify.taste.TasteDirector.lacks`), holds none
    of the topic's cues outside what says so (辣椒加少了 keeps no 少了 of its own; 忘放盐了还少了一份米饭
    does, and 不新鲜没味道 its 不新鲜) and none of its taxonomy ``detects`` words. 少了一份米饭，菜也
    没味道 keeps its order accuracy: the missing rice is said in a clause of its own.
    """
    taste_id = c.taxonomy.taste_topic
    if not taste_id or taste_id not in c.taxonomy.topic_ids:
        return topic_sets
    taste = c.taxonomy.topic_ids.index(taste_id)
    said = clauses_saying(enc, tp)
    named = enc.named
    rest: dict[int, str | None] = {}  # clause row -> its text less what says a lack (None: no lack)

    def lacking_only(r: int, j: int) -> bool:
        if r not in rest:
            rest[r] = c.taste.lacks(enc.clause_texts[r])
        left = rest[r]
        return left is not None and not named[r, j] and not c.cues.has(left, j)

    out = []
    for tset, span in zip(topic_sets, clause_spans(enc.owner, len(enc.docs))):
        if taste in tset and len(tset) > 1:
            keep = []
            for j in tset:
                rows = [r for r in span if said[r, j]]
                if j != taste and rows and all(lacking_only(r, j) for r in rows):
                    continue
                keep.append(j)
            tset = keep
        out.append(tset)
    return out


def denials_read_again(c: Components, enc: Encoding) -> dict[int, np.ndarray]:
    """The clauses of ``enc`` that deny a complaint word (the lexicon's denied praise: 没有超时,
    没有夹生) or say an act is rare (很少死机, 很少有坏果: :func:`koubei.text.clauses.rarely_said`),
    each read with its negation or its "rarely" taken off (:func:`koubei.text.docs.without_negation`:
    超时, 夹生, 死机): clause row → the first-stage topic probabilities of that reading. Empty for
    a model without a lexicon."""
    if c.lexicon is None:
        return {}
    # only clauses with a negator word to take off (没洒 is one word: it would read the same);
    # the lexicon's pattern runs on those alone, a few of every batch
    pairs = [(r, without_negation(d)) for r, d in enumerate(enc.clauses)
             if (has_negator(d.words) and c.lexicon.denies_complaint(enc.clause_texts[r]))
             or rarely_said(d.words)]
    if not pairs:
        return {}
    again = c.encode([d for _, d in pairs])
    p_again = np.zeros((len(pairs), len(c.taxonomy.topics)))
    np.maximum.at(p_again, again.owner, again.topic_pass().clause_proba)
    return dict(zip([r for r, _ in pairs], p_again))


def added_by_denial(c: Components, topic_sets: list[list[int]], enc: Encoding,
                    again: dict[int, np.ndarray]) -> list[list[int]]:
    """Give a review left with no topic the topics its denied complaint speaks of.

    米饭没有夹生, 吃完没有反胃的感觉: a complaint word the labelled reviews rarely deny, so
    the detector finds no topic (or only the missing item 没有 tells, which
    :func:`drop_negator_borne` drops) and the review dropped out of every count. Read
    without the negation (``again``: :func:`denials_read_again`), the clause says what the
    denial is about (夹生: freshness 0.91); each topic it gives ``context_threshold`` or
    more is added. Only reviews with no topic: where the detector found one, the denial is
    read as part of it. Not a denied verdict (一点都不失望, 没毛病: the lexicon's
    ``verdicts``), which judges the whole purchase and names no topic; and only where the
    review's lexicon evidence is one-sided praise (吃完没有反胃，但是头晕 complains). An act said
    to be rare counts as denied (用了半年很少出毛病: 出毛病, function).
    """
    if not again or c.lexicon is None:
        return topic_sets
    lex, texts = c.lexicon, enc.clause_texts
    out = []
    for tset, span in zip(topic_sets, clause_spans(enc.owner, len(enc.docs))):
        if not tset and (read := [again[r] for r in span if r in again and (
                rarely_said(enc.clauses[r].words)
                or not all(map(lex.is_verdict, lex.denied_complaints(texts[r]))))]) \
                and lex.evidence_of([texts[r] for r in span]).positive:
            tset = np.flatnonzero(np.max(read, axis=0) >= c.context_threshold).tolist()
        out.append(tset)
    return out


def added_by_unheard(c: Components, topic_sets: list[list[int]], enc: Encoding) -> list[list[int]]:
    """Give a review left with no topic what its never-met frame measures.

    没住过这么脏的酒店, 从来没买到过这么便宜的坚果: the frame's words (从来, 没, 住, 买到, 过) weigh as
    much as what it measures, and the detector finds no topic; 这么便宜的坚果 alone reads price. A
    clause the lexicon reads the frame in (:meth:`PolarityLexicon.never_met`) is read again from the
    frame's 这么, 如此 or 那么 on, negation marks taken off (the frame denies nothing), and each topic
    that reading gives ``context_threshold`` or more is added. Only reviews with no topic, as
    :func:`added_by_denial`; a model without a lexicon is left as it is.
    """
    lex = c.lexicon
    if lex is None:
        return topic_sets
    owners, tails = [], []
    for i, (tset, span) in enumerate(zip(topic_sets, clause_spans(enc.owner, len(enc.docs)))):
        if tset:
            continue
        for r in span:
            text = enc.clause_texts[r]  # the frame's measure word first: most clauses hold none
            if not any(w in text for w in MEASURES) or (at := lex.never_met(text)) < 0:
                continue
            words = [w.removeprefix("NOT_") for w in enc.clauses[r].words]
            ends = np.cumsum([len(w) for w in words])
            tail = words[int(np.searchsorted(ends, at, side="right")):]  # from the word holding it
            owners.append(i)
            tails.append(Doc(norm="".join(tail), words=tail))
    if not tails:
        return topic_sets
    read = c.encode(tails).topic_pass().clause_proba >= c.context_threshold
    out = [list(t) for t in topic_sets]
    for i, row in zip(owners, read):
        out[i] = sorted({*out[i], *map(int, np.flatnonzero(row))})
    return out


def drop_negator_borne(c: Components, topic_sets: list[list[int]], enc: Encoding, tp: TopicPass,
                       again: dict[int, np.ndarray] | None = None) -> list[list[int]]:
    """Drop the topics that only a negator (or a "rarely") carried.

    没有 is how a missing item is told (没有餐具, 没有发票), so the detector reads
    送的很快，没有超时 and 没有缺斤少两 as order accuracy too; 很少 is how a small portion is
    (肉很少), so it read 用了一年很少死机 as a portion too. Where every clause that gives a
    topic :data:`BORROWED_BELOW` or more denies a complaint word (the lexicon's denied
    praise) or says an act is rare, and the same clause read with its negation or its "rarely"
    taken off (:func:`denials_read_again`: 超时, 死机) gives it less, and the review holds
    none of the topic's cues, the topic is dropped. A model without a lexicon is left as it is.

    On the gold folds it changes no review (``scripts/evaluate.py``); on the team's phrases
    it fixes two, and with "rarely" three more (CHANGELOG.md, issue 20).
    """
    read_again = denials_read_again(c, enc) if again is None else again
    if not read_again:
        return topic_sets
    Pc, cued = tp.clause_proba, enc.review_cues > 0
    out = []
    for i, (tset, span) in enumerate(zip(topic_sets, clause_spans(enc.owner, len(enc.docs)))):
        if any(r in read_again for r in span):
            tset = [j for j in tset if not _negator_borne(Pc[span, j], [read_again.get(r) for r in span], j)
                    or cued[i, j]]
        out.append(tset)
    return out


def drop_verdict_borne(c: Components, topic_sets: list[list[int]], enc: Encoding, tp: TopicPass
                       ) -> list[list[int]]:
    """Drop the topics that only a verdict word carried.

    A verdict judges without naming what (还行, 不错, 没问题: the lexicon's ``verdicts``),
    and the detector learns it as a word of the topic it most often judges: 送餐速度还行
    came out as taste beside delivery, 包装还行，没什么问题 as function beside packaging.
    In a review of several topics, one of them at least :data:`PLAIN_AT` sure in some
    clause, a topic is dropped when every clause saying it (giving it :data:`BORROWED_BELOW`
    or more, or holding one of its cues: 一般般 is a taste cue) holds a verdict and, read
    again without its verdicts, gives it less and either is left with no word (没什么问题)
    or gives another of the review's topics :data:`PLAIN_AT` or more (送餐速度: it speaks
    of that one). Only a clause another of the review's topics is said in, or that held
    verdicts alone, is read again: no other can pass. A topic a clause names by its taxonomy
    ``detects`` words is never dropped (一吃就停不下来 beside 强烈推荐 keeps taste; 服务不错缩水了 its
    portion). A model without a lexicon,
    or whose lexicon has no verdicts (before 1.5), is left as it is.

    What it changes in 5-fold CV on the gold labels: CHANGELOG.md (issue 20).
    """
    lex = c.lexicon
    if lex is None or not lex.verdicts:
        return topic_sets
    said = clauses_saying(enc, tp)
    named = enc.named
    sure = sigmoid(tp.clause_max) >= PLAIN_AT
    spans = clause_spans(enc.owner, len(enc.docs))
    jobs: list[tuple[int, int, list[int]]] = []  # review, topic, the clauses saying it
    bare: dict[int, list[str]] = {}  # a clause's words less its verdicts
    for i, tset in enumerate(topic_sets):
        if len(tset) < 2 or not sure[i, tset].any():
            continue
        span = spans[i]
        verdict = [lex.holds_verdict(enc.clauses[r].words) for r in span]
        if not any(verdict):
            continue
        block = said[span.start:span.stop][:, tset]  # its clauses × its topics
        for n, j in enumerate(tset):
            hit = np.flatnonzero(block[:, n]).tolist()
            if not hit or not all(verdict[h] for h in hit) or named[span, j].any():
                continue  # a topic its detects words name stays (一点没压坏，一吃就停不下来，强烈推荐)
            rows = [span.start + h for h in hit]
            for r in rows:
                if r not in bare:
                    bare[r] = [w for w in enc.clauses[r].words if not lex.is_verdict(w)]
            # only a clause that another topic says too, or that was verdicts alone, can go
            if all(_wordless(bare[span.start + h]) or block[h].sum() > 1 for h in hit):
                jobs.append((i, j, rows))
    if not jobs:
        return topic_sets
    order = sorted({r for _, _, rows in jobs for r in rows})
    # each bare clause is a doc of its own: the first stage's logits are its clause reading
    again = sigmoid(c.topics.decision_base(c.encode(
        [Doc(norm="".join(w.removeprefix("NOT_") for w in bare[r]), words=bare[r]) for r in order]
    ).clause_features))
    read_again = dict(zip(order, again))
    drop = set()
    for i, j, rows in jobs:
        others = [k for k in topic_sets[i] if k != j]
        if all(read_again[r][j] < BORROWED_BELOW
               and (_wordless(bare[r]) or (read_again[r][others] >= PLAIN_AT).any()) for r in rows):
            drop.add((i, j))
    return [[j for j in tset if (i, j) not in drop] for i, tset in enumerate(topic_sets)]


def _wordless(words: list[str]) -> bool:
    """Whether ``words`` hold no letter, digit or Chinese character (punctuation only, or none)."""
    return not any(ch.isalnum() for w in words for ch in w)


def _negator_borne(p: np.ndarray, again: list[np.ndarray | None], j: int) -> bool:
    """Whether the clauses giving topic ``j`` at least :data:`BORROWED_BELOW` (``p``: each
    clause's probability) all deny a complaint and, read again without it (``again``: each
    clause's probabilities then, None where it denies none), give ``j`` less."""
    said = [again[k] for k, pk in enumerate(p) if pk >= BORROWED_BELOW]
    return bool(said) and all(a is not None and a[j] < BORROWED_BELOW for a in said)


def drop_borrowed(c: Components, topic_sets: list[list[int]], texts: list[str],
                  clause_max: np.ndarray, cued: np.ndarray | None = None) -> list[list[int]]:
    """Drop the topics a review-level reading borrowed from the topics it came with.

    The detector's second stage reads the whole review, and learns which topics
    come together (a hotel's clean room and its hygiene, a fruit order gone bad and
    its accuracy): 环境还行 came out as environment and freshness. A detected topic
    is dropped when no clause of the review, read alone, gives it
    :data:`BORROWED_BELOW`, the review holds none of its cues, and another detected
    topic has a clause at least :data:`PLAIN_AT` sure. Taste too: a taste direction the
    review names adds it back (:func:`taste_by_cues`). ``clause_max``: as for :func:`taste_by_cues`;
    ``cued``: which reviews hold a cue of which topic (``cues.counts(texts) > 0``), when the
    caller has it.

    What it changes in 5-fold CV on the gold labels: CHANGELOG.md (issue 20).
    """
    p = sigmoid(clause_max)
    if cued is None:
        cued = c.cues.counts(texts) > 0
    keep = (p >= BORROWED_BELOW) | cued
    out = []
    for i, tset in enumerate(topic_sets):
        if len(tset) > 1 and any(p[i, j] >= PLAIN_AT for j in tset):
            tset = [j for j in tset if keep[i, j]]
        out.append(tset)
    return out


def added_by_words(c: Components, topic_sets: list[list[int]], texts: list[str]) -> list[list[int]]:
    """Add the topics whose taxonomy ``detects`` words a review holds, said or denied.

    The labelled reviews come from takeaway, hotpot, cosmetics, hotel and shopping
    sources; a snack's 受潮, 哈喇味 or 漏气 is not in them, so the detector cannot
    learn it (一点都没受潮 came out with no topic). The taxonomy lists such words per
    topic; a review holding one talks about the topic, whatever the detector says.
    """
    found = c.detected_words(texts)
    if not found.any():
        return topic_sets
    return [sorted({*tset, *map(int, np.flatnonzero(row))}) if row.any() else tset
            for tset, row in zip(topic_sets, found)]


def taste_by_cues(c: Components, topic_sets: list[list[int]], texts: list[str],
                  clause_max: np.ndarray) -> list[list[int]]:
    """Add taste to reviews that name a taste direction the detector missed.

    ``淡而无味，没有虾的香味`` or ``菜也油的要命`` is a taste complaint however few
    labelled reviews used those words. A non-negated phrase cue that the
    taxonomy's ``detects_topic`` names (``TasteDirector.rules``; 米饭有馊味 but not 房间有异味)
    adds the taxonomy's taste topic, unless the
    detector's best clause (``clause_max``: first-stage logits, reviews × topics)
    gives taste less than :data:`TASTE_CUE_FLOOR` and the cue is shorter than
    :data:`TASTE_CUE_SURE` characters and was not picked by name (a direction's
    ``detects_topic`` list: 有哈喇味 is taste however sure the detector is of freshness).
    A review with no topic at all takes any such cue (比上回咸多了, 鸡米花调味太重了: the
    floor keeps taste out of reviews about something else; on the gold folds no topicless
    review holds one). A taxonomy without a taste topic, or whose directions detect nothing, is left as it is.

    What it changes in 5-fold CV on the gold labels (``scripts/evaluate.py``):
    docs/benchmarks.md and CHANGELOG.md.
    """
    if not c.taxonomy.taste_topic or c.taxonomy.taste_topic not in c.taxonomy.topic_ids:
        return topic_sets
    j = c.taxonomy.topic_ids.index(c.taxonomy.taste_topic)
    p = sigmoid(clause_max[:, j])
    out = []
    for i, (tset, text) in enumerate(zip(topic_sets, texts)):
        sure = not tset or p[i] >= TASTE_CUE_FLOOR
        if j not in tset and _names_taste(c, text, 1 if sure else TASTE_CUE_SURE):
            tset = sorted([*tset, j])
        out.append(tset)
    return out


def _names_taste(c: Components, text: str, shortest: int = 1) -> bool:
    """Whether ``text`` says a taste direction cue that the taxonomy's ``detects_topic`` names
    (米饭有馊味, 糖放太多; not 房间有异味), of at least ``shortest`` characters unless
    the taxonomy picked it by name (有哈喇味: ``TasteRules.picked``)."""
    rules = c.taste.rules
    return any(rules.detects(d, cue) and (len(cue) >= shortest or rules.picks(d, cue))
               for d, cue, _ in c.taste.matches(text))


def yield_by_context(c: Components, topic_sets: list[list[int]], clause_texts: list[str],
                     owner: np.ndarray, cued: np.ndarray | None = None) -> list[list[int]]:
    """Hand a detected topic to the one its taxonomy ``yields_to`` where the context says so.

    A restaurant's ``上菜太慢`` holds delivery's cue 慢, but the guideline calls dishes
    served slowly service: when every clause of a review that holds one of the
    topic's cues also holds one of the context words (上菜, 出菜...), the topic is
    replaced by the other one. A clause whose only cues of the topic are ones it
    shares with the other (``yields_shared``: 等了一个小时, 以后快点) does not keep it,
    where some clause holds a context word (上菜太慢了，等了一个小时). A topic detected
    with no cue in any clause is left as it is. ``cued``: as for :func:`topic_contexts`.
    """
    rules = [(j, c.taxonomy.topic_ids.index(other), words, frozenset(dict(t.yields_shared).get(other, ())))
             for j, t in enumerate(c.taxonomy.topics) for other, words in t.yields_to]
    if not rules:
        return topic_sets
    if cued is None:
        cued = c.cues.counts(clause_texts) > 0
    out = []
    for tset, rows in zip(topic_sets, clause_spans(owner, len(topic_sets))):
        for j, other, words, shared in rules:
            if j in tset:
                said = [clause_texts[r] for r in rows if cued[r, j]]
                in_context = [any(w in t for w in words) for t in said]
                if any(in_context) and all(k or _only_shared(c, j, t, shared)
                                           for k, t in zip(in_context, said)):
                    tset = sorted({*tset, other} - {j})
        out.append(tset)
    return out


def _only_shared(c: Components, j: int, text: str, shared: frozenset[str]) -> bool:
    """Whether every cue of topic ``j`` found in ``text`` is one of ``shared``."""
    pattern = c.cues.pattern(j)
    return bool(shared) and pattern is not None and set(pattern.findall(text)) <= shared


def pair_matrix(c: Components, X: sparse.csr_matrix, Xc: sparse.csr_matrix,
                ctx: list[list[list[int]]], topic_sets: list[list[int]], z_rev: np.ndarray,
                alone: np.ndarray | None = None) -> sparse.csr_matrix | WithDense:
    """Polarity features of every (review, topic) pair, review-major order. ``alone``: the pairs
    read as if their clauses were the whole review (:func:`after_contrast`), whose review-level
    sentiment is their context's own."""
    groups = [g for per in ctx for g in per]
    pair_rev = np.fromiter((i for i, t in enumerate(topic_sets) for _ in t), dtype=np.int64)
    pair_topic = np.fromiter((j for t in topic_sets for j in t), dtype=np.int64)
    if not groups:
        return sparse.csr_matrix((0, 0))  # no pairs: callers only check the row count
    C = context_matrix(Xc, groups)
    z_ctx = c.sentiment.pooled_decision(C)
    z_pair = z_rev[pair_rev] if alone is None else np.where(alone, z_ctx, z_rev[pair_rev])
    F = pair_features(C, pair_topic, z_ctx, z_pair, len(c.taxonomy.topics))
    return F if c.dense is None else WithDense(F, c.dense.transform(C))


#: the words a clause turns on (:data:`koubei.text.clauses.CONTRAST_WORDS`: 但是, 不过, 就是...)
_CONTRAST = frozenset(CONTRAST_WORDS)


def after_contrast(enc: Encoding, ctx: list[list[list[int]]], spans: list[range]) -> np.ndarray:
    """Which (review, topic) pairs, review-major, are said in one clause of a review of several,
    that clause opening on a contrast word (但是, 不过, 就是...) or following one said alone
    (但是，包装漏液了): the polarity head reads them with their clause's sentiment in place of the
    review's (:func:`pair_matrix`). A first clause too: 就是地很滑，菜品也很新鲜 opens on what is
    wrong, before the praise.

    The head reads a mention's clauses beside the whole review's sentiment, which in a mixed
    review speaks for the other side: in 价格实惠，但是送得太慢 the delivery came out praised. On the
    gold folds, of the mentions said in one clause of a longer review that opens on a contrast,
    the clause read alone was right in 16 of the 26 where the two readings differ, the review-level
    reading in 5 (CHANGELOG.md, issue 20)."""
    opens = [bool(d.words) and d.words[0] in _CONTRAST for d in enc.clauses]
    bare = [len(d.words) == 1 and o for d, o in zip(enc.clauses, opens)]  # 但是，包装漏液了
    return np.fromiter((len(span) > 1 and len(rows) == 1
                        and (opens[r := rows[0]] and not bare[r] or r > span.start and bare[r - 1])
                        for per, span in zip(ctx, spans) for rows in per), dtype=bool)


def _polarities(c: Components, X: sparse.csr_matrix, Xc: sparse.csr_matrix,
                ctx: list[list[list[int]]], topic_sets: list[list[int]], z_rev: np.ndarray,
                alone: np.ndarray | None = None) -> list[str]:
    F = pair_matrix(c, X, Xc, ctx, topic_sets, z_rev, alone)
    if F.shape[0] == 0:
        return []
    return [str(p) for p in c.polarity.predict(F)]


def settle_by_lexicon(c: Components, pol: list[str], ctx: list[list[list[int]]],
                      clause_texts: list[str], topic_sets: list[list[int]] | None = None,
                      named: np.ndarray | None = None) -> list[str]:
    """Each (review, topic) polarity, overruled where its own clauses' lexicon evidence is one-sided.

    ``一点都没受潮`` (a complaint word denied), ``味道在线`` (slang praise) with nothing
    against them make the mention positive; ``没有以前好吃`` (worse than before) with no
    praise evidence makes it negative (:meth:`koubei.classify.lexicon.Evidence.settles`).

    Where the topic's clauses hold one of its taxonomy ``detects`` words (``named``:
    clauses × topics, :attr:`Encoding.named`; ``topic_sets`` gives each pair's topic),
    complaint evidence alone makes it negative too: those are words the labelled
    reviews lack, so the head has no reading of them (有哈喇味 came out as praise).
    Elsewhere a complaint word alone is left to the head: on the gold folds it made
    praised mentions negative about as often as it was right.

    A mention said in one clause that denies a plain praise word (不是很新鲜, 服务不算太热情:
    :meth:`PolarityLexicon.denied_praise`) and holds no praise, complaint or comparison evidence,
    is negative: a complaint said mildly, which the head read as the praise it names. The word must
    be the topic's: one of its cues (新鲜 of freshness), or a word that is no topic's cue (好) in a
    clause no other topic of the review is read from. In 不是很新鲜但很好吃 the freshness is denied,
    not the taste (:func:`_denies_its_praise`).

    A mention whose every clause is a middling verdict of its subject alone (味道一般, 物流一般般,
    价格凑合: :meth:`PolarityLexicon.middling_only`) is ``neu``, as the guideline labels it; the
    head read most as complaints.
    """
    if c.lexicon is None:
        return pol
    c.lexicon.evidence_many([clause_texts[r] for per in ctx for rows in per for r in rows])  # together, once
    out, k = list(pol), 0
    for i, per in enumerate(ctx):
        for n, rows in enumerate(per):
            ev = c.lexicon.evidence_of([clause_texts[r] for r in rows])
            out[k] = ev.settles(out[k])
            if (named is not None and topic_sets is not None and ev.complaint_only
                    and any(named[r, topic_sets[i][n]] for r in rows)):
                out[k] = "neg"
            if out[k] == "pos" and len(rows) == 1 and topic_sets is not None:
                shared = sum(rows[0] in other for other in per) > 1
                if _denies_its_praise(c, ev, clause_texts[rows[0]], topic_sets[i][n], shared):
                    out[k] = "neg"
            if all(c.lexicon.middling_only(clause_texts[r]) for r in rows):
                out[k] = "neu"
            k += 1
    return out


def _denies_its_praise(c: Components, ev: Evidence, clause: str, topic: int, shared: bool) -> bool:
    """Whether a mention's one clause (``ev``: its evidence; ``shared``: other topics of the review
    are read from it too) denies a plain praise word that is the mention's (``topic``), and holds no
    praise, complaint or comparison the lexicon reads (a contrast word may open it). A word is the
    topic's when it is one of its cues; a word that is no topic's cue (好), only when the clause is
    not shared."""
    if c.lexicon is None or not ev.denial or ev.praise or ev.complaint or ev.worse:
        return False  # (a denied praise word leaves its negator over: most clauses are skipped here)
    topics = c.taxonomy.topics
    return any(w in topics[topic].cues or (not shared and not any(w in t.cues for t in topics))
               for w in c.lexicon.denied_praise(clause))


def continuations(c: Components, ctx: list[list[list[int]]], clause_texts: list[str],
                  spans: list[range]) -> dict[tuple[int, int], list[int]]:
    """The clauses that carry a mention on, by (review, its n-th topic) (``ctx``: the topics'
    clause rows): those right after one of its clauses that open on one of the lexicon's
    ``continuation`` patterns (还是, 依然, 也...) and are in no topic's clauses of the review
    (``spans``: each review's clause rows), each run followed to its end. Only the mentions
    that have some; none for a lexicon without continuation patterns (before 1.7)."""
    lex = c.lexicon
    out: dict[tuple[int, int], list[int]] = {}
    if lex is None or not lex.continuation or not spans:
        return out
    starts = np.fromiter((s.start for s in spans), dtype=np.int64, count=len(spans))
    opens = np.fromiter((lex.continues(t) for t in clause_texts), dtype=bool, count=len(clause_texts))
    opens[starts[starts < len(opens)]] = False  # a review's first clause carries nothing on
    # only the few reviews with such a clause are read (most have none)
    for i in np.unique(np.searchsorted(starts, np.flatnonzero(opens), side="right") - 1).tolist():
        per, span = ctx[i], spans[i]
        taken = {r for rows in per for r in rows}
        for n, rows in enumerate(per):
            more: set[int] = set()
            for start in rows:
                r = start + 1
                while r < span.stop and r not in taken and opens[r]:
                    more.add(r)
                    r += 1
            if more:
                out[i, n] = sorted(more)
    return out


def still_as_bad(c: Components, pol: list[str], ctx: list[list[list[int]]], clause_texts: list[str],
                 spans: list[range]) -> list[str]:
    """A mention whose own clauses hold the lexicon's praise, carried on by a clause that says
    it is still as bad (还是那么差, 依旧这么慢: the lexicon's worse than before, with no
    praise), is negative (``pol``: the mentions' polarities, review-major, as ``ctx`` lists
    them).

    In 味道一点没变，还是那么差 the second clause names no topic: the taste mention is
    味道一点没变 alone, which the lexicon reads as praise (unchanged is better than
    before). The clause that goes on (:func:`continuations`) says how it is. Only
    this evidence is read there: a verdict that goes on (没有漏，还是不满意) judges the
    whole purchase, not the packaging that did not leak. A mention the lexicon did not
    praise is left to the head: in 外卖小哥很准时，还是那么差劲 the 还是那么差劲 is not
    the rider's punctuality.
    """
    carried = continuations(c, ctx, clause_texts, spans)
    if not carried or c.lexicon is None:
        return pol
    first = np.cumsum([0] + [len(per) for per in ctx])  # each review's first pair
    out = list(pol)
    for (i, n), rows in carried.items():
        k = int(first[i]) + n
        if (out[k] != "neg" and c.lexicon.evidence_of([clause_texts[r] for r in rows]).worse_only
                and c.lexicon.evidence_of([clause_texts[r] for r in ctx[i][n]]).praise):
            out[k] = "neg"
    return out


def settled_sentiment(label: str, evidence: Evidence, topics: dict[str, str]) -> str:
    """The review's sentiment, made ``pos`` where its lexicon ``evidence`` is one-sided praise and
    every topic it mentions is praised (一点没压坏: the sentiment model reads 压坏 as a complaint).

    Only this direction (but see :func:`slang_sentiment`): a comparison that says worse than
    before, alone, made praised reviews negative about as often as it was right on the gold folds.
    """
    if label == "pos" or any(p != "pos" for p in topics.values()) or not evidence.positive:
        return label
    return "pos"


def slang_sentiment(label: str, evidence: Evidence, clauses: int, topics: dict[str, str]) -> str:
    """The sentiment of a review whose lexicon ``evidence`` is complaint words alone, one of them
    slang (踩雷了, 又翻车了: the labelled reviews hold a handful, and the sentiment model read 踩雷了
    as praise): ``neg`` where every topic it names is a complaint, or where it names none and is
    one clause (``clauses``) long. A longer review with no topic may praise in words the lexicon
    does not know (怕踩雷，看了评价才买的，很满意), so it keeps the sentiment model's reading."""
    if label == "neg" or not evidence.slang_only:
        return label
    if (topics and all(p == "neg" for p in topics.values())) or (not topics and clauses == 1):
        return "neg"
    return label


#: a question, a wish, a condition or hearsay: what a clause praises in it is not said to be so
#: (包装精美有什么用, 效果很明显？, 包装如果结实就好了, 说是包装很结实)
_NOT_SAID = re.compile(r"[?？]|吗|有什么用|有啥用|如果|(?<![主只])要是|假如|若是|但愿|希望|(?<![得以])说是"
                       r"|号称|据说|听说")


def one_clause_sentiment(label: str, clauses: int, topics: dict[str, str],
                         evidence: Evidence | None = None, text: str = "") -> str:
    """The sentiment of a review of one clause (``clauses``: how many it has) whose every topic
    is a complaint: ``neg``; whose every topic is neutral: ``neu``; whose every topic is praised
    and whose lexicon ``evidence`` holds nothing against praise: ``pos``. The sentiment model
    reads the whole review's words, and a short complaint in words it rarely saw (甜得发腻,
    少发了一包, 有哈喇味) came out positive, where the polarity head, reading the same clause
    for its topic, said negative; a plain 口味凑合 or 质量一般 (``neu`` by the guideline) came out
    negative; 包装很结实, 客服回复很及时 and 效果很明显 came out negative (the gold head learnt
    包装, 回复 and 效果 from the many complaints about them). In a longer review the topics may
    leave out what the sentiment weighs, so it keeps its own.

    Praise only where the lexicon finds no complaint word, negator left over, worse than before
    or contrast in the clause (``evidence``; none given, as for a model without a lexicon:
    praise is left alone): without that check, on the gold folds it moved as many reviews
    wrong as right (CHANGELOG.md, issue 20). Nor where the clause (``text``) asks, wishes,
    supposes or reports what it praises (包装精美有什么用, 包装如果结实就好了, 说是包装很结实).
    """
    if clauses != 1 or not topics:
        return label
    said = set(topics.values())
    if said == {"neg"} or said == {"neu"}:
        return said.pop()
    if said == {"pos"} and evidence is not None and not (
            evidence.complaint or evidence.worse or evidence.denial or evidence.contrast
            or _NOT_SAID.search(text)):
        return "pos"
    return label


def conceded_sentiment(lexicon: PolarityLexicon | None, label: str, clause_texts: list[str],
                       span: range, ctx: list[list[int]], topics: dict[str, str]) -> str:
    """The sentiment of a review that grants something only to set it aside (便宜是便宜，就是
    不好吃: :meth:`PolarityLexicon.concedes`): that of the topics said after the concession
    (a clause of theirs comes after it: 好吃是好吃，就是有点咸 is taste on both sides), where
    they agree (all ``neg`` or all ``pos``); else ``label`` (``span``: the review's clause
    rows; ``ctx``: each of its topics' clause rows, in the order of ``topics``).

    The sentiment model weighs the granted praise as much as the complaint and read
    便宜是便宜，就是不好吃 as neutral; the speaker has set the praise aside. A
    review with a concession is rare (23 of the corpora's 110,447 distinct texts, 2 gold
    reviews, both negative).
    """
    if lexicon is None or len(span) < 2 or not topics:
        return label
    for q in range(span.start, span.stop - 1):
        if lexicon.concedes(clause_texts[q], clause_texts[q + 1]):
            after = {p for p, rows in zip(topics.values(), ctx) if max(rows) > q}
            if len(after) == 1 and after <= {"pos", "neg"}:
                return after.pop()
            return label
    return label


def decisive_taste_cues(c: Components, pol: list[str], ctx: list[list[list[int]]],
                        topic_sets: list[list[int]], clause_texts: list[str]) -> list[str]:
    """A taste mention whose own clauses say too bland, salty or heavy, or not spicy enough
    (没味道, 太咸, 口味太重, 一点都不辣), is negative.

    The converse too: when the only taste cue is such a cue denied (不会太咸) and no
    other taste cue is there (难吃, 不好吃...), the mention is praise.

    The polarity head reads the whole context and follows the review's tone, so
    "口感酥脆，但是吃着没味道" came out as taste praise. A non-negated phrase cue of a
    direction with ``decides_polarity`` (``TasteDirector.rules``) settles it, unless a word of relief comes
    just before it (还好不辣). Sweet, spicy and oily are left to the head: 很甜 and
    很辣 are as often praise (fruit, hotpot) as complaint, and 油 of a hotpot broth
    is praised about as often as 油腻 is blamed; too heavy (口味太重, 味道重) and not
    spicy enough (辣锅一点都不辣) are complaints.
    """
    taste = c.taxonomy.topic_ids.index(c.taxonomy.taste_topic) if c.taxonomy.taste_topic else -1
    out, k = list(pol), 0
    for tset, per in zip(topic_sets, ctx):
        for j, rows in zip(tset, per):
            if j == taste:
                out[k] = _taste_by_cues(c, out[k], [clause_texts[r] for r in rows])
            k += 1
    return out


def _taste_by_cues(c: Components, polarity: str, texts: list[str]) -> str:
    """A cue of a direction with ``decides_polarity`` said → negative; only *denied* (不会太咸,
    不太淡) and nothing else said → positive."""
    rules = c.taste.rules
    said = [m for t in texts for m in _said_cues(c, t)]
    if polarity != "neg" and any(rules.decides(d, cue) for d, cue in said):
        return "neg"
    if polarity == "neg" and not said and any(
            rules.decides(d, cue) for t in texts for d, cue in c.taste.negated(t)):
        return "pos"
    return polarity


def _said_cues(c: Components, text: str) -> list[tuple[str, str]]:
    """(direction, cue) of the non-negated phrase cues in ``text`` that do not follow a word
    of relief (还好不辣); a later cue of the same direction still counts (还好不辣，辣锅也不辣)."""
    return [(d, cue) for d, cue, at in c.taste.matches(text) if not _relieved(text, at)]


def _relieved(text: str, at: int) -> bool:
    """Whether a word of :data:`RELIEF` ends at most :data:`RELIEF_WINDOW` characters before ``at``."""
    return any(w in text[max(0, at - RELIEF_WINDOW - len(w)):at] for w in RELIEF)


def _whole(c: Components, phrase: str, clause: str) -> str:
    """``phrase`` widened to the lexicon phrases it cuts or just follows: the opinion
    ``服务真的没`` of ``服务真的没的说`` becomes ``服务真的没的说``, ``贵`` of
    ``价格没有以前那么贵`` becomes ``没有以前那么贵``; not across a joiner (太咸而且袋子破了个洞
    quotes 袋子破了个洞 for its packaging)."""
    if c.lexicon is None or (i := clause.find(phrase)) < 0:
        return phrase
    start, end = i, i + len(phrase)
    ev = c.lexicon.evidence(clause)
    for span in (*ev.praise, *ev.complaint, *ev.worse):
        j = clause.find(span)
        if 0 <= j <= end and j + len(span) >= i - LEXICON_REACH:  # adjacent too: 服务真的|没的说
            between = clause[min(j + len(span), i):max(j, end)]
            if not any(w in between for w in JOINERS):  # 太咸而且|袋子破了个洞 is two opinions
                start, end = min(start, j), max(end, j + len(span))
    return clause[start:end][:MAX_CHARS + 4]


def _taste_said(c: Components, cue: str, texts: Sequence[str]) -> str:
    """The taste ``cue`` the rules named, as said where they found it (not denied): with its
    degree adverb (苹果太酸了 → 太酸了), a cue ending in a complement or comparison marker with
    what it says (咸得发苦, not 咸得; 淡得像没调过味, not 淡得像); a weak cue (咸 of 又咸又辣) as it is."""
    for t in texts:
        for _, found, at in c.taste.matches(t):
            if found == cue:
                if t.startswith(cue, at) or c.lexicon is None:
                    said = with_degree(t, at, cue)
                    if cue.endswith(COMPLEMENTS):  # 咸得舌头发麻: the degree follows the cue
                        said += t[at + len(cue):][:max(0, MAX_CHARS - len(said))]
                    return said
                # a comparison read as a denial (没有以前辣 as 不辣): quoted as said
                read, start = c.lexicon.past_as_denial(t), at
                while start and read[start - 1] == PAST_PAD:
                    start -= 1
                return t[start:at + len(cue)]
    return cue


def _describe(c: Components, pred: Prediction, tset: list[int], ctx: list[list[int]],
              review_clauses: list[Doc], base: int, clause_pos: np.ndarray | None = None) -> None:
    """Fill taste directions and opinion phrases from each topic's clauses.

    ``ctx`` holds batch clause rows; the review's clauses start at row ``base``.
    Directions are looked for in the taste clauses, then in the others. The opinion
    phrase of a mention read off several clauses leaves out those the sentiment model
    reads much the other way (``clause_pos``: P(pos) of every clause of the batch;
    :data:`OTHER_WAY`): 酒店位置不错，房间隔音太差 quotes 隔音太差 for its negative
    environment, not 位置不错.
    """
    taste_id = c.taxonomy.taste_topic
    for j, rows in zip(tset, ctx):
        topic = c.taxonomy.topics[j]
        polarity = pred.topics.get(topic.id)
        if topic.id == taste_id and polarity == "neg":  # directions read every taste clause
            texts, others = _taste_texts([d.norm for d in review_clauses], [r - base for r in rows])
            pred.taste_detail, cue = c.taste.directions(texts, others)
            if cue:
                pred.opinions.append(f"{topic.zh}:{_taste_said(c, cue, (*texts, *others))}")
                continue
        if clause_pos is not None and len(rows) > 1 and polarity in ("pos", "neg"):
            lean = clause_pos[rows] if polarity == "pos" else 1 - clause_pos[rows]  # the mention's way
            rows = [r for r, x in zip(rows, lean) if x >= lean.max() - OTHER_WAY]
        own = [review_clauses[r - base] for r in rows]
        phrase, at = best_opinion([d.words for d in own], c.cues.pattern(j))
        if phrase:
            phrase = _whole(c, phrase, own[at].norm)
        if not phrase and len(own[0].norm) <= MAX_CHARS:
            phrase = own[0].norm
        if phrase:
            pred.opinions.append(f"{topic.zh}:{phrase}")
