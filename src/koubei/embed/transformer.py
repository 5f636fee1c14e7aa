"""Transformer backend: pooled embeddings from a local Hugging Face model directory.

The user downloads a model once (a Chinese BERT, RoBERTa or BGE) on a machine
with internet and points koubei at the folder; nothing is downloaded at run
time. Texts are encoded on CPU in batches sorted by length (little padding),
pooled over the attention mask (mean, or the ``[CLS]`` vector that BGE models
are trained for), L2-normalized and cached by a hash of the model's
fingerprint, the pooling, the maximum length and the text, so a review is
encoded once.

torch and transformers are an optional extra, imported on first use only:
``import koubei`` stays fast and works without them.
"""

from __future__ import annotations

import hashlib
import importlib.util
import inspect
import json
import pickle
import sqlite3
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from koubei.errors import EncoderError, IncompatibleModelError, ModelNotFoundError, first_line

INSTALL_LINE = 'pip install "koubei[transformers]"'
INSTALL_HINT = (f"the transformer encoder needs torch and transformers; install them with {INSTALL_LINE} "
                "(it pins torch==2.13.0: install its CPU build first on a machine without a GPU "
                "to avoid the multi-GB CUDA wheels)")
WEIGHT_FILES = ("model.safetensors", "pytorch_model.bin", "model.safetensors.index.json",
                "pytorch_model.bin.index.json")
TOKENIZER_FILES = ("tokenizer.json", "vocab.txt", "sentencepiece.bpe.model", "spiece.model",
                   "tokenizer.model")
POOLINGS = ("mean", "cls")
GET_MODEL_HINT = (
    "a Hugging Face model directory holds config.json, the weights (model.safetensors or "
    "pytorch_model.bin) and the tokenizer (tokenizer.json or vocab.txt); koubei never downloads: "
    "on a machine with internet run `hf download BAAI/bge-small-zh-v1.5 --local-dir bge-small-zh-v1.5` "
    "(`huggingface-cli download` with an older huggingface_hub), copy that folder here and pass its path"
)
_HASH_CONTENT_BELOW = 16 * 2**20  # files smaller than this are hashed whole, larger by size+mtime
ProgressFn = Callable[[int], None]


def _import_modules() -> tuple[Any, Any]:
    import torch
    import transformers

    return torch, transformers


def require_backend() -> None:
    """Check that torch and transformers are installed, without importing them (fast).

    Raises:
        EncoderError: either is missing; the message gives the install line.
    """
    missing = [m for m in ("torch", "transformers") if importlib.util.find_spec(m) is None]
    if missing:
        raise EncoderError(f"{INSTALL_HINT} (not installed: {', '.join(missing)})")


def import_backend() -> tuple[Any, Any]:
    """``(torch, transformers)``, imported now.

    Raises:
        EncoderError: either is not installed; the message gives the install line.
    """
    try:
        return _import_modules()
    except ImportError as e:
        raise EncoderError(f"{INSTALL_HINT} ({e})") from e


@contextmanager
def quiet_transformers(transformers: Any) -> Iterator[None]:
    """Silence transformers' logging and progress bars (library code never prints)."""
    log = transformers.utils.logging
    verbosity, bars = log.get_verbosity(), log.is_progress_bar_enabled()
    log.set_verbosity_error()
    log.disable_progress_bar()
    try:
        yield
    finally:
        log.set_verbosity(verbosity)
        if bars:
            log.enable_progress_bar()


def check_model_dir(path: str | Path) -> Path:
    """The model directory, after checking it holds a config, weights and a tokenizer.

    Raises:
        ModelNotFoundError: ``path`` does not exist or is not a directory.
        EncoderError: files are missing (each named) or config.json is not JSON.
    """
    folder = Path(path)
    if not folder.is_dir():
        what = "is not a directory" if folder.exists() else "not found"
        raise ModelNotFoundError(f"encoder model directory {what}: {folder}; {GET_MODEL_HINT}")
    missing = []
    if not (folder / "config.json").is_file():
        missing.append("config.json")
    if not any((folder / f).is_file() for f in WEIGHT_FILES):
        missing.append("weights (model.safetensors or pytorch_model.bin)")
    if not any((folder / f).is_file() for f in TOKENIZER_FILES):
        missing.append("tokenizer (tokenizer.json or vocab.txt)")
    if missing:
        raise EncoderError(f"{folder} is not a complete Hugging Face model directory: missing "
                           f"{', '.join(missing)}; {GET_MODEL_HINT}")
    read_config(folder)
    return folder


