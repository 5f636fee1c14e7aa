"""The demo: the bundled dump of synthetic snack reviews, scored end to end."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from koubei.errors import OutputError
from koubei.io import ReadReport
from koubei.model.parallel import available_cores
from koubei.resources import corpora_path
from koubei.scoring import ScoreResult, score_file

DEMO_DUMP = ("demo", "snack_reviews.csv")


def demo_dump_path() -> Path:
    """The shipped demo dump (made by scripts/make_demo.py)."""
    return corpora_path(*DEMO_DUMP)


def run_demo(out_dir: str | Path, *, on_read: Callable[[ReadReport], None] | None = None,
             progress: Callable[[int], None] | None = None) -> ScoreResult:
    """Score the demo dump into ``out_dir/scored.parquet`` (replaced on each run)."""
    folder = Path(out_dir)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise OutputError(f"cannot create demo folder {folder}: {e.strerror or e}") from e
    return score_file(demo_dump_path(), folder / "scored.parquet", overwrite=True,
                      workers=available_cores(), on_read=on_read, progress=progress)
