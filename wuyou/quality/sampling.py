"""The sampling plan's rules (pure, R-G2; issue 14 item 5): strata, their rates, how many to draw, the sample sizes.

A completed job falls in one stratum (outlet × engineer, or outlet × product category). Each stratum is drawn at its
rate — a row for the stratum beats the outlet's row, which beats the plan's default — and every engineer gets at
least his monthly minimum, spread pro rata over the month. Sizes are rounded at random (seeded) so that a stratum
drawn at 20 % gets 20 % of its jobs on average, not "at least one a day". Everything here is a function of plain
values and the recorded seed, so an auditor redoes the draw from what the SampleDraw row kept.
"""

from __future__ import annotations

import calendar
import hashlib
import math
import random
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

from wuyou.quality.measures import sample_size

OUTLET_ENGINEER = "outlet_engineer"  # StratumKind values, kept here as plain strings (pure module, no models)
OUTLET_CATEGORY = "outlet_category"
NONE = "-"  # the stratum's second part when the job has no engineer or no product category
DAYS_MEASURED = 30  # the admin's "callbacks per day" is computed over the last 30 days of completed jobs


@dataclass(frozen=True)
class Job:
    """A completed job as the draw sees it: the visit's id and what places it in a stratum."""

    id: int
    outlet_id: int
    engineer_id: int | None
    category_id: int | None


@dataclass(frozen=True)
class RateRow:
    """A stratum's own rate in percent: an outlet, optionally narrowed to one engineer or one product category."""

    outlet_id: int
    engineer_id: int | None
    category_id: int | None
    rate: Decimal


def stratum_key(kind: str, job: Job) -> str:
    """ "outlet/engineer" or "outlet/category" ("-" for a job without one): the stratum a job is drawn in."""
    second = job.engineer_id if kind == OUTLET_ENGINEER else job.category_id
    return f"{job.outlet_id}/{NONE if second is None else second}"


def rates_table(kind: str, rows: Iterable[RateRow]) -> dict[str, float]:
    """The stratum rows of a plan as fractions, keyed "outlet/second" or "outlet/*" (the outlet's own row).

    A row naming the other dimension (an engineer's row in an outlet × category plan) does not describe any of the
    plan's strata and is ignored; the admin form refuses such rows.
    """
    table: dict[str, float] = {}
    for row in rows:
        other = row.category_id if kind == OUTLET_ENGINEER else row.engineer_id
        if other is not None:
            continue
        second = row.engineer_id if kind == OUTLET_ENGINEER else row.category_id
        table[f"{row.outlet_id}/{'*' if second is None else second}"] = float(row.rate) / 100
    return table


def stratum_rate(key: str, table: Mapping[str, float], default: float) -> float:
    """The stratum's rate (fraction): its own row, else its outlet's row, else the plan's default."""
    if key in table:
        return table[key]
    outlet = key.split("/", 1)[0]
    return table.get(f"{outlet}/*", default)


def minimum_due_today(minimum: int, *, day_of_month: int, days_in_month: int, drawn_this_month: int) -> int:
    """How many of an engineer's jobs today's draw owes his monthly minimum: the pro-rata share due by today
    (ceil(minimum × day / days in month)) less what earlier draws this month already took, never negative."""
    if minimum <= 0:
        return 0
    due_by_today = math.ceil(minimum * day_of_month / days_in_month - 1e-9)
    return max(0, due_by_today - drawn_this_month)


def days_in_month(year: int, month: int) -> int:
    """28 to 31."""
    return calendar.monthrange(year, month)[1]


def sub_seed(seed: int, label: str) -> int:
    """A stratum's own seed from the draw's: independent of the order strata are visited in, stable across Pythons."""
    digest = hashlib.sha256(f"{seed}:{label}".encode()).digest()
    return int.from_bytes(digest[:8], "big")


def rounded_at_random(expected: float, rng: random.Random) -> int:
    """floor(expected) plus one with probability equal to the fraction: right on average, unlike ceil or round."""
    whole = math.floor(expected + 1e-9)
    return whole + (1 if rng.random() < expected - whole - 1e-9 else 0)


