"""The engineer's day: his route in order, with when to leave for each stop and the contact he may see."""

from __future__ import annotations

import datetime as dt

from django.db.models import prefetch_related_objects
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from wuyou.accounts.models import Role
from wuyou.accounts.selectors import calendar_for_outlet
from wuyou.accounts.views import actor_of, staff_view
from wuyou.core.dates import day_or_default
from wuyou.dispatch.models import WorkOrder, WorkOrderStatus
from wuyou.fieldservice.selectors import engineer_day_route, work_order_leave_at


def outlet_today(outlet_id: int | None) -> dt.date:
    zone = calendar_for_outlet(outlet_id).zone
    return timezone.localtime(timezone.now(), zone).date()


def product_label(wo: WorkOrder) -> str:
    unit = wo.request.unit
    if unit is not None:
        return f"{unit.product_model.code} {unit.product_model.name}".strip()
    return wo.request.reported_model


def leave_at_of(wo: WorkOrder) -> dt.datetime | None:
    return work_order_leave_at(wo)


@require_GET
@staff_view
def my_day(request: HttpRequest) -> HttpResponse:
    """The engineer's jobs of the day in route order, with when to leave for each (R-F2)."""
    actor = actor_of(request)
    if actor.role != Role.ENGINEER:
        if actor.can_run_desk:
            return redirect("dispatch:board")
        raise Http404()
    today = outlet_today(actor.outlet_id)
    day, day_error = day_or_default(request.GET.get("day"), today, label=_("Day"))
    if day_error:
        day_error = _("%(problem)s Today is shown.") % {"problem": day_error}
    stops = engineer_day_route(actor=actor, day=day)
    prefetch_related_objects([s.work_order.request.customer for s in stops], "phones")
    rows = []
    for stop in stops:
        wo = stop.work_order
        rows.append(
            {
                "wo": wo,
                "leave_at": stop.leave_at,
                "contact": stop.contact,
                "product": product_label(wo),
                "finished": wo.status == WorkOrderStatus.DONE,
            }
        )
    context = {
        "day": day,
        "today": today,
        "is_today": day == today,
        "previous_day": day - dt.timedelta(days=1),
        "next_day": day + dt.timedelta(days=1),
        "day_error": day_error,
        "rows": rows,
        "open_count": sum(1 for r in rows if not r["finished"]),
    }
    return render(request, "fieldservice/my_day.html", context, status=400 if day_error else 200)
