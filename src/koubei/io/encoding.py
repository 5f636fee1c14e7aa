"""Telling and checking the text encoding of a review dump.

Chinese dumps come as UTF-8 (with or without the BOM Excel writes) or as
GB18030/GBK (Excel on Chinese Windows). Detection decodes a sample strictly,
first as UTF-8 then as GB18030, and asks ``charset-normalizer`` only when
neither fits. A multi-byte character cut at the end of the sample is not held
against an encoding (an incremental decoder keeps it pending).

Detection is a guess from a sample; :func:`check_decodes` then decodes the
whole file strictly, so a bad byte anywhere is an :class:`EncodingError`
naming its offset and line, never a silent replacement character.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass
from pathlib import Path

from koubei.errors import EncodingError, InputError

SAMPLE_BYTES = 1 << 16
_BLOCK_BYTES = 1 << 22

# GBK and GB2312 are subsets of GB18030: reading them as GB18030 loses nothing.
_SUPERSETS = {"gbk": "gb18030", "gb2312": "gb18030", "hz": "gb18030"}


@dataclass(frozen=True)
class EncodingChoice:
    """The encoding a text file is read with.

    Attributes:
        codec: the Python codec name passed to the decoder.
        label: the name shown in reports (``utf-8``, ``utf-8-sig``, ``gb18030``...).
        detected: True when koubei guessed it, False when the user gave it.
        ascii_sample: True when the detection sample was pure ASCII, so the
            guess of UTF-8 says nothing about the rest of the file.
    """

    codec: str
    label: str
    detected: bool
    ascii_sample: bool = False


def normalize_encoding(name: str) -> str:
    """Python codec name for a user-given encoding; GBK/GB2312 become gb18030.

    UTF-8 is read as ``utf-8-sig`` so that a BOM never ends up in the first
    header name.

    Raises:
        InputError: Python knows no such encoding.
    """
    try:
        codec = codecs.lookup(name.strip()).name
    except LookupError:
        raise InputError(
            f"unknown encoding {name!r}; try --encoding utf-8 or --encoding gb18030"
        ) from None
    codec = _SUPERSETS.get(codec, codec)
    return "utf-8-sig" if codec == "utf-8" else codec


def choose_encoding(path: Path, encoding: str | None) -> EncodingChoice:
    """The user's encoding when given, else one detected from a sample.

    Args:
        path: the text file.
        encoding: the user's ``--encoding`` or None to detect.

    Raises:
        InputError: unknown encoding name.
        EncodingError: no encoding fits the sample.
    """
    if encoding:
        codec = normalize_encoding(encoding)
        return EncodingChoice(codec, _label(path, codec), detected=False)
    return detect_encoding(path)


def settle_encoding(path: Path, encoding: str | None) -> EncodingChoice:
    """Choose the encoding of ``path`` and check that the whole file decodes.

    When the sample was pure ASCII the UTF-8 guess was blind, so a file that
    then fails as UTF-8 is tried as GB18030 before giving up.

    Raises:
        InputError: unknown encoding name.
        EncodingError: the file does not decode (message names offset and line).
    """
    choice = choose_encoding(path, encoding)
    try:
        check_decodes(path, choice)
    except EncodingError:
        fallback = EncodingChoice("gb18030", "gb18030", detected=True)
        if choice.ascii_sample and _whole_file_decodes(path, fallback):
            return fallback
        raise
    return choice


def _whole_file_decodes(path: Path, choice: EncodingChoice) -> bool:
    try:
        check_decodes(path, choice)
    except EncodingError:
        return False
    return True


def detect_encoding(path: Path, sample_bytes: int = SAMPLE_BYTES) -> EncodingChoice:
    """Guess the encoding of ``path`` from its first ``sample_bytes`` bytes.

    Raises:
        EncodingError: the sample decodes neither as UTF-8 nor as GB18030 and
            charset-normalizer has no guess either.
    """
    with path.open("rb") as handle:
        sample = handle.read(sample_bytes + 1)
    whole = len(sample) <= sample_bytes
    sample = sample[:sample_bytes]
    if sample.startswith(codecs.BOM_UTF8):
        return EncodingChoice("utf-8-sig", "utf-8-sig", detected=True)
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return EncodingChoice("utf-16", "utf-16", detected=True)
    if sample.count(b"\x00") * 10 < len(sample):
        for codec in ("utf-8-sig", "gb18030"):
            if _decodes(sample, codec, final=whole):
                ascii_sample = codec == "utf-8-sig" and sample.isascii()
                return EncodingChoice(codec, _label(path, codec), True, ascii_sample)
    return _guess_with_charset_normalizer(path, sample)


def _decodes(data: bytes, codec: str, *, final: bool) -> bool:
    """Whether ``data`` decodes strictly (a cut last character is allowed unless final)."""
    decoder = codecs.getincrementaldecoder(codec)("strict")
    try:
        decoder.decode(data, final=final)
    except UnicodeDecodeError:
        return False
    return True


def _guess_with_charset_normalizer(path: Path, sample: bytes) -> EncodingChoice:
    from charset_normalizer import from_bytes

    best = from_bytes(sample).best()
    if best is None:
        raise EncodingError(
            f"{path}: cannot tell the text encoding (not UTF-8, not GB18030); "
            "pass --encoding NAME, e.g. --encoding big5"
        )
    codec = normalize_encoding(best.encoding)
    return EncodingChoice(codec, _label(path, codec), detected=True)


def _label(path: Path, codec: str) -> str:
    """``utf-8-sig`` when the file starts with a BOM, plain ``utf-8`` otherwise."""
    if codec != "utf-8-sig":
        return codec
    with path.open("rb") as handle:
        head = handle.read(3)
    return "utf-8-sig" if head == codecs.BOM_UTF8 else "utf-8"


def check_decodes(path: Path, choice: EncodingChoice) -> None:
    """Decode the whole file strictly; raise on the first bad byte.

    Raises:
        EncodingError: names the file, the byte offset and line of the first
            byte that does not decode, and the ``--encoding`` to try instead.
    """
    decoder = codecs.getincrementaldecoder(choice.codec)("strict")
    offset = 0
    with path.open("rb") as handle:
        while True:
            block = handle.read(_BLOCK_BYTES)
            try:
                decoder.decode(block, final=not block)
            except UnicodeDecodeError as err:
                # err.object is a suffix of (pending bytes + block): locate it in the file.
                where = offset + len(block) - len(err.object) + err.start
                raise _decode_error(path, choice, where, err) from None
            if not block:
                return
            offset += len(block)


def _decode_error(
    path: Path, choice: EncodingChoice, offset: int, err: UnicodeDecodeError
) -> EncodingError:
    line = _line_of_offset(path, offset)
    bad = err.object[err.start : err.end].hex(" ")
    how = "detected" if choice.detected else "given"
    return EncodingError(
        f"{path}: byte offset {offset} (line {line}): bytes {bad} are not valid "
        f"{choice.label} (the {how} encoding); {_suggestion(choice.codec)}"
    )


def _suggestion(codec: str) -> str:
    if codec == "gb18030":
        return "try --encoding utf-8"
    if codec.startswith("utf-8"):
        return "try --encoding gb18030 (usual for Excel exports on Chinese Windows)"
    return "try --encoding utf-8 or --encoding gb18030"


def _line_of_offset(path: Path, offset: int) -> int:
    """1-based line number holding byte ``offset``."""
    newlines = 0
    with path.open("rb") as handle:
        remaining = offset
        while remaining > 0 and (block := handle.read(min(_BLOCK_BYTES, remaining))):
            newlines += block.count(b"\n")
            remaining -= len(block)
    return newlines + 1
