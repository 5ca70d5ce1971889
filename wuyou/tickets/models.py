"""Service requests of the six call types (R-E1), their state and their audit trail (R-E5)."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from wuyou.accounts.models import Outlet, StaffProfile
from wuyou.core.models import TimeStampedModel
from wuyou.customers.models import Address, Customer
from wuyou.products.models import Unit
from wuyou.tickets import sla


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
    AUTHORITY = "authority", _("Transferred by an authority (12315, regulator)")
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


class RequestVerb(models.TextChoices):
    """What tickets itself writes in a request's history (the lifecycle's actions are labelled by TRANSITIONS)."""

    OPENED = "opened", pgettext_lazy("a request's history", "Opened")
    ASSIGNED = "assigned", _("Dispatched")
    VERIFIED = "verified", _("Verified")
    DETAILS_UPDATED = "details_updated", _("Details updated")
    AUTHORITY_REPORT = "authority_report", _("Report to the authority filed")


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
        from wuyou.tickets.history import history_label  # the history registry reads apps' labels at start-up

        return f"#{self.request_id} · {history_label(self.verb)}"


class Step(models.TextChoices):
    """The steps of a request that each have a time limit (R-E4, R-G3)."""

    FIRST_RESPONSE = "first_response", _("First response")
    APPOINTMENT_CONFIRMED = "appointment_confirmed", _("Appointment confirmed")
    ON_SITE = "on_site", _("Engineer on site")
    RESOLVED = "resolved", pgettext_lazy("time-limit step", "Resolved")
    COMPLAINT_DISPOSITION = "complaint_disposition", _("Complaint disposition")
    AUTHORITY_REPORT = "authority_report", _("Report to the authority")
    CALLBACK_DUE = "callback_due", _("Callback")


class LimitUnit(models.TextChoices):
    BUSINESS_HOURS = sla.BUSINESS_HOURS, _("business hours")
    WORKING_DAYS = sla.WORKING_DAYS, _("working days")
    CLOCK_HOURS = sla.CLOCK_HOURS, _("clock hours")


class EscalationLevel(models.TextChoices):
    """Who a clock reaches, rung by rung."""

    RESPONSIBLE = "responsible", _("Assignee (else the outlet's clerks)")
    OUTLET_MANAGER = "outlet_manager", _("Outlet manager")
    SERVICE_MANAGER = "service_manager", _("Head-office service manager")
    HEAD_OF_SERVICE = "head_of_service", _("Head of service")


DEFAULT_CHAIN = [level.value for level in EscalationLevel]


def level_label(value: str) -> str:
    """An escalation level in words ("Outlet manager"); an unknown value as it is."""
    return str(EscalationLevel(value).label) if value in EscalationLevel.values else value


class TimeLimitPolicy(TimeStampedModel):
    """A step's time limit for a call type (and optionally a priority), its warning point and escalation chain."""

    call_type = models.CharField(_("call type"), max_length=20, choices=CallType.choices)
    priority = models.CharField(
        _("priority"), max_length=10, choices=Priority.choices, blank=True, help_text=_("Empty: every priority.")
    )
    channel = models.CharField(
        _("channel"), max_length=10, choices=Channel.choices, blank=True, help_text=_("Empty: every channel.")
    )
    step = models.CharField(_("step"), max_length=30, choices=Step.choices)
    amount = models.DecimalField(_("limit"), max_digits=7, decimal_places=2)
    unit = models.CharField(pgettext_lazy("time limit", "unit"), max_length=20, choices=LimitUnit.choices)
    warn_percent = models.PositiveSmallIntegerField(
        # xgettext:no-python-format
        _("warn at (% of the limit)"),
        default=80,
        help_text=_("The responsible person is warned at this point."),
    )
    escalate_percent = models.PositiveSmallIntegerField(
        # xgettext:no-python-format
        _("escalate again every (% of the limit)"),
        default=50,
        help_text=_("After the limit, the request climbs one level of the chain each time this share passes."),
    )
    chain = models.JSONField(
        _("escalation chain"),
        default=list,
        help_text=_("Levels in order: responsible, outlet_manager, service_manager, head_of_service."),
    )
    pauses_when_waiting = models.BooleanField(
        _("pauses while waiting"), default=True, help_text=_("The clock stops while waiting on the customer or parts.")
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("time-limit policy")
        verbose_name_plural = _("time-limit policies")
        ordering = ["call_type", "step", "priority", "channel"]
        constraints = [
            models.UniqueConstraint(
                fields=["call_type", "priority", "channel", "step"],
                condition=models.Q(is_active=True),
                name="one_active_policy_per_step",
            ),
            models.CheckConstraint(
                condition=models.Q(warn_percent__gte=1, warn_percent__lte=99), name="policy_warns_before_limit"
            ),
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="policy_limit_positive"),
            models.CheckConstraint(
                condition=models.Q(escalate_percent__gte=1, escalate_percent__lte=1000),
                name="policy_escalates_at_intervals",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_call_type_display()} · {self.get_step_display()}"

    @property
    def limit(self) -> sla.Limit:
        """The limit as the pure rules see it."""
        return sla.Limit(self.amount, self.unit, self.warn_percent, self.escalate_percent)

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if None not in (self.amount, self.warn_percent, self.escalate_percent) and self.unit:
            messages = {
                "amount": _("The limit must be more than zero, at most 1000, and whole for working days."),
                "warn_percent": _("The warning must come before the limit: between 1% and 99% of it."),
                "escalate_percent": _("Between 1% and 1000% of the limit."),
                "unit": _("Unknown unit."),
            }
            errors = {field: str(messages[field]) for field in self.limit.problems()}
        chain_problem = chain_error(self.chain)
        if chain_problem:
            errors["chain"] = chain_problem
        if errors:
            raise ValidationError(errors)


def chain_error(chain: object) -> str:
    """Why an escalation chain is unusable ("" when it is fine)."""
    if not isinstance(chain, list) or not chain:
        return str(_("Give at least one level."))
    unknown = [str(level) for level in chain if level not in EscalationLevel.values]
    if unknown:
        return str(_("Unknown level: %(levels)s.") % {"levels": ", ".join(unknown)})
    if len(set(chain)) != len(chain):
        return str(_("A level appears twice."))
    return ""


class ClockState(models.TextChoices):
    RUNNING = "running", _("Running")
    PAUSED = "paused", _("Paused")
    STOPPED = "stopped", _("Stopped")


class ClockStage(models.TextChoices):
    ON_TIME = sla.ON_TIME, _("On time")
    WARNED = sla.WARNED, _("Warned")
    BREACHED = sla.BREACHED, _("Breached")


class ClockOutcome(models.TextChoices):
    NONE = "", _("Open")
    MET = "met", _("Met")
    MISSED = "missed", _("Met late")
    MOOT = "moot", _("Not needed")


class RequestClock(models.Model):
    """The time limit of one step of one request: when it warns, when it is due, and how far it has escalated."""

    request = models.ForeignKey(
        ServiceRequest, on_delete=models.CASCADE, related_name="clocks", verbose_name=_("request")
    )
    step = models.CharField(_("step"), max_length=30, choices=Step.choices)
    policy = models.ForeignKey(
        TimeLimitPolicy, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("policy")
    )
    unit = models.CharField(pgettext_lazy("time limit", "unit"), max_length=20, choices=LimitUnit.choices)
    chain = models.JSONField(_("escalation chain"), default=list)
    pauses_when_waiting = models.BooleanField(_("pauses while waiting"), default=True)
    state = models.CharField(_("state"), max_length=10, choices=ClockState.choices, default=ClockState.RUNNING)
    stage = models.CharField(_("stage"), max_length=10, choices=ClockStage.choices, default=ClockStage.ON_TIME)
    level = models.PositiveSmallIntegerField(_("escalation level"), default=0)
    outcome = models.CharField(_("outcome"), max_length=10, choices=ClockOutcome.choices, blank=True)
    provisional = models.BooleanField(_("provisional"), default=False)
    started_at = models.DateTimeField(_("started"))
    warn_at = models.DateTimeField(_("warns at"))
    due_at = models.DateTimeField(_("due"))
    escalate_seconds = models.FloatField(_("escalation interval (s)"))
    next_action_at = models.DateTimeField(_("next action"), null=True, blank=True)
    paused_at = models.DateTimeField(_("paused at"), null=True, blank=True)
    stopped_at = models.DateTimeField(_("stopped at"), null=True, blank=True)
    version = models.PositiveIntegerField(_("version"), default=1)

    class Meta:
        verbose_name = _("request clock")
        verbose_name_plural = _("request clocks")
        constraints = [
            # A step restarted (a reopened request) keeps its earlier clock, stopped, as history.
            models.UniqueConstraint(
                fields=["request", "step"], condition=~models.Q(state="stopped"), name="one_live_clock_per_step"
            ),
            models.CheckConstraint(condition=models.Q(due_at__gte=models.F("warn_at")), name="clock_warns_first"),
        ]
        indexes = [
            # The sweeper's only query: running clocks whose next action has come. Its cost follows the number due.
            models.Index(
                fields=["next_action_at"],
                condition=models.Q(state="running", next_action_at__isnull=False),
                name="clock_due_for_action",
            ),
            models.Index(fields=["request", "state"]),
            models.Index(fields=["stage", "state"]),
        ]

    def __str__(self) -> str:
        return f"#{self.request_id} · {self.get_step_display()}"