def read_config(folder: Path) -> dict[str, Any]:
    """The model's config.json as a dict."""
    try:
        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as e:
        raise EncoderError(f"{folder / 'config.json'} is not valid JSON ({e}); {GET_MODEL_HINT}") from e
    if not isinstance(config, dict):
        raise EncoderError(f"{folder / 'config.json'} is not a JSON object; {GET_MODEL_HINT}")
    return config


def model_fingerprint(folder: Path) -> str:
    """sha1 over the directory's top-level files: content when small, size+mtime when large.

    Config, tokenizer and a small model's weights are hashed whole; a large weights
    file by size and modification time, so that fingerprinting stays instant.
    """
    h = hashlib.sha1()
    for f in sorted(p for p in folder.iterdir() if p.is_file()):
        st = f.stat()
        h.update(f"{f.name}\0{st.st_size}\0".encode())
        if st.st_size < _HASH_CONTENT_BELOW:
            h.update(f.read_bytes())
        else:
            h.update(str(st.st_mtime_ns).encode())
    return h.hexdigest()


def file_sha256(path: Path) -> str:
    """sha256 of a file's content, read in 1 MiB blocks."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(2**20), b""):
            h.update(block)
    return h.hexdigest()


def content_sha256(folder: Path) -> str:
    """sha256 over the names and content of the directory's top-level files.

    Unlike :func:`model_fingerprint` it reads every byte of the weights, so it
    survives a copy that changes modification times (slower: about 1 s per 400 MB).
    """
    h = hashlib.sha256()
    for f in sorted(p for p in folder.iterdir() if p.is_file()):
        h.update(f"{f.name}\0{file_sha256(f)}\0".encode())
    return h.hexdigest()


def pool(hidden: Any, mask: Any, pooling: str) -> Any:
    """L2-normalized sentence vectors from token states ``(batch, tokens, dim)`` (torch tensors).

    ``mean`` averages the tokens the attention mask keeps; ``cls`` takes the first token.
    """
    if pooling == "cls":
        vec = hidden[:, 0]
    else:
        m = mask.unsqueeze(-1).to(hidden.dtype)
        vec = (hidden * m).sum(dim=1) / m.sum(dim=1).clamp(min=1.0)
    return vec / vec.norm(dim=1, keepdim=True).clamp(min=1e-12)


def model_inputs(model: Any, tokenizer: Any, texts: list[str], max_length: int,
                 device: str) -> dict[str, Any]:
    """Tokenized, padded tensors of ``texts`` holding only the inputs the model's forward takes."""
    enc = tokenizer(texts, padding=True, truncation=True, max_length=max_length, return_tensors="pt")
    accepted = inspect.signature(model.forward).parameters
    return {k: v.to(device) for k, v in enc.items() if k in accepted}


def _text(doc: Any) -> str:
    return doc if isinstance(doc, str) else str(doc.norm)


class _DiskCache:
    """Vectors by key in one sqlite file (float32 blobs; loading runs no code)."""

    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.path = folder / "embeddings.sqlite"
        with closing(sqlite3.connect(self.path)) as db, db:
            db.execute("CREATE TABLE IF NOT EXISTS vectors (key TEXT PRIMARY KEY, vec BLOB NOT NULL)")

    def get_many(self, keys: Sequence[str]) -> dict[str, np.ndarray]:
        out: dict[str, np.ndarray] = {}
        with closing(sqlite3.connect(self.path)) as db:
            for i in range(0, len(keys), 500):
                chunk = list(keys[i:i + 500])
                marks = ",".join("?" * len(chunk))
                rows = db.execute(f"SELECT key, vec FROM vectors WHERE key IN ({marks})", chunk)
                out.update((k, np.frombuffer(v, dtype=np.float32).copy()) for k, v in rows)
        return out

    def put_many(self, items: dict[str, np.ndarray]) -> None:
        with closing(sqlite3.connect(self.path)) as db, db:
            db.executemany("INSERT OR REPLACE INTO vectors VALUES (?, ?)",
                           [(k, np.asarray(v, dtype=np.float32).tobytes()) for k, v in items.items()])


