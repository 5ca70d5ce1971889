"""Callbacks (回访, R-G1): who calls the customer back about which request, when, and what the customer said."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from wuyou.accounts.models import StaffProfile
from wuyou.core.models import TimeStampedModel
from wuyou.tickets.models import ServiceRequest


class QualityVerb(models.TextChoices):
    """What follow-up writes in a request's history."""

    PHONE_GUIDANCE = "phone_guidance", _("Solved by phone guidance")
    CALLBACK = "callback", _("Callback made")
    CALLBACK_NO_ANSWER = "callback_no_answer", _("Callback: no answer")


class CallbackReason(models.TextChoices):
    """Why the customer is called back (R-G1)."""

    PHONE_GUIDANCE = "phone_guidance", _("After phone guidance")
    UNCERTAIN_REPAIR = "uncertain_repair", _("After an uncertain repair")
    SAMPLE = "sample", _("Sampled after a completed job")
    COMPLAINT = "complaint", _("Complaint follow-up")


class CallbackStatus(models.TextChoices):
    PENDING = "pending", _("To call")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")
    UNREACHABLE = "unreachable", _("Not reached")


class CallbackOutcome(models.TextChoices):
    """What the customer said (empty until the callback is made)."""

    SATISFIED = "satisfied", _("Satisfied")
    UNSATISFIED = "unsatisfied", _("Not satisfied")
    NO_ANSWER = "no_answer", _("No answer")


class Callback(TimeStampedModel):
    """A call back to the customer about a request, due at a set time, with its outcome once made (R-G1, R-E3)."""

    request = models.ForeignKey(
        ServiceRequest, on_delete=models.PROTECT, related_name="callbacks", verbose_name=_("request")
    )
    reason = models.CharField(_("reason"), max_length=20, choices=CallbackReason.choices)
    due_at = models.DateTimeField(_("due"))  # indexed for pending rows (Meta.indexes)
    status = models.CharField(
        _("status"), max_length=12, choices=CallbackStatus.choices, default=CallbackStatus.PENDING
    )
    assigned_to = models.ForeignKey(
        StaffProfile,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="callbacks",
        verbose_name=_("follow-up staff"),
        help_text=_("Empty: any follow-up staff of the request's outlet or of the head office."),
    )
    outcome = models.CharField(_("outcome"), max_length=12, choices=CallbackOutcome.choices, blank=True)
    note = models.TextField(_("note"), blank=True)
    done_at = models.DateTimeField(_("made at"), null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("made by"),
    )
    follows = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="followed_by",
        verbose_name=_("follows up"),
        help_text=_("The earlier callback whose customer was not satisfied or not reached."),
    )

    class Meta:
        verbose_name = _("callback")
        verbose_name_plural = _("callbacks")
        constraints = [
            # Phone guidance schedules one callback; a second pending one would have the customer called twice.
            models.UniqueConstraint(
                fields=["request"],
                condition=models.Q(status="pending", reason="phone_guidance"),
                name="callback_one_pending_phone_guidance",
            ),
            # The status and the outcome tell the same story: a made call has an outcome, an open one none.
            models.CheckConstraint(
                condition=models.Q(status__in=["pending", "cancelled"], outcome="")
                | models.Q(status="done", outcome__in=["satisfied", "unsatisfied"])
                | models.Q(status="unreachable", outcome="no_answer"),
                name="callback_outcome_matches_status",
            ),
        ]
        indexes = [
            # The follow-up list's query: pending callbacks, due first.
            models.Index(fields=["due_at"], condition=models.Q(status="pending"), name="callback_pending_due"),
            models.Index(fields=["request", "-due_at"], name="callback_request_due"),
        ]

    def __str__(self) -> str:
        return f"{self.request_id} {self.reason} {self.due_at:%Y-%m-%d %H:%M}"

    @property
    def is_pending(self) -> bool:
        """Still to be made."""
        return self.status == CallbackStatus.PENDING

    def is_overdue(self, now: dt.datetime) -> bool:
        """Pending and past its due time."""
        return self.is_pending and self.due_at < now
