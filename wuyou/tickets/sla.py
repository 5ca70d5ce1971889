"""Answering standards per call type (R-E1, R-E4): when the first answer is due (pure)."""

from __future__ import annotations

import datetime as dt

# Clock hours until the request must be answered. Repair calls are answered within 1 day
# (seed 003); complaints within the working day. Working-day arithmetic replaces these
# clock hours once business calendars land (R-E4).
ANSWER_HOURS: dict[str, int] = {
    "repair": 24,
    "order_report": 24,
    "complaint": 8,
    "consultation": 24,
    "inquiry": 48,
    "general": 72,
}
URGENT_FACTOR = 0.5


def answer_due(*, call_type: str, priority: str, opened_at: dt.datetime) -> dt.datetime:
    """When the first answer is due for a request opened at `opened_at`."""
    hours = ANSWER_HOURS.get(call_type, 24)
    if priority == "urgent":
        hours = int(hours * URGENT_FACTOR)
    return opened_at + dt.timedelta(hours=hours)
