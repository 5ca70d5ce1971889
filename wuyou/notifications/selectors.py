"""Reads of the outbox for the apps that send through it."""

from __future__ import annotations

from django.db.models import QuerySet

from wuyou.notifications.models import Message


def messages_to(*, user_id: int) -> QuerySet[Message]:
    """The messages sent (or queued) to one person; other apps narrow them by `ref`, e.g. in an Exists subquery."""
    return Message.objects.filter(recipient_id=user_id)
