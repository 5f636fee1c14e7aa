"""Model bundles: a versioned directory, never a bare pickle.

Layout of a bundle directory::

    manifest.json     format version, koubei/library versions, taxonomy and
                      dictionary hashes, training data references, metrics,
                      and the sha256 of every other file
    taxonomy.json     the label schema the model speaks
    user_dict.txt     the jieba dictionary the model was trained with
    embedder.json     TF-IDF parameters and vocabularies; for a model trained
                      with a transformer encoder (``koubei train --encoder``), also
                      the encoder's reference: path, config and content sha256,
                      pooling, max_length
    encoder/          only with ``--finetune`` or ``--copy-encoder``: the encoder
                      itself (config, weights, tokenizer), checked against the
                      content hash in embedder.json before it is loaded
    committee.json    optional (``koubei train``): the topic detectors of the
    committee.npz     cross-validation folds, which ``koubei suggest`` asks
                      where they disagree (:mod:`koubei.model.committee`)
    lexicon.json      from format 1.2, the polarity lexicon (:mod:`koubei.classify.lexicon`)
                      the model reads its topic polarities with, when it has one
    heads.json        parameters of the sentiment/topic/polarity heads and, from
                      format 1.1, of the word vectors (``wordvec``) when the model has them;
                      from format 1.3, of the taste direction head (``directions``) when
                      the model has one (:mod:`koubei.classify.taste_head`)
    arrays.npz        every numeric array (idf, coefficients, thresholds)
    MODEL_CARD.md     what it is, what it was trained on, how good it is

Loading runs no code from the bundle (``np.load(allow_pickle=False)``: an
object array is refused) and checks the format version and each file's hash
first; a manifest without its ``files`` hashes is refused.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np

from koubei.classify.lexicon import lexicon_from_dict
from koubei.classify.polarity import TopicPolarityClassifier
from koubei.classify.sentiment import LABELS as SENTIMENT_LABELS
from koubei.classify.sentiment import SentimentClassifier
from koubei.classify.taste_head import TasteDirectionHead
from koubei.classify.topics import TopicDetector
from koubei.embed.hybrid import HYBRID_KIND, HybridEmbedder
from koubei.embed.tfidf import TfidfEmbedder
from koubei.embed.wordvec import DenseView
from koubei.errors import EncoderError, IncompatibleModelError, ModelNotFoundError, OutputError
from koubei.io.writers import atomic_dir
from koubei.model.card import render_card
from koubei.model.committee import Committee
from koubei.model.npz import RESTORE_FIX, read_npz
from koubei.model.predict import Components
from koubei.taxonomy import Taxonomy, taxonomy_from_dict

#: 1.1 added word vectors and transformer encoders, 1.2 the polarity lexicon, 1.3 the taste direction
#: head; a reader takes its own major version up to its own minor one
BUNDLE_FORMAT = "1.3"
WORDVEC = "wordvec"
#: the optional taste direction head's key in heads.json and prefix in arrays.npz
DIRECTIONS = "directions"
ENCODER_DIR = "encoder"
MODEL_KIND = "koubei.review-model"
HEADS: dict[str, Any] = {"sentiment": SentimentClassifier, "topics": TopicDetector,
                         "polarity": TopicPolarityClassifier}
#: the polarity lexicon the model was trained with (optional: bundles before it have none)
LEXICON_FILE = "lexicon.json"
_HASHED = ("taxonomy.json", "user_dict.txt", "embedder.json", "heads.json", "arrays.npz")


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _write_json(path: Path, data: Any, *, sort_keys: bool = True) -> None:
    text = json.dumps(data, ensure_ascii=False, indent=1, sort_keys=sort_keys)
    path.write_text(text, encoding="utf-8")


def save_bundle(components: Components, path: str | Path, *, manifest_extra: dict[str, Any],
                user_dict: Path, overwrite: bool = False, committee: Committee | None = None) -> Path:
    """Write a bundle directory atomically (a temp dir renamed into place).

    ``committee``: topic detectors saved beside the model for ``koubei suggest``.

    Raises:
        OutputError: ``path`` exists and ``overwrite`` is false, or its parent is missing.
    """
    dest = Path(path)
    if dest.exists() and not overwrite:
        raise OutputError(f"model directory {dest} exists; pass --overwrite to replace it")
    if not dest.parent.is_dir():
        raise OutputError(f"parent directory {dest.parent} does not exist")
    with atomic_dir(dest) as tmp:
        _write_parts(components, tmp, user_dict)
        extra: dict[str, Any] = {"committee": committee.save(tmp)} if committee is not None else {}
        hashed = _HASHED + (tuple(extra["committee"]["files"]) if committee is not None else ())
        if components.lexicon is not None:
            extra["lexicon"] = {"name": components.lexicon.name, "version": components.lexicon.version,
                                "sha256": components.lexicon.sha256()}
            hashed += (LEXICON_FILE,)
        if components.directions is not None:
            extra["direction_head"] = {"directions": list(components.directions.directions_),
                                       "rule_features": len(components.directions.features_),
                                       "text_columns": len(components.directions.columns_)}
        if components.sentiment.gold_coef_ is not None:
            extra["sentiment_head"] = {"labels": list(SENTIMENT_LABELS),
                                       "neu_offset": components.sentiment.gold_neu_offset_,
                                       "side_columns": components.sentiment.gold_side_ - 2}
        manifest = {
            "kind": MODEL_KIND, "format_version": BUNDLE_FORMAT,
            "taxonomy": {"name": components.taxonomy.name,
                         "version": components.taxonomy.version,
                         "sha256": components.taxonomy.sha256()},
            "context_threshold": components.context_threshold,
            "files": {name: _sha256(tmp / name) for name in hashed},
            "embedder": embedder_summary(components.embedder),
            **({"word_vectors": {"words": len(components.dense.columns), "dim": components.dense.dim}}
               if components.dense is not None else {}),
            **extra,
            **manifest_extra,
        }
        _write_json(tmp / "manifest.json", manifest)
        (tmp / "MODEL_CARD.md").write_text(render_card(manifest), encoding="utf-8")
    return dest


def _write_parts(c: Components, folder: Path, user_dict: Path) -> None:
    _write_json(folder / "taxonomy.json", c.taxonomy.to_dict(), sort_keys=False)  # keep order
    shutil.copyfile(user_dict, folder / "user_dict.txt")
    emb_meta, arrays = c.embedder.to_state()
    if isinstance(c.embedder, HybridEmbedder) and c.embedder.bundle_encoder:
        _copy_encoder(c.embedder.encoder.model_dir, folder / ENCODER_DIR)
        emb_meta["encoder"]["model_dir"] = ENCODER_DIR
    _write_json(folder / "embedder.json", emb_meta)
    all_arrays = {f"embedder.{k}": v for k, v in arrays.items()}
    heads = {}
    for name in HEADS:
        meta, arr = getattr(c, name).to_state()
        heads[name] = meta
        all_arrays.update({f"{name}.{k}": v for k, v in arr.items()})
    for key, part in ((WORDVEC, c.dense), (DIRECTIONS, c.directions)):
        if part is not None:
            meta, arr = part.to_state()
            heads[key] = meta
            all_arrays.update({f"{key}.{k}": v for k, v in arr.items()})
    _write_json(folder / "heads.json", heads)
    if c.lexicon is not None:
        _write_json(folder / LEXICON_FILE, c.lexicon.to_dict(), sort_keys=False)
    np.savez_compressed(folder / "arrays.npz", **all_arrays)  # type: ignore[arg-type]


def _copy_encoder(src: Path, dest: Path) -> None:
    """The encoder's top-level files (config, weights, tokenizer), modification times kept."""
    dest.mkdir()
    for f in sorted(p for p in src.iterdir() if p.is_file()):
        shutil.copy2(f, dest / f.name)


