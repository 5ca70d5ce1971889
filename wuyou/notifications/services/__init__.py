"""Writes for the notification outbox (ADR 0002): queueing messages with their cause (queue.py), delivering them
(delivery.py), and marking them read in the in-app inbox (inbox.py). Other apps call these; they never touch the
outbox's models.
"""

from wuyou.notifications.services.delivery import DeliveryReport, outbox_deliver, outbox_has_due, outbox_kick
from wuyou.notifications.services.inbox import inbox_mark_all_read, inbox_mark_read
from wuyou.notifications.services.queue import (
    OutgoingMessage,
    message_fan_out,
    message_queue,
    message_retry,
    message_to_staff,
    recipient_channels,
)

__all__ = [
    "DeliveryReport",
    "OutgoingMessage",
    "inbox_mark_all_read",
    "inbox_mark_read",
    "message_fan_out",
    "message_queue",
    "message_retry",
    "message_to_staff",
    "outbox_deliver",
    "outbox_has_due",
    "outbox_kick",
    "recipient_channels",
]
