"""Writes for the notification outbox: queue messages with their cause, deliver them, retry the given-up ones.

The outbox row is the message's own record (state, attempts, last error, sent time); see
docs/adr/0002-notification-outbox.md for why delivery is claim → send outside any transaction → conditional
completion.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import BooleanField, F, QuerySet
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.translation import gettext as _

from wuyou.core.errors import ValidationFailed
from wuyou.notifications.channels import Channel, ChannelNotConfigured, DeliveryFailed, channel_configured, channel_get
from wuyou.notifications.models import DELIVERABLE_STATES, Message, MessageChannel, MessageState
from wuyou.notifications.policy import LEASE, error_text, gives_up, may_start_send, retry_delay

logger = logging.getLogger("wuyou.notifications")

# Rows per INSERT (and keys per IN list): well under SQLite's bound-parameter limit, few round trips for 10,000.
QUEUE_BATCH = 1000
MAX_DELIVERY_BATCH = 1000
KIND_PATTERN = re.compile(r"[a-z0-9_.-]{1,50}")
_FIELD_MAX: dict[str, int] = {
    field: int(getattr(Message._meta.get_field(field), "max_length", 0)) for field in ("subject", "ref", "dedupe_key")
}


@dataclass(frozen=True)
class OutgoingMessage:
    """One message a cause wants sent; the same `dedupe_key` queued again is ignored."""

    recipient_id: int | None
    channel: str
    kind: str
    subject: str
    body: str
    ref: str
    dedupe_key: str
    address: str = ""


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


# --- queueing ---------------------------------------------------------------------------------------------------


def recipient_channels(*, recipient: Any) -> list[str]:
    """The channels a staff user gets messages through: WUYOU_NOTIFY_CHANNELS, plus e-mail when he has an address."""
    names = [
        name
        for name in getattr(settings, "WUYOU_NOTIFY_CHANNELS", [MessageChannel.CONSOLE.value])
        if name != MessageChannel.EMAIL and channel_configured(name)
    ]
    if channel_configured(MessageChannel.EMAIL) and _valid_email(getattr(recipient, "email", "") or ""):
        names.append(MessageChannel.EMAIL.value)
    return list(dict.fromkeys(names))


def message_fan_out(
    *, recipients: Iterable[Any], kind: str, subject: str, body: str, ref: str, dedupe_key: str
) -> list[OutgoingMessage]:
    """One OutgoingMessage per recipient and channel; each key is `dedupe_key:user-id:channel`."""
    messages: list[OutgoingMessage] = []
    for user in recipients:
        for name in recipient_channels(recipient=user):
            messages.append(
                OutgoingMessage(
                    recipient_id=user.pk,
                    channel=name,
                    kind=kind,
                    subject=subject,
                    body=body,
                    ref=ref,
                    dedupe_key=f"{dedupe_key}:{user.pk}:{name}",
                    address=user.email if name == MessageChannel.EMAIL else "",
                )
            )
    return messages


def message_to_staff(*, user_ids: Iterable[int], kind: str, subject: str, body: str, ref: str, dedupe_key: str) -> int:
    """Queue one message to each active staff user (in the caller's transaction); returns how many were new."""
    users = get_user_model().objects.filter(pk__in=list(user_ids), is_active=True)
    return message_queue(
        messages=message_fan_out(
            recipients=users, kind=kind, subject=subject, body=body, ref=ref, dedupe_key=dedupe_key
        )
    )


def message_queue(*, messages: Sequence[OutgoingMessage], now: dt.datetime | None = None) -> int:
    """Write messages to the outbox in the caller's transaction; on commit one delivery task is enqueued.

    Returns how many keys were new. A key queued before (or twice in `messages`) is ignored, so re-running a
    cause never sends twice. Raises ValidationFailed (nothing written) for an unknown or unconfigured channel,
    a missing e-mail address, a bad kind or key, or an unknown recipient.
    """
    if not messages:
        return 0
    now = now or timezone.now()
    rows: dict[str, Message] = {}
    for outgoing in messages:
        row = _message_row(outgoing, now)
        rows.setdefault(row.dedupe_key, row)
    _check_recipients_exist({row.recipient_id for row in rows.values() if row.recipient_id is not None})
    keys = list(rows)
    # Opens a savepoint inside the caller's transaction (or a transaction of its own): the rows commit with the
    # cause or not at all, and the delivery task is enqueued only after that commit.
    with transaction.atomic():
        known = sum(
            Message.objects.filter(dedupe_key__in=keys[i : i + QUEUE_BATCH]).count()
            for i in range(0, len(keys), QUEUE_BATCH)
        )
        Message.objects.bulk_create(rows.values(), batch_size=QUEUE_BATCH, ignore_conflicts=True)
        # A concurrent transaction inserting the same key right now is not yet visible: the count may be one
        # too high then; the row itself is still written once (unique key, ON CONFLICT DO NOTHING).
        new = len(keys) - known
        if new:
            _deliver_after_commit()
    return new


def _message_row(outgoing: OutgoingMessage, now: dt.datetime) -> Message:
    if outgoing.channel not in MessageChannel.values:
        raise ValidationFailed(_("Unknown channel %(name)s.") % {"name": str(outgoing.channel)[:20]}, field="channel")
    if not channel_configured(outgoing.channel):
        raise ValidationFailed(ChannelNotConfigured(outgoing.channel).args[0], field="channel")
    if not KIND_PATTERN.fullmatch(outgoing.kind or ""):
        raise ValidationFailed(_("A message kind is a short lower-case slug."), field="kind")
    if not outgoing.dedupe_key or len(outgoing.dedupe_key) > _FIELD_MAX["dedupe_key"]:
        raise ValidationFailed(
            _("A de-duplication key of 1 to %(max)d characters is required.") % {"max": _FIELD_MAX["dedupe_key"]},
            field="dedupe_key",
        )
    if len(outgoing.ref) > _FIELD_MAX["ref"]:
        raise ValidationFailed(_("The reference is too long."), field="ref")
    address = outgoing.address.strip()
    if outgoing.channel == MessageChannel.EMAIL and not _valid_email(address):
        raise ValidationFailed(_("An e-mail message needs a valid e-mail address."), field="address")
    return Message(
        recipient_id=outgoing.recipient_id,
        address=address,
        channel=outgoing.channel,
        kind=outgoing.kind,
        subject=_subject_line(outgoing.subject),
        body=outgoing.body,
        ref=outgoing.ref,
        dedupe_key=outgoing.dedupe_key,
        state=MessageState.PENDING,
        next_attempt_at=now,
        created_at=now,
    )


def _subject_line(subject: str) -> str:
    # One line (a newline in a mail header is refused as header injection), cut rather than refused: a long
    # customer name must not make the cause's transaction fail.
    line = " ".join(subject.split())
    limit = _FIELD_MAX["subject"]
    return line if len(line) <= limit else line[: limit - 1] + "…"


def _valid_email(address: str) -> bool:
    if not address or len(address) > 254:
        return False
    try:
        validate_email(address)
    except ValidationError:
        return False
    return True


def _check_recipients_exist(ids: set[int]) -> None:
    # Foreign keys are checked only at commit (deferred): an unknown id would fail the caller's whole transaction
    # there, far from its cause. Refuse it here instead.
    wanted = sorted(ids)
    found: set[int] = set()
    for i in range(0, len(wanted), QUEUE_BATCH):
        found.update(get_user_model().objects.filter(pk__in=wanted[i : i + QUEUE_BATCH]).values_list("pk", flat=True))
    if missing := set(wanted) - found:
        raise ValidationFailed(
            _("Unknown recipient %(id)s.") % {"id": min(missing)},
            field="recipient_id",
        )


def _deliver_after_commit() -> None:
    # One delivery task per committed transaction however many times it queued messages.
    connection = transaction.get_connection()
    if any(entry[1] is _enqueue_delivery for entry in getattr(connection, "run_on_commit", [])):
        return
    # robust: the cause has committed; a failure to enqueue must not turn its response into an error (the
    # sweeper's outbox_kick picks the messages up on its next cycle).
    transaction.on_commit(_enqueue_delivery, robust=True)


def _enqueue_delivery() -> None:
    from wuyou.notifications.tasks import deliver_outbox_enqueue

    deliver_outbox_enqueue()


def message_retry(*, message_ids: Iterable[int], now: dt.datetime | None = None) -> int:
    """Put given-up (failed) messages back to pending with a fresh set of attempts; returns how many."""
    now = now or timezone.now()
    ids = sorted(set(message_ids))
    retried = 0
    with transaction.atomic():
        for i in range(0, len(ids), QUEUE_BATCH):
            # Resetting attempts is safe for conditional completion: a claim is identified by attempts AND its
            # lease end, and a failed message has no live claim.
            retried += Message.objects.filter(pk__in=ids[i : i + QUEUE_BATCH], state=MessageState.FAILED).update(
                state=MessageState.PENDING, attempts=0, next_attempt_at=now, lease_until=None
            )
        if retried:
            _deliver_after_commit()
    return retried


# --- delivery -----------------------------------------------------------------------------------------------------

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
