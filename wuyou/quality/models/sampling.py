"""The sampling plan and its daily draws (issue 14 item 5, R-G2): who is called back to measure satisfaction.

Satisfaction is measured on jobs drawn at random, per stratum (outlet × engineer, or outlet × product category),
at a stated rate with a minimum per engineer per month. Each day's draw records its seed, its eligible population
and why each left-out job was left out, so an auditor can redo it and every completed job is accounted for.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _

from wuyou.accounts.models import Organisation, Outlet, StaffProfile
from wuyou.core.models import TimeStampedModel
from wuyou.products.models import ProductCategory


class StratumKind(models.TextChoices):
    OUTLET_ENGINEER = "outlet_engineer", _("Outlet × engineer")
    OUTLET_CATEGORY = "outlet_category", _("Outlet × product category")


class SamplingPlan(TimeStampedModel):
    """An organisation's sampling plan for satisfaction callbacks."""

    organisation = models.OneToOneField(
        Organisation, on_delete=models.CASCADE, related_name="sampling_plan", verbose_name=_("organisation")
    )
    strata = models.CharField(
        _("strata"), max_length=20, choices=StratumKind.choices, default=StratumKind.OUTLET_ENGINEER
    )
    default_rate = models.DecimalField(
        _("sample rate (%)"), max_digits=5, decimal_places=2, default=Decimal(20), help_text=_("0 to 100.")
    )
    minimum_per_engineer_month = models.PositiveSmallIntegerField(_("minimum per engineer per month"), default=10)
    margin = models.DecimalField(
        _("target margin of error (± percentage points)"),
        max_digits=4,
        decimal_places=1,
        default=Decimal(5),
        help_text=_("At 95 % confidence, e.g. 5 for ±5 %."),
    )
    expected_rate = models.DecimalField(
        _("expected satisfaction (%)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal(90),
        help_text=_("The rate the sample sizes are computed for (the target is a fair guess)."),
    )
    fatigue_days = models.PositiveSmallIntegerField(
        _("survey fatigue (days)"), default=30, help_text=_("A customer called back this recently is not drawn.")
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("sampling plan")
        verbose_name_plural = _("sampling plans")
        constraints = [
            models.CheckConstraint(condition=models.Q(default_rate__range=(0, 100)), name="sampling_rate_range"),
            models.CheckConstraint(condition=models.Q(margin__gt=0, margin__lt=50), name="sampling_margin_range"),
            models.CheckConstraint(
                condition=models.Q(expected_rate__gt=0, expected_rate__lt=100), name="sampling_expected_range"
            ),
        ]

    def __str__(self) -> str:
        return str(self.organisation)


class SamplingRate(models.Model):
    """A stratum's own sample rate (an outlet, optionally one engineer or product category of it)."""

    plan = models.ForeignKey(SamplingPlan, on_delete=models.CASCADE, related_name="rates", verbose_name=_("plan"))
    outlet = models.ForeignKey(Outlet, on_delete=models.CASCADE, related_name="+", verbose_name=_("outlet"))
    engineer = models.ForeignKey(
        StaffProfile, on_delete=models.CASCADE, null=True, blank=True, related_name="+", verbose_name=_("engineer")
    )
    category = models.ForeignKey(
        ProductCategory,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("product category"),
    )
    rate = models.DecimalField(_("sample rate (%)"), max_digits=5, decimal_places=2)

    class Meta:
        verbose_name = _("stratum sample rate")
        verbose_name_plural = _("stratum sample rates")
        constraints = [
            models.CheckConstraint(condition=models.Q(rate__range=(0, 100)), name="sampling_stratum_rate_range"),
            # One row per stratum: the outlet's own, an engineer's of it, or a category's of it (never both).
            models.CheckConstraint(
                condition=models.Q(engineer__isnull=True) | models.Q(category__isnull=True),
                name="sampling_stratum_engineer_or_category",
                violation_error_message=_("A stratum is an outlet's engineer or its product category, not both."),
            ),
            models.UniqueConstraint(
                fields=["plan", "outlet"],
                condition=models.Q(engineer__isnull=True, category__isnull=True),
                name="sampling_stratum_outlet_unique",
                violation_error_message=_("This stratum has its rate already."),
            ),
            models.UniqueConstraint(
                fields=["plan", "outlet", "engineer"],
                condition=models.Q(engineer__isnull=False),
                name="sampling_stratum_engineer_unique",
                violation_error_message=_("This stratum has its rate already."),
            ),
            models.UniqueConstraint(
                fields=["plan", "outlet", "category"],
                condition=models.Q(category__isnull=False),
                name="sampling_stratum_category_unique",
                violation_error_message=_("This stratum has its rate already."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.outlet} {self.engineer or self.category or ''} {self.rate}%"


class SampleDraw(models.Model):
    """One day's draw: the seed, the eligible jobs, the drawn and the left-out (with why), so it can be redone."""

    plan = models.ForeignKey(SamplingPlan, on_delete=models.PROTECT, related_name="draws", verbose_name=_("plan"))
    day = models.DateField(_("jobs completed on"))
    seed = models.BigIntegerField(_("seed"))
    drawn_at = models.DateTimeField(_("drawn at"))
    settings = models.JSONField(_("plan as drawn"), default=dict, help_text=_("Rates, minimums and fatigue used."))
    population = models.JSONField(_("eligible jobs"), default=list)
    drawn = models.JSONField(_("drawn jobs"), default=list)
    left_out = models.JSONField(_("jobs left out, with why"), default=dict)

    class Meta:
        verbose_name = _("sample draw")
        verbose_name_plural = _("sample draws")
        ordering = ["-day"]
        # Two workers drawing the same day: one row, the other finds it (exactly once).
        constraints = [models.UniqueConstraint(fields=["plan", "day"], name="sample_draw_once_a_day")]

    def __str__(self) -> str:
        return f"{self.plan} {self.day}"
