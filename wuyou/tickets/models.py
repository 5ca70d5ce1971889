"""Service requests of the six call types (R-E1), their state and their audit trail (R-E5)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from wuyou.accounts.models import Outlet, StaffProfile
from wuyou.core.models import TimeStampedModel
from wuyou.customers.models import Address, Customer
from wuyou.products.models import Unit


class CallType(models.TextChoices):
    """The six call types, each with its own answering standard (R-E1)."""

    GENERAL = "general", _("General")
    CONSULTATION = "consultation", _("Consultation")
    INQUIRY = "inquiry", _("Inquiry")
    ORDER_REPORT = "order_report", _("Order report (installation/repair booking)")
    REPAIR = "repair", _("Repair")
    COMPLAINT = "complaint", _("Complaint")


class Channel(models.TextChoices):
    """How the request reached us."""

    HOTLINE = "hotline", _("Hotline")
    WEB = "web", _("Website")
    PORTAL = "portal", _("Customer portal")
    WECHAT = "wechat", _("WeChat")
    VISIT = "visit", _("Walk-in visit")
    LETTER = "letter", _("Letter")
    DEALER = "dealer", _("Dealer")
    API = "api", _("Integration")


class Priority(models.TextChoices):
    LOW = "low", _("Low")
    NORMAL = "normal", _("Normal")
    HIGH = "high", _("High")
    URGENT = "urgent", _("Urgent")


class Status(models.TextChoices):
    NEW = "new", _("New")
    ACCEPTED = "accepted", _("Accepted")
    IN_PROGRESS = "in_progress", _("In progress")
    WAITING_CUSTOMER = "waiting_customer", _("Waiting on customer")
    WAITING_PARTS = "waiting_parts", _("Waiting on parts")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")
    CANCELLED = "cancelled", _("Cancelled")


OPEN_STATUSES = (Status.NEW, Status.ACCEPTED, Status.IN_PROGRESS, Status.WAITING_CUSTOMER, Status.WAITING_PARTS)
# The job is "active" for the engineer: he may see the customer's phone.
ACTIVE_STATUSES = (Status.ACCEPTED, Status.IN_PROGRESS, Status.WAITING_CUSTOMER, Status.WAITING_PARTS)


class ServiceRequest(TimeStampedModel):
    """A customer's call for service, from intake to closure."""

    number = models.CharField(_("number"), max_length=20, unique=True, null=True, blank=True)
    call_type = models.CharField(_("call type"), max_length=20, choices=CallType.choices)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices, default=Channel.HOTLINE)
    priority = models.CharField(_("priority"), max_length=10, choices=Priority.choices, default=Priority.NORMAL)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.NEW)
    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="requests", verbose_name=_("customer")
    )
    unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, null=True, blank=True, related_name="requests", verbose_name=_("unit")
    )
    address = models.ForeignKey(
        Address, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("service address")
    )
    contact_phone = models.CharField(_("contact phone"), max_length=20, blank=True)
    reported_model = models.CharField(
        _("model as reported"), max_length=50, blank=True, help_text=_("When the unit is not registered yet.")
    )
    reported_purchase_date = models.DateField(_("purchase date as reported"), null=True, blank=True)
    symptom = models.TextField(_("symptom / description"), blank=True)
    window_start = models.DateTimeField(_("requested from"), null=True, blank=True)
    window_end = models.DateTimeField(_("requested until"), null=True, blank=True)
    outlet = models.ForeignKey(
        Outlet, on_delete=models.PROTECT, related_name="requests", verbose_name=_("handling outlet")
    )
    assignee = models.ForeignKey(
        StaffProfile,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assigned_requests",
        verbose_name=_("assignee"),
    )
    to_verify = models.BooleanField(_("to verify"), default=False)
    missing_fields = models.JSONField(_("missing fields"), default=list, blank=True)
    due_at = models.DateTimeField(_("answer due"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    version = models.PositiveIntegerField(_("version"), default=1)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("opened by"),
    )

    class Meta:
        verbose_name = _("service request")
        verbose_name_plural = _("service requests")
        indexes = [
            models.Index(fields=["outlet", "status", "-created_at"]),
            models.Index(fields=["assignee", "status"]),
            models.Index(fields=["status", "due_at"]),
            models.Index(fields=["customer", "-created_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(window_start__isnull=True)
                | models.Q(window_end__isnull=True)
                | models.Q(window_end__gt=models.F("window_start")),
                name="request_window_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return self.number or f"#{self.pk}"

    @property
    def is_open(self) -> bool:
        """Still needs work."""
        return self.status in OPEN_STATUSES


class RequestEvent(models.Model):
    """One change to a request: who, what, from/to, details, when (R-E5)."""

    request = models.ForeignKey(
        ServiceRequest, on_delete=models.CASCADE, related_name="events", verbose_name=_("request")
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    verb = models.CharField(_("what"), max_length=30)
    from_status = models.CharField(_("from"), max_length=20, blank=True)
    to_status = models.CharField(_("to"), max_length=20, blank=True)
    data = models.JSONField(_("details"), default=dict, blank=True)
    note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        verbose_name = _("request event")
        verbose_name_plural = _("request events")
        indexes = [models.Index(fields=["request", "-created_at", "-id"])]

    def __str__(self) -> str:
        return f"{self.request_id} {self.verb}"
