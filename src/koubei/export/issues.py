"""``export_issues``: the issue store's list as Excel, CSV, Markdown or JSON for product teams.

The output is checked before the store is read and written atomically (temp
file + rename, :mod:`koubei.io.writers`). CSV puts the review ids in a sibling
``<stem>.review_ids.csv``, written first, so a finished issue file always has
its ids beside it.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from koubei.errors import InputError, OutputError
from koubei.export.columns import LANGS, Lang
from koubei.export.document import ExportDoc
from koubei.export.rows import build_records, check_statuses, parse_since, select
from koubei.export.teams import Teams, load_teams
from koubei.io.writers import atomic_write, check_target
from koubei.taxonomy import Taxonomy, load_taxonomy

if TYPE_CHECKING:
    from koubei.store.history import IssueStore

EXPORT_FORMATS: tuple[str, ...] = ("xlsx", "csv", "md", "json")
_EXTENSIONS = {".xlsx": "xlsx", ".csv": "csv", ".md": "md", ".markdown": "md", ".json": "json"}
_ALIASES = {"excel": "xlsx", "markdown": "md"}


@dataclass(frozen=True)
class ExportResult:
    """What :func:`export_issues` wrote.

    Attributes:
        path: the export file.
        fmt: ``xlsx``, ``csv``, ``md`` or ``json``.
        issues: issues written (after the filters); 0 means the file says there are none.
        review_ids: issue × review_id pairs written.
        files: every file written (the CSV's review-id file too).
        filters: the filters applied (as in the JSON ``filters`` object).
    """

    path: Path
    fmt: str
    issues: int
    review_ids: int
    files: tuple[Path, ...]
    filters: dict[str, Any] = field(default_factory=dict)


def export_format(path: str | os.PathLike[str], fmt: str | None = None) -> str:
    """``fmt`` when given, else told by the extension of ``path``.

    Raises:
        OutputError: an unknown format or extension.
    """
    p = Path(path)
    name = (fmt or "").strip().lower().lstrip(".") or _EXTENSIONS.get(p.suffix.lower(), "")
    name = _ALIASES.get(name, name)
    if name not in EXPORT_FORMATS:
        what = f"format {fmt!r}" if fmt else f"extension {p.suffix or '(none)'!r}"
        raise OutputError(f"{p}: cannot export {what}; formats: {', '.join(EXPORT_FORMATS)} "
                          f"(extensions {', '.join(sorted(_EXTENSIONS))}); pass --format NAME")
    return name


def review_ids_path(path: str | os.PathLike[str]) -> Path:
    """The CSV export's review-id file: ``issues.csv`` → ``issues.review_ids.csv``."""
    p = Path(path)
    return p.with_name(f"{p.stem}.review_ids.csv")


def export_issues(
    store: str | os.PathLike[str],
    output: str | os.PathLike[str],
    *,
    fmt: str | None = None,
    lang: Lang = "zh",
    mask: bool = True,
    status: str | Sequence[str] | None = None,
    min_severity: float | None = None,
    since: str | dt.date | pd.Timestamp | None = None,
    teams: str | os.PathLike[str] | Teams | None = None,
    overwrite: bool = False,
    taxonomy: Taxonomy | None = None,
    raw: bool = False,
) -> ExportResult:
    """Write the issues of an issue store as one file for people who do not run Python.

    Args:
        store: the DuckDB file written by ``koubei emerging --store``.
        output: the file to write.
        fmt: ``xlsx``, ``csv``, ``md`` or ``json``; default: from the extension.
        lang: ``zh`` or ``en``: headers, sheet names, status and dimension labels, team names.
        mask: mask personal data in quotes again (:func:`koubei.detect.quotes.mask_personal`,
            idempotent). ``False`` keeps quotes as recorded, which are unmasked only
            if the store was filled with ``koubei emerging --no-mask``.
        status: keep these states (``new``, ``ongoing``, ``resolved``, ``muted``; a
            list or a comma-separated string); default every state but ``muted``.
        min_severity: keep issues with at least this severity (issues without one,
            new kinds of complaint, are dropped).
        since: keep issues whose latest flagged window ends after this window label
            (``2026-W40``, ``2026-11``) or date.
        teams: a teams file or :class:`Teams` (default ``corpora/teams.yaml``).
        overwrite: replace existing output files.
        taxonomy: the taxonomy naming topics in English (default: the shipped one).
        raw: CSV cells (both files) as they are, for programs reading them; by default
            formula-like text (``=`` ``+`` ``-`` ``@``...) gets a leading apostrophe
            (:mod:`koubei.io.cells`). xlsx cells always hold the text as it is, as
            quote-prefixed text that Excel never runs; Markdown and JSON never change it.

    Returns:
        What was written. With no issue left the file still is valid and says so.

    Raises:
        OutputError: unknown format, output exists (without ``overwrite``), its
            directory is missing or not writable.
        StoreError: no store at ``store``, or it is damaged, locked or newer.
        InputError: an unknown status, ``since`` or ``lang``, or a bad teams file.
    """
    target = Path(output)
    name = export_format(target, fmt)
    targets = [review_ids_path(target), target] if name == "csv" else [target]
    for t in reversed(targets):
        check_target(t, overwrite)
    doc = _document(store, lang=lang, mask=mask, status=status, min_severity=min_severity, since=since,
                    teams=teams, taxonomy=taxonomy)
    for t, write in zip(targets, _writers(name, raw)):
        atomic_write(t, functools.partial(write, doc))
    return ExportResult(path=target, fmt=name, issues=len(doc.records),
                        review_ids=sum(len(r["review_ids"]) for r in doc.records),
                        files=tuple(targets), filters=doc.filters)


def _document(store: str | os.PathLike[str], *, lang: str, mask: bool, status: str | Sequence[str] | None,
              min_severity: float | None, since: str | dt.date | pd.Timestamp | None,
              teams: str | os.PathLike[str] | Teams | None, taxonomy: Taxonomy | None) -> ExportDoc:
    """Read, filter and name the issues (options checked before the store is opened)."""
    from koubei.store.history import open_store
    from koubei.version import __version__

    if lang not in LANGS:
        raise InputError(f"--lang {lang!r}: use one of {', '.join(LANGS)}")
    language: Lang = "zh" if lang == "zh" else "en"
    statuses = check_statuses([s.strip() for s in status.split(",") if s.strip()]
                              if isinstance(status, str) else status)
    since_ts = parse_since(since) if since is not None and str(since).strip() else None
    team_map = teams if isinstance(teams, Teams) else load_teams(None if teams is None else Path(teams))
    with open_store(Path(store), create=False) as s:
        listed, runs = s.list(), _runs(s)
    kept = select(listed, statuses=statuses, min_severity=min_severity, since=since_ts)
    records = build_records(kept, taxonomy=taxonomy or load_taxonomy(), teams=team_map, lang=language,
                            mask=mask)
    filters = {"status": statuses, "min_severity": min_severity,
               "since": None if since_ts is None else str(since).strip(), "mask": mask}
    return ExportDoc(records=records, lang=language, filters=filters, version=__version__,
                     generated_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                     store=str(Path(store)), runs=runs)


def _runs(store: IssueStore) -> list[dict[str, Any]]:
    """The store's recorded runs, oldest first, as the method notes show them."""
    rows = store.runs().drop(columns="fingerprint").to_dict(orient="records")
    for r in rows:
        r["recorded_at"] = pd.Timestamp(r["recorded_at"]).isoformat(timespec="seconds")
        r["levels"] = "; ".join(lv or "全部" for lv in r["levels"])
    return rows


def _writers(name: str, raw: bool = False) -> list[Callable[[ExportDoc, Path], None]]:
    """The writer of each target (the CSV's review-id file first); ``raw``: CSV cells as they are."""
    from koubei.export import text

    if name == "xlsx":
        from koubei.export.xlsx import write_xlsx

        return [write_xlsx]
    if name == "csv":
        return [functools.partial(text.write_review_ids_csv, raw=raw),
                functools.partial(text.write_csv, raw=raw)]
    return [text.write_md if name == "md" else text.write_json]
