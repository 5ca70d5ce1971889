"""The complaint desk's rules (R-G3), pure: which remedy the service manager approves, what the agent reads out,
when an open rectification action is escalated and to whom.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from wuyou.accounts.models import Role

# Seed 004 (售后服务质量标准): a complaint is disposed of within three working days.
DISPOSITION_WORKDAYS = 3
# Who approves a remedy above the organisation's amount: the head-office service manager (or an administrator).
APPROVERS = frozenset({Role.SERVICE_MANAGER, Role.ADMIN})
# Who files the manager's face-to-face reply (面复) to an authority's complaint: the managers, as for its report.
FACE_TO_FACE_REPLIERS = frozenset({Role.OUTLET_MANAGER, Role.SERVICE_MANAGER, Role.REGIONAL_MANAGER, Role.ADMIN})
FINDING_MAX = 4000
ACTION_MAX = 300
AMOUNT_MAX = Decimal("99999999.99")

# The rungs an overdue rectification action climbs, one per sweep after each interval: its owner, then the outlet's
# manager, then head office's service manager; after that it stays on the service manager's list (no more messages).
OWNER, OUTLET_MANAGER, SERVICE_MANAGER = 1, 2, 3
LAST_LEVEL = SERVICE_MANAGER

# The one event verb of the complaint desk that QualityVerb lacks (registered with the request history in ready()).
RECTIFICATION_ESCALATED = "rectification_escalated"
VERB_LABELS = {RECTIFICATION_ESCALATED: gettext_lazy("Overdue rectification action escalated")}


def remedy_needs_approval(amount: Decimal | None, approval_above: Decimal) -> bool:
    """Whether a remedy costing `amount` waits for the service manager: strictly above the organisation's amount."""
    return amount is not None and amount > approval_above


def may_approve(role: str | None) -> bool:
    """Whether the role approves remedies above the amount (a clerk never does)."""
    return role in APPROVERS


def promise_script(*, customer_name: str, number: str, promised_by: dt.datetime) -> str:
    """What the agent reads out: the apology and the time by which the customer hears the disposition."""
    return _(
        "%(name)s, we are sorry for the trouble you have had. Your complaint %(number)s is registered and goes "
        "to the responsible manager now. We will tell you how it is settled by %(when)s at the latest."
    ) % {"name": customer_name or _("Dear customer"), "number": number, "when": f"{promised_by:%Y-%m-%d %H:%M}"}


def disposition_message(*, number: str, finding: str, remedy_label: str, amount: Decimal | None) -> tuple[str, str]:
    """The customer's message about the disposition: subject and body (the callback follows)."""
    subject = _("Your complaint %(number)s has been settled") % {"number": number}
    body = _("What we found: %(finding)s\nWhat we do: %(remedy)s") % {"finding": finding, "remedy": remedy_label}
    if amount is not None and amount > 0:
        body += "\n" + _("Amount: %(amount)s yuan") % {"amount": f"{amount:.2f}"}
    body += "\n" + _("We will call you shortly to ask whether you are satisfied.")
    return subject, body


def rectification_escalate_at(due_on: dt.date, zone: ZoneInfo) -> dt.datetime:
    """When an open action is first escalated: as its due day ends (midnight after it, on the outlet's clock)."""
    return dt.datetime.combine(due_on + dt.timedelta(days=1), dt.time(0), tzinfo=zone)


def rectification_next_level(level: int) -> int | None:
    """The rung an overdue action climbs to next, or None when it has reached the service manager."""
    return level + 1 if level < LAST_LEVEL else None
