"""Django admin for the sampling plan (R-G2): rates per stratum, and what each stratum needs for the target margin.

The plan's page shows, per stratum of the last 30 days' completed jobs, the sample size the margin of error needs at
95 % and the callbacks a day that means beside what the stratum's rate makes. Draws are read-only: they are made by
the sweeper and kept for audit.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import Count
from django.http import HttpRequest
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from wuyou.accounts.models import Outlet, StaffProfile
from wuyou.dispatch.models import WorkOrder, WorkOrderStatus
from wuyou.products.models import ProductCategory
from wuyou.quality import sampling
from wuyou.quality.models import SampleDraw, SamplingPlan, SamplingRate, StratumKind


class SamplingPlanForm(forms.ModelForm):
    """The plan's numbers checked with messages naming the field (the database constraints are the backstop)."""

    class Meta:
        model = SamplingPlan
        fields = [
            "organisation",
            "strata",
            "default_rate",
            "minimum_per_engineer_month",
            "margin",
            "expected_rate",
            "fatigue_days",
            "is_active",
        ]

    def clean_default_rate(self) -> Decimal:
        return _checked(self.cleaned_data["default_rate"], sampling.rate_error)

    def clean_margin(self) -> Decimal:
        return _checked(self.cleaned_data["margin"], sampling.margin_error)

    def clean_expected_rate(self) -> Decimal:
        return _checked(self.cleaned_data["expected_rate"], sampling.expected_error)


class SamplingRateForm(forms.ModelForm):
    """A stratum's rate: 0–100 %, and a row that fits the plan's strata (engineer or category, never both)."""

    class Meta:
        model = SamplingRate
        fields = ["outlet", "engineer", "category", "rate"]

    def clean_rate(self) -> Decimal:
        return _checked(self.cleaned_data["rate"], sampling.rate_error)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        try:
            strata = self.instance.plan.strata  # the inline's parent, already holding this submit's strata
        except SamplingPlan.DoesNotExist:
            strata = None
        if strata == StratumKind.OUTLET_ENGINEER and data.get("category"):
            self.add_error("category", _("This plan's strata are outlet × engineer: name an engineer or no one."))
        if strata == StratumKind.OUTLET_CATEGORY and data.get("engineer"):
            self.add_error("engineer", _("This plan's strata are outlet × product category: name a category or none."))
        return data


def _checked(value: Decimal | None, rule: Any) -> Decimal:
    problem = rule(value)
    if problem:
        raise forms.ValidationError(problem)
    assert value is not None
    return value


class SamplingRateInline(admin.TabularInline):
    model = SamplingRate
    form = SamplingRateForm
    extra = 0
    autocomplete_fields = ()
    raw_id_fields = ("outlet", "engineer", "category")


@admin.register(SamplingPlan)
class SamplingPlanAdmin(admin.ModelAdmin):
    """The organisation's sampling plan with its stratum rates and the sample sizes they reach."""

    form = SamplingPlanForm
    inlines = [SamplingRateInline]
    list_display = ("organisation", "strata", "default_rate", "minimum_per_engineer_month", "margin", "is_active")
    readonly_fields = ("strata_needs",)

    @admin.display(description=gettext_lazy("sample size per stratum (last 30 days)"))
    def strata_needs(self, plan: SamplingPlan) -> SafeString:
        """A table: stratum, jobs, rate, answers needed for ±margin at 95 %, callbacks a day needed and planned."""
        if plan.pk is None:
            return format_html("{}", _("Save the plan to see the sample sizes."))
        needs, names = strata_needs_of(plan, now=timezone.now())
        if not needs:
            return format_html("{}", _("No completed jobs in the last 30 days."))
        head = format_html(
            "<tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>",
            _("stratum"),
            _("jobs"),
            _("rate"),
            _("needed for ±%(margin)s %%") % {"margin": plan.margin},
            _("callbacks a day needed"),
            _("callbacks a day at the rate"),
        )
        body = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{} %</td><td>{}</td><td>{}</td><td>{}{}</td></tr>",
            (
                (
                    names.get(n.key, n.key),
                    n.jobs,
                    f"{n.rate * 100:.0f}",
                    n.needed,
                    f"{n.needed_per_day:.1f}",
                    f"{n.planned_per_day:.1f}",
                    "" if n.enough else " ⚠ " + _("below the margin's need"),
                )
                for n in needs
            ),
        )
        total_needed = sum(n.needed_per_day for n in needs)
        total_planned = sum(n.planned_per_day for n in needs)
        foot = format_html(
            "<tr><th>{}</th><th>{}</th><th></th><th>{}</th><th>{}</th><th>{}</th></tr>",
            _("total"),
            sum(n.jobs for n in needs),
            sum(n.needed for n in needs),
            f"{total_needed:.1f}",
            f"{total_planned:.1f}",
        )
        return format_html("<table>{}{}{}</table>", head, body, foot)


