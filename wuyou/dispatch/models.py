"""Work orders, appointment windows, engineers' days and dispatch plans (R-F1, R-F2, R-F3, R-F6, R-F8, R-D3)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from wuyou.accounts.models import Outlet, Skill, StaffProfile
from wuyou.calendars.models import BusinessCalendar
from wuyou.core.models import TimeStampedModel
from wuyou.products.models import JobType
from wuyou.tickets.models import ServiceRequest


class DispatchVerb(models.TextChoices):
    """What dispatch writes in a request's history."""

    WORK_ORDER_OPENED = "work_order_opened", _("Visit opened")
    WORK_ORDER_CANCELLED = "work_order_cancelled", _("Visit cancelled")
    APPOINTMENT_BOOKED = "appointment_booked", _("Visit booked")


class StartPlace(models.TextChoices):
    HOME = "home", pgettext_lazy("where an engineer starts his day", "Home")
    OUTLET = "outlet", _("Outlet")


class FieldEngineer(TimeStampedModel):
    """An engineer's field settings: where his day starts and ends, his hours, what his van holds."""

    engineer = models.OneToOneField(
        StaffProfile, on_delete=models.CASCADE, related_name="field", verbose_name=_("engineer")
    )
    starts_from = models.CharField(
        _("starts and ends the day at"), max_length=10, choices=StartPlace.choices, default=StartPlace.OUTLET
    )
    home_address = models.CharField(_("home address"), max_length=200, blank=True)
    home_latitude = models.DecimalField(_("home latitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    home_longitude = models.DecimalField(_("home longitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    calendar = models.ForeignKey(
        BusinessCalendar,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("field hours"),
        help_text=_("Empty: the outlet's calendar. Field calendars usually include evenings and weekends."),
    )
    van_capacity = models.PositiveSmallIntegerField(
        _("van capacity (load units)"), default=2, help_text=_("How many bulky units (delivery, installation) fit.")
    )

    class Meta:
        verbose_name = _("field engineer")
        verbose_name_plural = _("field engineers")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(home_latitude__isnull=True, home_longitude__isnull=True)
                | models.Q(
                    home_latitude__gte=-90, home_latitude__lte=90, home_longitude__gte=-180, home_longitude__lte=180
                ),
                name="field_engineer_home_coordinates",
            ),
        ]

    def __str__(self) -> str:
        return self.engineer.display_name