@dataclass(frozen=True)
class DrawResult:
    """The drawn job ids (sorted), and per stratum how many jobs it had and how many were drawn."""

    drawn: list[int]
    strata: dict[str, tuple[int, int]]


def draw_jobs(
    jobs: Sequence[Job],
    *,
    kind: str,
    rates: Mapping[str, float],
    default_rate: float,
    seed: int,
    minimum_owed: Mapping[int, int] | None = None,
) -> DrawResult:
    """Draw the day's sample: each stratum at its rate, then each engineer topped up to what his minimum is owed.

    `minimum_owed`: per engineer id, how many jobs today must give him (minimum_due_today). The same jobs, settings
    and seed always give the same draw, whatever order the jobs come in.
    """
    by_stratum: dict[str, list[int]] = defaultdict(list)
    key_of: dict[int, str] = {}
    of_engineer: dict[int, list[int]] = defaultdict(list)
    for job in jobs:
        key_of[job.id] = stratum_key(kind, job)
        by_stratum[key_of[job.id]].append(job.id)
        if job.engineer_id is not None:
            of_engineer[job.engineer_id].append(job.id)
    drawn: set[int] = set()
    counts: dict[str, tuple[int, int]] = {}
    for key in sorted(by_stratum):
        ids = sorted(set(by_stratum[key]))
        rng = random.Random(sub_seed(seed, key))
        size = min(len(ids), rounded_at_random(stratum_rate(key, rates, default_rate) * len(ids), rng))
        chosen = rng.sample(ids, size)
        drawn.update(chosen)
        counts[key] = (len(ids), size)
    for engineer_id, owed in sorted((minimum_owed or {}).items()):
        mine = sorted(set(of_engineer.get(engineer_id, ())))
        short = owed - sum(1 for i in mine if i in drawn)
        rest = [i for i in mine if i not in drawn]
        if short <= 0 or not rest:
            continue
        extra = random.Random(sub_seed(seed, f"engineer:{engineer_id}")).sample(rest, min(short, len(rest)))
        drawn.update(extra)
        for i in extra:
            had, took = counts[key_of[i]]
            counts[key_of[i]] = (had, took + 1)
    return DrawResult(sorted(drawn), counts)


@dataclass(frozen=True)
class StratumNeed:
    """What a stratum needs for the plan's margin: jobs in the period, answers needed, calls a day at the rate."""

    key: str
    jobs: int
    rate: float
    needed: int
    needed_per_day: float
    planned_per_day: float

    @property
    def enough(self) -> bool:
        """The rate yields at least the answers the margin needs over the period."""
        return self.planned_per_day * DAYS_MEASURED + 1e-9 >= self.needed


def stratum_need(
    key: str, *, jobs: int, rate: float, margin: float, expected: float, days: int = DAYS_MEASURED
) -> StratumNeed:
    """The sample size a stratum of `jobs` (over `days`) needs for ±`margin` at 95 % (finite population), and
    how many callbacks a day that means, beside what the stratum's rate makes."""
    needed = sample_size(margin, expected=expected, population=jobs) if jobs else 0
    return StratumNeed(
        key=key,
        jobs=jobs,
        rate=rate,
        needed=needed,
        needed_per_day=needed / days,
        planned_per_day=rate * jobs / days,
    )


def rate_error(value: object) -> str | None:
    """Why a sample rate in percent is refused (None when it is fine): a number from 0 to 100."""
    number = _decimal(value)
    if number is None or not Decimal(0) <= number <= Decimal(100):
        return _("A sample rate is a percentage from 0 to 100.")
    return None


def margin_error(value: object) -> str | None:
    """Why a margin of error in percentage points is refused: more than 0 and less than 50."""
    number = _decimal(value)
    if number is None or not Decimal(0) < number < Decimal(50):
        return _("The margin of error is more than 0 and less than 50 percentage points (e.g. 5 for ±5 %).")
    return None


def expected_error(value: object) -> str | None:
    """Why an expected satisfaction in percent is refused: more than 0 and less than 100."""
    number = _decimal(value)
    if number is None or not Decimal(0) < number < Decimal(100):
        return _("The expected satisfaction is a percentage more than 0 and less than 100.")
    return None


def _decimal(value: object) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return None
    return number if number.is_finite() else None
