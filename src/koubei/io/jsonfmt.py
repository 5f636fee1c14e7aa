"""JSON Lines dumps (one object a line) and JSON arrays of objects.

Values become strings like the cells of a CSV (numbers as written, ``null``
as "", nested values as compact JSON), so every format gives the same
string columns. Columns are the keys in order of first appearance; a key
missing from a record is "".
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd

from koubei.errors import InputFormatError
from koubei.io.rawinfo import RawInfo, cell_text, no_rows_error


def iter_jsonl(path: Path, *, codec: str, chunksize: int, info: RawInfo) -> Iterator[pd.DataFrame]:
    """Yield chunks of a JSON Lines file; blank lines are skipped.

    Raises:
        InputFormatError: a line is not JSON or not an object, or no records.
    """
    columns: dict[str, None] = {}
    records: list[dict[str, Any]] = []
    seen_any = False
    with path.open(encoding=codec, errors="strict") as handle:
        for lineno, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            records.append(_parse_line(line, lineno, path))
            if len(records) >= chunksize:
                yield records_frame(records, columns)
                records, seen_any = [], True
    if records:
        yield records_frame(records, columns)
    elif not seen_any:
        raise no_rows_error(path)


def _parse_line(line: str, lineno: int, path: Path) -> dict[str, Any]:
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as err:
        raise InputFormatError(
            f"{path}: line {lineno}, column {err.colno}: not valid JSON ({err.msg}); "
            "a .jsonl file holds one JSON object per line"
        ) from None
    if not isinstance(obj, dict):
        raise InputFormatError(
            f"{path}: line {lineno} is a JSON {type(obj).__name__}, not an object; "
            'each line must look like {"text": "..."}'
        )
    return obj


def iter_json(path: Path, *, codec: str, chunksize: int, info: RawInfo) -> Iterator[pd.DataFrame]:
    """Yield chunks of a JSON file holding an array of objects.

    An object with exactly one array-of-objects value (``{"data": [...]}``) is
    accepted too, and a file that is really JSON Lines is read as such.

    Raises:
        InputFormatError: not JSON, or not an array of objects, or empty.
    """
    text = path.read_text(encoding=codec, errors="strict")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        if err.msg == "Extra data" and text.lstrip().startswith("{"):
            info.notes.append("the .json file holds one object per line; read as JSON Lines")
            info.format = "jsonl"
            yield from iter_jsonl(path, codec=codec, chunksize=chunksize, info=info)
            return
        raise InputFormatError(
            f"{path}: line {err.lineno}, column {err.colno}: not valid JSON ({err.msg})"
        ) from None
    records = _records_of(data, path)
    columns: dict[str, None] = {}
    for start in range(0, len(records), chunksize):
        yield records_frame(records[start : start + chunksize], columns)


def _records_of(data: Any, path: Path) -> list[dict[str, Any]]:
    if isinstance(data, dict):
        lists = [v for v in data.values() if isinstance(v, list)]
        if len(lists) == 1:
            data = lists[0]
    if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
        raise InputFormatError(
            f"{path}: expected a JSON array of objects such as "
            '[{"text": "..."}, ...]; for one object per line use .jsonl or --input-format jsonl'
        )
    if not data:
        raise no_rows_error(path)
    return data


def records_frame(records: list[dict[str, Any]], columns: dict[str, None]) -> pd.DataFrame:
    """String frame of ``records``; ``columns`` keeps the key order across chunks."""
    for record in records:
        for key in record:
            if key not in columns:
                columns[str(key)] = None
    data = {name: [_text(r.get(name)) for r in records] for name in columns}
    return pd.DataFrame(data, dtype=str)


def _text(value: Any) -> str:
    return value if type(value) is str else cell_text(value)
