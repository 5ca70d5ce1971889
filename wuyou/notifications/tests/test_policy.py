"""R-L1: the outbox's retry policy, as pure rules (no database)."""

from __future__ import annotations

import datetime as dt

import pytest

from wuyou.notifications.policy import (
    ERROR_MAX_LENGTH,
    LEASE,
    MAX_ATTEMPTS,
    error_text,
    gives_up,
    may_start_send,
    retry_delay,
)

T0 = dt.datetime(2025, 3, 3, 2, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("attempts", "minutes"),
    [(0, 1), (1, 1), (2, 2), (3, 4), (4, 8), (5, 16), (6, 32), (7, 60), (8, 60), (40, 60), (10**6, 60)],
)
def test_back_off_doubles_from_one_minute_and_is_capped_at_one_hour(attempts, minutes):
    assert retry_delay(attempts) == dt.timedelta(minutes=minutes)


@pytest.mark.parametrize(
    ("attempts", "permanent", "expected"),
    [(1, False, False), (MAX_ATTEMPTS - 1, False, False), (MAX_ATTEMPTS, False, True), (1, True, True)],
)
def test_gives_up_after_the_last_attempt_or_a_permanent_failure(attempts, permanent, expected):
    assert gives_up(attempts, permanent=permanent) is expected


@pytest.mark.parametrize(
    ("elapsed", "expected"),
    [(dt.timedelta(0), True), (dt.timedelta(minutes=3, seconds=59), True), (dt.timedelta(minutes=4), False)],
)
def test_a_send_starts_only_with_a_minute_of_lease_left(elapsed, expected):
    assert may_start_send(T0 + elapsed, T0 + LEASE) is expected


def test_stored_errors_are_bounded_and_never_empty():
    assert len(error_text("x" * 10_000)) == ERROR_MAX_LENGTH
    assert error_text(TimeoutError()) == "TimeoutError"
