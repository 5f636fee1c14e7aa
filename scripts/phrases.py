"""Score the team's short review phrases (tests/data/phrases.csv) with a model bundle.

    python scripts/phrases.py [--model models/default] [--out scripts/results/phrases.json]

Counts the phrases whose predicted topics and polarities are exactly the
expected ones, those whose overall sentiment is (where the row gives one), those
whose taste directions are (where the row gives them), and those right in full;
by kind (negated complaint, past comparison, slang...).
Pass --model to score another bundle (e.g. an earlier release). The phrases
were written by the team and none is a gold text; they are what the lexicon
was written against, so they show the mechanism works, not how well it
generalises (the gold cross-validation of scripts/evaluate.py does that).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

import pandas as pd

from koubei.model import load_model

PHRASES = Path(__file__).resolve().parent.parent / "tests" / "data" / "phrases.csv"


def score(model, phrases: pd.DataFrame) -> dict:  # type: ignore[no-untyped-def]
    preds = model.predict(phrases["text"].tolist())
    out: dict = {"n": len(phrases), "topics_right": 0, "sentiment_n": 0, "sentiment_right": 0,
                 "taste_detail_n": 0, "taste_detail_right": 0, "full_right": 0, "by_kind": {}}
    taste = "taste_detail" in phrases.columns  # files before the column: not checked
    for row, p in zip(phrases.itertuples(), preds):
        want = dict(part.split(":") for part in row.topics.split(";") if part)
        topics_ok = p.topics == want
        sent_ok = not row.sentiment or p.sentiment == row.sentiment
        detail = row.taste_detail if taste else ""
        detail_ok = not detail or sorted(p.taste_detail) == sorted(detail.split(";"))
        right = topics_ok and sent_ok and detail_ok
        kind = out["by_kind"].setdefault(row.kind, {"n": 0, "full_right": 0})
        kind["n"] += 1
        kind["full_right"] += right
        out["topics_right"] += topics_ok
        out["sentiment_n"] += bool(row.sentiment)
        out["sentiment_right"] += bool(row.sentiment) and p.sentiment == row.sentiment
        out["taste_detail_n"] += bool(detail)
        out["taste_detail_right"] += bool(detail) and detail_ok
        out["full_right"] += right
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default=None, help="model bundle (default: the shipped models/default)")
    ap.add_argument("--out", default=str(Path(__file__).parent / "results" / "phrases.json"))
    args = ap.parse_args(argv)
    phrases = pd.read_csv(PHRASES, keep_default_na=False, dtype=str)
    model = load_model(args.model)
    result = {"command": "python scripts/phrases.py " + " ".join(argv or sys.argv[1:]),
              "date": time.strftime("%Y-%m-%d"), "machine": f"{platform.machine()}, {os.cpu_count()} cores",
              "model": str(model.path), "phrases": score(model, phrases)}
    Path(args.out).write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
    r = result["phrases"]
    print(f"topics {r['topics_right']}/{r['n']}, sentiment {r['sentiment_right']}/{r['sentiment_n']}, "
          f"taste detail {r['taste_detail_right']}/{r['taste_detail_n']}, in full {r['full_right']}/{r['n']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
