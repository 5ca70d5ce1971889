"""The product catalogue (R-B1) and serial-numbered units with their history (R-B2)."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from wuyou.accounts.models import Outlet, Skill
from wuyou.core.models import TimeStampedModel
from wuyou.customers.models import Address, Customer


class JobType(models.TextChoices):
    """Kinds of field work a product model may need."""

    INSTALLATION = "installation", _("Installation")
    REPAIR = "repair", _("Repair")
    MAINTENANCE = "maintenance", _("Maintenance")
    DELIVERY = "delivery", _("Delivery")
    INSPECTION = "inspection", _("Inspection")


class ProductCategory(models.Model):
    """A product family: air conditioners, washing machines, wall-hung boilers…"""

    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)

    class Meta:
        verbose_name = _("product category")
        verbose_name_plural = _("product categories")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class ProductModel(TimeStampedModel):
    """A product model in the catalogue, e.g. KFR-35GW/BpXAA1."""

    code = models.CharField(_("model code"), max_length=50, unique=True)
    name = models.CharField(_("name"), max_length=200)
    category = models.ForeignKey(
        ProductCategory, on_delete=models.PROTECT, related_name="models", verbose_name=_("category")
    )
    warranty_months = models.PositiveSmallIntegerField(_("warranty (months)"), default=12)
    is_active = models.BooleanField(_("on sale"), default=True)

    class Meta:
        verbose_name = _("product model")
        verbose_name_plural = _("product models")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class JobSpec(models.Model):
    """Standard duration and required skills for one job type on one product model."""

    product_model = models.ForeignKey(
        ProductModel, on_delete=models.CASCADE, related_name="job_specs", verbose_name=_("product model")
    )
    job_type = models.CharField(_("job type"), max_length=20, choices=JobType.choices)
    standard_minutes = models.PositiveSmallIntegerField(_("standard duration (minutes)"))
    labour_fee = models.DecimalField(
        _("standard labour fee (yuan)"),
        max_digits=10,
        decimal_places=2,
        default=Decimal("0.00"),
        help_text=_("The fee schedule's labour charge for this job; the warranty policy decides who pays it."),
    )
    skills = models.ManyToManyField(Skill, blank=True, related_name="job_specs", verbose_name=_("required skills"))

    class Meta:
        verbose_name = _("job specification")
        verbose_name_plural = _("job specifications")
        constraints = [
            models.UniqueConstraint(fields=["product_model", "job_type"], name="jobspec_unique_type"),
            models.CheckConstraint(condition=models.Q(standard_minutes__gt=0), name="jobspec_positive_minutes"),
            models.CheckConstraint(condition=models.Q(labour_fee__gte=0), name="jobspec_labour_fee_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.product_model.code} · {self.get_job_type_display()}"


class Unit(TimeStampedModel):
    """One physical product with a unique serial number; its history follows it across owners."""

    serial = models.CharField(_("serial number"), max_length=40, unique=True)
    product_model = models.ForeignKey(
        ProductModel, on_delete=models.PROTECT, related_name="units", verbose_name=_("product model")
    )
    owner = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="units", verbose_name=_("owner"))
    purchase_date = models.DateField(_("purchase date"), null=True, blank=True)
    selling_outlet = models.ForeignKey(
        Outlet,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="units_sold",
        verbose_name=_("selling outlet"),
    )
    installed_on = models.DateField(_("installation date"), null=True, blank=True)
    install_address = models.ForeignKey(
        Address, on_delete=models.SET_NULL, null=True, blank=True, related_name="units", verbose_name=_("installed at")
    )

    class Meta:
        verbose_name = _("unit")
        verbose_name_plural = _("units")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(installed_on__isnull=True)
                | models.Q(purchase_date__isnull=True)
                | models.Q(installed_on__gte=models.F("purchase_date")),
                name="unit_installed_after_purchase",
            ),
        ]

    def __str__(self) -> str:
        return self.serial


class UnitEvent(models.Model):
    """A line of a unit's own history: registered, owner changed, installed, repaired, part replaced."""

    class Verb(models.TextChoices):
        REGISTERED = "registered", _("Registered")
        OWNER_CHANGED = "owner_changed", _("Owner changed")
        INSTALLED = "installed", _("Installed")
        SERVICED = "serviced", _("Service request")
        PART_REPLACED = "part_replaced", _("Part replaced")

    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="events", verbose_name=_("unit"))
    verb = models.CharField(_("what"), max_length=20, choices=Verb.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    data = models.JSONField(_("details"), default=dict, blank=True)
    occurred_at = models.DateTimeField(_("occurred at"), auto_now_add=True)

    class Meta:
        verbose_name = _("unit event")
        verbose_name_plural = _("unit events")
        indexes = [models.Index(fields=["unit", "-occurred_at"])]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.verb}"


class WarrantyPolicy(models.Model):
    """A company's warranty and fee policy (R-B3, R-B4), stored as the document `products.policy` reads."""

    class AppliesTo(models.TextChoices):
        PRODUCT_MODEL = "product_model", _("Product model")
        CATEGORY = "category", _("Category")
        DEFAULT = "default", _("Default (everything else)")

    code = models.SlugField(_("code"), max_length=50, unique=True)
    name = models.CharField(_("name"), max_length=200)
    applies_to_kind = models.CharField(_("applies to"), max_length=20, choices=AppliesTo.choices)
    applies_to_code = models.CharField(_("model or category code"), max_length=50, blank=True)
    # The policy_to_dict form; written only by services.policy_load, which validates it first.
    document = models.JSONField(_("policy document"), default=dict)
    is_active = models.BooleanField(_("active"), default=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("warranty policy")
        verbose_name_plural = _("warranty policies")
        ordering = ["code"]
        indexes = [models.Index(fields=["applies_to_kind", "applies_to_code"])]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"
