"""The notification outbox (R-L1): one row per message, written with its cause, delivered by the worker."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class MessageChannel(models.TextChoices):
    """How a message reaches its recipient; SMS and WeChat share the interface but are not implemented yet."""

    CONSOLE = "console", _("Console log")
    EMAIL = "email", _("E-mail")
    SMS = "sms", _("SMS")
    WECHAT = "wechat", _("WeChat")


class MessageState(models.TextChoices):
    """Where a message is in its delivery."""

    PENDING = "pending", _("Pending")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed (gave up)")


DELIVERABLE_STATES = (MessageState.PENDING, MessageState.SENDING)


class Message(models.Model):
    """One message to one recipient through one channel, queued with its cause and delivered by the worker."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recipient"),
    )
    address = models.CharField(
        _("address"), max_length=254, blank=True, help_text=_("E-mail address or phone number; empty for the console.")
    )
    channel = models.CharField(_("channel"), max_length=10, choices=MessageChannel.choices)
    kind = models.CharField(_("kind"), max_length=50, help_text=_("For example clock_warning or appointment_reminder."))
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("body"), blank=True)
    ref = models.CharField(
        _("about"), max_length=100, blank=True, db_index=True, help_text=_("What it is about, e.g. request:123.")
    )
    dedupe_key = models.CharField(_("de-duplication key"), max_length=200, unique=True)
    state = models.CharField(_("state"), max_length=10, choices=MessageState.choices, default=MessageState.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    # For a pending message: when to try (again). For a sending one: equal to lease_until, so one index range
    # finds both new work and claims abandoned by a dead worker.
    next_attempt_at = models.DateTimeField(_("next attempt at"), default=timezone.now)
    lease_until = models.DateTimeField(_("claimed until"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, db_index=True)
    # The in-app inbox (docs/notifications.md): a message fanned out to several channels is one row per channel;
    # exactly one of them, flagged when queued, is the copy the recipient reads in the app and marks read.
    inbox = models.BooleanField(
        _("in the inbox"), default=False, help_text=_("The copy of the message its recipient reads in the app.")
    )
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        indexes = [
            # The worker's claim query is a range scan over this small index: done and given-up rows leave it.
            models.Index(
                fields=["next_attempt_at"],
                condition=models.Q(state__in=DELIVERABLE_STATES),
                name="message_deliverable_idx",
            ),
            models.Index(fields=["recipient", "-created_at"], name="message_recipient_idx"),
            # The inbox page (newest first) and the bell's unread count.
            models.Index(fields=["recipient", "-created_at"], condition=models.Q(inbox=True), name="message_inbox_idx"),
            models.Index(
                fields=["recipient"],
                condition=models.Q(inbox=True, read_at__isnull=True),
                name="message_inbox_unread_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(channel__in=MessageChannel.values), name="message_channel_known"),
            models.CheckConstraint(condition=models.Q(state__in=MessageState.values), name="message_state_known"),
            models.CheckConstraint(
                condition=~models.Q(state=MessageState.SENDING)
                | models.Q(lease_until__isnull=False, next_attempt_at=models.F("lease_until")),
                name="message_sending_has_lease",
            ),
            models.CheckConstraint(
                condition=~models.Q(state=MessageState.SENT) | models.Q(sent_at__isnull=False),
                name="message_sent_has_time",
            ),
            models.CheckConstraint(
                condition=models.Q(inbox=True) | models.Q(read_at__isnull=True), name="message_read_in_inbox"
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.kind} → {self.channel}"

    @property
    def stable_id(self) -> str:
        """The id every delivery attempt of this message carries, so a receiver can drop a duplicate."""
        return f"wuyou-msg-{self.pk}"
