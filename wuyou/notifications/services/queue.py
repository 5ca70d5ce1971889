"""Queueing the notification outbox: messages with their cause, one per recipient and channel; retrying given-up ones.

The outbox row is the message's own record (state, attempts, last error, sent time); see
docs/adr/0002-notification-outbox.md for why delivery is claim → send outside any transaction → conditional
completion.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from wuyou.core.errors import ValidationFailed
from wuyou.notifications.channels import ChannelNotConfigured, channel_configured
from wuyou.notifications.models import Message, MessageChannel, MessageState

logger = logging.getLogger("wuyou.notifications")

# Rows per INSERT (and keys per IN list): well under SQLite's bound-parameter limit, few round trips for 10,000.
QUEUE_BATCH = 1000
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
    in_inbox: set[tuple[object, ...]] = set()
    for outgoing in messages:
        row = _message_row(outgoing, now)
        if row.dedupe_key in rows:
            continue
        # One message to a person fans out to one row per channel: the first of them is his in-app inbox copy.
        same_message = (row.recipient_id, row.kind, row.ref, row.subject, row.body)
        row.inbox = row.recipient_id is not None and same_message not in in_inbox
        if row.inbox:
            in_inbox.add(same_message)
        rows[row.dedupe_key] = row
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
