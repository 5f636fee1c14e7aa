"""The feed: which dump files to look at, their fingerprints, and what makes a row "seen".

Files: a folder means every dump in it (by extension, hidden files and Excel's ``~$``
lock files left out), a glob its matches, in name order. A file modified less than
``settle_seconds`` ago is left for the next run (it may still be being copied in).

Row keys. A dump's ``review_id`` (:mod:`koubei.io.annotate`) is unique *within the
file*: the source id when the dump has an id column, else a hash of the normalized
text with ``-2``, ``-3``... for repeats in file order. Across files that is not
enough: 好吃 written by two customers on two days gets the same hash id in each day's
dump, and in a re-exported dump whose window moved, the ``-N`` of a repeated text
shifts. So a row is "seen" by its key, a 64-bit hash of:

- its source id, when it has one (the id names the review, whatever else changes);
- else its text hash with time, product, supplier, batch, channel and rating, plus the
  occurrence number of that tuple in the file (two identical rows stay two rows).

The same review in a re-export (old rows plus new ones, in any order) has the same
key; a short common text on another day, or for another product, does not. Relative
times (``3天前``) resolve against the run's clock and would make an old row look new:
map an id column for feeds that use them.
"""

from __future__ import annotations

import fnmatch
import glob
import hashlib
import os
import re
import time
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from koubei.errors import InputError
from koubei.io.annotate import KeyCounts

#: extensions of the dumps a folder's listing takes (those ``koubei score`` reads)
DUMP_EXTENSIONS = (".csv", ".tsv", ".tab", ".txt", ".jsonl", ".ndjson", ".json", ".xlsx", ".xlsm",
                   ".parquet", ".pq")
_HASH_ID = re.compile(r"r[0-9a-f]{16}(?:-\d+)?")
_KEY_COLUMNS = ("time", "product", "supplier", "batch", "channel", "rating")


@dataclass(frozen=True)
class FeedFile:
    """A dump file and its ``stat`` at listing time."""

    path: Path
    size: int
    mtime_ns: int


def list_feed(patterns: Sequence[str], base: Path, *, settle_seconds: float = 60.0,
              exclude: Collection[Path] = (), now: float | None = None) -> tuple[list[FeedFile], list[Path]]:
    """The dump files of the feed, in name order, and those left because they changed just now.

    Args:
        exclude: files and folders never taken (the monitor's own outputs and history, should
            they lie in the feed folder).

    Raises:
        InputError: a file or folder that does not exist (a glob matching nothing is an empty feed).
    """
    clock = time.time() if now is None else now
    skip = {p.resolve() for p in exclude}
    found: dict[Path, FeedFile] = {}
    settling: list[Path] = []
    for pattern in patterns:
        for path in _expand(pattern, base):
            real = path.resolve()
            if real in skip or any(parent in skip for parent in real.parents):
                continue
            st = path.stat()
            if clock - st.st_mtime < settle_seconds:
                settling.append(path)
                continue
            found[path] = FeedFile(path, st.st_size, st.st_mtime_ns)
    return sorted(found.values(), key=lambda f: str(f.path)), sorted(settling)


def _expand(pattern: str, base: Path) -> list[Path]:
    p = Path(pattern).expanduser()
    p = p if p.is_absolute() else base / p
    if glob.has_magic(str(p)):
        return sorted(Path(m) for m in glob.glob(str(p)) if Path(m).is_file() and _is_dump(Path(m)))
    if p.is_dir():
        return sorted(c for c in p.iterdir() if c.is_file() and _is_dump(c))
    if p.is_file():
        return [p]
    raise InputError(f"{p}: no such file or folder; create it, or fix [input] path in the config")


def _is_dump(path: Path) -> bool:
    name = path.name
    return not name.startswith((".", "~$")) and any(fnmatch.fnmatch(name.lower(), f"*{e}")
                                                   for e in DUMP_EXTENSIONS)


def sha256_file(path: Path) -> str:
    """sha256 of a file's bytes, read 1 MiB at a time."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def hash64(texts: Sequence[str]) -> np.ndarray:
    """A stable 64-bit hash (blake2b) of each text, as ``uint64``."""
    out = np.empty(len(texts), dtype=np.uint64)
    for i, t in enumerate(texts):
        out[i] = int.from_bytes(hashlib.blake2b(t.encode("utf-8"), digest_size=8).digest(), "big")
    return out


def is_hash_id(ids: pd.Series) -> pd.Series:
    """Whether each review_id is a content hash (``r`` + 16 hex, maybe ``-N``), not a source id."""
    return ids.astype(str).str.fullmatch(_HASH_ID.pattern)


def row_keys(chunk: pd.DataFrame, occurrences: KeyCounts) -> np.ndarray:
    """The key of each row of a canonical chunk (see the module doc); ``occurrences`` spans the file.

    Feed a file's chunks in order with one ``KeyCounts``: the keys equal those of the whole file.
    """
    ids = chunk["review_id"].astype(str).reset_index(drop=True)
    hashed = is_hash_id(ids).to_numpy()
    parts = [ids.str.slice(0, 17).where(hashed, ids)]
    for col in _KEY_COLUMNS:
        values = chunk[col] if col in chunk.columns else pd.Series("", index=chunk.index)
        parts.append(values.astype(str).reset_index(drop=True).where(values.notna().to_numpy(), ""))
    content = parts[0].str.cat(parts[1:], sep="\x1f")
    text = np.where(hashed, "c\x1f" + content.to_numpy(dtype=object), "i\x1f" + ids.to_numpy(dtype=object))
    keys = hash64(list(text))
    if hashed.any():
        occ = _occurrence(keys[hashed], occurrences)
        again = np.flatnonzero(hashed)[occ > 0]
        if len(again):
            keys[again] = hash64([f"{k}#{n}" for k, n in zip(keys[again], occ[occ > 0])])
    return keys


def _occurrence(keys: np.ndarray, counts: KeyCounts) -> np.ndarray:
    """0-based occurrence of each key in the file so far (earlier chunks through ``counts``)."""
    codes, uniques = pd.factorize(keys)
    within = pd.Series(codes).groupby(codes).cumcount().to_numpy()
    prior = counts.add(np.asarray(uniques, dtype=np.uint64), np.bincount(codes, minlength=len(uniques)))
    return prior[codes] + within


def fsync_dir(folder: Path) -> None:
    """Make a rename in ``folder`` durable (no-op where folders cannot be opened)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def fsync_file(path: Path) -> None:
    """Flush a written file to disk (before it is renamed into place)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def parquet_rows(path: Path) -> int | None:
    """The row count in a Parquet file's footer; None when it is missing or not readable."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        return int(pq.ParquetFile(path).metadata.num_rows)
    except (pa.ArrowException, OSError):
        return None
