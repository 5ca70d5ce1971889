"""Delivery policy for the outbox: leases, retry back-off and when to give up (pure functions, no database)."""

from __future__ import annotations

import datetime as dt

# How long a worker owns the messages it claimed. Longer than a whole batch takes to send with a slow SMTP relay
# (EMAIL_TIMEOUT is 20 s per connection step), so a live worker does not lose its claim.
LEASE = dt.timedelta(minutes=5)
# A worker does not START a send within this margin of its lease's end: the send (bounded by the channel's own
# timeout) must finish before another worker may take the message over.
LEASE_SAFETY_MARGIN = dt.timedelta(minutes=1)
MAX_ATTEMPTS = 8
FIRST_RETRY = dt.timedelta(minutes=1)
LONGEST_RETRY = dt.timedelta(hours=1)
ERROR_MAX_LENGTH = 2000


def retry_delay(attempts: int) -> dt.timedelta:
    """How long to wait after the `attempts`-th failed attempt: 1 min, 2, 4, … capped at 1 h."""
    if attempts < 1:
        return FIRST_RETRY
    # Cap the exponent before shifting so a huge count cannot build a huge integer.
    return min(FIRST_RETRY * (2 ** min(attempts - 1, 16)), LONGEST_RETRY)


def gives_up(attempts: int, *, permanent: bool) -> bool:
    """After this failed attempt, stop trying (the message becomes failed)."""
    return permanent or attempts >= MAX_ATTEMPTS


def may_start_send(now: dt.datetime, lease_until: dt.datetime) -> bool:
    """A send may start only while the lease has enough time left for it to finish."""
    return now < lease_until - LEASE_SAFETY_MARGIN


def error_text(error: object) -> str:
    """The error as stored on the message: one string, cut to a bounded length."""
    text = str(error) or type(error).__name__
    if len(text) > ERROR_MAX_LENGTH:
        text = text[: ERROR_MAX_LENGTH - 1] + "…"
    return text