class EngineerDay(models.Model):
    """An engineer's shift on one day; `route_version` makes two dispatchers' commits collide, not interleave."""

    engineer = models.ForeignKey(
        StaffProfile, on_delete=models.CASCADE, related_name="field_days", verbose_name=_("engineer")
    )
    day = models.DateField(_("day"))
    is_off = models.BooleanField(_("off duty"), default=False)
    starts_at = models.DateTimeField(_("shift starts"), null=True, blank=True)
    ends_at = models.DateTimeField(_("shift ends"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    route_version = models.PositiveIntegerField(_("route version"), default=0)

    class Meta:
        verbose_name = _("engineer's day")
        verbose_name_plural = _("engineers' days")
        constraints = [
            models.UniqueConstraint(fields=["engineer", "day"], name="engineer_day_unique"),
            models.CheckConstraint(
                condition=models.Q(starts_at__isnull=True)
                | models.Q(ends_at__isnull=True)
                | models.Q(ends_at__gt=models.F("starts_at")),
                name="engineer_day_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.engineer.display_name} {self.day}"


class WorkOrderStatus(models.TextChoices):
    UNBOOKED = "unbooked", _("To book")
    BOOKED = "booked", _("Booked")
    PLANNED = "planned", _("Planned")
    CONFIRMED = "confirmed", _("Confirmed with customer")
    ON_THE_WAY = "on_the_way", _("On the way")
    ON_SITE = "on_site", _("On site")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


# Waiting for a slot in a plan; the optimiser may place or move these.
PLANNABLE = (WorkOrderStatus.BOOKED, WorkOrderStatus.PLANNED, WorkOrderStatus.CONFIRMED)
# The engineer is working on it: it stays where it is when the day is re-planned.
STARTED = (WorkOrderStatus.ON_THE_WAY, WorkOrderStatus.ON_SITE)
# The job is "active" for the engineer: the customer's phone is shown unmasked.
ACTIVE = (WorkOrderStatus.CONFIRMED, WorkOrderStatus.ON_THE_WAY, WorkOrderStatus.ON_SITE)
OPEN = (WorkOrderStatus.UNBOOKED, *PLANNABLE, *STARTED)
# May be (re)booked into new windows: not started yet. Rebooking a planned visit takes it off its route (R-D3).
BOOKABLE = (WorkOrderStatus.UNBOOKED, *PLANNABLE)
# Not on an engineer's route yet: the request page and the new-visit page offer to book these. A planned or confirmed
# visit is rebooked on purpose from its booking page, since it leaves a route the customer was told of.
BOOKING_OFFERED = (WorkOrderStatus.UNBOOKED, WorkOrderStatus.BOOKED)


class WorkOrder(TimeStampedModel):
    """A visit by an engineer for a request: what, where, how long, which skills, when, and how it went."""

    number = models.CharField(_("number"), max_length=20, unique=True, null=True, blank=True)
    request = models.ForeignKey(
        ServiceRequest, on_delete=models.PROTECT, related_name="work_orders", verbose_name=_("request")
    )
    outlet = models.ForeignKey(Outlet, on_delete=models.PROTECT, related_name="work_orders", verbose_name=_("outlet"))
    job_type = models.CharField(_("job type"), max_length=20, choices=JobType.choices)
    status = models.CharField(
        _("status"), max_length=20, choices=WorkOrderStatus.choices, default=WorkOrderStatus.UNBOOKED
    )
    skills = models.ManyToManyField(Skill, blank=True, related_name="+", verbose_name=_("required skills"))
    duration_minutes = models.PositiveSmallIntegerField(_("expected duration (minutes)"))
    load = models.PositiveSmallIntegerField(_("van load (units)"), default=0)
    address_text = models.CharField(_("address"), max_length=300)
    latitude = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6)
    longitude = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6)
    window_start = models.DateTimeField(_("appointment from"), null=True, blank=True)
    window_end = models.DateTimeField(_("appointment until"), null=True, blank=True)
    engineer = models.ForeignKey(
        StaffProfile,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="work_orders",
        verbose_name=_("engineer"),
    )
    planned_arrival = models.DateTimeField(_("planned arrival"), null=True, blank=True)
    planned_start = models.DateTimeField(_("planned start"), null=True, blank=True)
    planned_end = models.DateTimeField(_("planned end"), null=True, blank=True)
    route_position = models.PositiveSmallIntegerField(_("position in route"), null=True, blank=True)
    travel_minutes = models.PositiveSmallIntegerField(_("travel to it (minutes)"), null=True, blank=True)
    pinned = models.BooleanField(_("pinned"), default=False, help_text=_("Re-planning keeps it where it is."))
    plan = models.ForeignKey(
        "DispatchPlan", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("plan")
    )
    confirmed_at = models.DateTimeField(_("confirmed by phone at"), null=True, blank=True)
    departed_at = models.DateTimeField(_("left for the job at"), null=True, blank=True)
    arrived_at = models.DateTimeField(_("arrived at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    diagnosis = models.TextField(_("diagnosis"), blank=True)
    work_done = models.TextField(_("work done"), blank=True)
    take_back_receipt = models.CharField(_("take-back receipt"), max_length=40, blank=True)
    test_run_ok = models.BooleanField(_("test run passed"), null=True, blank=True)
    test_run_note = models.CharField(_("test run note"), max_length=300, blank=True)
    # The engineer's doubts when he finishes (seed 003: 3小时后跟踪回访): either makes a callback 3 hours later.
    not_sure_fixed = models.BooleanField(_("not sure it is fully fixed"), default=False)
    no_time_for_test_run = models.BooleanField(_("no time for a test run"), default=False)
    quality_rating = models.PositiveSmallIntegerField(_("repair quality rating"), null=True, blank=True)
    attitude_rating = models.PositiveSmallIntegerField(_("attitude rating"), null=True, blank=True)
    signature = models.TextField(_("customer's signature"), blank=True, help_text=_("PNG drawn on the screen."))
    signed_by = models.CharField(_("signed by"), max_length=50, blank=True)
    late_minutes = models.PositiveSmallIntegerField(_("running late (minutes)"), null=True, blank=True)
    version = models.PositiveIntegerField(_("version"), default=1)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("work order")
        verbose_name_plural = _("work orders")
        indexes = [
            models.Index(fields=["outlet", "status", "window_start"]),
            # The daily sample draw reads the visits finished on one day (quality, issue 14).
            models.Index(fields=["status", "finished_at"], name="work_order_finished"),
            models.Index(fields=["engineer", "planned_start"]),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(duration_minutes__gt=0), name="work_order_positive_duration"),
            models.CheckConstraint(
                condition=models.Q(window_start__isnull=True)
                | models.Q(window_end__isnull=True)
                | models.Q(window_end__gt=models.F("window_start")),
                name="work_order_window_ends_after_start",
            ),
            models.CheckConstraint(
                condition=models.Q(quality_rating__isnull=True) | models.Q(quality_rating__range=(1, 5)),
                name="work_order_quality_rating_1_5",
            ),
            models.CheckConstraint(
                condition=models.Q(attitude_rating__isnull=True) | models.Q(attitude_rating__range=(1, 5)),
                name="work_order_attitude_rating_1_5",
            ),
            # One open visit per request at a time; a second visit opens once the first is done.
            models.UniqueConstraint(
                fields=["request"],
                condition=models.Q(status__in=[s.value for s in OPEN]),
                name="work_order_one_open_per_request",
            ),
        ]

    def __str__(self) -> str:
        return self.number or f"#{self.pk}"

    @property
    def is_active(self) -> bool:
        """The engineer is working it: the customer's phone may be shown."""
        return self.status in ACTIVE

    @property
    def parts_used(self) -> list[dict[str, Any]]:
        """The parts booked out of the van on this visit, read from the stock ledger, never a copy of it.

        The ledger's moves on a visit (wuyou.parts, reverse relation `stock_moves`) are the parts taken out (negative)
        and the faulty ones brought back (positive); prefetch `stock_moves__part` for lists.
        """
        taken = sorted((m for m in self.stock_moves.all() if m.quantity < 0), key=lambda m: m.pk)  # type: ignore[attr-defined]
        return [
            {"code": m.part.code, "name": m.part.name, "serial": m.serial, "quantity": -m.quantity, "move": m.pk}
            for m in taken
        ]


class AppointmentWindow(models.Model):
    """A window the customer accepts for the visit; the optimiser picks one when several are given."""

    work_order = models.ForeignKey(
        WorkOrder, on_delete=models.CASCADE, related_name="windows", verbose_name=_("work order")
    )
    starts_at = models.DateTimeField(_("from"))
    ends_at = models.DateTimeField(_("until"))

    class Meta:
        verbose_name = _("appointment window")
        verbose_name_plural = _("appointment windows")
        ordering = ["starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")), name="appointment_window_ends_after_start"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.starts_at:%Y-%m-%d %H:%M}–{self.ends_at:%H:%M}"


class UnassignedReason(models.TextChoices):
    """Why a plan leaves a visit out (the optimiser's reason codes, and the dispatcher's own)."""

    NO_SKILL = "no_skill", _("No engineer on duty has every skill this job needs.")
    NO_WINDOW = "no_window", _("No capable engineer can reach it inside its window during his shift.")
    NO_CAPACITY = "no_capacity", _("Its load is more than any capable engineer's van holds.")
    DEFERRED = "deferred", _("The day is full: deferred to another day.")
    PINNED_UNREACHABLE = "pinned_unreachable", _("The engineer it is pinned to cannot do it (skills, van or shift).")
    BY_HAND = "by_hand", _("Taken out of the plan by hand.")


class PlanStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Optimising")
    READY = "ready", _("Ready for review")
    COMMITTED = "committed", _("Committed")
    FAILED = "failed", _("Failed")
    DISCARDED = "discarded", _("Discarded")


class DispatchPlan(TimeStampedModel):
    """One optimisation of an outlet's day: the proposal the dispatcher reviews, adjusts and commits."""

    outlet = models.ForeignKey(Outlet, on_delete=models.PROTECT, related_name="plans", verbose_name=_("outlet"))
    day = models.DateField(_("day"))
    status = models.CharField(_("status"), max_length=10, choices=PlanStatus.choices, default=PlanStatus.QUEUED)
    progress = models.FloatField(_("progress"), default=0.0)
    seconds = models.PositiveSmallIntegerField(_("search time (s)"), default=10)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    # The engineers' route versions the proposal was built on; committing over a newer version is refused.
    base_versions = models.JSONField(_("route versions seen"), default=dict, blank=True)
    proposal = models.JSONField(_("proposal"), default=dict, blank=True)
    error = models.TextField(_("error"), blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("requested by"),
    )
    committed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("committed by"),
    )
    committed_at = models.DateTimeField(_("committed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("dispatch plan")
        verbose_name_plural = _("dispatch plans")
        indexes = [models.Index(fields=["outlet", "day", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.outlet.code} {self.day} #{self.pk}"
