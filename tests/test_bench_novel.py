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
