"""Recall of planted bursts against false alarms on the clean stream, along the q of `koubei emerging`.

    python scripts/frontier_emerging.py [--data-dir DIR] [--seeds 11] [--prior-strengths 20,80]
                                        [--scenarios 70] [--holdout-seed 7]

Why does a monthly burst of k = 15 complaints go unflagged (scripts/bench_emerging.py)?
A miss has two causes the bench reports (the classifier tags too few plants; the test
finds the rise too weak), and one knob that trades recall for false alarms: the
false-discovery rate ``max_q``. This script draws the frontier of that trade.

For each window size and scenario seed, the scenarios of scripts/bench_emerging.py (the
same stream, bench bundle, plants and draws: ``--seed S`` there draws what seed S draws
here) are detected once with ``max_q = 1`` and no folding (``fold_share`` so large that no
issue folds into a finer one) on the planted windows w..w+2 alone (the false-discovery
control runs per window, so these windows give the q-values a run over every window gives
there), and each scenario keeps the smallest q of its detecting issues: a scenario counts
as caught at q when that q is at most q. Without the folding, an issue of the whole stream
pointing at the planted shop keeps its own q (at q = 1 it would fold into the shop's issue,
whose q may be larger); at a real q it folds only into a finer flagged issue holding half
its excess, which is the planted shop's. The clean stream is run at each q of the grid over
every window, folding as usual, and its issues per 100 key-windows are the false alarms at
that q.

The same is drawn for each ``prior_strength`` of ``--prior-strengths`` (the pseudo-reviews
that shrink a shop's baseline toward the rate of all shops): a stronger pull raises a small
shop's power where its own few reviews say little. The default q is calibrated on the clean
stream alone (scripts/calibrate_emerging.py); the prior strength was chosen on the scenarios
of seed 11 here and confirmed on the bench's own draws (scripts/bench_emerging.py, seed 7),
which this script does not run by default.

Results go to scripts/results/frontier_emerging.json.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import platform
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from bench_emerging import (  # scripts/ is on sys.path
    KS,
    bench_inputs,
    detect,
    plant_pools,
    run_scenarios,
)

from koubei.detect.config import EmergingConfig

GRID = (0.01, 0.02, 0.05, 0.1, 0.2, 0.5)
BUDGET = 0.2  # false alarms per 100 key-windows (issue 22)
NO_FOLD = 1e9  # a fold_share no finer issue reaches: every flagged hit stays an issue


def clean_rates(stream: pd.DataFrame, freq: str, base: EmergingConfig) -> dict[str, float]:
    """Issues per 100 key-windows of the clean stream at each q of the grid."""
    out = {}
    for q in GRID:
        res = detect(stream, freq, dataclasses.replace(base, max_q=q))
        out[str(q)] = round(100 * len(res.issues) / max(res.tested, 1), 4)
    return out


def recall_at(records: list[dict[str, object]], min_count: int) -> dict[str, dict[str, float]]:
    """Per q of the grid: recall per k, and per k over the scenarios with ≥ min_count tagged."""
    df = pd.DataFrame([r for r in records if "skipped" not in r])
    best = pd.to_numeric(df.get("best_q", pd.Series(np.nan, index=df.index)), errors="coerce").fillna(np.inf)
    out: dict[str, dict[str, float]] = {}
    for q in GRID:
        caught = best <= q
        for k in KS:
            at_k = (df["k"] == k).to_numpy()
            enough = at_k & (df["tagged"] >= min_count).to_numpy()
            out.setdefault(str(q), {})[f"k{k}"] = round(float(caught[at_k].mean()), 3)
            share = round(float(caught[enough].mean()), 3) if enough.any() else float("nan")
            out[str(q)][f"k{k}_tagged_ge_min_count"] = share
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data-dir", default=None)
    ap.add_argument("--seeds", default="11", help="scenario seeds (the bench's own is 7)")
    ap.add_argument("--prior-strengths", default="20,80", help="EmergingConfig.prior_strength values")
    ap.add_argument("--scenarios", type=int, default=70, help="scenarios per k and window size")
    ap.add_argument("--holdout-seed", type=int, default=7)
    ap.add_argument("--freqs", default="M,W")
    ap.add_argument("--out", default=str(Path(__file__).parent / "results" / "frontier_emerging.json"))
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    gold, holdout, model, stream = bench_inputs(args.data_dir, args.holdout_seed)
    pools = plant_pools(gold, holdout, model)
    base = EmergingConfig()
    report: dict[str, object] = {
        "command": "python scripts/frontier_emerging.py "
                   + " ".join(argv if argv is not None else sys.argv[1:]),
        "machine": f"{platform.machine()} {platform.system()}, Python {platform.python_version()}",
        "date": time.strftime("%Y-%m-%d"), "budget_per_100": BUDGET, "default_max_q": base.max_q,
        "default_prior_strength": base.prior_strength,
        "scenarios_per_k": args.scenarios, "grid": list(GRID),
    }
    runs: dict[str, dict[str, object]] = {}
    for strength in (float(x) for x in args.prior_strengths.split(",")):
        cfg = dataclasses.replace(base, prior_strength=strength)
        run: dict[str, object] = {}
        for freq in args.freqs.split(","):
            run[f"false_alarms_{freq}"] = clean_rates(stream, freq, cfg)
            for seed in (int(s) for s in args.seeds.split(",")):
                every = dataclasses.replace(cfg, max_q=1.0, fold_share=NO_FOLD)
                records = run_scenarios(stream, pools, freq, args.scenarios, every,
                                        np.random.default_rng(seed), lambda m: None, three_windows=True)
                run[f"recall_{freq}_seed{seed}"] = recall_at(records, cfg.min_count)
                print(strength, freq, seed, run[f"false_alarms_{freq}"],
                      json.dumps(run[f"recall_{freq}_seed{seed}"]), flush=True)
        runs[f"{strength:g}"] = run
    report["by_prior_strength"] = runs
    report["seconds"] = round(time.perf_counter() - t0, 1)
    Path(args.out).write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
