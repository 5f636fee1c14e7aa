"""Which file format a review dump is, told by its extension or by ``fmt=``.

The formats are named by short strings (``csv``, ``tsv``, ``jsonl``,
``json``, ``xlsx``, ``parquet``); the CLI exposes them as ``--input-format``.
``.txt`` files are read as TSV when their first line holds a tab and as CSV
otherwise. A file with no extension or an unknown one is read as the Excel
workbook its bytes are (:func:`binary_kind`, the sniff that also catches a
workbook named ``.csv`` or ``.txt``), and refused otherwise.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

from koubei.errors import InputError, InputFormatError

#: Format names the readers understand, in the order they are listed to users.
FORMATS: tuple[str, ...] = ("csv", "tsv", "jsonl", "json", "xlsx", "parquet")

#: Formats whose bytes are text, so an encoding applies.
TEXT_FORMATS: frozenset[str] = frozenset({"csv", "tsv", "jsonl", "json"})

_EXTENSIONS: dict[str, str] = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".tab": "tsv",
    ".txt": "txt",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "json",
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
    ".parquet": "parquet",
    ".pq": "parquet",
}

_ALIASES: dict[str, str] = {
    "ndjson": "jsonl",
    "jsonlines": "jsonl",
    "excel": "xlsx",
    "xlsm": "xlsx",
    "pq": "parquet",
    "tab": "tsv",
}

_OLD_FORMATS: dict[str, str] = {
    ".xls": "old Excel .xls files are not supported; save the sheet as .xlsx or .csv",
    ".et": "WPS .et files are not supported; save the sheet as .xlsx or .csv",
}


def supported_formats_text() -> str:
    """The supported formats and extensions, for error messages."""
    exts = ", ".join(sorted(_EXTENSIONS))
    return f"supported formats: {', '.join(FORMATS)} (extensions {exts})"


def check_input_path(path: Path) -> None:
    """Raise ``InputError`` unless ``path`` is an existing regular file.

    Args:
        path: the review dump to read.

    Raises:
        InputError: the path does not exist or is a directory.
    """
    if not path.exists():
        raise InputError(f"{path}: no such file")
    if path.is_dir():
        raise InputError(f"{path}: is a directory; pass the review file inside it")


def normalize_format_name(fmt: str) -> str:
    """Canonical format name for a user-given ``fmt``.

    Raises:
        InputFormatError: ``fmt`` names no supported format.
    """
    name = fmt.strip().lower().lstrip(".")
    name = _ALIASES.get(name, name)
    if name not in FORMATS:
        raise InputFormatError(f"unknown format {fmt!r}; {supported_formats_text()}")
    return name


def detect_format(path: Path, fmt: str | None = None) -> str:
    """The format of ``path``: ``fmt`` when given, else told by the extension.

    Args:
        path: the file to read.
        fmt: an explicit format name (``--input-format``), overriding the extension.

    Returns:
        One of :data:`FORMATS`.

    Raises:
        InputFormatError: the extension is unknown and no ``fmt`` was given.
    """
    if fmt:
        return normalize_format_name(fmt)
    suffix = path.suffix.lower()
    if suffix in _OLD_FORMATS:
        raise InputFormatError(f"{path}: {_OLD_FORMATS[suffix]}")
    found = _EXTENSIONS.get(suffix)
    if found is None and binary_kind(path) == "xlsx":
        return "xlsx"
    if found is None:
        raise InputFormatError(
            f"{path}: cannot tell the format from the extension {suffix or '(none)'!r}; "
            f"{supported_formats_text()}; pass --input-format NAME to choose one"
        )
    if found == "txt":
        return _sniff_txt(path)
    return found


def _sniff_txt(path: Path) -> str:
    """``tsv`` when the first line of a ``.txt`` file holds a tab, else ``csv``."""
    with path.open("rb") as handle:
        first = handle.readline(1 << 16)
    return "tsv" if b"\t" in first else "csv"


def extension_format(path: Path) -> str | None:
    """The format the extension of ``path`` names (``txt`` for ``.txt``), None for an unknown one."""
    return _EXTENSIONS.get(path.suffix.lower())


_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def binary_kind(path: Path) -> str | None:
    """What the first bytes of ``path`` say it is: ``xlsx`` (a zip holding ``xl/workbook.xml``),
    ``zip`` (another or a broken zip), ``ole`` (old ``.xls`` and other Office files), or None."""
    with path.open("rb") as handle:
        head = handle.read(len(_OLE_MAGIC))
    if head.startswith(_OLE_MAGIC):
        return "ole"
    if not head.startswith(_ZIP_MAGIC):
        return None
    try:
        with zipfile.ZipFile(path) as archive:
            return "xlsx" if "xl/workbook.xml" in archive.namelist() else "zip"
    except zipfile.BadZipFile:
        return "zip"
