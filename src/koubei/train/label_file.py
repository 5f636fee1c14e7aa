"""What a label file holds before validation (:class:`RawLabel`) and what reading it found
(:class:`LabelReport`): the types every label reader (:mod:`koubei.train.labels`,
:mod:`koubei.train.labelstudio`) fills."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class RawLabel:
    """One labelled review as written in its file, before validation.

    Attributes:
        where: its place in the file, for messages (``row 5``, ``line 3``, ``task 7``).
        id: the review id, if the file has one.
        text: the review text.
        sentiment: overall sentiment as written ("" when absent).
        topics: topic label → polarity as written ("" when the polarity is missing).
        taste_detail: taste directions as written.
    """

    where: str
    id: str
    text: str
    sentiment: str = ""
    topics: dict[str, str] = field(default_factory=dict)
    taste_detail: list[str] = field(default_factory=list)


@dataclass
class LabelReport:
    """What a label file held: counts per label, skipped rows, warnings."""

    path: str
    format: str
    sha256: str
    rows: int = 0
    records: int = 0
    skipped: dict[str, int] = field(default_factory=dict)
    topic_counts: dict[str, dict[str, int]] = field(default_factory=dict)
    sentiment_counts: dict[str, int] = field(default_factory=dict)
    taste_counts: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """Plain data for a manifest or a JSON report."""
        return {k: getattr(self, k) for k in self.__dataclass_fields__}

    def topic_support(self, topic_id: str) -> int:
        """Reviews labelled with a topic (any polarity)."""
        return sum(self.topic_counts.get(topic_id, {}).values())

    def summary_lines(self) -> list[str]:
        """Human-readable lines (the CLI prints them)."""
        lines = [f"{self.path}: {self.rows} rows ({self.format}), {self.records} labelled reviews"]
        if self.skipped:
            lines.append("  skipped: " + ", ".join(f"{k} {v}" for k, v in self.skipped.items()))
        if self.sentiment_counts:
            lines.append("  sentiment: " + ", ".join(f"{k} {v}" for k, v in self.sentiment_counts.items()))
        for t, counts in self.topic_counts.items():
            if counts:
                lines.append(f"  {t}: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
        lines += [f"  warning: {w}" for w in self.warnings]
        return lines
