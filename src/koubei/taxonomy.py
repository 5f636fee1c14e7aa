"""The label schema: topics, service dimensions, polarities and taste directions.

A taxonomy is a versioned YAML (or JSON) file; the default one,
``corpora/taxonomy/default.yaml``, implements the annotation guideline the gold
labels follow. Users bring their own by training a model on it; the taxonomy
then travels inside the model bundle (``taxonomy.json``) and its hash ties the
bundle to it.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from koubei.errors import TaxonomyError
from koubei.resources import corpora_path

_ID_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789_")


@dataclass(frozen=True)
class Dimension:
    """A service dimension (SERVQUAL/RATER) or ``product``."""

    id: str
    zh: str
    en: str


@dataclass(frozen=True)
class Topic:
    """A complaint/praise topic with the cue words that signal it."""

    id: str
    zh: str
    en: str
    dimension: str
    description: str = ""
    cues: tuple[str, ...] = ()
    #: (other topic id, context words): where every clause holding this topic's cues
    #: also holds one of the context words, the mention is the other topic's (a
    #: restaurant's 上菜太慢 is service, not delivery)
    yields_to: tuple[tuple[str, tuple[str, ...]], ...] = ()
    #: (other topic id, cues): this topic's cues that say as much of the other topic in its
    #: context (a wait, 慢, 快 of dishes served): a clause whose only cues of this topic are
    #: these keeps it from yielding no more, where another clause holds a context word
    #: (上菜太慢了，等了一个小时). Optional; names only topics of ``yields_to``
    yields_shared: tuple[tuple[str, tuple[str, ...]], ...] = ()
    #: words specific enough that a review holding one, said or denied, talks about the
    #: topic (受潮, 没受潮: freshness), added where the topic detector missed it; for the
    #: vocabulary of a domain the labelled reviews lack (snacks' 受潮, 哈喇味, 漏气)
    detects: tuple[str, ...] = ()


@dataclass(frozen=True)
class TasteDirection:
    """What exactly is wrong with the taste (too_bland, too_salty...).

    ``cues`` are multi-character phrases (``太咸``); ``weak_cues`` are short,
    ambiguous ones (``咸``) read only when no ``cues`` phrase names a direction.
    ``decides_polarity``: the phrase cues whose non-negated match in a taste clause
    makes the taste mention negative whatever the polarity head says (没味道, 太咸;
    the file's ``true`` means all of ``cues``).
    ``detects_topic``: the phrase cues that add the taste topic to a review the
    topic detector missed (淡而无味; the file's ``true`` means all of ``cues``).
    ``seasonings``: what too much of gives this direction (盐 for too salty): a phrase
    that says too much of one was put in (盐放得太重, 放了太多盐, 盐味太重; see
    :func:`koubei.classify.taste.excess_pattern`) is a cue of the direction that both
    decides polarity and detects the topic; ``missing_seasonings`` the same for too
    little of one (盐都没放, 辣椒放得太少).
    """

    id: str
    zh: str
    en: str
    cues: tuple[str, ...] = ()
    weak_cues: tuple[str, ...] = ()
    decides_polarity: tuple[str, ...] = ()
    detects_topic: tuple[str, ...] = ()
    seasonings: tuple[str, ...] = ()
    missing_seasonings: tuple[str, ...] = ()


@dataclass(frozen=True)
class Taxonomy:
    """A validated label schema. Build one with :func:`load_taxonomy`.

    Attributes:
        name: the taxonomy's name (``koubei-default``).
        version: its version, bumped on any change.
        polarities: the values a topic can take (``pos``, ``neg``, ``neu``).
        dimensions: the service dimensions.
        topics: the topics, in file order.
        taste_topic: the topic whose negative mentions get a direction (``taste``).
        taste_directions: the taste directions, in file order.
        fallback_direction: the direction when no cue names one (``bad_general``).
        taste_exclude: words masked before taste cues are matched.
        detects_exclude: regular expressions of phrases masked before topics' ``detects`` words are
            looked for: they hold one and say nothing of its topic (优惠券快过期了, 没碎骨头;
            taxonomy 1.22 on).
        source: where it was read from.
    """

    name: str
    version: str
    polarities: tuple[str, ...]
    dimensions: tuple[Dimension, ...]
    topics: tuple[Topic, ...]
    taste_topic: str | None = None
    taste_directions: tuple[TasteDirection, ...] = ()
    fallback_direction: str | None = None
    taste_exclude: tuple[str, ...] = ()
    detects_exclude: tuple[str, ...] = ()
    source: str = field(default="<memory>", compare=False)

    @property
    def topic_ids(self) -> list[str]:
        """The topic ids, in file order (``taste``, ``freshness_quality``, ...)."""
        return [t.id for t in self.topics]

    @property
    def direction_ids(self) -> list[str]:
        """The taste direction ids, in file order (``too_bland``, ``too_salty``, ...)."""
        return [d.id for d in self.taste_directions]

    @property
    def declares_taste_rules(self) -> bool:
        """Whether any direction sets ``decides_polarity`` or ``detects_topic`` (taxonomy 1.3
        on). One that sets neither, as every taxonomy before 1.3, gets the rules of the
        default direction ids (:func:`koubei.classify.taste.taste_rules`)."""
        return any(d.decides_polarity or d.detects_topic for d in self.taste_directions)

    def topic(self, topic_id: str) -> Topic:
        for t in self.topics:
            if t.id == topic_id:
                return t
        raise KeyError(topic_id)

    def dimension_of(self, topic_id: str) -> str:
        return self.topic(topic_id).dimension

    def to_dict(self) -> dict[str, Any]:
        """Plain data, the same shape as the file (source left out)."""
        d = json.loads(json.dumps(asdict(self), ensure_ascii=False))  # tuples -> lists
        d.pop("source")
        d["dimensions"] = {x["id"]: {"zh": x["zh"], "en": x["en"]} for x in d["dimensions"]}
        if not d["detects_exclude"]:  # optional: absent when empty (hashes stay stable)
            del d["detects_exclude"]
        for x in d["topics"]:  # optional: absent when empty (hashes stay stable)
            for key in ("yields_to", "yields_shared"):
                if x[key]:
                    x[key] = {other: words for other, words in x[key]}
                else:
                    del x[key]
            if not x["detects"]:
                del x["detects"]
        for x in d["taste_directions"]:  # optional fields: absent when empty (hashes stay stable)
            if x["decides_polarity"] and x["decides_polarity"] == x["cues"]:
                x["decides_polarity"] = True  # all its cues, written as files before 1.5 wrote it
            for key in ("weak_cues", "decides_polarity", "detects_topic", "seasonings",
                        "missing_seasonings"):
                if not x[key]:
                    del x[key]
        return d

    def sha256(self) -> str:
        """Content hash: two taxonomies with the same labels and cues hash alike."""
        blob = json.dumps(self.to_dict(), ensure_ascii=False, sort_keys=True)
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def default_taxonomy_path() -> Path:
    return corpora_path("taxonomy", "default.yaml")


def load_taxonomy(path: str | Path | None = None) -> Taxonomy:
    """Read and validate a taxonomy file (YAML or JSON).

    Args:
        path: the file (default: the shipped ``corpora/taxonomy/default.yaml``).

    Raises:
        TaxonomyError: the file is missing or malformed; the message names the entry.
    """
    p = Path(path) if path else default_taxonomy_path()
    if not p.is_file():
        raise TaxonomyError(f"taxonomy file not found: {p}")
    raw = read_yaml_or_json(p, "taxonomy")
    return taxonomy_from_dict(raw, source=str(p))


def read_yaml_or_json(p: Path, what: str) -> Any:
    """A data file parsed as JSON (``.json``) or YAML (anything else).

    Raises:
        TaxonomyError: it cannot be decoded or parsed (``{p}: cannot parse {what}: ...``).
    """
    try:
        text = p.read_text(encoding="utf-8")
        if p.suffix.lower() == ".json":
            return json.loads(text)
        import yaml

        return yaml.safe_load(text)
    except (ValueError, UnicodeDecodeError) as e:  # yaml.YAMLError subclasses Exception
        raise TaxonomyError(f"{p}: cannot parse {what}: {e}") from e
    except Exception as e:  # noqa: BLE001 - yaml raises its own hierarchy
        if type(e).__module__.startswith("yaml"):
            raise TaxonomyError(f"{p}: cannot parse {what}: {e}") from e
        raise


def taxonomy_from_dict(raw: Any, *, source: str = "<memory>") -> Taxonomy:
    """Validate plain data (as read from a file or a model bundle) into a Taxonomy."""
    where = source
    if not isinstance(raw, dict):
        raise TaxonomyError(f"{where}: a taxonomy is a mapping with 'topics', got {type(raw).__name__}")
    for key in ("name", "version", "dimensions", "topics"):
        if key not in raw:
            raise TaxonomyError(f"{where}: missing required key '{key}'")
    polarities = tuple(raw.get("polarities") or ("pos", "neg", "neu"))
    dims = _dimensions(raw["dimensions"], where)
    topics = _topics(raw["topics"], {d.id for d in dims}, where)
    _check_yields(topics, where)
    directions = _directions(raw.get("taste_directions") or [], where)
    taste_topic = raw.get("taste_topic")
    if taste_topic is not None and taste_topic not in {t.id for t in topics}:
        raise TaxonomyError(f"{where}: taste_topic '{taste_topic}' is not one of the topics")
    if directions and taste_topic is None:
        raise TaxonomyError(f"{where}: taste_directions given but no taste_topic")
    fallback = raw.get("fallback_direction")
    if fallback is not None and fallback not in {d.id for d in directions}:
        raise TaxonomyError(f"{where}: fallback_direction '{fallback}' is not a taste direction")
    return Taxonomy(
        name=str(raw["name"]), version=str(raw["version"]), polarities=polarities,
        dimensions=dims, topics=topics, taste_topic=taste_topic,
        taste_directions=directions, fallback_direction=fallback,
        taste_exclude=tuple(str(w) for w in raw.get("taste_exclude") or ()),
        detects_exclude=_patterns(raw.get("detects_exclude") or (), "detects_exclude", where), source=source,
    )


def _patterns(raw: Any, what: str, where: str) -> tuple[str, ...]:
    """A list of regular expressions, each checked to compile (``what``: the key, for the message)."""
    if not isinstance(raw, (list, tuple)):
        raise TaxonomyError(f"{where}: '{what}' must be a list of regular expressions")
    out = []
    for w in raw:
        try:
            re.compile(str(w))
        except re.error as e:
            raise TaxonomyError(f"{where}: {what}: {w!r} is not a valid regular expression ({e}); "
                                "escape a literal bracket or parenthesis with a backslash") from e
        out.append(str(w))
    return tuple(out)


def _check_id(value: Any, what: str, where: str) -> str:
    if not isinstance(value, str) or not value or not set(value) <= _ID_CHARS:
        raise TaxonomyError(
            f"{where}: {what} id {value!r} must be lower-case letters, digits or '_'"
        )
    return value


def _cues(entry: dict, what: str, where: str, key: str = "cues") -> tuple[str, ...]:
    cues = entry.get(key) or []
    if not isinstance(cues, list) or not all(isinstance(c, str) and c.strip() for c in cues):
        raise TaxonomyError(f"{where}: {what}: '{key}' must be a list of non-empty strings")
    return tuple(c.strip() for c in cues)


def _dimensions(raw: Any, where: str) -> tuple[Dimension, ...]:
    if not isinstance(raw, dict) or not raw:
        raise TaxonomyError(f"{where}: 'dimensions' must be a non-empty mapping id -> {{zh, en}}")
    out = []
    for key, val in raw.items():
        _check_id(key, "dimension", where)
        if not isinstance(val, dict) or "zh" not in val:
            raise TaxonomyError(f"{where}: dimension '{key}' needs a 'zh' name")
        out.append(Dimension(id=key, zh=str(val["zh"]), en=str(val.get("en", key))))
    return tuple(out)


def _topics(raw: Any, dim_ids: set[str], where: str) -> tuple[Topic, ...]:
    if not isinstance(raw, list) or not raw:
        raise TaxonomyError(f"{where}: 'topics' must be a non-empty list")
    out: list[Topic] = []
    seen: set[str] = set()
    for i, entry in enumerate(raw):
        if not isinstance(entry, dict):
            raise TaxonomyError(f"{where}: topics[{i}] must be a mapping, got {entry!r}")
        tid = _check_id(entry.get("id"), f"topics[{i}]", where)
        what = f"topic '{tid}'"
        if tid in seen:
            raise TaxonomyError(f"{where}: {what} appears twice")
        seen.add(tid)
        if "zh" not in entry:
            raise TaxonomyError(f"{where}: {what} needs a 'zh' name")
        dim = entry.get("dimension")
        if dim not in dim_ids:
            raise TaxonomyError(
                f"{where}: {what} has dimension {dim!r}; known: {', '.join(sorted(dim_ids))}"
            )
        out.append(Topic(
            id=tid, zh=str(entry["zh"]), en=str(entry.get("en", tid)), dimension=dim,
            description=str(entry.get("description", "")), cues=_cues(entry, what, where),
            yields_to=_yields_to(entry, what, where),
            yields_shared=_yields_to(entry, what, where, "yields_shared"),
            detects=_cues(entry, what, where, "detects"),
        ))
    return tuple(out)


def _yields_to(entry: dict, what: str, where: str, key: str = "yields_to"
               ) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """``yields_to`` (other topic id -> its context words) or ``yields_shared`` (other topic
    id -> cues shared with it): a mapping of lists (absent: none)."""
    raw = entry.get(key) or {}
    if not isinstance(raw, dict):
        example = "{service_attitude: [上菜]}" if key == "yields_to" else "{service_attitude: [慢]}"
        raise TaxonomyError(f"{where}: {what}: '{key}' must map a topic id to a list of "
                            f"{'context words' if key == 'yields_to' else 'its cues'}, e.g. {example}")
    return tuple((str(other), _cues(raw, f"{what}: '{key}'", where, other)) for other in raw)


def _check_yields(topics: tuple[Topic, ...], where: str) -> None:
    ids = {t.id for t in topics}
    for t in topics:
        for other, words in t.yields_to:
            if other not in ids or other == t.id:
                raise TaxonomyError(f"{where}: topic '{t.id}': 'yields_to' names '{other}', which is "
                                    f"not another topic of this taxonomy")
            if not words:
                raise TaxonomyError(f"{where}: topic '{t.id}': 'yields_to' '{other}' needs at least "
                                    f"one context word")
        yields = {other for other, _ in t.yields_to}
        for other, cues in t.yields_shared:
            if other not in yields:
                raise TaxonomyError(f"{where}: topic '{t.id}': 'yields_shared' names '{other}', which "
                                    f"its 'yields_to' does not")
            if not cues:
                raise TaxonomyError(f"{where}: topic '{t.id}': 'yields_shared' '{other}' needs at least "
                                    f"one cue")
            foreign = [c for c in cues if c not in t.cues]
            if foreign:
                raise TaxonomyError(f"{where}: topic '{t.id}': 'yields_shared' '{other}' lists "
                                    f"{', '.join(foreign)}, not among its cues")


def _directions(raw: Any, where: str) -> tuple[TasteDirection, ...]:
    if not isinstance(raw, list):
        raise TaxonomyError(f"{where}: 'taste_directions' must be a list")
    out = []
    seen: set[str] = set()
    for i, entry in enumerate(raw):
        if not isinstance(entry, dict):
            raise TaxonomyError(f"{where}: taste_directions[{i}] must be a mapping")
        did = _check_id(entry.get("id"), f"taste_directions[{i}]", where)
        if did in seen:
            raise TaxonomyError(f"{where}: taste direction '{did}' appears twice")
        seen.add(did)
        what = f"taste direction '{did}'"
        cues = _cues(entry, what, where)
        out.append(TasteDirection(
            id=did, zh=str(entry.get("zh", did)), en=str(entry.get("en", did)), cues=cues,
            weak_cues=_cues(entry, what, where, "weak_cues"),
            decides_polarity=_some_cues(entry, "decides_polarity", cues, what, where),
            detects_topic=_some_cues(entry, "detects_topic", cues, what, where),
            seasonings=_cues(entry, what, where, "seasonings"),
            missing_seasonings=_cues(entry, what, where, "missing_seasonings"),
        ))
    for key in ("seasonings", "missing_seasonings"):  # a seasoning names one direction
        owner: dict[str, str] = {}
        for d in out:
            for word in getattr(d, key):
                if owner.setdefault(word, d.id) != d.id:
                    raise TaxonomyError(f"{where}: '{key}' lists {word} under both taste direction "
                                        f"'{owner[word]}' and '{d.id}'; keep it under one")
    return tuple(out)


def _some_cues(entry: dict, key: str, cues: tuple[str, ...], what: str, where: str) -> tuple[str, ...]:
    """``decides_polarity`` / ``detects_topic``: absent/false → none, true → all ``cues``,
    a list → those, each one of ``cues``."""
    raw = entry.get(key, False)
    if isinstance(raw, bool):
        return cues if raw else ()
    if not isinstance(raw, list) or not all(isinstance(c, str) and c.strip() for c in raw):
        raise TaxonomyError(f"{where}: {what}: '{key}' must be true, false or a list of its cues")
    listed = tuple(c.strip() for c in raw)
    unknown = [c for c in listed if c not in cues]
    if unknown:
        raise TaxonomyError(f"{where}: {what}: '{key}' names {', '.join(unknown)}, which "
                            f"{'is' if len(unknown) == 1 else 'are'} not among its cues; add "
                            f"{'it' if len(unknown) == 1 else 'them'} to 'cues' or use true for all")
    return listed
