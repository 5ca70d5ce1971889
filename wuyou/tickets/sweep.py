"""The deadline sweeper (R-E4): warns before a step's limit, escalates after it, one rung at a time.

Several sweepers may run against one database: each claims due clocks with `SELECT … FOR UPDATE SKIP LOCKED`
and moves them on in the same transaction that writes their events and queues their messages, so a clock is
acted on once, and a sweeper killed mid-batch leaves nothing half done (its transaction rolls back).
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from wuyou.accounts.selectors import EscalationContacts, calendars_for_outlets, escalation_contacts
from wuyou.calendars.workdays import WorkCalendar
from wuyou.core.bulk import rows_update
from wuyou.notifications.services import OutgoingMessage, message_fan_out, message_queue
from wuyou.tickets import sla
from wuyou.tickets.models import ClockState, EscalationLevel, RequestClock, RequestEvent, Step, level_label

VERBS = {"warn": "warned", "breach": "breached", "escalate": "escalated"}
# What a sweep reads of a claimed clock and its request: loading whole requests costs more than the sweep itself.
CLAIMED_FIELDS = (
    "step",
    "unit",
    "chain",
    "stage",
    "level",
    "due_at",
    "escalate_seconds",
    "next_action_at",
    "version",
    "request__number",
    "request__outlet_id",
    "request__assignee__user_id",
    "request__assignee__user__is_active",
)


@dataclass
class SweepReport:
    """What one sweep did."""

    warned: int = 0
    breached: int = 0
    escalated: int = 0
    messages: int = 0
    batches: int = 0
    seconds: float = 0.0
    request_ids: set[int] = field(default_factory=set)  # the requests whose clocks it moved on

    @property
    def acted(self) -> int:
        return self.warned + self.breached + self.escalated

    def summary(self) -> str:
        """One line for the log: what it did, in how many requests (a catch-up of hundreds of clocks is one line)."""
        return _(
            "%(acted)d clocks moved on in %(requests)d requests: %(warned)d warned, %(breached)d breached, "
            "%(escalated)d escalated; %(messages)d messages queued in %(seconds).2f s"
        ) % {
            "acted": self.acted,
            "requests": len(self.request_ids),
            "warned": self.warned,
            "breached": self.breached,
            "escalated": self.escalated,
            "messages": self.messages,
            "seconds": self.seconds,
        }


def level_recipients(clock: RequestClock, level_index: int, contacts: EscalationContacts) -> list[int]:
    """The users reached at a rung of the clock's chain; an empty rung falls through to the service managers."""
    level = sla.chain_rung(clock.chain, level_index)
    request = clock.request
    found: list[int] = []
    if level == EscalationLevel.RESPONSIBLE:
        if request.assignee is not None and request.assignee.user.is_active:
            found = [request.assignee.user_id]
        else:
            found = contacts.clerks.get(request.outlet_id) or contacts.head_office_clerks
    elif level == EscalationLevel.OUTLET_MANAGER:
        found = contacts.outlet_managers.get(request.outlet_id, [])
    elif level == EscalationLevel.SERVICE_MANAGER:
        found = contacts.service_managers
    elif level == EscalationLevel.HEAD_OF_SERVICE:
        found = contacts.head_of_service
    return found or contacts.service_managers or contacts.head_of_service


def _message_text(clock: RequestClock, action: str, level_name: str, calendar: WorkCalendar) -> tuple[str, str]:
    request = clock.request
    due = calendar.local(clock.due_at).strftime("%Y-%m-%d %H:%M")  # on the outlet's wall clock
    facts = {"number": request.number, "step": Step(clock.step).label, "due": due, "level": level_name}
    if action == "warn":
        subject = _("Due soon: %(number)s, %(step)s by %(due)s") % facts
    elif action == "breach":
        subject = _("Overdue: %(number)s, %(step)s was due %(due)s; escalated to %(level)s") % facts
    else:
        subject = _("Still overdue: %(number)s, %(step)s was due %(due)s; escalated to %(level)s") % facts
    body = _("Request %(number)s (%(step)s) — due %(due)s. Open it in Wuyou to act.") % facts
    return subject, body


