"""Delivering the outbox (ADR 0002): claim due messages, send outside a transaction, complete conditionally."""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import BooleanField, F, QuerySet
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.translation import gettext as _

from wuyou.core.errors import ValidationFailed
from wuyou.notifications.channels import Channel, ChannelNotConfigured, DeliveryFailed, channel_get
from wuyou.notifications.models import DELIVERABLE_STATES, Message, MessageState
from wuyou.notifications.policy import LEASE, error_text, gives_up, may_start_send, retry_delay

logger = logging.getLogger("wuyou.notifications")

MAX_DELIVERY_BATCH = 1000


@dataclass
class DeliveryReport:
    """What one `outbox_deliver` run did."""

    claimed: int = 0
    sent: int = 0
    retried: int = 0  # failed this time, scheduled again with back-off
    failed: int = 0  # given up (or outcome unknown on a channel that must not re-send)
    released: int = 0  # claimed, then handed back unsent because the lease was running out
    lost: int = 0  # finished after another worker had taken the claim over; the result was not recorded
    more_due: bool = False  # stopped for the time budget with due messages left


# The partial index's own condition, as literal SQL. Django binds `state__in` values as parameters, and SQLite
# (unlike PostgreSQL) uses a partial index only when the query repeats its condition with literals: without this
# every claim and every sweeper probe would scan all messages ever sent. The values are our own constants.
assert all(state.isidentifier() for state in DELIVERABLE_STATES)
_DELIVERABLE_SQL = "state IN ({})".format(", ".join(f"'{state}'" for state in DELIVERABLE_STATES))


def _due(now: dt.datetime) -> QuerySet[Message]:
    return Message.objects.filter(RawSQL(_DELIVERABLE_SQL, (), output_field=BooleanField()), next_attempt_at__lte=now)


def outbox_has_due(*, now: dt.datetime | None = None) -> bool:
    """Whether any message is waiting for delivery now (a cheap index probe for the sweeper)."""
    now = now or timezone.now()
    return _due(now).exists()


def outbox_kick(*, now: dt.datetime | None = None) -> bool:
    """Enqueue a delivery task when messages are due and none is waiting already; the sweeper calls it each cycle.

    Retries after back-off and messages whose enqueue was lost have no other trigger.
    """
    if not outbox_has_due(now=now):
        return False
    from wuyou.notifications.tasks import deliver_outbox_enqueue

    return deliver_outbox_enqueue()


def outbox_deliver(
    *,
    batch: int = 100,
    now: dt.datetime | None = None,
    channels: Mapping[str, Channel] | None = None,
    budget_seconds: float = 60.0,
) -> DeliveryReport:
    """Claim due messages, send each outside any transaction, then record sent, retry or failed conditionally.

    Call it outside a transaction (the worker does): each claim must commit before the sends. `now` freezes the
    clock (tests); `channels` replaces the registry by name (tests, benchmarks). Loops until nothing is due or
    `budget_seconds` is spent.
    """
    if not 1 <= batch <= MAX_DELIVERY_BATCH:
        raise ValidationFailed(_("Batch must be between 1 and %(max)d.") % {"max": MAX_DELIVERY_BATCH}, field="batch")
    clock: Callable[[], dt.datetime] = (lambda: now) if now is not None else timezone.now
    resolve = _channel_resolver(channels)
    deadline = time.monotonic() + budget_seconds
    report = DeliveryReport()
    while True:
        claimed, locked = _claim(batch=batch, now=clock(), resolve=resolve, report=report)
        for index, message in enumerate(claimed):
            assert message.lease_until is not None
            if not may_start_send(clock(), message.lease_until):
                # This batch took too long: hand the rest back rather than race another worker for them.
                for rest in claimed[index:]:
                    report.released += _release(rest, now=clock())
                break
            _deliver_one(message, resolve=resolve, clock=clock, report=report)
        if locked < batch:
            break
        if time.monotonic() >= deadline:
            report.more_due = outbox_has_due(now=clock())
            break
    if report.claimed:
        logger.info(
            "outbox: claimed %d, sent %d, retry %d, failed %d, released %d, lost %d",
            report.claimed,
            report.sent,
            report.retried,
            report.failed,
            report.released,
            report.lost,
        )
    return report


def _channel_resolver(channels: Mapping[str, Channel] | None) -> Callable[[str], Channel]:
    # Instances are cached per outbox_deliver call only: nothing module-level, nothing shared between processes.
    cache: dict[str, Channel] = {}

    def resolve(name: str) -> Channel:
        if name not in cache:
            if channels is not None:
                if name not in channels:
                    raise ChannelNotConfigured(name)
                cache[name] = channels[name]
            else:
                cache[name] = channel_get(name)
        return cache[name]

    return resolve


