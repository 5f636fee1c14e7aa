"""Part compaction: the many small parts that hourly runs leave, merged into fewer, crash-safe.

    from koubei.monitor.compact import compact
    merged = compact(state, history, max_rows=200_000)   # [("part-00000-00047.parquet", [...48 parts]), ...]

Each ``koubei run`` with new rows appends a part; a feed read every hour leaves thousands of
small files, and every reader opens each one. When the history holds more than
``[history] compact_at`` parts (or on ``koubei run --compact``), consecutive parts are merged,
in name order, into parts of at most ``[history] compact_rows`` rows. The rows and their order
do not change: a merged part is named ``part-<first>-<last>.parquet`` after its first and last
source, so it sorts where they did, and the next new part is numbered after ``<last>``.

One merge, safe to kill at any instant:

a. the merged rows are written to a hidden temporary file beside the target and flushed;
b. the manifest records the target as ``compacting`` and the plan (one transaction);
c. the marker :data:`koubei.engines.cluster.COMPACTING` (target and sources) is written
   atomically: from then on, as soon as the target exists, readers
   (:func:`koubei.engines.cluster.parquet_files`) leave the sources out;
d. the temporary file is renamed to the target (atomic) and the folder synced;
e. the sources are deleted and the folder synced;
f. the manifest moves the sources' row keys to the target, forgets the sources and commits
   the target (one transaction);
g. the marker is removed.

So a reader sees either the sources or the target, never both, never neither; and
:func:`recover_compaction`, at the start of the next run, finishes a merge whose target is in
place (e-g) and undoes one whose target is not (b, c; the sources were never touched).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from koubei.engines.cluster import COMPACTING
from koubei.io.writers import atomic_file, atomic_write
from koubei.monitor.feed import fsync_dir, fsync_file, parquet_rows
from koubei.monitor.state import MonitorState

_NAME = re.compile(r"part-(\d+)(?:-(\d+))?\.parquet")
_PLAN = "compacting"


def part_numbers(name: str) -> tuple[int, int] | None:
    """The first and last number of a part's name (``part-00003.parquet`` → (3, 3),
    ``part-00000-00047.parquet`` → (0, 47)); None for another name."""
    m = _NAME.fullmatch(name)
    if m is None:
        return None
    first = int(m.group(1))
    return first, int(m.group(2)) if m.group(2) else first


def groups(parts: list[tuple[str, int]], max_rows: int) -> list[list[str]]:
    """Runs of consecutive parts (name order) of at most ``max_rows`` rows together; runs of one
    part are left out (nothing to merge)."""
    out: list[list[str]] = []
    run: list[str] = []
    total = 0
    for name, rows in parts:
        if run and total + rows > max_rows:
            out.append(run)
            run, total = [], 0
        run.append(name)
        total += rows
    out.append(run)
    return [r for r in out if len(r) > 1]


def compact(state: MonitorState, history: Path, *, max_rows: int) -> list[tuple[str, list[str]]]:
    """Merge the history's committed parts into parts of at most ``max_rows`` rows; the merges
    made, as (target, sources). The history must be recovered first (no merge in progress)."""
    parts = [(str(p), int(n)) for p, n in state.execute(
        "SELECT part, rows FROM history_parts WHERE state = 'committed' ORDER BY part")]
    done = []
    for sources in groups(parts, max_rows):
        done.append((merge(state, history, sources), sources))
    return done


def merge(state: MonitorState, history: Path, sources: list[str]) -> str:
    """Merge ``sources`` (committed parts, consecutive) into one part; its name (see the module doc)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    first, last = part_numbers(sources[0]), part_numbers(sources[-1])
    if first is None or last is None:
        raise ValueError(f"not part names: {sources}")
    target = f"part-{first[0]:05d}-{last[1]:05d}.parquet"
    rows, dumps = _sources(state, sources)
    tables = [pq.read_table(history / s) for s in sources]
    schema = tables[0].schema
    table = pa.concat_tables([t if t.schema.equals(schema) else t.cast(schema) for t in tables])
    if table.num_rows != rows:
        raise ValueError(f"{sources}: {table.num_rows} rows in the files, {rows} in the manifest")
    with atomic_file(history / target) as tmp:
        pq.write_table(table, tmp)
        fsync_file(tmp)
        with state.transaction():
            state.execute("INSERT INTO history_parts VALUES (?, ?, 'compacting', ?, now())",
                          [target, rows, json.dumps(dumps, ensure_ascii=False)])
            state.set_meta(_PLAN, json.dumps({"target": target, "sources": sources}))
        _write_marker(history, target, sources)
    fsync_dir(history)
    _finish(state, history, target, sources)
    return target


