"""scripts/bench_novel.py's taxonomy minus a held-out topic (the benchmark itself runs for minutes)."""

from __future__ import annotations

import pytest
from scripts_loader import load_script

from koubei.errors import TaxonomyError
from koubei.taxonomy import load_taxonomy, taxonomy_from_dict


def test_holding_out_a_topic_others_yield_to_drops_their_entries() -> None:
    """delivery_logistics yields to after_sales on 退款 (taxonomy 1.8): with after_sales held out the
    taxonomy must still load, and delivery keeps its other yields (to service on 上菜)."""
    bench = load_script("bench_novel")
    tax = load_taxonomy()
    delivery = next(t for t in tax.to_dict()["topics"] if t["id"] == "delivery_logistics")
    assert {"after_sales", "service_attitude"} <= set(delivery["yields_to"])
    raw = tax.to_dict()
    raw["topics"] = [t for t in raw["topics"] if t["id"] != "after_sales"]
    with pytest.raises(TaxonomyError):  # the plain cut names a topic that is gone
        taxonomy_from_dict(raw)
    held = bench.without(tax, "after_sales")
    assert "after_sales" not in held.topic_ids and len(held.topic_ids) == len(tax.topic_ids) - 1
    kept = next(t for t in held.to_dict()["topics"] if t["id"] == "delivery_logistics")
    assert "after_sales" not in kept["yields_to"] and "service_attitude" in kept["yields_to"]


def test_holding_out_the_topic_a_yield_shares_cues_with_drops_the_shared_cues_too() -> None:
    """delivery_logistics shares 慢, 快, 一个小时... with service_attitude (taxonomy 1.10): with
    service held out, neither its yield nor its shared cues may name it."""
    bench = load_script("bench_novel")
    held = bench.without(load_taxonomy(), "service_attitude")
    kept = next(t for t in held.to_dict()["topics"] if t["id"] == "delivery_logistics")
    assert "service_attitude" not in kept["yields_to"] and "yields_shared" not in kept


def test_the_word_oracle_pools_words_purest_first_while_the_pool_stays_pure() -> None:
    """Six hygiene complaints and the words of their uncovered clauses: 拉肚子 is pure (its three
    reviews are all about hygiene), 头发 half (a shampoo review holds it too), 快递 none."""
    import numpy as np

    bench = load_script("bench_novel")
    tokens = [["拉肚子"], ["头发"], ["快递"], ["拉肚子", "头发"]]
    # review: clause ids; rows 0-2 say 拉肚子, 3-4 头发 (3 about hygiene, 4 a shampoo), 5-6 快递
    per = [(0,), (3,), (0,), (1,), (1,), (2,), (2,)]
    is_t = np.array([True, True, True, True, False, False, False])
    has_t = is_t.copy()
    labelled = np.ones(7, dtype=bool)
    got = bench.word_oracle(per, tokens, is_t, has_t, labelled, all_t=5, min_rows=2)
    # single: 拉肚子 (rows 0-2, pure) only; 头发 (rows 1, 3, 4: 2 of 3) is under 0.7
    assert got["single"] == 0.6 and got["single_purity"] == 1.0
    # pooled: 拉肚子 first (3 of 3), then 头发 adds rows 3 and 4 (4 of 5 = 0.8), then 快递 would fall under
    assert got["pooled"] == 0.8 and got["pooled_purity"] == 0.8
    # a word of fewer reviews than the smallest cluster does not count
    assert bench.word_oracle(per, tokens, is_t, has_t, labelled, all_t=5, min_rows=4)["pooled"] == 0.0
    # background rows (unlabelled) neither vote nor count for purity
    labelled[4] = False
    assert bench.word_oracle(per, tokens, is_t, has_t, labelled, all_t=5, min_rows=2)["single"] == 0.8


def test_the_union_ceiling_bounds_every_union_of_whole_words() -> None:
    """A greedy pool (purest first) misses P+X: P 7 of 7 about the topic, Y 4 of 6, X 12 of 20. The
    relaxation's ceiling is at least the best union (P+X: 19 of 27 = 0.70 pure, 19 of 23 found)."""
    import numpy as np

    bench = load_script("bench_novel")
    tokens = [["P"], ["Y"], ["X"]]
    per = [(0,)] * 7 + [(1,)] * 4 + [(1,)] * 2 + [(2,)] * 12 + [(2,)] * 8
    is_t = np.array([True] * 11 + [False] * 2 + [True] * 12 + [False] * 8)
    labelled = np.ones(len(per), dtype=bool)
    got = bench.word_oracle(per, tokens, is_t, is_t.copy(), labelled, all_t=23, min_rows=5)
    assert got["pooled"] == round(11 / 23, 3)  # P then Y; X would take the pool under 0.7
    assert got["ceiling"] >= round(19 / 23, 3) - 0.001 and got["ceiling"] <= 1.0


def test_a_planted_burst_is_found_by_an_issue_mostly_planted_at_or_under_the_q() -> None:
    """scripts/bench_novel_planted.py: a burst counts as found at q only through a new-kind issue of
    q-value <= q that is at least half plants; its plants are counted from those issues alone."""
    load_script("bench_novel")  # bench_novel_planted imports it as a sibling module
    bench = load_script("bench_novel_planted")
    sc = {"freq": "M", "k": 10, "plants_complaining": 9, "issues": [
        {"q": 0.003, "count": 6, "planted": 5, "plants": [0, 1, 2, 3, 4]},  # the burst, at q 0.003
        {"q": 0.0001, "count": 9, "planted": 4, "plants": [5, 6, 7, 8]},  # mostly the stream's own
        {"q": 0.01, "count": 4, "planted": 2, "plants": [4, 9]},  # half plants, one shared with the first
    ]}
    assert bench.found_at(sc, 0.001) == (False, 0)
    assert bench.found_at(sc, 0.005) == (True, 5)
    assert bench.found_at(sc, 0.02) == (True, 6)  # plant 4 is in two issues: counted once
    missed = {"freq": "M", "k": 10, "plants_complaining": 4, "issues": []}
    got = bench.summarize([sc, missed])["M/10"]
    assert got["scenarios"] == 2 and got["plants_complaining"] == 0.65
    assert got["0.001"] == {"recall": 0.0, "plants_in_issue": None}
    assert got["0.005"] == {"recall": 0.5, "plants_in_issue": 0.5}
    assert got["0.02"] == {"recall": 0.5, "plants_in_issue": 0.6}


def test_plants_are_drawn_from_both_sources_and_never_more_than_half_the_pool() -> None:
    import numpy as np
    import pandas as pd

    load_script("bench_novel")
    bench = load_script("bench_novel_planted")
    held = object.__new__(bench.HeldOut)
    hotpot = ["锅底里有头发", "碗没洗干净", "毛肚上有根头发"]
    waimai = ["菜里吃出虫子", "筷子有霉点", "吃完拉肚子", "饭里有小石子", "外卖盒里有根毛"]
    held.pool = {"hotpot": pd.DataFrame({"text": hotpot}), "waimai": pd.DataFrame({"text": waimai})}
    rng = np.random.default_rng(0)
    drawn = [set(held.draw(4, rng)["text"]) for _ in range(20)]
    assert all(len(d) == 4 and d <= set(hotpot + waimai) for d in drawn)
    assert any(d & set(waimai) for d in drawn) and any(d & set(hotpot) for d in drawn)
    assert held.draw(5, rng) is None  # more than half of the 8: the tries would plant the same reviews
