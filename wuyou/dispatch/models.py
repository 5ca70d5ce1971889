"""Work orders, appointment windows, engineers' days and dispatch plans (R-F1, R-F2, R-F3, R-F6, R-F8, R-D3)."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from wuyou.accounts.models import Outlet, Skill, StaffProfile
from wuyou.calendars.models import BusinessCalendar
from wuyou.core.models import TimeStampedModel
from wuyou.products.models import JobType
from wuyou.tickets.models import ServiceRequest


class StartPlace(models.TextChoices):
    HOME = "home", _("Home")
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
    parts_used = models.JSONField(_("parts used"), default=list, blank=True)
    take_back_receipt = models.CharField(_("take-back receipt"), max_length=40, blank=True)
    test_run_ok = models.BooleanField(_("test run passed"), null=True, blank=True)
    test_run_note = models.CharField(_("test run note"), max_length=300, blank=True)
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


# ---------------------------------------------------------------------------------------------------------------
# Spare parts (issue 5 item 4, R-F4): a catalogue, places that hold stock, and a ledger of moves. Stock is never an
# edited number: a place's level of a part is the sum of its moves; StockBalance caches that sum and is the row that
# concurrent takers lock, so the last unit goes to one of them and stock never turns negative.
# ---------------------------------------------------------------------------------------------------------------


class Part(TimeStampedModel):
    """A spare part in the catalogue, with its cost and retail price and the level below which stock is low."""

    code = models.CharField(_("part code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    cost_price = models.DecimalField(_("cost price"), max_digits=10, decimal_places=2)
    retail_price = models.DecimalField(_("retail price"), max_digits=10, decimal_places=2)
    unit = models.CharField(_("unit of measure"), max_length=20, default="pcs")
    low_stock_level = models.PositiveIntegerField(
        _("low stock level"), default=0, help_text=_("Warn when a place holds this many or fewer (0: never warn).")
    )
    is_consumable = models.BooleanField(_("consumable"), default=False)
    component = models.CharField(
        _("warranty component"),
        max_length=50,
        default="whole_unit",
        help_text=_("Which warranty of the policy covers it: whole_unit, or a component such as compressor."),
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("spare part")
        verbose_name_plural = _("spare parts")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(condition=models.Q(cost_price__gte=0), name="part_cost_price_not_negative"),
            models.CheckConstraint(condition=models.Q(retail_price__gte=0), name="part_retail_price_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class StockPlaceKind(models.TextChoices):
    OUTLET = "outlet", _("Outlet store")
    VAN = "van", _("Engineer's van")
    HEAD_OFFICE = "head_office", _("Head-office warehouse")


class StockPlace(models.Model):
    """Where parts are kept: an outlet's store, an engineer's van (of his outlet) or the head-office warehouse."""

    kind = models.CharField(_("kind"), max_length=12, choices=StockPlaceKind.choices)
    outlet = models.ForeignKey(
        Outlet, on_delete=models.PROTECT, null=True, blank=True, related_name="stock_places", verbose_name=_("outlet")
    )
    engineer = models.ForeignKey(
        StaffProfile,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="stock_places",
        verbose_name=_("engineer"),
    )

    class Meta:
        verbose_name = _("stock place")
        verbose_name_plural = _("stock places")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind=StockPlaceKind.OUTLET, outlet__isnull=False, engineer__isnull=True)
                | models.Q(kind=StockPlaceKind.VAN, outlet__isnull=False, engineer__isnull=False)
                | models.Q(kind=StockPlaceKind.HEAD_OFFICE, outlet__isnull=True, engineer__isnull=True),
                name="stock_place_kind_fits",
            ),
            models.UniqueConstraint(
                fields=["outlet"], condition=models.Q(kind=StockPlaceKind.OUTLET), name="stock_place_one_store"
            ),
            models.UniqueConstraint(
                fields=["engineer"], condition=models.Q(kind=StockPlaceKind.VAN), name="stock_place_one_van"
            ),
            models.UniqueConstraint(
                fields=["kind"], condition=models.Q(kind=StockPlaceKind.HEAD_OFFICE), name="stock_place_one_head_office"
            ),
        ]

    def __str__(self) -> str:
        if self.kind == StockPlaceKind.VAN and self.engineer is not None:
            return f"{self.get_kind_display()}: {self.engineer.display_name}"
        if self.outlet is not None:
            return f"{self.get_kind_display()}: {self.outlet.name}"
        return str(self.get_kind_display())


class StockMoveKind(models.TextChoices):
    RECEIPT = "receipt", _("Receipt")
    TRANSFER_IN = "transfer_in", _("Transfer in")
    TRANSFER_OUT = "transfer_out", _("Transfer out")
    CONSUMPTION = "consumption", _("Used on a visit")
    FAULTY_RETURN = "faulty_return", _("Faulty part returned")
    ADJUSTMENT = "adjustment", _("Count adjustment")


# Faulty parts brought back are a separate tally: they are not stock anyone can take.
GOOD_STOCK_KINDS = frozenset(set(StockMoveKind) - {StockMoveKind.FAULTY_RETURN})


class RequisitionStatus(models.TextChoices):
    REQUESTED = "requested", _("Requested")
    APPROVED = "approved", _("Approved")
    FULFILLED = "fulfilled", _("Fulfilled")
    REJECTED = "rejected", _("Rejected")


class Requisition(TimeStampedModel):
    """A request for parts from one place to another: an engineer's van from his outlet, an outlet from head office."""

    source = models.ForeignKey(
        StockPlace, on_delete=models.PROTECT, related_name="requisitions_out", verbose_name=_("from")
    )
    destination = models.ForeignKey(
        StockPlace, on_delete=models.PROTECT, related_name="requisitions_in", verbose_name=_("to")
    )
    status = models.CharField(
        _("status"), max_length=10, choices=RequisitionStatus.choices, default=RequisitionStatus.REQUESTED
    )
    note = models.CharField(_("note"), max_length=300, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("requested by")
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("approved or rejected by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    reason = models.CharField(_("reason for rejection"), max_length=300, blank=True)
    fulfilled_at = models.DateTimeField(_("fulfilled at"), null=True, blank=True)

    class Meta:
        verbose_name = _("requisition")
        verbose_name_plural = _("requisitions")
        indexes = [models.Index(fields=["status", "-created_at"])]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(source=models.F("destination")), name="requisition_between_two_places"
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.source} → {self.destination}"


class RequisitionLine(models.Model):
    """One part and how many of it a requisition asks for."""

    requisition = models.ForeignKey(
        Requisition, on_delete=models.CASCADE, related_name="lines", verbose_name=_("requisition")
    )
    part = models.ForeignKey(Part, on_delete=models.PROTECT, related_name="+", verbose_name=_("part"))
    quantity = models.PositiveIntegerField(_("quantity"))

    class Meta:
        verbose_name = _("requisition line")
        verbose_name_plural = _("requisition lines")
        constraints = [
            models.UniqueConstraint(fields=["requisition", "part"], name="requisition_line_one_per_part"),
            models.CheckConstraint(condition=models.Q(quantity__gt=0), name="requisition_line_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.part.code} × {self.quantity}"


class StockMove(models.Model):
    """One row of the stock ledger: a part entering (+) or leaving (−) a place, and why. Never edited."""

    part = models.ForeignKey(Part, on_delete=models.PROTECT, related_name="moves", verbose_name=_("part"))
    place = models.ForeignKey(StockPlace, on_delete=models.PROTECT, related_name="moves", verbose_name=_("place"))
    quantity = models.IntegerField(_("quantity (+ in, − out)"))
    kind = models.CharField(_("kind"), max_length=14, choices=StockMoveKind.choices)
    serial = models.CharField(_("part serial number"), max_length=64, blank=True)
    work_order = models.ForeignKey(
        WorkOrder,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="stock_moves",
        verbose_name=_("work order"),
    )
    requisition = models.ForeignKey(
        Requisition,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="moves",
        verbose_name=_("requisition"),
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    note = models.CharField(_("note"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        verbose_name = _("stock move")
        verbose_name_plural = _("stock moves")
        indexes = [models.Index(fields=["place", "part"]), models.Index(fields=["work_order"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(
                    kind__in=[StockMoveKind.RECEIPT, StockMoveKind.TRANSFER_IN, StockMoveKind.FAULTY_RETURN],
                    quantity__gt=0,
                )
                | models.Q(kind__in=[StockMoveKind.TRANSFER_OUT, StockMoveKind.CONSUMPTION], quantity__lt=0)
                | (models.Q(kind=StockMoveKind.ADJUSTMENT) & ~models.Q(quantity=0)),
                name="stock_move_sign_fits_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.part.code} {self.quantity:+d} @ {self.place}"


class StockBalance(models.Model):
    """The cached sum of a place's good-stock moves of a part, updated with each move under a row lock."""

    part = models.ForeignKey(Part, on_delete=models.PROTECT, related_name="balances", verbose_name=_("part"))
    place = models.ForeignKey(StockPlace, on_delete=models.PROTECT, related_name="balances", verbose_name=_("place"))
    quantity = models.IntegerField(_("in stock"), default=0)

    class Meta:
        verbose_name = _("stock balance")
        verbose_name_plural = _("stock balances")
        constraints = [
            models.UniqueConstraint(fields=["part", "place"], name="stock_balance_one_per_place"),
            models.CheckConstraint(condition=models.Q(quantity__gte=0), name="stock_balance_never_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.part.code} @ {self.place}: {self.quantity}"


# ------------------------------------------------------------------------------------------------ Loaner units
# Issue 5 item 5 (R-F5): a pool of loaner units per outlet, lent against a take-back repair on a signed receipt;
# the customer's own unit is tracked through the repair and back. A loaner's status moves by conditional UPDATE
# (available → lent), so two clerks lending the same one at once cannot both succeed.


class LoanerStatus(models.TextChoices):
    AVAILABLE = "available", _("Available")
    LENT = "lent", _("Lent")
    IN_REPAIR = "in_repair", _("In repair")
    RETIRED = "retired", _("Retired")


class LoanerUnit(TimeStampedModel):
    """A unit the outlet lends to customers while their own is taken back for repair."""

    outlet = models.ForeignKey(Outlet, on_delete=models.PROTECT, related_name="loaners", verbose_name=_("outlet"))
    product_model = models.ForeignKey(
        "products.ProductModel", on_delete=models.PROTECT, related_name="loaners", verbose_name=_("product model")
    )
    serial = models.CharField(_("serial number"), max_length=40, unique=True)
    condition_note = models.CharField(_("condition"), max_length=300, blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=LoanerStatus.choices, default=LoanerStatus.AVAILABLE, db_index=True
    )

    class Meta:
        verbose_name = _("loaner unit")
        verbose_name_plural = _("loaner units")
        ordering = ["outlet", "serial"]
        constraints = [
            models.CheckConstraint(condition=~models.Q(serial=""), name="loaner_unit_serial_required"),
        ]

    def __str__(self) -> str:
        return self.serial


class TakeBackStage(models.TextChoices):
    TAKEN = "taken", _("Taken from the customer")
    AT_OUTLET = "at_outlet", _("At the outlet")
    IN_REPAIR = "in_repair", _("In repair")
    REPAIRED = "repaired", _("Repaired")
    RETURNED = "returned", _("Returned to the customer")


# The order a customer's unit goes through; a take-back moves one stage forward at a time.
TAKE_BACK_STAGES: tuple[str, ...] = tuple(TakeBackStage.values)


class TakeBack(TimeStampedModel):
    """The customer's unit taken away from a visit for repair, followed until it is back with the customer."""

    work_order = models.ForeignKey(
        WorkOrder, on_delete=models.PROTECT, related_name="take_backs", verbose_name=_("work order")
    )
    unit = models.ForeignKey(
        "products.Unit", on_delete=models.PROTECT, related_name="take_backs", verbose_name=_("customer's unit")
    )
    taken_at = models.DateTimeField(_("taken at"))
    receipt_number = models.CharField(_("receipt number"), max_length=40)
    signed_by = models.CharField(_("signed by"), max_length=60)
    stage = models.CharField(
        _("stage"), max_length=12, choices=TakeBackStage.choices, default=TakeBackStage.TAKEN, db_index=True
    )
    returned_at = models.DateTimeField(_("returned at"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )

    class Meta:
        verbose_name = _("take-back repair")
        verbose_name_plural = _("take-back repairs")
        ordering = ["-taken_at"]
        constraints = [
            models.CheckConstraint(condition=~models.Q(receipt_number=""), name="take_back_receipt_required"),
            # A unit is with the service once at a time: a second take-back waits until the first is returned.
            models.UniqueConstraint(
                fields=["unit"],
                condition=~models.Q(stage=TakeBackStage.RETURNED),
                name="take_back_one_open_per_unit",
            ),
            models.CheckConstraint(
                condition=models.Q(stage=TakeBackStage.RETURNED, returned_at__isnull=False)
                | (~models.Q(stage=TakeBackStage.RETURNED) & models.Q(returned_at__isnull=True)),
                name="take_back_returned_at_iff_returned",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.receipt_number} ({self.get_stage_display()})"


class Loan(TimeStampedModel):
    """A loaner lent to the customer against a take-back, on a signed receipt, due back on a date."""

    loaner = models.ForeignKey(LoanerUnit, on_delete=models.PROTECT, related_name="loans", verbose_name=_("loaner"))
    take_back = models.ForeignKey(
        TakeBack, on_delete=models.PROTECT, related_name="loans", verbose_name=_("take-back repair")
    )
    work_order = models.ForeignKey(
        WorkOrder, on_delete=models.PROTECT, related_name="loans", verbose_name=_("work order")
    )
    unit = models.ForeignKey(
        "products.Unit", on_delete=models.PROTECT, related_name="loans", verbose_name=_("customer's unit")
    )
    lent_at = models.DateTimeField(_("lent at"))
    due_back_on = models.DateField(_("due back on"), db_index=True)
    receipt_number = models.CharField(_("receipt number"), max_length=40)
    signed_by = models.CharField(_("signed by"), max_length=60)
    returned_at = models.DateTimeField(_("returned at"), null=True, blank=True)
    returned_condition = models.CharField(_("condition when returned"), max_length=300, blank=True)
    lent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("lent by"),
    )

    class Meta:
        verbose_name = _("loan")
        verbose_name_plural = _("loans")
        ordering = ["-lent_at"]
        constraints = [
            models.CheckConstraint(condition=~models.Q(receipt_number=""), name="loan_receipt_required"),
            models.UniqueConstraint(
                fields=["loaner"], condition=models.Q(returned_at__isnull=True), name="loan_one_open_per_loaner"
            ),
            models.UniqueConstraint(
                fields=["take_back"], condition=models.Q(returned_at__isnull=True), name="loan_one_open_per_take_back"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.loaner_id} → {self.receipt_number}"


# -- fee quotes shown to the customer on a visit (issue 5 item 3, R-B3, R-B4) ------------------------------------


class QuoteStatus(models.TextChoices):
    PROPOSED = "proposed", _("Shown to the customer")
    ACCEPTED = "accepted", _("Accepted by the customer")
    REFUSED = "refused", _("Refused by the customer")
    DISPUTED = "disputed", _("Disputed: with the centre")
    SETTLED = "settled", _("Settled by the centre")
    SUPERSEDED = "superseded", _("Replaced by a newer quote")


# The customer has agreed to what he pays: parts may be used and a receipt printed.
AGREED = (QuoteStatus.ACCEPTED, QuoteStatus.SETTLED)


class FeeQuote(TimeStampedModel):
    """The priced job shown to the customer before work, frozen as shown, and what the customer decided.

    `lines` keep each line's explanation as a key and parameters, so the quote and its receipt read in the
    reader's language while the figures and the policy version stay exactly as quoted. A visit has one current
    quote; quoting again replaces it (the old one stays, superseded).
    """

    work_order = models.ForeignKey(
        WorkOrder, on_delete=models.PROTECT, related_name="quotes", verbose_name=_("work order")
    )
    number = models.CharField(_("number"), max_length=30, unique=True)
    status = models.CharField(_("status"), max_length=12, choices=QuoteStatus.choices, default=QuoteStatus.PROPOSED)
    job_type = models.CharField(_("job type"), max_length=20)
    fault_cause = models.CharField(_("fault cause"), max_length=20)
    service_date = models.DateField(_("service date"))
    policy_code = models.CharField(_("policy"), max_length=60)
    policy_version = models.CharField(_("policy version"), max_length=60)
    lines = models.JSONField(_("lines"), default=list)
    options = models.JSONField(_("return and exchange options"), default=list, blank=True)
    total = models.DecimalField(_("total"), max_digits=12, decimal_places=2)
    customer_total = models.DecimalField(_("customer pays"), max_digits=12, decimal_places=2)
    quoted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    signed_by = models.CharField(_("signed by"), max_length=50, blank=True)
    signature = models.TextField(_("customer's signature"), blank=True, help_text=_("PNG drawn on the screen."))
    decision_note = models.CharField(_("customer's words"), max_length=500, blank=True)
    settled_at = models.DateTimeField(_("settled at"), null=True, blank=True)
    settled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    settled_total = models.DecimalField(
        _("customer pays after settlement"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    settlement_note = models.CharField(_("settlement"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("fee quote")
        verbose_name_plural = _("fee quotes")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["work_order"],
                condition=~models.Q(status="superseded"),
                name="fee_quote_one_current_per_work_order",
            ),
            models.CheckConstraint(condition=models.Q(total__gte=0), name="fee_quote_total_not_negative"),
            models.CheckConstraint(
                condition=models.Q(customer_total__gte=0) & models.Q(customer_total__lte=models.F("total")),
                name="fee_quote_customer_share_within_total",
            ),
            models.CheckConstraint(
                condition=models.Q(settled_total__isnull=True) | models.Q(settled_total__gte=0),
                name="fee_quote_settled_total_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def customer_pays(self) -> Decimal:
        """What the customer pays: the centre's settlement when there was one, else the quoted share."""
        return Decimal(self.settled_total if self.settled_total is not None else self.customer_total)
