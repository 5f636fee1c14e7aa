"""The issue store: the history of every emerging-issue run in one DuckDB file.

``detect`` writes it (``koubei emerging --store``, ``koubei run``); ``export``,
``report``, ``monitor`` and ``koubei issues`` read it. An issue's status and
first window are derived from that history (:mod:`koubei.store.state`), with or
without a store.

    from koubei.store import open_store

    with open_store("koubei.duckdb") as store:
        issues = store.list(freq="W", status="new")
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from koubei._lazy import lazy_exports

if TYPE_CHECKING:
    from koubei.store.history import IssueStore, check_store, open_store
    from koubei.store.state import IssueState, issue_states, without_store

__getattr__ = lazy_exports(__name__, {
    **dict.fromkeys(("IssueStore", "check_store", "open_store"), "koubei.store.history"),
    **dict.fromkeys(("IssueState", "issue_states", "without_store"), "koubei.store.state"),
})

__all__ = ["IssueState", "IssueStore", "check_store", "issue_states", "open_store", "without_store"]
