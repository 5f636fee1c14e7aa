"""The issue-history store: every ``koubei emerging`` run's issues in one DuckDB file.

Tables (schema version :data:`SCHEMA_VERSION`):

- ``meta`` (key, value): ``schema_version``, ``koubei_version`` that created it,
  ``tz`` of the recorded window starts.
- ``runs``: one row per :meth:`IssueStore.record` call (run_id, recorded_at, freq,
  levels and evaluated windows as JSON lists, data fingerprint, koubei version,
  resolve_after, number of issues); read with :meth:`IssueStore.runs`.
- ``evaluations`` (freq, window, window_start): every window of every frequency a
  run evaluated, flagged or not, so "not flagged for N windows" is known.
- ``issue_windows``: one row per issue_id × freq × window it was flagged in, with
  the metrics columns of the issue table (JSON columns kept as text).
- ``issues``: one row per issue_id: key fields, first_seen / last_seen (window
  starts), times_flagged, muted, mute_reason, muted_at.

Statuses and first windows are derived from the whole recorded history each
time they are asked for (see :mod:`koubei.store.state`), so recording windows
out of order, or twice, gives the same answer. ``muted`` wins over every
derived state until unmuted.
"""

from __future__ import annotations

import contextlib
import difflib
import functools
import json
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

import duckdb
import pandas as pd

from koubei.errors import NotFoundError, StoreError, first_line
from koubei.store.state import IssueState, issue_states, walk_states, with_states

SCHEMA_VERSION = 1
STATUSES: tuple[str, ...] = ("new", "ongoing", "resolved", "muted")
FREQS: tuple[str, ...] = ("D", "W", "M")
KEY_COLUMNS: tuple[str, ...] = ("topic", "topic_zh", "direction", "dimension", "level", "cell", "cell_label")
METRIC_COLUMNS: tuple[str, ...] = (
    "count", "total", "rate", "baseline_rate", "expected", "lift", "test", "p_value", "q_value",
    "severity", "first_window", "trend", "trace", "summary", "quotes", "review_ids",
)
JSON_COLUMNS: tuple[str, ...] = ("cell", "trend", "trace", "quotes", "review_ids")
LIST_COLUMNS: tuple[str, ...] = (
    "issue_id", "status", *KEY_COLUMNS, "freq", "window", "window_start", "first_seen", "last_seen",
    "times_flagged", *METRIC_COLUMNS, "mute_reason", "muted_at",
)
#: the columns of :meth:`IssueStore.runs`, those of the ``runs`` table
RUN_COLUMNS: tuple[str, ...] = ("run_id", "recorded_at", "freq", "levels", "windows", "fingerprint",
                                "koubei_version", "resolve_after", "n_issues")
_TYPES = {"count": "BIGINT", "total": "BIGINT", "test": "VARCHAR", "first_window": "VARCHAR",
          "summary": "VARCHAR", **{c: "VARCHAR" for c in JSON_COLUMNS}}

_DDL = (
    "CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR NOT NULL)",
    "CREATE TABLE IF NOT EXISTS runs (run_id BIGINT PRIMARY KEY, recorded_at TIMESTAMPTZ NOT NULL, "
    "freq VARCHAR NOT NULL, levels VARCHAR NOT NULL, windows VARCHAR NOT NULL, fingerprint VARCHAR NOT NULL, "
    "koubei_version VARCHAR NOT NULL, resolve_after INTEGER NOT NULL, n_issues BIGINT NOT NULL)",
    # (freq, window) and (issue_id, freq, window) are kept unique by record(), which deletes
    # before it inserts; no PRIMARY KEY so that older DuckDB versions accept that in one transaction.
    'CREATE TABLE IF NOT EXISTS evaluations (freq VARCHAR NOT NULL, "window" VARCHAR NOT NULL, '
    "window_start TIMESTAMPTZ NOT NULL)",
    'CREATE TABLE IF NOT EXISTS issue_windows (issue_id VARCHAR NOT NULL, freq VARCHAR NOT NULL, '
    '"window" VARCHAR NOT NULL, window_start TIMESTAMPTZ NOT NULL, '
    + ", ".join(f'"{c}" {_TYPES.get(c, "DOUBLE")}' for c in METRIC_COLUMNS) + ")",
    "CREATE TABLE IF NOT EXISTS issues (issue_id VARCHAR PRIMARY KEY, "
    + ", ".join(f"{c} VARCHAR" for c in KEY_COLUMNS)
    + ", first_seen TIMESTAMPTZ, last_seen TIMESTAMPTZ, times_flagged BIGINT NOT NULL DEFAULT 0, "
    "muted BOOLEAN NOT NULL DEFAULT FALSE, mute_reason VARCHAR, muted_at TIMESTAMPTZ)",
)


