"""What reading a dump found: :class:`ReadReport`, filled chunk by chunk."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from koubei.schema import FLAGS, STATUSES

_EXAMPLES = 5


def _zeros(names: tuple[str, ...]) -> dict[str, int]:
    return dict.fromkeys(names, 0)


@dataclass
class ReadReport:
    """The facts of one read, for the user and the CLI.

    Attributes:
        path: the file read (or the ``source`` label of an in-memory frame).
        format: the format name (``csv``, ``xlsx``, ... or ``dataframe``).
        encoding: the text encoding used; None for binary formats.
        n_rows: rows read (rows are never dropped).
        mapping: canonical column → source column.
        auto_detected: canonical columns found from the header.
        guessed: canonical columns picked from the data (check them).
        status_counts: rows per status (``ok``, ``empty``, ``non_text``).
        flag_counts: rows carrying each flag.
        short_rows: rows with fewer fields than the header (padded with "").
        unparseable_time: non-empty time values that gave NaT.
        unparseable_time_examples: a few of those values.
        relative_time_unresolved: of those, relative dates that ``now`` would fix.
        unparseable_rating: non-empty rating values that gave NaN.
        notes: other remarks (ambiguous columns, dropped trailing fields...).
    """

    path: str
    format: str = ""
    encoding: str | None = None
    n_rows: int = 0
    mapping: dict[str, str] = field(default_factory=dict)
    auto_detected: list[str] = field(default_factory=list)
    guessed: list[str] = field(default_factory=list)
    status_counts: dict[str, int] = field(default_factory=lambda: _zeros(STATUSES))
    flag_counts: dict[str, int] = field(default_factory=lambda: _zeros(FLAGS))
    short_rows: int = 0
    unparseable_time: int = 0
    unparseable_time_examples: list[str] = field(default_factory=list)
    relative_time_unresolved: int = 0
    unparseable_rating: int = 0
    notes: list[str] = field(default_factory=list)

    def add_time_examples(self, examples: list[str]) -> None:
        """Keep up to five distinct unparseable time values."""
        for value in examples:
            if len(self.unparseable_time_examples) >= _EXAMPLES:
                return
            if value not in self.unparseable_time_examples:
                self.unparseable_time_examples.append(value)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready copy."""
        return asdict(self)

    def summary_lines(self) -> list[str]:
        """Short human-readable lines (the CLI prints them; the library never does)."""
        enc = f", {self.encoding}" if self.encoding else ""
        lines = [f"{self.path}: {self.n_rows:,} rows ({self.format}{enc})"]
        for canonical, source in self.mapping.items():
            how = (
                "guessed"
                if canonical in self.guessed
                else ("detected" if canonical in self.auto_detected else "given")
            )
            lines.append(f"  {canonical} <- {source!r} ({how})")
        lines.append("  status: " + _counts_text(self.status_counts))
        flagged = {k: v for k, v in self.flag_counts.items() if v}
        if flagged:
            lines.append("  flags: " + _counts_text(flagged))
        lines.extend(f"  {line}" for line in self._problem_lines())
        return lines

    def _problem_lines(self) -> list[str]:
        out = []
        if self.short_rows:
            out.append(f"{self.short_rows:,} short rows padded with empty cells")
        if self.unparseable_time:
            examples = ", ".join(map(repr, self.unparseable_time_examples))
            out.append(f"{self.unparseable_time:,} unparseable times (e.g. {examples})")
        if self.relative_time_unresolved:
            out.append(
                f"{self.relative_time_unresolved:,} relative dates left empty "
                "(relative date, pass --now)"
            )
        if self.unparseable_rating:
            out.append(f"{self.unparseable_rating:,} ratings that are not numbers")
        return [*out, *self.notes]


def _counts_text(counts: dict[str, int]) -> str:
    return ", ".join(f"{k} {v:,}" for k, v in counts.items())