class TransformerEmbedder:
    """Dense sentence embeddings from a local Hugging Face encoder (``embed(docs) -> matrix``).

    Args:
        model_dir: a Hugging Face model directory (config.json, weights, tokenizer).
        batch_size: texts per forward pass.
        max_length: tokens kept per text (longer texts are truncated).
        pooling: ``mean`` over the attention mask, or ``cls`` (what BGE models expect).
        cache_dir: folder of an on-disk cache shared across runs; ``None`` keeps the
            cache in memory only.
        device: torch device, ``cpu`` by default.
        progress: called after each batch with the number of ``docs`` done so far
            (texts found in the cache are reported at once); the CLI draws a bar.

    Raises:
        ModelNotFoundError: ``model_dir`` is missing.
        EncoderError: the directory is incomplete, or a parameter is invalid.
    """

    def __init__(self, model_dir: str | Path, *, batch_size: int = 32, max_length: int = 128,
                 pooling: str = "mean", cache_dir: str | Path | None = None, device: str = "cpu",
                 progress: ProgressFn | None = None) -> None:
        if pooling not in POOLINGS:
            raise EncoderError(f"unknown pooling {pooling!r}; use one of {', '.join(POOLINGS)}")
        if batch_size < 1 or max_length < 2:
            raise EncoderError("batch_size must be ≥ 1 and max_length ≥ 2")
        self.model_dir = check_model_dir(model_dir)
        self.batch_size = batch_size
        self.max_length = max_length
        self.pooling = pooling
        self.cache_dir = None if cache_dir is None else Path(cache_dir)
        self.device = device
        self.progress = progress
        self.fingerprint = model_fingerprint(self.model_dir)
        self.encoded_count = 0  # texts run through the model so far (cache misses)
        self.pass_total = 0  # texts of the latest embed call (what ``progress`` counts towards)
        self._config = read_config(self.model_dir)
        self._memory: dict[str, np.ndarray] = {}
        self._disk = None if self.cache_dir is None else _DiskCache(self.cache_dir)
        self._loaded: tuple[Any, Any, Any] | None = None  # torch, tokenizer, model

    @property
    def dim(self) -> int:
        """Width of the embeddings (the model's hidden size)."""
        for key in ("hidden_size", "d_model", "dim"):
            if isinstance(self._config.get(key), int):
                return int(self._config[key])
        return int(self._load()[2].config.hidden_size)

    def _load(self) -> tuple[Any, Any, Any]:
        if self._loaded is None:
            torch, transformers = import_backend()
            with quiet_transformers(transformers):
                tokenizer, model = load_pretrained(transformers, self.model_dir)
            model.to(self.device)
            model.eval()
            self._loaded = (torch, tokenizer, model)
        return self._loaded

    def _key(self, text: str) -> str:
        raw = f"{self.fingerprint}\0{self.pooling}\0{self.max_length}\0{text}"
        return hashlib.sha1(raw.encode("utf-8")).hexdigest()

    def embed(self, docs: Sequence[Any]) -> np.ndarray:
        """One L2-normalized float32 row per doc (``Doc``-like with ``norm``, or a string)."""
        texts = [_text(d) for d in docs]
        self.pass_total = len(texts)
        keys = [self._key(t) for t in texts]
        found = self._lookup(list(dict.fromkeys(keys)))
        counts = Counter(keys)
        done = sum(counts[k] for k in found)
        if done and self.progress is not None:
            self.progress(done)
        todo = {k: t for k, t in zip(keys, texts) if k not in found}
        for batch in self._batches(todo):
            vecs = self.encode([todo[k] for k in batch])
            new = dict(zip(batch, vecs))
            self._store(new)
            found.update(new)
            done += sum(counts[k] for k in batch)
            if self.progress is not None:
                self.progress(done)
        if not keys:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack([found[k] for k in keys]).astype(np.float32, copy=False)

    def fit(self, docs: Sequence[Any] = (), y: Any = None) -> TransformerEmbedder:
        """Nothing to learn (the encoder is pretrained); here for pipelines. Returns ``self``."""
        return self

    def transform(self, docs: Sequence[Any]) -> np.ndarray:
        """Same as :meth:`embed` (the name the TF-IDF backend's callers use)."""
        return self.embed(docs)

    def encode(self, texts: list[str]) -> np.ndarray:
        """Encode one batch with the model (no cache): ``(len(texts), dim)`` float32."""
        torch, tokenizer, model = self._load()
        limit = getattr(tokenizer, "model_max_length", None)
        length = self.max_length
        if isinstance(limit, int) and limit < 100_000:  # tokenizers without a limit say 1e30
            length = min(length, limit)
        inputs = model_inputs(model, tokenizer, texts, length, self.device)
        with torch.inference_mode():
            hidden = model(**inputs).last_hidden_state
            vecs = pool(hidden, inputs["attention_mask"], self.pooling)
        self.encoded_count += len(texts)
        return np.asarray(vecs.float().cpu().numpy(), dtype=np.float32)

    def _batches(self, todo: dict[str, str]) -> Iterator[list[str]]:
        order = sorted(todo, key=lambda k: len(todo[k]))
        for i in range(0, len(order), self.batch_size):
            yield order[i:i + self.batch_size]

    def _lookup(self, keys: list[str]) -> dict[str, np.ndarray]:
        found = {k: self._memory[k] for k in keys if k in self._memory}
        if self._disk is not None:
            rest = [k for k in keys if k not in found]
            disk = self._disk.get_many(rest) if rest else {}
            self._memory.update(disk)
            found.update(disk)
        return found

    def _store(self, items: dict[str, np.ndarray]) -> None:
        self._memory.update(items)
        if self._disk is not None:
            self._disk.put_many(items)

    # -- reference in a model bundle -------------------------------------------------
    def to_state(self, *, content_hash: bool = False) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        """JSON-able reference to the encoder (path, hashes, parameters); no arrays.

        Args:
            content_hash: also record :func:`content_sha256` of the directory, so a
                copy with other modification times is still recognized.
        """
        meta: dict[str, Any] = {
            "kind": "transformer", "model_dir": str(self.model_dir), "fingerprint": self.fingerprint,
            "config_sha256": file_sha256(self.model_dir / "config.json"),
            "architecture": (self._config.get("architectures") or [self._config.get("model_type", "")])[0],
            "dim": self.dim,
            "params": {"batch_size": self.batch_size, "max_length": self.max_length,
                       "pooling": self.pooling}}
        if content_hash:
            meta["content_sha256"] = content_sha256(self.model_dir)
        return meta, {}

    @classmethod
    def from_state(cls, meta: dict[str, Any], arrays: dict[str, np.ndarray] | None = None, *,
                   model_dir: str | Path | None = None, **options: Any) -> TransformerEmbedder:
        """Rebuild from :meth:`to_state`, checking the encoder is the one the state was made with.

        The quick fingerprint is checked first; when it differs (e.g. the folder was
        copied and its files got new modification times) the content hash decides.

        Raises:
            IncompatibleModelError: the encoder's files changed since (another model).
        """
        self = cls(model_dir or meta["model_dir"], **{**meta["params"], **options})
        if self.fingerprint == meta["fingerprint"]:
            return self
        same_config = meta.get("config_sha256") in (None, file_sha256(self.model_dir / "config.json"))
        if not (same_config and meta.get("content_sha256")
                and content_sha256(self.model_dir) == meta["content_sha256"]):
            raise IncompatibleModelError(
                f"encoder {self.model_dir} is not the one this model was trained with (its files "
                "changed); point at the original encoder directory or retrain")
        return self


