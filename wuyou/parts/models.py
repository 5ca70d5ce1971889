"""Spare parts (R-F4): the catalogue, the places that hold stock, the stock ledger and requisitions.

Stock is never an edited number: a place's level of a part is the sum of its moves; StockBalance caches that sum and
is the row that concurrent takers lock, so the last unit goes to one of them and stock never turns negative. The
tables keep the names they had in the dispatch app (ADR 0004): moving the models changed no data.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from wuyou.accounts.models import Outlet, StaffProfile
from wuyou.core.models import TimeStampedModel
from wuyou.dispatch.models import WorkOrder


class PartsVerb(models.TextChoices):
    """What the parts ledger writes in a request's history."""

    PART_CONSUMED = "part_consumed", _("Part used")
    FAULTY_PART_RETURNED = "faulty_part_returned", _("Faulty part returned")


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
        db_table = "dispatch_part"  # the table it had in dispatch (ADR 0004)
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
        db_table = "dispatch_stockplace"  # the table it had in dispatch (ADR 0004)
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
        db_table = "dispatch_requisition"  # the table it had in dispatch (ADR 0004)
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
        db_table = "dispatch_requisitionline"  # the table it had in dispatch (ADR 0004)
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
        db_table = "dispatch_stockmove"  # the table it had in dispatch (ADR 0004)
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
        db_table = "dispatch_stockbalance"  # the table it had in dispatch (ADR 0004)
        verbose_name = _("stock balance")
        verbose_name_plural = _("stock balances")
        constraints = [
            models.UniqueConstraint(fields=["part", "place"], name="stock_balance_one_per_place"),
            models.CheckConstraint(condition=models.Q(quantity__gte=0), name="stock_balance_never_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.part.code} @ {self.place}: {self.quantity}"
