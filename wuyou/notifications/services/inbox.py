"""Writes of the in-app inbox: a user marks his own messages read. Delivery (state, attempts) is not touched."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from wuyou.notifications.models import Message
from wuyou.notifications.selectors import inbox_message_get, inbox_messages


def inbox_mark_read(*, user_id: int | None, message_id: int, now: dt.datetime | None = None) -> Message:
    """Mark one message of the user's own inbox read (again is harmless); another's is NotFound."""
    message = inbox_message_get(user_id=user_id, message_id=message_id)
    if message.read_at is None:
        now = now or timezone.now()
        # Conditional: two tabs marking it at once keep the first time.
        Message.objects.filter(pk=message.pk, read_at__isnull=True).update(read_at=now)
        message.refresh_from_db(fields=["read_at"])
    return message


def inbox_mark_all_read(*, user_id: int | None, now: dt.datetime | None = None) -> int:
    """Mark every unread message of the user's own inbox read; returns how many."""
    return inbox_messages(user_id=user_id, unread_only=True).update(read_at=now or timezone.now())
