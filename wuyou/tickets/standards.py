"""The default time limits, from Haier's home-service standards (seeds 003, 004) where they state one (pure table).

Repair calls are answered within one day (接到维修电话后最迟不得超过1天给予客户答复); complaints get a disposition
within three working days (对消费者投诉件在三个工作日内做出处置意见). The other limits are common practice in
home-appliance service and are meant to be tuned in admin.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from wuyou.tickets.sla import BUSINESS_HOURS, CLOCK_HOURS, WORKING_DAYS


@dataclass(frozen=True)
class Standard:
    """One default policy row."""

    call_type: str
    step: str
    amount: Decimal
    unit: str
    priority: str = ""
    channel: str = ""
    warn_percent: int = 80
    pauses_when_waiting: bool = True


def _rows() -> list[Standard]:
    d = Decimal
    rows = [
        Standard("repair", "first_response", d(24), CLOCK_HOURS),
        Standard("repair", "first_response", d(4), CLOCK_HOURS, priority="urgent"),
        Standard("repair", "appointment_confirmed", d(8), BUSINESS_HOURS),
        Standard("repair", "on_site", d(2), WORKING_DAYS),
        Standard("repair", "on_site", d(8), BUSINESS_HOURS, priority="urgent"),
        Standard("repair", "resolved", d(3), WORKING_DAYS),
        Standard("repair", "callback_due", d(1), WORKING_DAYS),
        Standard("order_report", "first_response", d(24), CLOCK_HOURS),
        Standard("order_report", "appointment_confirmed", d(8), BUSINESS_HOURS),
        Standard("order_report", "on_site", d(3), WORKING_DAYS),
        Standard("order_report", "resolved", d(5), WORKING_DAYS),
        Standard("order_report", "callback_due", d(2), WORKING_DAYS),
        Standard("complaint", "first_response", d(4), BUSINESS_HOURS),
        Standard("complaint", "complaint_disposition", d(3), WORKING_DAYS, pauses_when_waiting=False),
        Standard("complaint", "authority_report", d(2), WORKING_DAYS, channel="authority", pauses_when_waiting=False),
        Standard("complaint", "callback_due", d(1), WORKING_DAYS),
        Standard("consultation", "first_response", d(8), BUSINESS_HOURS),
        Standard("inquiry", "first_response", d(8), BUSINESS_HOURS),
        Standard("inquiry", "resolved", d(3), WORKING_DAYS),
        Standard("general", "first_response", d(16), BUSINESS_HOURS),
    ]
    return rows


STANDARDS: tuple[Standard, ...] = tuple(_rows())