def embedder_summary(embedder: Any) -> dict[str, Any]:
    """What the manifest and model card say about the embedder."""
    if not isinstance(embedder, HybridEmbedder):
        return {"kind": "tfidf", "features": int(embedder.n_features_out_)}
    enc = embedder.encoder
    return {"kind": HYBRID_KIND, "features": int(embedder.n_features_out_),
            "tfidf_features": embedder.n_tfidf, "dense_weight": embedder.dense_weight,
            "encoder": {"path": ENCODER_DIR if embedder.bundle_encoder else str(enc.model_dir),
                        "in_bundle": embedder.bundle_encoder, "dim": enc.dim, "pooling": enc.pooling,
                        "max_length": enc.max_length,
                        "config_sha256": enc.to_state()[0]["config_sha256"]}}


def read_manifest(path: str | Path) -> dict[str, Any]:
    """The manifest of a bundle, after checking it is one koubei can load.

    Raises:
        ModelNotFoundError: no bundle at ``path``.
        IncompatibleModelError: another kind, format version, damaged files, or no
            ``files`` hashes to check them by.
    """
    folder = Path(path)
    mpath = folder / "manifest.json"
    if not folder.is_dir():
        raise ModelNotFoundError(f"model directory not found: {folder}")
    if not mpath.is_file():
        raise ModelNotFoundError(
            f"{folder} is not a koubei model (no manifest.json); train one with scripts/train_default.py"
        )
    try:
        manifest = json.loads(mpath.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as e:
        raise IncompatibleModelError(f"{mpath}: manifest is not valid JSON ({e})") from e
    if not isinstance(manifest, dict) or manifest.get("kind") != MODEL_KIND:
        kind = manifest.get("kind") if isinstance(manifest, dict) else None
        raise IncompatibleModelError(f"{folder}: not a koubei review model (kind={kind!r})")
    fmt = str(manifest.get("format_version", ""))
    if not _readable(fmt):
        raise IncompatibleModelError(
            f"{folder}: bundle format {fmt or '?'} cannot be read by koubei (reads {BUNDLE_FORMAT}); "
            "retrain it with this version"
        )
    files = manifest.get("files")
    if not isinstance(files, dict) or not files:
        # without it no file would be checked: a damaged or swapped file would load silently
        raise IncompatibleModelError(f"{folder}: manifest.json has no list of files and their hashes, so the "
                                     f"bundle cannot be checked (damaged or edited); {RESTORE_FIX}")
    unlisted = [name for name in _HASHED if name not in files]
    if unlisted:  # a file left out of the list would load unchecked
        raise IncompatibleModelError(f"{folder}: manifest.json lists no hash for {', '.join(unlisted)}, so "
                                     f"the bundle cannot be checked (damaged or edited); {RESTORE_FIX}")
    for name, digest in files.items():
        f = folder / name
        if not f.is_file():
            raise IncompatibleModelError(f"{folder}: file {name} is missing from the bundle")
        if _sha256(f) != digest:
            raise IncompatibleModelError(
                f"{folder}: {name} does not match its hash in manifest.json (damaged or edited)")
    return manifest


def _readable(fmt: str) -> bool:
    """Same major version as :data:`BUNDLE_FORMAT`, minor version no newer."""
    try:
        major, minor = (int(x) for x in fmt.split("."))
    except ValueError:
        return False
    own_major, own_minor = (int(x) for x in BUNDLE_FORMAT.split("."))
    return major == own_major and minor <= own_minor


def load_components(path: str | Path, *, expect_taxonomy: Taxonomy | None = None,
                    encoder_dir: str | Path | None = None) -> tuple[Components, dict[str, Any], Path]:
    """Rebuild the fitted components of a bundle.

    Args:
        expect_taxonomy: when given, the bundle must speak exactly this taxonomy.
        encoder_dir: for a bundle with a transformer encoder, where that encoder is
            now (default: the path recorded at training, or the bundle's ``encoder/``);
            it must be the same model (checked by hash).

    Raises:
        EncoderError: the bundle's encoder is missing or not a model directory, or
            torch/transformers are not installed (the message gives the install line).

    Returns:
        components, manifest, path of the bundle's user dictionary.
    """
    folder = Path(path)
    manifest = read_manifest(folder)
    taxonomy = taxonomy_from_dict(json.loads((folder / "taxonomy.json").read_text(encoding="utf-8")),
                                  source=str(folder / "taxonomy.json"))
    recorded = manifest.get("taxonomy")
    if not isinstance(recorded, dict) or "sha256" not in recorded:
        raise IncompatibleModelError(f"{folder}: manifest.json records no taxonomy hash (damaged or "
                                     f"edited); {RESTORE_FIX}")
    if taxonomy.sha256() != recorded["sha256"]:
        raise IncompatibleModelError(f"{folder}: taxonomy.json does not match the manifest's taxonomy hash")
    if expect_taxonomy is not None and expect_taxonomy.sha256() != taxonomy.sha256():
        raise IncompatibleModelError(
            f"{folder} was trained on taxonomy {taxonomy.name} v{taxonomy.version}, not "
            f"{expect_taxonomy.name} v{expect_taxonomy.version}; train a model on your taxonomy"
        )
    arrays = read_npz(folder / "arrays.npz")

    def part(prefix: str) -> dict[str, np.ndarray]:
        return {k[len(prefix) + 1:]: v for k, v in arrays.items() if k.startswith(prefix + ".")}

    embedder = load_embedder(folder, json.loads((folder / "embedder.json").read_text(encoding="utf-8")),
                             part("embedder"), encoder_dir)
    heads_meta = json.loads((folder / "heads.json").read_text(encoding="utf-8"))
    heads = {name: cls.from_state(heads_meta[name], part(name)) for name, cls in HEADS.items()}
    dense = DenseView.from_state(heads_meta[WORDVEC], part(WORDVEC)) if WORDVEC in heads_meta else None
    directions = (TasteDirectionHead.from_state(heads_meta[DIRECTIONS], part(DIRECTIONS))
                  if DIRECTIONS in heads_meta else None)
    if directions is not None and directions.n_features_in_ != embedder.n_features_out_:
        raise IncompatibleModelError(f"{folder}: its taste direction head reads "
                                     f"{directions.n_features_in_:,} embedding columns, the embedder gives "
                                     f"{embedder.n_features_out_:,} (damaged or edited); {RESTORE_FIX}")
    lexicon = None
    if "lexicon" in manifest:
        if LEXICON_FILE not in (manifest.get("files") or {}):  # listed, so read_manifest checked it
            raise IncompatibleModelError(f"{folder}: the manifest names a polarity lexicon but does not "
                                         f"list {LEXICON_FILE} among its hashed files (damaged or edited)")
        lexicon = lexicon_from_dict(json.loads((folder / LEXICON_FILE).read_text(encoding="utf-8")),
                                    source=str(folder / LEXICON_FILE))
    if lexicon is None and heads["sentiment"].gold_side_ > 2:
        raise IncompatibleModelError(f"{folder}: its sentiment head reads the polarity lexicon, which the "
                                     "bundle lacks (damaged or edited); retrain it or restore lexicon.json")
    comps = Components(taxonomy=taxonomy, embedder=embedder,
                       context_threshold=float(manifest.get("context_threshold", 0.5)), dense=dense,
                       lexicon=lexicon, directions=directions, **heads)
    return comps, manifest, folder / "user_dict.txt"


def load_embedder(folder: Path, meta: dict[str, Any], arrays: dict[str, np.ndarray],
                  encoder_dir: str | Path | None = None) -> TfidfEmbedder | HybridEmbedder:
    """The bundle's embedder: TF-IDF, or TF-IDF + the transformer encoder it references."""
    if meta.get("kind") != HYBRID_KIND:
        return TfidfEmbedder.from_state(meta, arrays)
    from koubei.embed.transformer import TransformerEmbedder, require_backend

    ref = meta["encoder"]
    bundled = bool(ref.get("bundled"))
    recorded = folder / ENCODER_DIR if bundled else Path(ref["model_dir"])
    where = Path(encoder_dir) if encoder_dir else recorded
    try:
        require_backend()
    except EncoderError as e:
        raise EncoderError(f"model {folder} embeds reviews with a transformer encoder: {e}") from e
    if bundled and encoder_dir is None:
        fix = (f"the bundle's {ENCODER_DIR}/ folder is damaged: copy the whole model directory "
               "again, or retrain it")
    else:
        fix = (f"put the encoder directory the model was trained with back at {where} (or pass its "
               "new place: load_model(..., encoder_dir=...)), or retrain with koubei train --encoder DIR "
               "(--copy-encoder keeps the encoder inside the bundle)")
    try:
        encoder = TransformerEmbedder.from_state(ref, model_dir=where)
    except (ModelNotFoundError, EncoderError) as e:
        raise EncoderError(f"model {folder} needs the transformer encoder at {where}, which is missing "
                           f"or not a model directory ({_first_clause(e)}); {fix}") from e
    except IncompatibleModelError as e:
        raise IncompatibleModelError(f"model {folder}: the encoder at {where} is not the one it was "
                                     f"trained with (its files differ); {fix}") from e
    return HybridEmbedder(TfidfEmbedder.from_state(meta["tfidf"], arrays), encoder,
                          dense_weight=float(meta.get("dense_weight", 1.0)), bundle_encoder=bundled)


def _first_clause(e: Exception) -> str:
    return str(e).split(";")[0]
