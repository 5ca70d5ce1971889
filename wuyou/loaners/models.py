"""Loaner units (R-F5): a pool per outlet, lent against a take-back repair on a signed receipt.

The customer's own unit is tracked through the repair and back. A loaner's status moves by conditional UPDATE
(available → lent), so two clerks lending the same one at once cannot both succeed. Tables keep their dispatch names
(ADR 0004).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from wuyou.accounts.models import Outlet
from wuyou.core.models import TimeStampedModel
from wuyou.dispatch.models import WorkOrder


class LoanerVerb(models.TextChoices):
    """What loaners write in a request's history."""

    UNIT_TAKEN_BACK = "unit_taken_back", _("Unit taken back")
    TAKE_BACK_ADVANCED = "take_back_advanced", _("Taken-back unit moved on")
    LOANER_LENT = "loaner_lent", _("Loaner lent")
    LOANER_RETURNED = "loaner_returned", _("Loaner returned")


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
        db_table = "dispatch_loanerunit"  # the table it had in dispatch (ADR 0004)
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
        db_table = "dispatch_takeback"  # the table it had in dispatch (ADR 0004)
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
        db_table = "dispatch_loan"  # the table it had in dispatch (ADR 0004)
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
