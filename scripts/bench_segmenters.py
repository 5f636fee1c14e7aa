"""jieba against jieba-compatible faster segmenters, with koubei's user dictionary.

    python scripts/bench_segmenters.py [--data-dir DIR] [--speed-sample 20000] [--repeats 3]

For every review of the test corpora (sentiment/*.csv, the gold labels and
the timed hotpot reviews), normalized as koubei normalizes, each segmenter
cuts the text with the shipped user dictionary (corpora/dict/user_dict.txt)
and HMM on, exactly as `koubei.text.Segmenter` calls jieba. Reported per
engine: the share of reviews whose token list is identical to jieba's, and
single-process speed (reviews/s and tokens/s, best of --repeats runs over a
fixed sample, no caching across runs). ``koubei_rjieba_blocks`` is koubei's own
engine: rjieba for jieba's Chinese, jieba for the letters and digits of a block
(its memo of those runs starts empty in each run, as in a scoring worker's first
batch).
Engines that are not installed are skipped: `pip install jieba-fast rjieba`.
Results go to scripts/results/bench_segmenters.json.
"""

from __future__ import annotations

import argparse
import json
import logging
import platform
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from koubei.corpora import find_corpora, load_gold, load_sentiment
from koubei.text.normalize import normalize
from koubei.text.segment import user_dict_path

Cut = Callable[[str], list[str]]


def user_words() -> list[tuple[str, int | None]]:
    out = []
    for line in user_dict_path().read_text(encoding="utf-8").splitlines():
        parts = line.split()
        if parts and not parts[0].startswith("#"):
            out.append((parts[0], int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None))
    return out


def jieba_cut() -> Cut:
    import jieba

    jieba.setLogLevel(logging.WARNING)
    tok = jieba.Tokenizer()
    tok.load_userdict(str(user_dict_path()))
    return lambda t: [w for w in tok.lcut(t, HMM=True) if not w.isspace()]


def jieba_fast_cut() -> Cut:
    import jieba_fast

    jieba_fast.setLogLevel(logging.WARNING)
    tok = jieba_fast.Tokenizer()
    tok.load_userdict(str(user_dict_path()))
    return lambda t: [w for w in tok.lcut(t, HMM=True) if not w.isspace()]


def rjieba_cut() -> Cut:
    import rjieba

    tok = rjieba.Jieba()
    for word, freq in user_words():
        tok.add_word(word, freq, None)
    return lambda t: [w for w in tok.cut(t, True) if not w.isspace()]


def koubei_rjieba_cut() -> Cut:
    """koubei's Segmenter with engine rjieba: Chinese-only blocks to rjieba, the rest to jieba."""
    from koubei.text.segment import Segmenter

    seg = Segmenter(engine="rjieba", cache_size=0)

    def cut(text: str) -> list[str]:
        return seg.cut(text)

    def reset() -> None:  # its caches of letter-and-digit runs start empty in each timed pass
        seg._jieba_block.cache_clear()
        seg._jieba_run.cache_clear()
    cut.reset = reset  # type: ignore[attr-defined]
    return cut


ENGINES: dict[str, Callable[[], Cut]] = {
    "jieba": jieba_cut, "jieba_fast": jieba_fast_cut, "rjieba": rjieba_cut,
    "koubei_rjieba_blocks": koubei_rjieba_cut,
}


def corpus_texts(data: Path) -> list[str]:
    texts = load_sentiment(data)["text"].tolist() + [g.text for g in load_gold(data)]
    hotpot = pd.read_csv(data / "timed" / "meituan_wuhan_hotpot_reviews.csv", dtype=str)["review"].dropna()
    texts += hotpot.tolist()
    normed = (normalize(t) for t in texts)
    return [t for t in normed if t.strip()]


def speed(cut: Cut, sample: list[str], repeats: int) -> dict[str, float]:
    best, tokens = float("inf"), 0
    for _ in range(repeats):
        getattr(cut, "reset", lambda: None)()
        t0 = time.perf_counter()
        tokens = sum(len(cut(t)) for t in sample)
        best = min(best, time.perf_counter() - t0)
    return {"reviews_per_s": round(len(sample) / best), "tokens_per_s": round(tokens / best)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data-dir")
    ap.add_argument("--speed-sample", type=int, default=20_000)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--out", default=str(Path(__file__).parent / "results" / "bench_segmenters.json"))
    args = ap.parse_args(argv)
    texts = corpus_texts(find_corpora(args.data_dir))
    sample = texts[:: max(1, len(texts) // args.speed_sample)][: args.speed_sample]
    report: dict[str, object] = {
        "command": "python scripts/bench_segmenters.py " + " ".join(argv or sys.argv[1:]),
        "machine": f"{platform.machine()} {platform.system()}, Python {platform.python_version()}",
        "date": time.strftime("%Y-%m-%d"),
        "reviews": len(texts), "speed_sample": len(sample), "engines": {}}
    reference: list[list[str]] | None = None
    for name, make in ENGINES.items():
        try:
            cut = make()
        except ImportError:
            report["engines"][name] = "not installed"  # type: ignore[index]
            continue
        tokens = [cut(t) for t in texts]
        reference = reference or tokens
        same = sum(a == b for a, b in zip(tokens, reference))
        report["engines"][name] = {"identical_share": round(same / len(texts), 5),  # type: ignore[index]
                                   "differing_reviews": len(texts) - same, **speed(cut, sample, args.repeats)}
        print(name, report["engines"][name], flush=True)  # type: ignore[index]
    Path(args.out).write_text(json.dumps(report, ensure_ascii=False, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
