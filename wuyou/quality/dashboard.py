"""The /quality/ page (issue 14 item 6, R-G2, R-G7): measured satisfaction and complaint processing with their
intervals and verdicts, the monthly chart with its interval band, service gaps, and a CSV export of every table.

The page reads its figures from `wuyou.quality.measured` (grouped queries, scoped to the actor); this module only
turns them into tables, the chart's data and downloads.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from wuyou.accounts.actors import Actor
from wuyou.accounts.selectors import outlets_visible
from wuyou.accounts.views import actor_of, staff_view
from wuyou.core.errors import PermissionDenied, ValidationFailed
from wuyou.core.exports import csv_response
from wuyou.quality import measured
from wuyou.quality.measures import Rate, Verdict
from wuyou.quality.models import StratumKind

BREAKDOWN_CHOICES = [
    (measured.Breakdown.OUTLET.value, gettext_lazy("Outlet")),
    (measured.Breakdown.ENGINEER.value, gettext_lazy("Engineer")),
    (measured.Breakdown.MODEL.value, gettext_lazy("Product model")),
    (measured.Breakdown.MONTH.value, gettext_lazy("Month")),
]


class QualityFilterForm(forms.Form):
    """The page's filter: months from and to, one outlet (of those the actor sees), and the breakdown."""

    month_from = forms.CharField(
        label=gettext_lazy("From month"), required=False, widget=forms.TextInput(attrs={"type": "month"})
    )
    month_to = forms.CharField(
        label=gettext_lazy("To month"), required=False, widget=forms.TextInput(attrs={"type": "month"})
    )
    outlet = forms.TypedChoiceField(label=gettext_lazy("Outlet"), required=False, coerce=int, empty_value=None)
    breakdown = forms.ChoiceField(label=gettext_lazy("Rows by"), required=False, choices=BREAKDOWN_CHOICES)

    def __init__(self, *args: Any, outlets: Sequence[tuple[int, str]] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        outlet = self.fields["outlet"]
        assert isinstance(outlet, forms.ChoiceField)
        outlet.choices = [("", _("All I see")), *outlets]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        try:
            self.filters = measured.quality_filters(
                month_from=data.get("month_from") or None,
                month_to=data.get("month_to") or None,
                outlet_id=data.get("outlet"),
                breakdown=data.get("breakdown") or "",
            )
        except ValidationFailed as exc:
            for name, message in exc.errors.items():
                self.add_error(name if name in self.fields else None, message)
        return data

    def to_filters(self) -> measured.QualityFilters:
        """The valid filters, or the defaults (the quarter to date, by outlet) while the form has errors."""
        if self.is_valid():
            return self.filters
        return measured.QualityFilters(period=measured.Period.default())


def _verdict_badge(verdict: Verdict | None) -> dict[str, str] | None:
    if verdict is None:
        return None
    css = {Verdict.MET: "badge-unit", Verdict.BELOW: "badge-overdue", Verdict.UNDECIDED: "badge-muted"}[verdict]
    return {"text": measured.verdict_label(verdict), "css": css, "code": verdict.value}


def _percent(value: float | None) -> float | None:
    # Numbers stay numbers in the CSV (a negative gap is not text someone typed, so it is not escaped).
    return None if value is None else round(value * 100, 1)


def _mean(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def _interval(rate: Rate) -> str:
    if rate.low is None or rate.high is None:
        return ""
    return f"{rate.low * 100:.1f}–{rate.high * 100:.1f}"


@dataclass(frozen=True)
class Table:
    """One table of the page: its title, header, rows (cells as written in the CSV) and verdicts per row."""

    name: str
    title: str
    note: str
    header: list[str]
    rows: list[list[object]]
    verdicts: list[dict[str, str] | None]

    def body_html(self) -> SafeString:
        """The table's rows as HTML, every cell escaped: built here rather than in a template loop, because a
        network of a few hundred engineers makes thousands of cells and the template engine is the slow part."""
        lines = []
        for row, badge in zip(self.rows, self.verdicts, strict=True):
            cells = [format_html('<th scope="row">{}</th>', row[0])]
            rest = row[1:-1] if badge else row[1:]
            cells.extend(format_html('<td class="num">{}</td>', "—" if v is None else v) for v in rest)
            if badge:
                cells.append(
                    format_html(
                        '<td><span class="badge {}" data-verdict="{}">{}</span></td>',
                        badge["css"],
                        badge["code"],
                        badge["text"],
                    )
                )
            lines.append("<tr>" + "".join(cells) + "</tr>")
        return mark_safe("\n".join(lines))  # noqa: S308 — every piece went through format_html above


def _satisfaction_table(
    name: str, title: str, note: str, first: str, rows: Sequence[measured.CallbackRow], *, with_verdict: bool
) -> Table:
    header = [first, _("Reached (n)"), _("Satisfied"), _("Satisfaction %"), _("95 % interval %")]
    if with_verdict:
        header.append(_("Verdict (target 90 %)"))
    lines: list[list[object]] = []
    verdicts: list[dict[str, str] | None] = []
    for row in rows:
        rate = row.satisfaction
        line: list[object] = [row.label, row.reached, row.satisfied, _percent(rate.point), _interval(rate)]
        badge = _verdict_badge(row.verdict) if with_verdict else None
        if with_verdict:
            line.append(badge["text"] if badge else "")
        lines.append(line)
        verdicts.append(badge)
    return Table(name, title, note, header, lines, verdicts)


def _tables(report: measured.QualityReport) -> list[Table]:
    """Every table of the report, in page order (the CSV export offers each by name)."""
    by = measured.breakdown_label(report.filters.breakdown)
    rows = [*report.satisfaction, *([report.total] if report.total and report.satisfaction else [])]
    tables = [
        _satisfaction_table(
            "satisfaction",
            _("Satisfaction from sampled callbacks"),
            # xgettext:no-python-format
            _("Satisfied ÷ reached, sampled callbacks only; Wilson 95 % interval."),
            by,
            rows,
            with_verdict=True,
        )
    ]
    strata = (
        _("outlet × engineer") if report.stratum_kind == StratumKind.OUTLET_ENGINEER else _("outlet × product category")
    )
    tables.append(
        Table(
            "stratified",
            _("Network and regions: stratified estimate"),
            _("Each stratum (%(strata)s) weighted by its completed jobs; normal 95 %% interval.") % {"strata": strata},
            [
                _("Scope"),
                _("Reached (n)"),
                _("Completed jobs"),
                _("Strata"),
                _("Satisfaction %"),
                _("95 % interval %"),
                _("Verdict (target 90 %)"),
            ],
            [
                [
                    s.label,
                    s.estimate.n,
                    s.estimate.population,
                    s.strata,
                    _percent(s.estimate.point),
                    _interval(Rate(0, s.estimate.n, s.estimate.low, s.estimate.high)),
                    measured.verdict_label(s.verdict),
                ]
                for s in report.stratified
            ],
            [_verdict_badge(s.verdict) for s in report.stratified],
        )
    )
    tables.append(
        _satisfaction_table(
            "rule_made",
            _("Rule-made callbacks (shown apart)"),
            _("Made because something went wrong or may have: biased, so not measured against the target."),
            _("Reason"),
            report.rule_made,
            with_verdict=False,
        )
    )
    response_rows = [*report.satisfaction, *([report.total] if report.total and report.satisfaction else [])]
    tables.append(
        Table(
            "response",
            _("Response rate of sampled callbacks"),
            _("Reached ÷ finished (made, not reached after every try, or refused)."),
            [by, _("Finished"), _("Reached"), _("Not reached"), _("Refused"), _("Response %"), _("95 % interval %")],
            [
                [
                    r.label,
                    r.finished,
                    r.reached,
                    r.unreachable,
                    r.refused,
                    _percent(r.response.point),
                    _interval(r.response),
                ]
                for r in response_rows
            ],
            [None] * len(response_rows),
        )
    )
    complaint_rows = [*report.complaints]
    if report.complaints_total is not None and report.complaints:
        complaint_rows.append(report.complaints_total)
    tables.append(
        Table(
            "complaints",
            _("Complaint processing"),
            _("Disposed within the limit ÷ due in the period (target 99 %); with none due there is no rate."),
            [
                by,
                _("Due"),
                _("Within the limit"),
                _("Late"),
                _("Open past the limit"),
                _("Rate %"),
                _("95 % interval %"),
                _("Verdict (target 99 %)"),
            ],
            [
                [
                    c.label,
                    c.due,
                    c.met,
                    c.late,
                    c.overdue_open,
                    _percent(c.rate.point),
                    _interval(c.rate),
                    measured.verdict_label(c.verdict),
                ]
                for c in complaint_rows
            ],
            [_verdict_badge(c.verdict) for c in complaint_rows],
        )
    )
    tables.append(
        Table(
            "onsite",
            _("On-site rating beside the callback"),
            _(
                "Sampled jobs rated on site: rated 4–5 on site against satisfied on the callback; a large gap is a "
                "signal to check."
            ),
            [
                by,
                _("Jobs"),
                _("Satisfied on site %"),
                _("Satisfied on callback %"),
                _("Gap (points)"),
                _("Mean quality rating"),
                _("Mean attitude rating"),
            ],
            [
                [
                    o.label,
                    o.jobs,
                    _percent(o.onsite.point),
                    _percent(o.callback.point),
                    _percent(o.gap),
                    _mean(o.quality_mean),
                    _mean(o.attitude_mean),
                ]
                for o in report.onsite
            ],
            [None] * len(report.onsite),
        )
    )
    tables.append(
        Table(
            "standards",
            _("Service standards checked from the data"),
            _("Cases due in the period and the share that met the standard."),
            [_("Standard"), _("Due"), _("Met"), _("Rate %"), _("95 % interval %"), _("Target %"), _("Verdict")],
            [
                [
                    s.label,
                    s.due,
                    s.met,
                    _percent(s.rate.point),
                    _interval(s.rate),
                    _percent(s.target),
                    measured.verdict_label(s.verdict),
                ]
                for s in report.standards
            ],
            [_verdict_badge(s.verdict) for s in report.standards],
        )
    )
    tables.append(
        Table(
            "dimensions",
            _("Expectation against perception"),
            _(
                "Mean ratings (1–5) of the questionnaire's paired questions; a negative gap falls short of "
                "expectations."
            ),
            [_("Dimension"), _("Expectation"), _("n"), _("Perception"), _("n"), _("Gap")],
            [
                [d.dimension, _mean(d.expectation), d.expectation_n, _mean(d.perception), d.perception_n, _mean(d.gap)]
                for d in report.dimensions
            ],
            [None] * len(report.dimensions),
        )
    )
    return tables


def _chart(report: measured.QualityReport) -> dict[str, Any]:
    """The monthly chart's data and labels (gettext, passed as JSON): rate, interval low and band width."""

    def pct(value: float | None) -> float | None:
        return None if value is None else round(value * 100, 2)

    return {
        "months": [p.month for p in report.months],
        "rate": [pct(p.rate.point) for p in report.months],
        "low": [pct(p.rate.low) for p in report.months],
        "band": [
            None if p.rate.low is None or p.rate.high is None else round((p.rate.high - p.rate.low) * 100, 2)
            for p in report.months
        ],
        "n": [p.rate.n for p in report.months],
        "target": round(measured.SATISFACTION_TARGET * 100, 2),
        "labels": {
            "rate": _("Satisfaction %"),
            # xgettext:no-python-format
            "interval": _("95 % interval"),
            "target": _("Target 90 %"),
            "n": _("n"),
            "none": _("no answers"),
        },
    }


def _guard(actor: Actor) -> None:
    if not measured.sees_measured_quality(actor):
        raise PermissionDenied(_("Measured quality is read by managers, follow-up staff and administrators."))


@require_GET
@staff_view
def quality_dashboard(request: HttpRequest) -> HttpResponse:
    """Measured quality for the actor's outlets, region or network; `?export=csv&table=…` downloads one table."""
    actor = actor_of(request)
    _guard(actor)
    outlets = list(outlets_visible(actor=actor).order_by("code").values_list("pk", "name"))
    form = QualityFilterForm(request.GET or None, outlets=outlets)
    bound_ok = form.is_valid() if form.is_bound else True
    filters = form.to_filters()
    report = measured.quality_report(actor=actor, filters=filters)
    tables = _tables(report)
    if request.GET.get("export") == "csv":
        return _export(request, tables, filters, bound_ok)
    query = request.GET.copy()
    query.pop("export", None)
    query.pop("table", None)
    context = {
        "title": _("Measured quality"),
        "form": form,
        "filters": filters,
        "period": filters.period.describe(),
        "tables": tables,
        "total": report.total,
        "total_verdict": _verdict_badge(report.total.verdict) if report.total and report.total.reached else None,
        "complaints_total": report.complaints_total,
        "complaints_verdict": _verdict_badge(report.complaints_total.verdict)
        if report.complaints_total and report.complaints_total.due
        else None,
        "chart": _chart(report),
        "export_query": query.urlencode(),
        "page_url": reverse("quality:dashboard"),
    }
    return render(request, "quality/measured/dashboard.html", context, status=200 if bound_ok else 422)


def _export(
    request: HttpRequest, tables: list[Table], filters: measured.QualityFilters, bound_ok: bool
) -> HttpResponse:
    by_name: dict[str, Table] = {t.name: t for t in tables}
    name = request.GET.get("table", "")
    if not bound_ok or name not in by_name:
        message = _("Choose one of the tables to export: %(names)s.") % {"names": ", ".join(by_name)}
        return render(request, "error.html", {"message": message}, status=422)
    table = by_name[name]
    filename = f"quality-{name}-{filters.period.first:%Y-%m}-{filters.period.last:%Y-%m}.csv"
    return csv_response(filename, table.header, table.rows)
