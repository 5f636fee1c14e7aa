"""The monitor's own store: one DuckDB file inside the history folder (``_monitor.duckdb``).

Tables (schema version :data:`SCHEMA_VERSION`):

- ``meta`` (key, value): ``schema_version``; ``history_version`` (bumped by every part
  committed) and ``detected_version`` (the history version detection last finished on;
  behind it, the next run detects again).
- ``feed_files``: one row per dump file read to the end: path, size, mtime_ns, sha256,
  rows, new rows. A file whose size and mtime are unchanged is not opened again; one
  whose bytes hash to a known sha256 is not read again.
- ``history_parts``: one row per Parquet part: name, rows, ``state`` (``pending`` before
  the part is renamed into the history, ``committed`` after), the dumps it came from.
- ``history_rows``: one row per review in the history: its ``row_key`` (what makes a row
  "already seen", :mod:`koubei.monitor.feed`), its ``review_id`` in the history,
  ``id_base`` (content-hash ids only) and its part.
- ``alert_issues``: per issue, the monitor's memory: episode number, active or not, the
  severity of its last alert.
- ``outbox``: one row per alert × channel: idempotency key, message (JSON), ``state``
  (``pending``, ``sent``, ``cancelled``), attempts, last error (masked), times.

Opening it takes DuckDB's write lock, so two runs on one history cannot overlap:
the second fails with a StoreError.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from koubei.errors import StoreError, first_line

SCHEMA_VERSION = 1
_DDL = (
    "CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR NOT NULL)",
    "CREATE TABLE IF NOT EXISTS feed_files (path VARCHAR PRIMARY KEY, size BIGINT NOT NULL, "
    "mtime_ns BIGINT NOT NULL, sha256 VARCHAR NOT NULL, rows BIGINT NOT NULL, new_rows BIGINT NOT NULL, "
    "recorded_at TIMESTAMPTZ NOT NULL)",
    "CREATE TABLE IF NOT EXISTS history_parts (part VARCHAR PRIMARY KEY, rows BIGINT NOT NULL, "
    "state VARCHAR NOT NULL, sources VARCHAR NOT NULL, created_at TIMESTAMPTZ NOT NULL)",
    "CREATE TABLE IF NOT EXISTS history_rows (row_key UBIGINT NOT NULL, review_id VARCHAR NOT NULL, "
    "id_base VARCHAR, part VARCHAR NOT NULL)",
    "CREATE TABLE IF NOT EXISTS alert_issues (issue_id VARCHAR PRIMARY KEY, episode INTEGER NOT NULL, "
    "active BOOLEAN NOT NULL, alerted_severity DOUBLE, updated_at TIMESTAMPTZ NOT NULL)",
    "CREATE TABLE IF NOT EXISTS outbox (key VARCHAR NOT NULL, channel VARCHAR NOT NULL, "
    "issue_id VARCHAR NOT NULL, kind VARCHAR NOT NULL, message VARCHAR NOT NULL, state VARCHAR NOT NULL, "
    "attempts INTEGER NOT NULL, last_error VARCHAR, created_at TIMESTAMPTZ NOT NULL, sent_at TIMESTAMPTZ, "
    "PRIMARY KEY (key, channel))",
)
_TABLES = ("meta", "feed_files", "history_parts", "history_rows", "alert_issues", "outbox")


def open_state(path: str | Path, *, read_only: bool = False) -> MonitorState:
    """Open (or create) the monitor store at ``path``; its folder is created when missing.

    Raises:
        StoreError: locked by another run, not a DuckDB file, not a monitor store, or
            written by a newer koubei.
    """
    p = Path(path)
    if not read_only:
        try:
            p.parent.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise StoreError(f"cannot create the history folder {p.parent} ({e.strerror or e})") from None
    try:
        con = duckdb.connect(str(p), read_only=read_only)
    except duckdb.Error as e:
        msg = str(e)
        if "lock" in msg.lower():
            raise StoreError(f"{p.parent} is in use by another koubei run (its {p.name} is locked); "
                             "wait for it to finish, or stop it, and run again") from None
        raise StoreError(f"{p} is not a monitor store ({first_line(e)}); move it away to start the "
                         "history's bookkeeping afresh only if the history folder is empty") from None
    state = MonitorState(p, con)
    try:
        state.prepare(read_only)
    except BaseException:
        con.close()
        raise
    return state


class MonitorState:
    """The monitor store; open it with :func:`open_state`. A context manager that closes it."""

    def __init__(self, path: Path, con: duckdb.DuckDBPyConnection) -> None:
        self.path, self._con, self._in_tx = path, con, False

    def __enter__(self) -> MonitorState:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._con.close()

    def prepare(self, read_only: bool = False) -> None:
        """Create the tables of a new store, or check an existing one's version and tables."""
        have = {r[0] for r in self._con.execute("SELECT table_name FROM information_schema.tables "
                                                "WHERE table_schema = 'main'").fetchall()}
        if not have and not read_only:
            for ddl in _DDL:
                self._con.execute(ddl)
            self._con.execute("INSERT INTO meta VALUES ('schema_version', ?)", [str(SCHEMA_VERSION)])
            return
        missing = [t for t in _TABLES if t not in have]
        if missing:
            raise StoreError(f"{self.path} is not a koubei monitor store (no table {', '.join(missing)})")
        version = self.meta("schema_version") or "0"
        if int(version) > SCHEMA_VERSION:
            raise StoreError(f"{self.path} was written by a newer koubei (monitor store schema {version}); "
                             "upgrade koubei (pip install -U koubei)")

    # -- plumbing ---------------------------------------------------------------------------

    @contextlib.contextmanager
    def transaction(self) -> Iterator[MonitorState]:
        """Everything written inside is committed together, or nothing (nested blocks join)."""
        if self._in_tx:
            yield self
            return
        self._in_tx = True
        try:
            self._con.begin()
            yield self
            self._con.commit()
        except BaseException as e:
            with contextlib.suppress(duckdb.Error):
                self._con.rollback()
            if isinstance(e, duckdb.Error):
                raise StoreError(f"cannot write to the monitor store {self.path}: {first_line(e)}; "
                                 "nothing of this step was recorded; check free disk space") from None
            raise
        finally:
            self._in_tx = False

    def execute(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Run one statement; its rows."""
        return self._con.execute(sql, list(params)).fetchall()

    def frame(self, sql: str, params: Sequence[Any] = ()) -> pd.DataFrame:
        """Run one query; its rows as a frame."""
        return self._con.execute(sql, list(params)).df()

    @contextlib.contextmanager
    def registered(self, name: str, frame: pd.DataFrame) -> Iterator[None]:
        """``frame`` queryable as the view ``name`` while the block runs."""
        self._con.register(name, frame)
        try:
            yield
        finally:
            self._con.unregister(name)

    def insert_frame(self, table: str, frame: pd.DataFrame) -> None:
        """Append ``frame`` (columns in the table's order) to ``table``."""
        with self.registered("_insert", frame):
            self._con.execute(f"INSERT INTO {table} SELECT * FROM _insert")

    def column(self, sql: str, params: Sequence[Any] = ()) -> Any:
        """The first column of a query as a numpy array."""
        result = self._con.execute(sql, list(params)).fetchnumpy()
        return next(iter(result.values()))

    def meta(self, key: str, default: str | None = None) -> str | None:
        row = self._con.execute("SELECT value FROM meta WHERE key = ?", [key]).fetchone()
        return default if row is None else str(row[0])

    def set_meta(self, key: str, value: str) -> None:
        self._con.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", [key, value])

    def version(self, key: str) -> int:
        """``history_version`` or ``detected_version`` (0 when never set)."""
        return int(self.meta(key) or "0")
