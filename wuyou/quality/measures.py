"""How service quality is measured (pure): rates with Wilson intervals, verdicts against a target, stratified
estimates, the sample size a margin of error needs, and a reproducible draw (issue 14; seeds 003 and 004).

The seeds' two numbers — satisfaction ≥ 90 %, complaint processing ≥ 99 % — come from *sampled* callbacks, so a
rate is never a bare percentage: it carries its n and its 95 % interval, and the verdict says whether the target
is met or missed *with confidence*, or cannot be decided yet. The intervals and quantiles come from statsmodels and
scipy (reviewed libraries), not from hand-written formulas.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from scipy.stats import norm
from statsmodels.stats.proportion import proportion_confint

CONFIDENCE = 0.95


class Verdict(StrEnum):
    """Where a rate stands against its target, given what the sample can tell."""

    MET = "met_with_confidence"  # the whole interval is at or above the target
    BELOW = "below_with_confidence"  # the whole interval is below the target
    UNDECIDED = "not_yet_decidable"  # the interval straddles the target: n is too small to tell


@dataclass(frozen=True)
class Rate:
    """`successes` out of `n`, with its point estimate and confidence interval (None when n is 0)."""

    successes: int
    n: int
    low: float | None
    high: float | None
    confidence: float = CONFIDENCE

    @property
    def point(self) -> float | None:
        return self.successes / self.n if self.n else None

    def verdict(self, target: float) -> Verdict:
        """Met or below the target with confidence, or not yet decidable (always so with no observation)."""
        if self.low is None or self.high is None:
            return Verdict.UNDECIDED
        if self.low >= target:
            return Verdict.MET
        if self.high < target:
            return Verdict.BELOW
        return Verdict.UNDECIDED


def wilson_rate(successes: int, n: int, *, confidence: float = CONFIDENCE) -> Rate:
    """The rate with its Wilson score interval (sound near 0 % and 100 %, where the normal interval is not)."""
    if n < 0 or successes < 0 or successes > n:
        raise ValueError(f"need 0 <= successes <= n, got {successes} of {n}")
    if n == 0:
        return Rate(0, 0, None, None, confidence)
    low, high = proportion_confint(successes, n, alpha=1 - confidence, method="wilson")
    point = successes / n
    # The library's floating point may leave 0 of n a hair above 0: the interval always holds the point.
    return Rate(successes, n, max(0.0, min(float(low), point)), min(1.0, max(float(high), point)), confidence)


@dataclass(frozen=True)
class Stratum:
    """One stratum of a sampling plan: how many jobs it had (`population`) and what its sample answered."""

    population: int
    successes: int
    n: int


@dataclass(frozen=True)
class Estimate:
    """A stratified estimate of a rate over several strata, with its normal-approximation interval."""

    point: float | None
    low: float | None
    high: float | None
    n: int
    population: int
    confidence: float = CONFIDENCE

    def verdict(self, target: float) -> Verdict:
        return Rate(0, self.n, self.low, self.high, self.confidence).verdict(target)


def stratified_rate(strata: Iterable[Stratum], *, confidence: float = CONFIDENCE) -> Estimate:
    """The organisation's (or a region's) rate when strata are sampled at different rates.

    Each stratum's sample rate is weighted by its share of the completed jobs (W_h = N_h / N); the variance is
    Σ W_h² p_h (1 − p_h) / n_h with the finite-population correction (1 − n_h / N_h). Strata with no answer are
    left out of the estimate and their jobs out of the weights (the estimate speaks for the strata it saw).
    """
    seen = [s for s in strata if s.n > 0]
    population = sum(s.population for s in seen)
    n = sum(s.n for s in seen)
    if not seen or population <= 0:
        return Estimate(None, None, None, n, population, confidence)
    point = 0.0
    variance = 0.0
    for s in seen:
        weight = s.population / population
        p = s.successes / s.n
        fpc = max(0.0, 1 - s.n / s.population) if s.population >= s.n else 0.0
        point += weight * p
        variance += weight**2 * p * (1 - p) / s.n * fpc
    half = float(norm.ppf(1 - (1 - confidence) / 2)) * math.sqrt(variance)
    return Estimate(point, max(0.0, point - half), min(1.0, point + half), n, population, confidence)


def sample_size(
    margin: float, *, confidence: float = CONFIDENCE, expected: float = 0.9, population: int | None = None
) -> int:
    """How many answers give ±`margin` at `confidence` for a rate near `expected` (0.9: the seeds' target).

    n₀ = z² p (1 − p) / e², reduced for a finite population: n = n₀ / (1 + (n₀ − 1) / N).
    """
    if not 0 < margin < 1:
        raise ValueError("the margin is a fraction between 0 and 1, e.g. 0.05 for ±5 %")
    z = float(norm.ppf(1 - (1 - confidence) / 2))
    n0 = z**2 * expected * (1 - expected) / margin**2
    if population is not None:
        if population <= 0:
            return 0
        n0 = n0 / (1 + (n0 - 1) / population)
    return math.ceil(n0 - 1e-9)


def sample_draw(population: Sequence[int], rate: float, *, seed: int, minimum: int = 0) -> list[int]:
    """A reproducible random draw of ids: `rate` of the population (at least `minimum`, at most all), in id order.

    The same population (ids sorted first) and seed give the same draw, so an auditor can redo it from the seed
    and the eligible population recorded with it.
    """
    if not 0 <= rate <= 1:
        raise ValueError("the sample rate is a fraction between 0 and 1")
    ids = sorted(set(population))
    size = min(len(ids), max(minimum, math.ceil(rate * len(ids) - 1e-9)))
    return sorted(random.Random(seed).sample(ids, size))
