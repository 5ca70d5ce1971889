"""The complaint desk (R-G3): a complaint request's record, its disposition and its rectification plan.

Seed 004: a complaint gets a disposition within three working days (the request's complaint_disposition clock);
a complaint transferred by an authority keeps its written report and the manager's face-to-face reply (面复).
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from wuyou.accounts.models import Organisation, StaffProfile
from wuyou.core.models import TimeStampedModel
from wuyou.products.models import Unit
from wuyou.tickets.models import ServiceRequest


class ComplaintCategory(models.TextChoices):
    PRODUCT_QUALITY = "product_quality", _("Product quality")
    ATTITUDE = "attitude", _("Attitude")
    FEE = "fee", _("Fee")
    LATENESS = "lateness", _("Lateness")
    PARTS = "parts", _("Parts")
    OTHER = "other", _("Other")


class Severity(models.TextChoices):
    MINOR = "minor", _("Minor")
    MAJOR = "major", _("Major")
    CRITICAL = "critical", _("Critical")


class ResponsibleParty(models.TextChoices):
    PRODUCT = "product", _("Product")
    ENGINEER = "engineer", _("Engineer")
    OUTLET = "outlet", _("Outlet")
    DEALER = "dealer", _("Dealer")
    CUSTOMER = "customer", _("Customer")
    NONE = "none", _("Nobody")


class Remedy(models.TextChoices):
    REVISIT = "revisit", _("Re-visit")
    EXCHANGE = "exchange", _("Exchange")
    REFUND = "refund", _("Refund")
    COMPENSATION = "compensation", _("Compensation")
    EXPLANATION = "explanation", _("Explanation and apology")


class ComplaintStatus(models.TextChoices):
    REGISTERED = "registered", _("Registered")
    AWAITING_APPROVAL = "awaiting_approval", _("Remedy awaiting approval")
    DISPOSED = "disposed", _("Disposed")
    INFORMED = "informed", _("Customer informed")
    CLOSED = "closed", _("Closed")


class ComplaintSettings(models.Model):
    """An organisation's complaint rules: the amount above which the service manager approves a remedy."""

    organisation = models.OneToOneField(
        Organisation, on_delete=models.CASCADE, related_name="complaint_settings", verbose_name=_("organisation")
    )
    approval_above = models.DecimalField(
        _("manager approves remedies above (yuan)"), max_digits=10, decimal_places=2, default=Decimal(500)
    )
    repeat_within_days = models.PositiveSmallIntegerField(
        _("repeat complaint window (days)"),
        default=90,
        help_text=_("Another complaint about the same unit or engineer."),
    )

    class Meta:
        verbose_name = _("complaint settings")
        verbose_name_plural = _("complaint settings")

    def __str__(self) -> str:
        return str(self.organisation)


class Complaint(TimeStampedModel):
    """A complaint request's record: what it is about, who is responsible, the disposition and the remedy."""

    request = models.OneToOneField(
        ServiceRequest, on_delete=models.PROTECT, related_name="complaint", verbose_name=_("request")
    )
    status = models.CharField(
        _("status"), max_length=20, choices=ComplaintStatus.choices, default=ComplaintStatus.REGISTERED
    )
    category = models.CharField(_("category"), max_length=20, choices=ComplaintCategory.choices)
    severity = models.CharField(_("severity"), max_length=10, choices=Severity.choices, default=Severity.MINOR)
    unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, null=True, blank=True, related_name="complaints", verbose_name=_("unit")
    )
    about_engineer = models.ForeignKey(
        StaffProfile,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="complaints_about",
        verbose_name=_("engineer complained about"),
    )
    promised_by = models.DateTimeField(_("disposition promised by"), null=True, blank=True)
    promise_told_at = models.DateTimeField(_("customer told the promise at"), null=True, blank=True)
    responsible = models.CharField(_("responsible party"), max_length=10, choices=ResponsibleParty.choices, blank=True)
    finding = models.TextField(_("finding"), blank=True)
    remedy = models.CharField(_("remedy"), max_length=15, choices=Remedy.choices, blank=True)
    remedy_amount = models.DecimalField(_("amount (yuan)"), max_digits=10, decimal_places=2, null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("approved by"),
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    disposed_at = models.DateTimeField(_("disposed at"), null=True, blank=True)
    disposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("disposed by"),
    )
    customer_informed_at = models.DateTimeField(_("customer informed at"), null=True, blank=True)
    face_to_face_on = models.DateField(_("manager's face-to-face reply on"), null=True, blank=True)
    repeat_of = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="repeats",
        verbose_name=_("repeats"),
        help_text=_("An earlier complaint about the same unit or engineer."),
    )
    version = models.PositiveIntegerField(_("version"), default=1)

    class Meta:
        verbose_name = _("complaint")
        verbose_name_plural = _("complaints")
        indexes = [models.Index(fields=["status", "-created_at"], name="complaint_status_created")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(remedy_amount__isnull=True) | models.Q(remedy_amount__gte=0),
                name="complaint_amount_not_negative",
            ),
            # A disposition names who was responsible (R-G3).
            models.CheckConstraint(
                condition=models.Q(disposed_at__isnull=True) | ~models.Q(responsible=""),
                name="complaint_disposition_names_responsible",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.request_id} {self.category}"


class RectificationAction(TimeStampedModel):
    """One action of a complaint's rectification plan: owner and due date, tracked to done; overdue escalates."""

    complaint = models.ForeignKey(
        Complaint, on_delete=models.CASCADE, related_name="actions", verbose_name=_("complaint")
    )
    action = models.CharField(_("action"), max_length=300)
    owner = models.ForeignKey(StaffProfile, on_delete=models.PROTECT, related_name="+", verbose_name=_("owner"))
    due_on = models.DateField(_("due on"))
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    # Stored deadline for the sweep (architecture rule 5): when an open action is next escalated.
    escalate_at = models.DateTimeField(_("escalate at"), null=True, blank=True)
    escalation_level = models.PositiveSmallIntegerField(_("escalation level"), default=0)

    class Meta:
        verbose_name = _("rectification action")
        verbose_name_plural = _("rectification actions")
        ordering = ["due_on", "pk"]
        indexes = [
            models.Index(fields=["escalate_at"], condition=models.Q(done_at__isnull=True), name="rectification_due")
        ]

    def __str__(self) -> str:
        return self.action