def load_pretrained(transformers: Any, folder: Path) -> tuple[Any, Any]:
    """(tokenizer, model) of a checked model directory, from local files only.

    Raises:
        IncompatibleModelError: torch refused the pickled weights (``pytorch_model.bin``)
            under ``weights_only``: they hold more than tensors, and are never run.
        EncoderError: transformers cannot load the directory otherwise.
    """
    try:
        tokenizer = transformers.AutoTokenizer.from_pretrained(str(folder), local_files_only=True)
        model = transformers.AutoModel.from_pretrained(str(folder), local_files_only=True)
    except Exception as e:
        refused = _refused_pickle(e)
        if refused is not None:
            raise IncompatibleModelError(
                f"{folder}: torch refused to load the weights (pytorch_model.bin) with weights_only "
                f"({first_line(refused)}): they hold pickled objects besides tensors, which koubei never "
                "runs; retrain the model, or restore the bundle and its encoder from a trusted copy "
                "(or save the encoder's weights as model.safetensors)") from None
        if isinstance(e, _load_errors()):
            raise EncoderError(f"transformers cannot load the model in {folder} ({first_line(e)}); "
                               f"{GET_MODEL_HINT}") from e
        raise
    return tokenizer, model


def _refused_pickle(e: BaseException) -> BaseException | None:
    """The ``pickle.UnpicklingError`` behind ``e`` (torch's ``weights_only`` refusal, which
    transformers may re-raise as ``OSError``/``ValueError``), if any."""
    seen: set[int] = set()
    cur: BaseException | None = e
    while cur is not None and id(cur) not in seen:
        if isinstance(cur, pickle.UnpicklingError):
            return cur
        seen.add(id(cur))
        cur = cur.__cause__ or cur.__context__
    return None


def _load_errors() -> tuple[type[BaseException], ...]:
    """What loading a damaged or unsupported model raises (safetensors has its own error)."""
    errors: tuple[type[BaseException], ...] = (OSError, ValueError, KeyError, RuntimeError)
    try:
        from safetensors import SafetensorError
    except ImportError:
        return errors
    return (*errors, SafetensorError)
