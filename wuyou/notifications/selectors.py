"""Reads of the outbox: for the apps that send through it, and each staff user's own in-app inbox."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from wuyou.core.errors import NotFound
from wuyou.notifications.models import Message


def messages_to(*, user_id: int) -> QuerySet[Message]:
    """The messages sent (or queued) to one person; other apps narrow them by `ref`, e.g. in an Exists subquery."""
    return Message.objects.filter(recipient_id=user_id)


# --- the in-app inbox: always one person's own messages ------------------------------------------------------------


def inbox_messages(*, user_id: int | None, unread_only: bool = False) -> QuerySet[Message]:
    """The inbox of one user, newest first: the inbox copy of each message to him (none for no user)."""
    if user_id is None:
        return Message.objects.none()
    messages = Message.objects.filter(recipient_id=user_id, inbox=True)
    if unread_only:
        messages = messages.filter(read_at__isnull=True)
    return messages.order_by("-created_at", "-pk")


def inbox_unread_count(*, user_id: int | None) -> int:
    """How many messages in the user's inbox are unread: one COUNT over a partial index."""
    return inbox_messages(user_id=user_id, unread_only=True).count()


def inbox_message_get(*, user_id: int | None, message_id: int) -> Message:
    """One message of the user's own inbox; another's (or none) is NotFound, never told apart."""
    found = inbox_messages(user_id=user_id).filter(pk=message_id).first()
    if found is None:
        raise NotFound(_("No such message."))
    return found
