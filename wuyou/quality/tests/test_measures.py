"""Measured quality (issue 14, the statistics): Wilson intervals, verdicts, strata, sample sizes, draws."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wuyou.quality.measures import (
    Stratum,
    Verdict,
    sample_draw,
    sample_size,
    stratified_rate,
    wilson_rate,
)

TARGET = 0.90


def test_a_rate_carries_its_n_and_wilson_interval():
    rate = wilson_rate(45, 50)
    assert rate.point == pytest.approx(0.9)
    assert (rate.low, rate.high) == (pytest.approx(0.7864, abs=1e-4), pytest.approx(0.9565, abs=1e-4))


@pytest.mark.parametrize(
    ("successes", "n", "verdict"),
    [
        (45, 50, Verdict.UNDECIDED),  # 90 % of 50: the interval straddles the target
        (950, 1000, Verdict.MET),  # 95 % of 1000: the whole interval is above 90 %
        (80, 100, Verdict.BELOW),  # 80 % of 100: the whole interval is below
        (10, 10, Verdict.UNDECIDED),  # 100 % of 10 is not yet proof of ≥ 90 %
        (0, 0, Verdict.UNDECIDED),  # no answer: nothing to say
    ],
)
def test_the_verdict_speaks_only_with_confidence(successes, n, verdict):
    assert wilson_rate(successes, n).verdict(TARGET) is verdict


def test_no_answer_has_no_rate():
    rate = wilson_rate(0, 0)
    assert (rate.point, rate.low, rate.high) == (None, None, None)


@pytest.mark.parametrize(("successes", "n"), [(-1, 3), (4, 3), (0, -1)])
def test_impossible_counts_are_refused(successes, n):
    with pytest.raises(ValueError):
        wilson_rate(successes, n)


@given(st.integers(min_value=1, max_value=5000).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))))
def test_the_interval_holds_the_point_inside_zero_and_one(counts):
    rate = wilson_rate(*counts)
    assert 0.0 <= rate.low <= rate.point <= rate.high <= 1.0


def test_strata_sampled_alike_give_the_pooled_rate():
    estimate = stratified_rate([Stratum(1000, 90, 100), Stratum(1000, 80, 100)])
    assert estimate.point == pytest.approx(0.85)
    assert estimate.low < 0.85 < estimate.high


def test_strata_sampled_at_different_rates_are_weighted_by_their_jobs():
    # A small outlet sampled heavily at 60 %, a big one lightly at 95 %: the organisation is near the big one.
    small, big = Stratum(100, 60, 100), Stratum(900, 95, 100)
    estimate = stratified_rate([small, big])
    assert estimate.point == pytest.approx(0.1 * 0.60 + 0.9 * 0.95)
    pooled = (60 + 95) / 200
    assert abs(estimate.point - pooled) > 0.1  # averaging the answers would mislead
    # The small outlet was sampled whole: it adds no sampling error.
    alone = stratified_rate([big])
    assert (estimate.high - estimate.low) < (alone.high - alone.low)


def test_a_stratified_estimate_with_no_answer_is_empty():
    estimate = stratified_rate([Stratum(50, 0, 0)])
    assert (estimate.point, estimate.low, estimate.high) == (None, None, None)
    assert estimate.verdict(TARGET) is Verdict.UNDECIDED


def test_the_sample_size_for_a_margin_of_error():
    assert sample_size(0.05) == 139  # ±5 % at 95 % around 90 %: 1.96² × 0.09 / 0.05² = 138.3
    assert sample_size(0.05, expected=0.5) == 385  # the textbook worst case
    assert sample_size(0.05, population=200) == 83  # a month of 200 jobs needs fewer (138.3 / 1.686, rounded up)
    assert sample_size(0.05, population=50) <= 50
    with pytest.raises(ValueError):
        sample_size(0)


def test_the_draw_is_reproducible_from_its_seed_and_population():
    population = list(range(1, 501))
    first = sample_draw(population, 0.1, seed=20261207)
    assert len(first) == 50 and first == sorted(first) and set(first) <= set(population)
    assert sample_draw(list(reversed(population)), 0.1, seed=20261207) == first  # order of the ids is irrelevant
    assert sample_draw(population, 0.1, seed=20261208) != first
    assert len(sample_draw(population[:10], 0.1, seed=1, minimum=3)) == 3  # at least the minimum
    assert sample_draw(population[:2], 0.1, seed=1, minimum=3) == [1, 2]  # never more than there are
    with pytest.raises(ValueError):
        sample_draw(population, 1.5, seed=1)