def _resend_safe(name: str, resolve: Callable[[str], Channel]) -> bool:
    try:
        return bool(resolve(name).resend_safe)
    except ChannelNotConfigured:
        return True  # it will fail for that reason, without a send


def _claim(
    *, batch: int, now: dt.datetime, resolve: Callable[[str], Channel], report: DeliveryReport
) -> tuple[list[Message], int]:
    """Lock up to `batch` due rows (skipping rows other workers hold), lease them to this worker, commit."""
    with transaction.atomic():
        # A sending row is due when its lease expired (next_attempt_at == lease_until): its worker died.
        # SKIP LOCKED lets several workers claim disjoint batches at once; on SQLite the IMMEDIATE transaction
        # serialises claims instead.
        due = list(_due(now).select_for_update(skip_locked=True).order_by("next_attempt_at")[:batch])
        if not due:
            return [], 0
        unknown_outcome = [m for m in due if m.state == MessageState.SENDING and not _resend_safe(m.channel, resolve)]
        unknown_ids = {m.pk for m in unknown_outcome}
        claimed = [m for m in due if m.pk not in unknown_ids]
        lease_until = now + LEASE
        if claimed:
            Message.objects.filter(pk__in=[m.pk for m in claimed]).update(
                state=MessageState.SENDING,
                attempts=F("attempts") + 1,
                lease_until=lease_until,
                next_attempt_at=lease_until,
            )
        if unknown_outcome:
            # Never a blind resend on a non-idempotent channel: a person (or a provider status query) decides.
            Message.objects.filter(pk__in=[m.pk for m in unknown_outcome]).update(
                state=MessageState.FAILED,
                lease_until=None,
                last_error=error_text(
                    _("delivery outcome unknown: the worker stopped during the send; check with the provider")
                ),
            )
            report.failed += len(unknown_outcome)
    for message in claimed:
        message.state = MessageState.SENDING
        message.attempts += 1
        message.lease_until = message.next_attempt_at = lease_until
    report.claimed += len(claimed)
    return claimed, len(due)


def _our_claim(message: Message) -> Any:
    # The claim token: a worker whose lease was taken over (attempts moved on, lease renewed) matches nothing.
    return Message.objects.filter(
        pk=message.pk, state=MessageState.SENDING, attempts=message.attempts, lease_until=message.lease_until
    )


def _deliver_one(
    message: Message, *, resolve: Callable[[str], Channel], clock: Callable[[], dt.datetime], report: DeliveryReport
) -> None:
    try:
        resolve(message.channel).send(message)
    except DeliveryFailed as exc:
        _record_failure(message, exc, now=clock(), report=report)
    except Exception as exc:
        # A bug in one channel must not stop the batch or leave the message to wait out its lease.
        logger.exception("outbox: %s raised while sending %s", message.channel, message.stable_id)
        _record_failure(message, DeliveryFailed(f"{type(exc).__name__}: {exc}"), now=clock(), report=report)
    else:
        if _our_claim(message).update(state=MessageState.SENT, sent_at=clock(), lease_until=None, last_error=""):
            report.sent += 1
        else:
            report.lost += 1
            logger.warning(
                "outbox: %s was sent after its claim had been taken over; a duplicate carries the same id",
                message.stable_id,
            )


def _record_failure(message: Message, exc: DeliveryFailed, *, now: dt.datetime, report: DeliveryReport) -> None:
    error = error_text(exc)
    if gives_up(message.attempts, permanent=exc.permanent):
        changed = _our_claim(message).update(state=MessageState.FAILED, lease_until=None, last_error=error)
        report.failed += changed
        logger.warning("outbox: gave up on %s after %d attempts: %s", message.stable_id, message.attempts, error)
    else:
        changed = _our_claim(message).update(
            state=MessageState.PENDING,
            lease_until=None,
            next_attempt_at=now + retry_delay(message.attempts),
            last_error=error,
        )
        report.retried += changed
        logger.info("outbox: attempt %d of %s failed: %s", message.attempts, message.stable_id, error)
    if not changed:
        report.lost += 1


def _release(message: Message, *, now: dt.datetime) -> int:
    # Undo the claim: the attempt never started, so it does not count.
    return _our_claim(message).update(
        state=MessageState.PENDING, attempts=F("attempts") - 1, lease_until=None, next_attempt_at=now
    )