def strata_needs_of(plan: SamplingPlan, *, now: dt.datetime) -> tuple[list[sampling.StratumNeed], dict[str, str]]:
    """Each stratum of the last 30 days' completed jobs with its need, and the strata's names (three queries)."""
    since = now - dt.timedelta(days=sampling.DAYS_MEASURED)
    second = (
        "engineer_id" if plan.strata == StratumKind.OUTLET_ENGINEER else "request__unit__product_model__category_id"
    )
    grouped = (
        WorkOrder.objects.filter(
            status=WorkOrderStatus.DONE,
            finished_at__gte=since,
            finished_at__lt=now,
            outlet__region__organisation_id=plan.organisation_id,
        )
        .values_list("outlet_id", second)
        .annotate(n=Count("pk"))
        .order_by("outlet_id", second)
    )
    table = sampling.rates_table(
        plan.strata,
        [
            sampling.RateRow(outlet_id=r.outlet_id, engineer_id=r.engineer_id, category_id=r.category_id, rate=r.rate)
            for r in plan.rates.all()
        ],
    )
    margin, expected = float(plan.margin) / 100, float(plan.expected_rate) / 100
    needs: list[sampling.StratumNeed] = []
    outlets: set[int] = set()
    seconds: set[int] = set()
    for outlet_id, second_id, n in grouped:
        key = f"{outlet_id}/{sampling.NONE if second_id is None else second_id}"
        rate = sampling.stratum_rate(key, table, float(plan.default_rate) / 100)
        needs.append(sampling.stratum_need(key, jobs=n, rate=rate, margin=margin, expected=expected))
        outlets.add(outlet_id)
        if second_id is not None:
            seconds.add(second_id)
    outlet_names = dict(Outlet.objects.filter(pk__in=outlets).values_list("pk", "name"))
    if plan.strata == StratumKind.OUTLET_ENGINEER:
        second_names = dict(StaffProfile.objects.filter(pk__in=seconds).values_list("pk", "display_name"))
    else:
        second_names = dict(ProductCategory.objects.filter(pk__in=seconds).values_list("pk", "name"))
    names = {}
    for need in needs:
        outlet, second_id = need.key.split("/", 1)
        other = _("none") if second_id == sampling.NONE else second_names.get(int(second_id), second_id)
        names[need.key] = f"{outlet_names.get(int(outlet), outlet)} × {other}"
    return needs, names


@admin.register(SampleDraw)
class SampleDrawAdmin(admin.ModelAdmin):
    """The daily draws, read-only: seed, settings, eligible population, drawn and left out — for audit."""

    list_display = ("day", "plan", "seed", "drawn_at", "drawn_count", "population_count", "left_out_count")
    list_filter = ("plan",)
    date_hierarchy = "day"
    readonly_fields = ("plan", "day", "seed", "drawn_at", "settings", "population", "drawn", "left_out")

    def get_queryset(self, request: HttpRequest) -> Any:
        # A day's population runs to tens of thousands of jobs: the list reads the counts kept in the settings.
        return super().get_queryset(request).select_related("plan__organisation").defer("population", "left_out")

    @admin.display(description=gettext_lazy("drawn"))
    def drawn_count(self, draw: SampleDraw) -> int:
        return len(draw.drawn)

    @admin.display(description=gettext_lazy("eligible"))
    def population_count(self, draw: SampleDraw) -> Any:
        return draw.settings.get("counts", {}).get("eligible", "")

    @admin.display(description=gettext_lazy("left out"))
    def left_out_count(self, draw: SampleDraw) -> Any:
        return draw.settings.get("counts", {}).get("left_out", "")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