@dataclass(frozen=True)
class _Notice:
    recipients: list[int]
    kind: str
    subject: str
    body: str
    ref: str
    dedupe_key: str


def _act(
    clock: RequestClock, calendar: WorkCalendar, contacts: EscalationContacts, report: SweepReport, now: dt.datetime
) -> tuple[RequestEvent, _Notice]:
    """Move one claimed clock one rung; return its event and notice (not yet written)."""
    scheduled_at = clock.next_action_at or clock.due_at
    step = sla.sweep_step(
        stage=clock.stage,
        level=clock.level,
        chain_length=len(clock.chain),
        scheduled_at=scheduled_at,
        due_at=clock.due_at,
        unit=clock.unit,
        escalate_seconds=clock.escalate_seconds,
        calendar=calendar,
        now=now,
    )
    clock.stage, clock.level, clock.next_action_at = step.stage, step.level, step.next_action_at
    clock.version += 1
    setattr(report, VERBS[step.action], getattr(report, VERBS[step.action]) + 1)
    report.request_ids.add(clock.request_id)
    rung = sla.chain_rung(clock.chain, step.level)
    event = RequestEvent(
        request_id=clock.request_id,
        actor=None,
        verb=VERBS[step.action],
        data={
            "step": clock.step,
            "level": step.level,
            "level_name": rung,
            "due_at": clock.due_at.isoformat(),
            "scheduled_at": scheduled_at.isoformat(),
        },
    )
    subject, body = _message_text(clock, step.action, level_label(rung), calendar)
    recipients: list[int] = []
    for index in step.notify_levels:
        recipients += [u for u in level_recipients(clock, index, contacts) if u not in recipients]
    notice = _Notice(
        recipients=recipients,
        kind=f"clock_{step.action}",
        subject=subject,
        body=body,
        ref=f"request:{clock.request_id}",
        dedupe_key=f"clock:{clock.pk}:{clock.version}",
    )
    return event, notice


def clocks_sweep(*, now: dt.datetime | None = None, batch: int = 500, max_seconds: float | None = None) -> SweepReport:
    """Act on every running clock whose next action has come; batch after batch until none is left."""
    report = SweepReport()
    started = time.perf_counter()
    calendars: dict[int, WorkCalendar] = {}
    with translation.override(settings.LANGUAGE_CODE):
        while max_seconds is None or time.perf_counter() - started < max_seconds:
            moment = now or timezone.now()
            with transaction.atomic():
                claimed = list(
                    RequestClock.objects.select_for_update(skip_locked=True, of=("self",))
                    .select_related("request__assignee__user")
                    .only(*CLAIMED_FIELDS)
                    .filter(state=ClockState.RUNNING, next_action_at__lte=moment)
                    .order_by("next_action_at")[:batch]
                )
                if not claimed:
                    break
                outlets = {c.request.outlet_id for c in claimed}
                missing = outlets - calendars.keys()
                if missing:
                    calendars.update(calendars_for_outlets(missing))
                contacts = escalation_contacts(outlets)
                events: list[RequestEvent] = []
                notices: list[_Notice] = []
                for clock in claimed:
                    event, notice = _act(clock, calendars[clock.request.outlet_id], contacts, report, moment)
                    events.append(event)
                    notices.append(notice)
                users = get_user_model().objects.only("pk", "email").in_bulk({u for n in notices for u in n.recipients})
                messages: list[OutgoingMessage] = []
                for n in notices:
                    messages += message_fan_out(
                        recipients=[users[u] for u in n.recipients if u in users],
                        kind=n.kind,
                        subject=n.subject,
                        body=n.body,
                        ref=n.ref,
                        dedupe_key=n.dedupe_key,
                    )
                rows_update(claimed, ["stage", "level", "next_action_at", "version"])
                RequestEvent.objects.bulk_create(events)
                report.messages += message_queue(messages=messages)
            report.batches += 1
    report.seconds = time.perf_counter() - started
    return report