#: what to do about a damaged store, at the end of every message saying it is one
DAMAGED_FIX = ("restore it from a backup, or give another --store file (a new file starts an empty "
               "history)")


def open_store(path: str | Path, *, create: bool = True, read_only: bool = False) -> IssueStore:
    """Open (or create) an issue-history store.

    Args:
        path: the DuckDB file.
        create: create the file when missing; otherwise a missing file is an error.
        read_only: open without taking the write lock (:func:`check_store`); a
            store opened so cannot be written.

    Raises:
        StoreError: missing (with ``create=False``), not a DuckDB database, not a
            koubei store, damaged (unreadable, a table or column missing or of
            another type), locked by another process, or written by a newer koubei.
    """
    path = Path(path)
    if not path.exists() and (read_only or not create):
        raise StoreError(f"no issue store at {path}; run `koubei emerging --store {path}` first")
    con = _connect(path, read_only)
    try:
        _prepare(con, path, read_only)
    except duckdb.Error as e:
        con.close()
        raise _damaged(path, e) from None
    except BaseException:
        con.close()
        raise
    return IssueStore(path, con)


def check_store(path: str | Path) -> None:
    """Refuse, before a long run, a store that :meth:`IssueStore.record` could not record into.

    A missing file passes (recording creates it); nothing is written either way.

    Raises:
        StoreError: as :func:`open_store`.
    """
    if Path(path).exists():
        open_store(path, read_only=True).close()


