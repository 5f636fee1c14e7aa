"""Writing result tables atomically: CSV, TSV, JSON Lines, JSON, Excel, Parquet.

Every write goes to a temporary file in the target's directory and is moved
over the target with ``os.replace`` only when complete, so a crash never
leaves a half-written file that looks finished; the temporary file is
removed on any error.

- CSV/TSV: UTF-8 with BOM so Excel opens Chinese text correctly; text that a
  spreadsheet would run as a formula (``=``, ``+``, ``-``, ``@``...) gets a
  leading apostrophe unless ``raw`` (:mod:`koubei.io.cells`).
- JSON Lines/JSON: UTF-8, Chinese unescaped, times in ISO 8601 (UTC).
- Excel: tz-aware times become wall-clock times in their zone (Excel has no
  time zones); formula-like text stays text (quote prefix), never a formula;
  characters Excel forbids (control characters) are dropped; text longer than
  32,767 characters (a cell's limit) is cut, with a :class:`KoubeiWarning`
  giving the count and the fix; more than 1,048,575 rows is an error
  suggesting Parquet or CSV.
- Parquet: dtypes kept (``time`` stays tz-aware, ``rating`` float).
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import shutil
import warnings
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import pandas as pd

from koubei.errors import KoubeiWarning, OutputError
from koubei.io.cells import EXCEL_MAX_CHARS, spreadsheet_cells

WRITE_FORMATS: tuple[str, ...] = ("csv", "tsv", "jsonl", "json", "xlsx", "parquet")
EXCEL_MAX_ROWS = 1_048_576  # including the header row
EXCEL_MAX_COLS = 16_384

_EXTENSIONS = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "json",
    ".xlsx": "xlsx",
    ".parquet": "parquet",
    ".pq": "parquet",
}


def output_format(path: Path, fmt: str | None = None) -> str:
    """The output format: ``fmt`` when given, else told by the extension.

    Raises:
        OutputError: unknown format or extension.
    """
    name = (fmt or "").strip().lower().lstrip(".") or _EXTENSIONS.get(path.suffix.lower(), "")
    name = {"ndjson": "jsonl", "pq": "parquet", "excel": "xlsx"}.get(name, name)
    if name not in WRITE_FORMATS:
        what = f"format {fmt!r}" if fmt else f"extension {path.suffix or '(none)'!r}"
        raise OutputError(
            f"{path}: cannot write {what}; formats: {', '.join(WRITE_FORMATS)} "
            f"(extensions {', '.join(sorted(_EXTENSIONS))}); pass --format NAME"
        )
    return name


def write_table(
    df: pd.DataFrame,
    path: str | os.PathLike[str],
    fmt: str | None = None,
    *,
    overwrite: bool = False,
    sheet_name: str = "reviews",
    raw: bool = False,
) -> Path:
    """Write ``df`` to ``path`` atomically.

    Args:
        df: the table (its index is not written).
        path: the output file.
        fmt: format name overriding the extension (``--format``).
        overwrite: replace an existing file (``--overwrite``).
        sheet_name: the sheet name for Excel output.
        raw: CSV/TSV cells as they are, formula-like text without its apostrophe
            (for programs reading the file, ``--raw``).

    Returns:
        The path written.

    Raises:
        OutputError: the file exists (and not ``overwrite``), its directory is
            missing or not writable, the format is unknown, or the table does
            not fit in an Excel sheet.
    """
    target = Path(path)
    check_target(target, overwrite)
    atomic_write(target, table_writer(df, target, fmt, sheet_name=sheet_name, raw=raw))
    return target


def table_writer(df: pd.DataFrame, target: Path, fmt: str | None = None, *, sheet_name: str = "reviews",
                 raw: bool = False) -> Callable[[Path], None]:
    """What :func:`write_table` runs on its temporary file: ``write(tmp)`` writes ``df`` as ``target``.

    For a caller that puts the file in place itself (:func:`atomic_file`), e.g.
    only once a store has committed. The format and the Excel size are checked now.

    Raises:
        OutputError: the format is unknown, or the table does not fit in an Excel sheet.
    """
    name = output_format(target, fmt)
    if name == "xlsx":
        _check_excel_size(df, target)
        _warn_cut_text(df, target)
    writer = _WRITERS[name]
    frame = spreadsheet_cells(_without_attrs(df), name, raw=raw)
    return lambda tmp: writer(frame, tmp, sheet_name)


def check_target(target: Path, overwrite: bool) -> None:
    """Fail unless ``target`` can be written: not a folder, absent (or ``overwrite``), its folder writable."""
    if target.is_dir():
        raise OutputError(f"{target}: is a directory; pass a file name")
    _check_new_entry(target, overwrite)


def check_outputs_apart(outputs: Iterable[str | os.PathLike[str] | None],
                        inputs: Iterable[str | os.PathLike[str] | None], *, folder: bool = False) -> None:
    """Fail before any work when a command would write over what it reads, or write one path twice.

    An output is refused when it is one of the ``inputs`` (the same path once
    links are followed, or the same file by :func:`os.path.samefile`), another
    of the ``outputs``, or, with ``folder`` (the output is a folder that is
    replaced whole), a folder holding an input. ``None`` entries are skipped.
    ``--overwrite`` does not lift this: replacing the input destroys it.

    Raises:
        OutputError: naming the output, the input it would destroy and the fix.
    """
    ins = [Path(p) for p in inputs if p is not None]
    seen: list[Path] = []
    for out in (Path(p) for p in outputs if p is not None):
        for inp in ins:
            if _same_path(out, inp):
                raise OutputError(f"{out}: is also an input of this command ({inp}); writing it would "
                                  "destroy the input: pass another output path")
            if folder and out.resolve() in inp.resolve().parents:
                raise OutputError(f"{out}: the output folder holds the input {inp}, which writing it "
                                  "would delete: pass an output folder outside it")
        for other in seen:
            if _same_path(out, other):
                raise OutputError(f"{out}: is given for two outputs of this command; pass another path "
                                  "for one of them")
        seen.append(out)


def _same_path(a: Path, b: Path) -> bool:
    """Whether ``a`` and ``b`` name the same file or folder (links followed; hard links too)."""
    if a.resolve() == b.resolve():
        return True
    try:
        return os.path.samefile(a, b)
    except OSError:  # either one missing: only the resolved paths can tell
        return False


def _check_new_entry(target: Path, overwrite: bool) -> None:
    """Fail unless ``target`` (file or folder) is absent or may be replaced, in a writable folder."""
    if target.exists() and not overwrite:
        raise OutputError(f"{target}: exists; pass --overwrite to replace it")
    parent = target.parent
    if not parent.is_dir():
        raise OutputError(f"{target}: the directory {parent} does not exist; create it first")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise OutputError(f"{target}: the directory {parent} is not writable")


def _check_excel_size(df: pd.DataFrame, target: Path) -> None:
    if len(df) + 1 > EXCEL_MAX_ROWS or len(df.columns) > EXCEL_MAX_COLS:
        raise OutputError(
            f"{target}: {len(df):,} rows x {len(df.columns)} columns do not fit in an Excel "
            f"sheet (max {EXCEL_MAX_ROWS - 1:,} rows, {EXCEL_MAX_COLS:,} columns); "
            "write .parquet or .csv instead"
        )


def _warn_cut_text(df: pd.DataFrame, target: Path) -> None:
    """Warn (:class:`KoubeiWarning`) when cells hold more text than an Excel cell keeps."""
    from koubei.io.excel_writer import overlong_cells

    counts = overlong_cells(df)
    if counts:
        where = ", ".join(f"{name} {n:,}" for name, n in counts.items())
        warnings.warn(KoubeiWarning(
            f"{target}: {sum(counts.values()):,} cells hold more than the {EXCEL_MAX_CHARS:,} characters "
            f"an Excel cell keeps and are cut ({where}); write .parquet or .csv to keep the whole text"),
            stacklevel=4)


def atomic_write(target: Path, write: Callable[[Path], None]) -> None:
    """Run ``write(tmp)`` on a temporary file beside ``target``, then move it over ``target``.

    Any error removes the temporary file and leaves ``target`` as it was.
    """
    with atomic_file(target) as tmp:
        write(tmp)


@contextlib.contextmanager
def atomic_file(target: Path) -> Iterator[Path]:
    """Yield a fresh temporary file beside ``target``; move it over ``target`` when the block ends.

    The block writes the file and may finish other work that must succeed
    first (commit a store): ``target`` changes only after all of it did. Any
    error removes the temporary file and leaves ``target`` as it was; an
    ``OSError`` becomes an :class:`OutputError`.
    """
    tmp = temp_beside(target)
    try:
        # O_EXCL: never clobber; mode 0o666 & umask: the same rights as a plain open().
        os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
        yield tmp
        os.replace(tmp, target)
    except OSError as err:
        _remove(tmp)
        raise OutputError(f"{target}: cannot write ({err.strerror or err})") from err
    except BaseException:
        _remove(tmp)
        raise


def temp_beside(target: Path) -> Path:
    """A fresh hidden name beside ``target``: ``.NAME.XXXXXXXX.tmp`` (see :func:`remove_stale_temps`)."""
    return target.with_name(f".{target.name}.{secrets.token_hex(4)}.tmp")


def remove_stale_temps(target: Path) -> list[Path]:
    """Remove what killed runs left for ``target``: ``.NAME.XXXXXXXX.tmp`` files or folders beside it.

    Do not run two jobs writing the same target at once: the second removes
    the first one's temporary file.
    """
    pattern = re.compile(rf"\.{re.escape(target.name)}\.[0-9a-f]{{8}}\.tmp")
    parent = target.parent
    if not parent.is_dir():
        return []
    stale = [p for p in parent.iterdir() if pattern.fullmatch(p.name)]
    for p in stale:
        _remove_path(p)
    return stale


def check_target_dir(target: Path, overwrite: bool) -> None:
    """Fail unless the folder ``target`` can be written: absent (or ``overwrite``), its parent writable."""
    _check_new_entry(target, overwrite)


@contextlib.contextmanager
def atomic_dir(target: Path) -> Iterator[Path]:
    """Build a folder in a hidden temporary folder beside ``target``, then put it in place.

    Yields the temporary folder. When the block ends normally it replaces
    ``target`` (an old one is moved aside first and removed only once the new one
    is in place; put back if the move fails); on any error the temporary folder
    is removed and ``target`` is left as it was. The caller checks ``target``
    first (:func:`check_target_dir` or its own message).
    """
    tmp = temp_beside(target)
    tmp.mkdir()
    try:
        yield tmp
        replace_dir(tmp, target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def replace_dir(tmp: Path, target: Path) -> None:
    """Rename the finished folder ``tmp`` onto ``target``, an old ``target`` moved aside and removed."""
    old = None
    if target.exists() or target.is_symlink():
        old = temp_beside(target)
        os.replace(target, old)
    try:
        os.replace(tmp, target)
    except OSError as err:
        if old is not None:
            os.replace(old, target)
        raise OutputError(f"{target}: cannot write ({err.strerror or err})") from err
    if old is not None:
        _remove_path(old)


def _remove_path(p: Path) -> None:
    if p.is_dir() and not p.is_symlink():
        shutil.rmtree(p, ignore_errors=True)
    else:
        p.unlink(missing_ok=True)


def _remove(tmp: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()


def _without_attrs(df: pd.DataFrame) -> pd.DataFrame:
    """A shallow copy without ``attrs`` (Parquet would try to store the report)."""
    out = df.copy(deep=False)
    out.attrs = {}
    return out


def _write_csv(df: pd.DataFrame, tmp: Path, _sheet: str) -> None:
    df.to_csv(tmp, index=False, encoding="utf-8-sig")


def _write_tsv(df: pd.DataFrame, tmp: Path, _sheet: str) -> None:
    df.to_csv(tmp, index=False, sep="\t", encoding="utf-8-sig")


def _write_jsonl(df: pd.DataFrame, tmp: Path, _sheet: str) -> None:
    df.to_json(tmp, orient="records", lines=True, force_ascii=False, date_format="iso")


def _write_json(df: pd.DataFrame, tmp: Path, _sheet: str) -> None:
    df.to_json(tmp, orient="records", force_ascii=False, date_format="iso", indent=1)


def _write_parquet(df: pd.DataFrame, tmp: Path, _sheet: str) -> None:
    import pyarrow as pa

    try:
        df.to_parquet(tmp, index=False)
    except (pa.ArrowInvalid, pa.ArrowTypeError) as err:
        raise OutputError(
            f"cannot store the table as Parquet ({err}); a column mixes types: "
            "convert it with .astype(str), or write .csv"
        ) from None


def _write_xlsx(df: pd.DataFrame, tmp: Path, sheet: str) -> None:
    from koubei.io.excel_writer import write_xlsx

    write_xlsx(df, tmp, sheet)


_WRITERS: dict[str, Callable[[pd.DataFrame, Path, str], None]] = {
    "csv": _write_csv,
    "tsv": _write_tsv,
    "jsonl": _write_jsonl,
    "json": _write_json,
    "xlsx": _write_xlsx,
    "parquet": _write_parquet,
}


def check_output(path: str | os.PathLike[str], fmt: str | None = None, *,
                 overwrite: bool = False) -> str:
    """Fail before any work when ``path`` cannot be written; returns the format name.

    Raises:
        OutputError: as :func:`write_table` would.
    """
    target = Path(path)
    name = output_format(target, fmt)
    check_target(target, overwrite)
    return name
