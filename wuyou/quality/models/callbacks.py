"""Callbacks (回访, R-G1): who calls the customer back about which request, when, and what the customer said.

`due_at` is the moment the rule makes it due (2 h after phone guidance, 3 h after an uncertain repair, the day after
a sampled job); `call_at` is the moment it may ring, slid into the customer's contact windows (issue 14 item 2).
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from wuyou.accounts.models import StaffProfile
from wuyou.core.models import TimeStampedModel
from wuyou.dispatch.models import WorkOrder
from wuyou.tickets.models import ServiceRequest


class QualityVerb(models.TextChoices):
    """What follow-up writes in a request's history."""

    PHONE_GUIDANCE = "phone_guidance", _("Solved by phone guidance")
    CALLBACK = "callback", _("Callback made")
    CALLBACK_NO_ANSWER = "callback_no_answer", _("Callback: no answer")
    CALLBACK_SCHEDULED = "callback_scheduled", _("Callback scheduled")
    CALLBACK_REFUSED = "callback_refused", _("Callback refused by the customer")
    CALLBACK_UNREACHABLE = "callback_unreachable", _("Callback closed: customer not reached")
    CALLBACK_RESCHEDULED = "callback_rescheduled", _("Callback moved")
    UNSATISFIED_REOPENED = "unsatisfied_reopened", _("Reopened: the customer is not satisfied")
    COMPLAINT_REGISTERED = "complaint_registered", _("Complaint registered")
    COMPLAINT_PROMISE_TOLD = "complaint_promise_told", _("Customer told when the complaint will be disposed")
    COMPLAINT_DISPOSED = "complaint_disposed", _("Complaint disposed")
    COMPLAINT_APPROVED = "complaint_approved", _("Complaint remedy approved")
    COMPLAINT_CUSTOMER_INFORMED = "complaint_customer_informed", _("Customer informed of the disposition")
    COMPLAINT_FACE_TO_FACE = "complaint_face_to_face", _("Manager's face-to-face reply")
    RECTIFICATION_ADDED = "rectification_added", _("Rectification action added")
    RECTIFICATION_DONE = "rectification_done", _("Rectification action done")


class CallbackReason(models.TextChoices):
    """Why the customer is called back (R-G1)."""

    PHONE_GUIDANCE = "phone_guidance", _("After phone guidance")
    UNCERTAIN_REPAIR = "uncertain_repair", _("After an uncertain repair")
    SAMPLE = "sample", _("Sampled after a completed job")
    COMPLAINT = "complaint", _("Complaint follow-up")
    ONSITE_UNSATISFIED = "onsite_unsatisfied", _("Not satisfied on site")
    REVISIT = "revisit", _("After the visit for an unsatisfied customer")


# Rule-made callbacks are asked because something went wrong or may have: their answers are biased and are shown
# apart from the sampled ones, which alone measure satisfaction (issue 14 item 6).
RULE_MADE = frozenset(r for r in CallbackReason if r != CallbackReason.SAMPLE)


class CallbackMode(models.TextChoices):
    """How the customer is followed up: a phone call, or a home visit at a daytime he chose."""

    PHONE = "phone", _("Phone call")
    HOME_VISIT = "home_visit", _("Home visit")


class CallbackStatus(models.TextChoices):
    PENDING = "pending", _("To call")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")
    UNREACHABLE = "unreachable", _("Not reached")
    REFUSED = "refused", _("Refused")


class CallbackOutcome(models.TextChoices):
    """What the customer said (empty until the callback is made)."""

    SATISFIED = "satisfied", _("Satisfied")
    UNSATISFIED = "unsatisfied", _("Not satisfied")
    NO_ANSWER = "no_answer", _("Not reached")
    REFUSED = "refused", _("Refused to answer")


class Callback(TimeStampedModel):
    """A call back to the customer about a request, due at a set time, with its outcome once made (R-G1, R-E3)."""

    request = models.ForeignKey(
        ServiceRequest, on_delete=models.PROTECT, related_name="callbacks", verbose_name=_("request")
    )
    reason = models.CharField(_("reason"), max_length=20, choices=CallbackReason.choices)
    work_order = models.ForeignKey(
        WorkOrder,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="callbacks",
        verbose_name=_("visit"),
        help_text=_("The visit the customer is asked about, when there was one."),
    )
    mode = models.CharField(_("how"), max_length=12, choices=CallbackMode.choices, default=CallbackMode.PHONE)
    due_at = models.DateTimeField(_("due by rule"))
    call_at = models.DateTimeField(_("call at"))  # indexed for pending rows (Meta.indexes)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    taken_at = models.DateTimeField(_("taken at"), null=True, blank=True)
    draw = models.ForeignKey(
        "quality.SampleDraw",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="callbacks",
        verbose_name=_("sample draw"),
    )
    questionnaire = models.ForeignKey(
        "quality.QuestionnaireVersion",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="callbacks",
        verbose_name=_("questionnaire"),
        help_text=_("The version of the questionnaire the answers were given to."),
    )
    version = models.PositiveIntegerField(_("version"), default=1)
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
                | models.Q(status="unreachable", outcome="no_answer")
                | models.Q(status="refused", outcome="refused"),
                name="callback_outcome_matches_status",
            ),
            # A job is drawn for the sample once, however many drawers run (issue 14 item 5).
            models.UniqueConstraint(
                fields=["work_order"],
                condition=models.Q(reason="sample"),
                name="callback_one_sample_per_visit",
            ),
        ]
        indexes = [
            # The follow-up list's query: pending callbacks, due first.
            models.Index(fields=["call_at"], condition=models.Q(status="pending"), name="callback_pending_call_at"),
            models.Index(fields=["request", "-due_at"], name="callback_request_due"),
            # The quality pages' query: made callbacks by month.
            models.Index(fields=["reason", "done_at"], name="callback_reason_done"),
        ]

    def __str__(self) -> str:
        return f"{self.request_id} {self.reason} {self.due_at:%Y-%m-%d %H:%M}"

    def save(self, *args: object, **kwargs: object) -> None:
        # A callback made without a calling time rings when due (the services always place it; this keeps rows whole).
        if self.call_at is None and self.due_at is not None:
            self.call_at = self.due_at
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    @property
    def is_pending(self) -> bool:
        """Still to be made."""
        return self.status == CallbackStatus.PENDING

    def is_overdue(self, now: dt.datetime) -> bool:
        """Pending and past the moment it should have been made."""
        return self.is_pending and max(self.due_at, self.call_at) < now

    @property
    def is_sampled(self) -> bool:
        """Drawn at random (measures satisfaction), not made by a rule (biased, shown apart)."""
        return self.reason == CallbackReason.SAMPLE

    @property
    def reached(self) -> bool:
        """The customer answered (satisfied or not)."""
        return self.status == CallbackStatus.DONE