def _connect(path: Path, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    not_duckdb = StoreError(f"{path} is not an issue store (not a DuckDB database); "
                            "give another --store file")
    # DuckDB >= 2 opens a .csv or .parquet path as an in-memory database over it: check the header.
    if path.is_file() and not _has_duckdb_header(path):
        raise not_duckdb
    try:
        return duckdb.connect(str(path), read_only=read_only)
    except duckdb.Error as e:
        msg = str(e)
        if "not a valid DuckDB database" in msg:
            raise not_duckdb from None
        if "lock" in msg.lower():
            raise StoreError(f"{path} is locked by another process (another koubei run?); "
                             "wait for it to finish and try again") from None
        raise _damaged(path, e) from None


def _has_duckdb_header(path: Path) -> bool:
    """A DuckDB database file has the magic bytes ``DUCK`` at offset 8."""
    with path.open("rb") as f:
        return f.read(12)[8:12] == b"DUCK"


def _damaged(path: Path, detail: BaseException | str) -> StoreError:
    why = first_line(detail) if isinstance(detail, BaseException) else detail
    return StoreError(f"{path} is a damaged issue store ({why}); {DAMAGED_FIX}")


def _prepare(con: duckdb.DuckDBPyConnection, path: Path, read_only: bool = False) -> None:
    """Create the tables of a new store, or check the schema of an existing one.

    The ``meta`` table is checked before it is read, the version before the
    other tables (a newer koubei may have changed them), then every table and
    column, so a damaged store is refused before anything is written to it.
    """
    from koubei.version import __version__

    tables = dict(con.execute("SELECT table_name, table_type FROM information_schema.tables "
                              "WHERE table_schema = 'main'").fetchall())
    if not tables:
        if read_only:  # an empty DuckDB file: recording makes it a store
            return
        for ddl in _DDL:
            con.execute(ddl)
        con.executemany("INSERT INTO meta VALUES (?, ?)",
                        [["schema_version", str(SCHEMA_VERSION)], ["koubei_version", __version__]])
        return
    if "meta" not in tables:
        raise StoreError(f"{path} is a DuckDB database but not a koubei issue store; "
                         "give another --store file")
    _check_tables(con, path, tables, ["meta"])
    row = con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    if row is None or not str(row[0]).isdigit():
        raise _damaged(path, "no schema_version in meta")
    if int(row[0]) > SCHEMA_VERSION:
        raise StoreError(f"{path} was written by a newer koubei (issue store schema {row[0]}, "
                         f"this koubei reads {SCHEMA_VERSION}); upgrade koubei (pip install -U koubei)")
    if int(row[0]) < SCHEMA_VERSION:
        raise _damaged(path, f"schema {row[0]}, which this koubei does not read")
    _check_tables(con, path, tables, list(_expected_columns()))


@functools.cache
def _expected_columns() -> dict[str, list[tuple[str, str]]]:
    """(column, type) of every table of a store this koubei writes, from :data:`_DDL` itself."""
    with duckdb.connect(":memory:") as con:
        for ddl in _DDL:
            con.execute(ddl)
        return _columns(con)


def _columns(con: duckdb.DuckDBPyConnection) -> dict[str, list[tuple[str, str]]]:
    rows = con.execute("SELECT table_name, column_name, data_type FROM information_schema.columns "
                       "WHERE table_schema = 'main' ORDER BY table_name, ordinal_position").fetchall()
    out: dict[str, list[tuple[str, str]]] = {}
    for table, column, dtype in rows:
        out.setdefault(table, []).append((column, dtype))
    return out


def _check_tables(con: duckdb.DuckDBPyConnection, path: Path, tables: dict[str, str],
                  names: Sequence[str]) -> None:
    """Every table in ``names`` is a table with exactly the columns and types this koubei writes.

    ``record`` inserts by position, so a missing, extra or retyped column would
    fail half-way through a run, or store values under the wrong names.
    """
    found = _columns(con)
    problems: list[str] = []
    for table in names:
        want, have = _expected_columns()[table], found.get(table, [])
        if table not in tables:
            problems.append(f"no table {table}")
        elif tables[table] != "BASE TABLE":
            problems.append(f"{table} is a {tables[table].lower()}, not a table")
        elif have != want:
            have_types = dict(have)
            missing = [c for c, _ in want if c not in have_types]
            extra = [c for c, _ in have if c not in dict(want)]
            retyped = [f"column {c} is {have_types[c]}, not {t}" for c, t in want
                       if c in have_types and have_types[c] != t]
            what = ([f"lacks column {', '.join(missing)}"] if missing else []) \
                + ([f"has unknown column {', '.join(extra)}"] if extra else []) \
                + retyped + ([] if missing or extra or retyped else ["columns out of order"])
            problems.append(f"table {table}: {', '.join(what)}")
    if problems:
        raise _damaged(path, "; ".join(problems))


def _json_text(value: Any) -> Any:
    """JSON columns are stored as text; lists/dicts given as objects are serialised."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, float) and pd.isna(value):
        return None
    return json.dumps(value, ensure_ascii=False)


def _check_issues(issues: pd.DataFrame, freq: str) -> pd.DataFrame:
    """The issue rows to store: required columns present, one freq, one row per (issue_id, window)."""
    if freq not in FREQS:
        raise ValueError(f"freq must be one of {', '.join(FREQS)}, not {freq!r}")
    required = ("issue_id", "window", "window_start", *KEY_COLUMNS, *METRIC_COLUMNS)
    missing = [c for c in required if c not in issues.columns]
    if missing:
        raise ValueError(f"issue table lacks columns: {', '.join(missing)} (see koubei.schema.ISSUE_COLUMNS)")
    if "freq" in issues.columns and len(issues) and not (issues["freq"] == freq).all():
        raise ValueError(f"issue table has rows of another freq than {freq!r}")
    rows = issues.loc[:, list(required)].copy()
    for col in JSON_COLUMNS:
        rows[col] = rows[col].map(_json_text)
    rows["issue_id"], rows["window"] = rows["issue_id"].astype(str), rows["window"].astype(str)
    rows["window_start"] = pd.to_datetime(rows["window_start"])
    return rows.drop_duplicates(["issue_id", "window"], keep="last").reset_index(drop=True)


def _closest(issue_id: str, known: Sequence[str]) -> str:
    close = difflib.get_close_matches(issue_id, known, n=5, cutoff=0.6)
    return f"did you mean {', '.join(close)}? " if close else ""


_F = TypeVar("_F", bound=Callable[..., Any])


def _reading(method: _F) -> _F:
    """A DuckDB error while reading the store (a file cut short, a damaged block) is a StoreError."""

    @functools.wraps(method)
    def wrapper(self: IssueStore, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(self, *args, **kwargs)
        except duckdb.Error as e:
            raise _damaged(self.path, e) from None

    return wrapper  # type: ignore[return-value]


class IssueStore:
    """Every run's issues and each issue's state; open it with :func:`open_store`.

    Usable as a context manager (closes on exit). Library code: never prints.
    """

    def __init__(self, path: Path, con: duckdb.DuckDBPyConnection) -> None:
        self.path = path
        self._con = con
        self._in_transaction = False

    def __enter__(self) -> IssueStore:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        """Close the DuckDB connection (releases the file lock)."""
        self._con.close()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[IssueStore]:
        """Everything written inside is committed together when the block ends, or nothing.

        Any exception rolls back every write made inside, so a caller can keep a
        run's other work (writing its output file) in the same all-or-nothing
        step as :meth:`record`. Nested blocks join the outer one.

        Raises:
            StoreError: DuckDB failed to write (the store is left as it was).
        """
        if self._in_transaction:
            yield self
            return
        con = self._con
        self._in_transaction = True
        try:
            con.begin()
            yield self
            con.commit()
        except BaseException as e:
            with contextlib.suppress(duckdb.Error):
                con.rollback()
            if isinstance(e, duckdb.Error):
                raise StoreError(f"cannot write to issue store {self.path}: {first_line(e)}; nothing was "
                                 "recorded: check free disk space and that the file is writable, then run "
                                 f"again, or if the store is damaged, {DAMAGED_FIX}") from None
            raise
        finally:
            self._in_transaction = False

    # -- writing ---------------------------------------------------------------------------

    def record(self, issues: pd.DataFrame, *, freq: str,
               evaluated_windows: Sequence[tuple[str, pd.Timestamp]], fingerprint: str = "",
               resolve_after: int = 2, levels: Sequence[str] | None = None) -> pd.DataFrame:
        """Record one ``emerging`` run and return its issues with their ``status``.

        The run is authoritative for the windows it evaluated: the issues the store
        held for those windows (of ``levels`` when given, else of every level) are
        replaced by ``issues``, so recording the same run twice changes nothing.
        The windows of ``issues`` count as evaluated too. One transaction: a
        failure leaves the store as it was.

        Args:
            issues: the issue table (columns of ``koubei.schema.ISSUE_COLUMNS``).
            freq: window frequency, ``D``, ``W`` or ``M``.
            evaluated_windows: (label, start) of every window the run evaluated.
            fingerprint: a hash of the scored data the run read (logged in ``runs``).
            resolve_after: clean evaluated windows after an issue's last flag that resolve it.
            levels: the groupings the run evaluated (``""``, ``supplier``...);
                default: the levels of ``issues`` for the log and every level for replacing.

        Returns:
            ``issues`` with each issue's ``status`` and ``first_window`` as ``list()`` gives
            them after this run (:mod:`koubei.store.state`): every row of an issue says
            the same, whichever window it is about.

        Raises:
            ValueError: a column is missing, or rows of another freq.
            StoreError: the store cannot be written.
        """
        if resolve_after < 1:
            raise ValueError("resolve_after must be at least 1")
        rows = _check_issues(issues, freq)
        windows = self._windows_frame(rows, evaluated_windows)
        run_levels = sorted(set(levels) if levels is not None else set(rows["level"].astype(str)))
        with self.transaction():  # the statuses are read inside: a failure there records nothing either
            self._write(rows, windows, freq=freq, levels=levels, run=[
                pd.Timestamp.now(tz="UTC"), freq, json.dumps(run_levels, ensure_ascii=False),
                json.dumps(windows["window"].tolist(), ensure_ascii=False), fingerprint, _version(),
                resolve_after, len(rows)])
            return with_states(issues, self._issue_states(freq, resolve_after))

    @staticmethod
    def _windows_frame(rows: pd.DataFrame, evaluated: Sequence[tuple[str, pd.Timestamp]]) -> pd.DataFrame:
        given = pd.DataFrame([(str(w), pd.Timestamp(s)) for w, s in evaluated],
                             columns=["window", "window_start"])
        both = pd.concat([given, rows[["window", "window_start"]]], ignore_index=True)
        both["window_start"] = pd.to_datetime(both["window_start"])
        return both.drop_duplicates("window").sort_values(["window_start", "window"]).reset_index(drop=True)

    def _write(self, rows: pd.DataFrame, windows: pd.DataFrame, *, freq: str,
               levels: Sequence[str] | None, run: list[Any]) -> None:
        """The run's rows; called inside :meth:`transaction`, which commits or rolls back."""
        con = self._con
        try:
            self._set_tz(windows)
            con.execute("INSERT INTO runs SELECT coalesce(max(run_id), 0) + 1, ?, ?, ?, ?, ?, ?, ?, ? "
                        "FROM runs", run)
            con.register("_windows", windows)
            con.execute('DELETE FROM evaluations WHERE freq = ? AND "window" IN '
                        '(SELECT "window" FROM _windows)', [freq])
            con.execute('INSERT INTO evaluations SELECT ?, "window", window_start FROM _windows', [freq])
            self._replace_flags(rows, freq, levels)
        finally:
            for view in ("_windows", "_rows"):
                con.unregister(view)

    def _set_tz(self, windows: pd.DataFrame) -> None:
        """Remember the zone of the window starts so that reads give them back in it."""
        tz = windows["window_start"].dt.tz
        if tz is not None and self._tz() is None:
            self._con.execute("INSERT INTO meta VALUES ('tz', ?)", [str(tz)])

    def _replace_flags(self, rows: pd.DataFrame, freq: str, levels: Sequence[str] | None) -> None:
        con = self._con
        con.register("_rows", rows)
        scope = 'freq = ? AND "window" IN (SELECT "window" FROM _windows)'
        params: list[Any] = [freq]
        if levels is not None:
            scope += " AND issue_id IN (SELECT issue_id FROM issues WHERE list_contains(?, level))"
            params.append([str(lv) for lv in levels])
        con.execute(f"DELETE FROM issue_windows WHERE {scope}", params)
        con.execute('DELETE FROM issue_windows USING _rows r WHERE issue_windows.issue_id = r.issue_id '
                    'AND issue_windows.freq = ? AND issue_windows."window" = r."window"', [freq])
        metrics = ", ".join(f'"{c}"' for c in METRIC_COLUMNS)
        con.execute(f'INSERT INTO issue_windows SELECT issue_id, ?, "window", window_start, {metrics} '
                    "FROM _rows", [freq])
        keys = ", ".join(KEY_COLUMNS)
        con.execute(f"INSERT INTO issues (issue_id, {keys}) SELECT DISTINCT ON (issue_id) issue_id, {keys} "
                    "FROM _rows WHERE issue_id NOT IN (SELECT issue_id FROM issues)")
        sets = ", ".join(f"{c} = r.{c}" for c in KEY_COLUMNS)
        con.execute(f"UPDATE issues SET {sets} FROM (SELECT DISTINCT ON (issue_id) * FROM _rows) r "
                    "WHERE issues.issue_id = r.issue_id")
        self._refresh_counts()

    def _refresh_counts(self) -> None:
        """first_seen, last_seen and times_flagged of every issue, from issue_windows."""
        self._con.execute("UPDATE issues SET first_seen = NULL, last_seen = NULL, times_flagged = 0 "
                          "WHERE issue_id NOT IN (SELECT issue_id FROM issue_windows)")
        self._con.execute("UPDATE issues SET first_seen = a.f, last_seen = a.l, times_flagged = a.n "
                          "FROM (SELECT issue_id, min(window_start) f, max(window_start) l, count(*) n "
                          "FROM issue_windows GROUP BY issue_id) a WHERE issues.issue_id = a.issue_id")

    @_reading
    def mute(self, issue_id: str, reason: str = "") -> None:
        """Mute an issue: its status is ``muted`` until :meth:`unmute`, whatever is recorded.

        Args:
            issue_id: the issue's id (``KB-...``).
            reason: why it is muted, kept in the store.

        Raises:
            NotFoundError: unknown issue id (the message lists close ids).
        """
        self._known(issue_id)
        self._con.execute("UPDATE issues SET muted = TRUE, mute_reason = ?, muted_at = ? WHERE issue_id = ?",
                          [reason, pd.Timestamp.now(tz="UTC"), issue_id])

    @_reading
    def unmute(self, issue_id: str) -> str:
        """Unmute an issue and return the status it has from its history again.

        Args:
            issue_id: the issue's id (``KB-...``).

        Raises:
            NotFoundError: unknown issue id (the message lists close ids).
        """
        self._known(issue_id)
        self._con.execute("UPDATE issues SET muted = FALSE, mute_reason = NULL, muted_at = NULL "
                          "WHERE issue_id = ?", [issue_id])
        current = self.list()
        status = current.loc[current["issue_id"] == issue_id, "status"]
        return str(status.iloc[0]) if len(status) else ""

    # -- reading ---------------------------------------------------------------------------

    @_reading
    def history(self, issue_id: str) -> pd.DataFrame:
        """The windows an issue was flagged in, by freq then time, with its ``status`` in each.

        The status column is the derived state in that window (``new``/``ongoing``);
        muting is a current state and is not shown per window.

        Args:
            issue_id: the issue's id (``KB-...``).

        Raises:
            NotFoundError: unknown issue id (the message lists close ids).
        """
        self._known(issue_id)
        rows = self._frame("SELECT * FROM issue_windows WHERE issue_id = ? "
                           'ORDER BY freq, window_start, "window"', [issue_id])
        status = pd.Series("", index=rows.index, dtype=object)
        for freq, part in rows.groupby("freq"):
            f = str(freq)
            at, _ = walk_states(self._evaluated(f), set(part["window"]), self._resolve_after(f))
            status[part.index] = part["window"].map(at)
        return rows.assign(status=status)

    def _known(self, issue_id: str) -> None:
        ids = [r[0] for r in self._con.execute("SELECT issue_id FROM issues ORDER BY issue_id").fetchall()]
        if issue_id not in ids:
            raise NotFoundError(f"no issue {issue_id} in {self.path}; {_closest(issue_id, ids)}"
                                f"`koubei issues list --store {self.path}` lists the ids")

    def _frame(self, sql: str, params: Sequence[Any] = ()) -> pd.DataFrame:
        """Run a query; timestamps come back in the zone the window starts were recorded in."""
        df = self._con.execute(sql, list(params)).df()
        tz = self._tz()
        for col in df.columns:
            if isinstance(df[col].dtype, pd.DatetimeTZDtype) and tz:
                df[col] = df[col].dt.tz_convert(tz)
        return df

    def _tz(self) -> str | None:
        row = self._con.execute("SELECT value FROM meta WHERE key = 'tz'").fetchone()
        return None if row is None else str(row[0])

    def _evaluated(self, freq: str) -> list[str]:
        sql = 'SELECT "window" FROM evaluations WHERE freq = ? ORDER BY window_start, "window"'
        return [r[0] for r in self._con.execute(sql, [freq]).fetchall()]

    def _resolve_after(self, freq: str) -> int:
        """The resolve_after of the latest run of ``freq`` (2 when none)."""
        row = self._con.execute("SELECT resolve_after FROM runs WHERE freq = ? ORDER BY run_id DESC LIMIT 1",
                                [freq]).fetchone()
        return 2 if row is None else int(row[0])

    def _issue_states(self, freq: str, resolve_after: int) -> dict[str, IssueState]:
        """The status and first window of every issue flagged in ``freq`` (:mod:`koubei.store.state`)."""
        sql = 'SELECT issue_id, "window", first_window FROM issue_windows WHERE freq = ?'
        flags = self._con.execute(sql, [freq]).fetchall()
        return issue_states(self._evaluated(freq), flags, resolve_after, muted=self._muted())

    def _muted(self) -> set[str]:
        return {r[0] for r in self._con.execute("SELECT issue_id FROM issues WHERE muted").fetchall()}

    @_reading
    def runs(self) -> pd.DataFrame:
        """Every recorded run (the ``runs`` table), oldest first.

        Returns:
            One row per :meth:`record` call, columns :data:`RUN_COLUMNS`: ``recorded_at``
            in the zone the window starts were recorded in, ``levels`` and ``windows``
            as lists.

        Raises:
            StoreError: the table cannot be read, or a run's levels or windows are not
                a JSON list (the store is damaged).
        """
        cols = ", ".join(f'"{c}"' for c in RUN_COLUMNS)
        df = self._frame(f"SELECT {cols} FROM runs ORDER BY run_id")
        for col in ("levels", "windows"):
            df[col] = [self._json_list(v, col) for v in df[col]]
        return df

    def _json_list(self, text: str, column: str) -> list[Any]:
        try:
            value = json.loads(text)
        except (TypeError, ValueError):
            value = None
        if not isinstance(value, list):
            raise _damaged(self.path, f"runs.{column} holds {str(text)[:40]!r}, not a JSON list")
        return value

    @_reading
    def list(self, status: str | None = None, freq: str | None = None) -> pd.DataFrame:
        """Every issue with its current status and the metrics of its latest flagged window.

        With ``freq``, only that frequency's history counts; without, each issue is
        shown in the frequency of its latest flagged window (ties: M, then W, then D).
        ``first_seen`` / ``last_seen`` are window labels of that frequency and
        ``times_flagged`` counts its flagged windows. ``status`` (now) and
        ``first_window`` (where its current episode began) are
        :func:`koubei.store.state.issue_states`'s, with the ``resolve_after`` of
        the latest run of each frequency; the other metrics are the latest window's.

        Args:
            status: keep only ``new``, ``ongoing``, ``resolved`` or ``muted``.
            freq: keep only ``D``, ``W`` or ``M``.

        Returns:
            One row per issue (columns :data:`LIST_COLUMNS`), sorted by status
            (new, ongoing, resolved, muted) then severity descending.
        """
        if status is not None and status not in STATUSES:
            raise ValueError(f"status must be one of {', '.join(STATUSES)}, not {status!r}")
        if freq is not None and freq not in FREQS:
            raise ValueError(f"freq must be one of {', '.join(FREQS)}, not {freq!r}")
        df = self._latest(freq).drop(columns="muted")
        parts = [with_states(part, self._issue_states(str(f), self._resolve_after(str(f))))
                 for f, part in df.groupby("freq", sort=False)]
        df = pd.concat(parts) if parts else df.assign(status=pd.Series(dtype=object))
        if status is not None:
            df = df[df["status"] == status]
        order = df["status"].map(STATUSES.index)
        df = df.assign(_o=order).sort_values(["_o", "severity", "issue_id"], ascending=[True, False, True])
        return df.loc[:, list(LIST_COLUMNS)].reset_index(drop=True)

    def _latest(self, freq: str | None) -> pd.DataFrame:
        """One row per issue: its latest flagged window (of ``freq``, or of any freq) with key fields."""
        where = "WHERE w.freq = ?" if freq else ""
        metrics = ", ".join(f'w."{c}"' for c in METRIC_COLUMNS)
        keys = ", ".join(f"i.{c}" for c in KEY_COLUMNS)
        sql = (
            f'SELECT w.issue_id, {keys}, w.freq, w."window", w.window_start, '
            'arg_min(w."window", w.window_start) OVER p AS first_seen, w."window" AS last_seen, '
            f"count(*) OVER p AS times_flagged, {metrics}, i.muted, i.mute_reason, i.muted_at "
            f"FROM issue_windows w JOIN issues i USING (issue_id) {where} "
            "WINDOW p AS (PARTITION BY w.issue_id, w.freq) "
            "QUALIFY w.window_start = max(w.window_start) OVER p"
        )
        df = self._frame(sql, [freq] if freq else [])
        rank = df["freq"].map({"M": 0, "W": 1, "D": 2})
        df = df.assign(_r=rank).sort_values(["issue_id", "window_start", "_r"], ascending=[True, False, True])
        return df.drop_duplicates("issue_id").drop(columns="_r").reset_index(drop=True)


def _version() -> str:
    from koubei.version import __version__

    return __version__
