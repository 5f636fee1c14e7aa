"""Time and memory of one very long review (a pasted log) through reading, scoring and quoting.

    python scripts/bench_long_review.py [--sizes 500000,1000000,2000000,5000000] [--out FILE]

Issue 21 measured one review of 0.5 / 1 / 2 / 5 MB taking 13 / 34 / 100 / 449 s
and 1.7 GB: time grew with the square of its length. For each size this
script builds one review of that many characters from varied clauses (every
clause carries its own number, so no two are alike and no cache makes repeats
free), then times, each in a fresh child process (so one size's memory does
not carry into the next): ``canonicalize`` (ids, status, flags: the
``truncated`` flag), the shipped model's ``predict``, and ``shown_quote`` (the
quote an issue list would show). Peak memory is the child's maximum resident
set size. Results (with command, machine and date) go to
scripts/results/bench_long_review.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

CHILD = r"""
import json, random, resource, sys, time
from koubei import load_model
from koubei.detect.quotes import shown_quote
from koubei.io import canonicalize

size = int(sys.argv[1])
model = load_model()
model.predict(["预热一下：味道不错"])  # load and warm the model outside the timing
rng = random.Random(0)
parts = ["薯片太咸了", "送得很慢", "包装破了", "客服不回消息", "分量少了", "日志行", "error at line"]
text, n, i = [], 0, 0
while n < size:
    text.append(f"{rng.choice(parts)}{i}，")
    n += len(text[-1])
    i += 1
review = "".join(text)[:size]
t0 = time.perf_counter()
frame = canonicalize([review])
t1 = time.perf_counter()
pred = model.predict([review])[0]
t2 = time.perf_counter()
quote = shown_quote(review)
t3 = time.perf_counter()
print(json.dumps({"chars": len(review), "read_s": round(t1 - t0, 3), "predict_s": round(t2 - t1, 3),
                  "quote_s": round(t3 - t2, 4), "flags": frame["flags"].iloc[0], "topics": pred.topics,
                  "quote_chars": len(quote),
                  "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)},
                 ensure_ascii=False))
"""


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="500000,1000000,2000000,5000000",
                    help="review lengths in characters, comma-separated")
    ap.add_argument("--out", default=str(Path(__file__).parent / "results" / "bench_long_review.json"))
    args = ap.parse_args(argv)
    runs = []
    for size in (int(s) for s in args.sizes.split(",")):
        proc = subprocess.run([sys.executable, "-c", CHILD, str(size)], capture_output=True, text=True,
                              check=True)
        runs.append(json.loads(proc.stdout.strip().splitlines()[-1]))
        print(runs[-1])
    result = {"command": "python scripts/bench_long_review.py " + " ".join(argv or sys.argv[1:]),
              "date": time.strftime("%Y-%m-%d"), "machine": f"{platform.machine()}, {os.cpu_count()} cores",
              "runs": runs}
    Path(args.out).write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
