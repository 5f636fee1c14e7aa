"""scripts/bench_train.py's reading of training time by number of labels (the benchmark itself runs
for minutes)."""

from __future__ import annotations

import pytest
from scripts_loader import load_script

bench = load_script("bench_train")


@pytest.mark.parametrize("k", [0.8, 1.0, 1.3])
def test_the_growth_exponent_of_exact_powers_is_their_power(k: float) -> None:
    rows = [1000, 2000, 4000, 8143]
    assert bench.growth_exponent(rows, [0.02 * n ** k for n in rows]) == pytest.approx(k, abs=1e-3)


def test_one_noisy_step_does_not_decide_linearity_but_a_steep_trend_does() -> None:
    """The two runs of one code this check was written after: a slow 4,000-label point made one
    doubling read 2.33 after 1.81, while all sizes together grew as labels^1.06."""
    rows = [1000, 2000, 4000, 8143]
    assert bench.growth_exponent(rows, [26.2, 47.5, 110.9, 233.1]) == pytest.approx(1.06, abs=0.005)
    assert bench.growth_exponent(rows, [20.0, 50.0, 125.0, 320.0]) > bench.MAX_LINEAR_EXPONENT


def test_one_size_measures_no_growth() -> None:
    assert bench.growth_exponent([8143], [182.8]) is None