def recover_compaction(state: MonitorState, history: Path) -> list[str]:
    """Finish or undo a merge a killed run left (see the module doc); a note per thing done."""
    plan = state.meta(_PLAN)
    notes = []
    if plan is not None:
        p = json.loads(plan)
        target, sources = str(p["target"]), [str(s) for s in p["sources"]]
        rows = state.execute("SELECT rows FROM history_parts WHERE part = ?", [target])
        if (history / target).is_file() and rows and parquet_rows(history / target) == rows[0][0]:
            _finish(state, history, target, sources)
            notes.append(f"{target}: a run was stopped while merging {len(sources)} parts into it; merged")
        else:
            (history / target).unlink(missing_ok=True)
            with state.transaction():
                state.execute("DELETE FROM history_parts WHERE part = ? AND state = 'compacting'", [target])
                state.execute("DELETE FROM meta WHERE key = ?", [_PLAN])
            (history / COMPACTING).unlink(missing_ok=True)
            notes.append(f"{target}: a run was stopped before merging {len(sources)} parts into it; "
                         "left as they were")
    elif (history / COMPACTING).exists():  # stopped between (f) and (g): the merge is done
        (history / COMPACTING).unlink()
    return notes


def _finish(state: MonitorState, history: Path, target: str, sources: list[str]) -> None:
    """Steps e-g: the sources deleted, the manifest moved to the target, the marker removed."""
    for s in sources:
        (history / s).unlink(missing_ok=True)
    fsync_dir(history)
    marks = ", ".join("?" for _ in sources)
    with state.transaction():
        state.execute(f"UPDATE history_rows SET part = ? WHERE part IN ({marks})", [target, *sources])
        state.execute(f"DELETE FROM history_parts WHERE part IN ({marks})", sources)
        state.execute("UPDATE history_parts SET state = 'committed' WHERE part = ?", [target])
        state.execute("DELETE FROM meta WHERE key = ?", [_PLAN])
    (history / COMPACTING).unlink(missing_ok=True)
    fsync_dir(history)


def _sources(state: MonitorState, sources: list[str]) -> tuple[int, list[str]]:
    """The sources' rows in all, and the dumps they were read from (in order, once each)."""
    marks = ", ".join("?" for _ in sources)
    found = dict(((p, (n, s)) for p, n, s in state.execute(
        f"SELECT part, rows, sources FROM history_parts WHERE part IN ({marks}) AND state = 'committed'",
        sources)))
    missing = [s for s in sources if s not in found]
    if missing:
        raise ValueError(f"not committed parts: {missing}")
    dumps: dict[str, None] = {}
    for s in sources:
        dumps.update(dict.fromkeys(json.loads(found[s][1])))
    return sum(int(found[s][0]) for s in sources), list(dumps)


def _write_marker(history: Path, target: str, sources: list[str]) -> None:
    text = json.dumps({"target": target, "sources": sources}) + "\n"

    def write(tmp: Path) -> None:
        tmp.write_text(text, encoding="utf-8")
        fsync_file(tmp)

    atomic_write(history / COMPACTING, write)
