"""The request page's visits panel, registered with tickets' page panels (wuyou.tickets.panels) in DispatchConfig."""

from __future__ import annotations

from django.http import HttpRequest
from django.template.loader import render_to_string

from wuyou.accounts.actors import Actor
from wuyou.dispatch.models import BOOKING_OFFERED, OPEN
from wuyou.dispatch.selectors import work_orders_visible
from wuyou.dispatch.services import CANCELLABLE, JOB_FOR_CALL
from wuyou.tickets.models import OPEN_STATUSES, ServiceRequest


def request_visits_panel(request: HttpRequest, actor: Actor, sr: ServiceRequest) -> str:
    """The request's visits (number, status, window, engineer, planned time) and what the viewer may do next."""
    visits = list(
        work_orders_visible(actor=actor)
        .filter(request_id=sr.pk)
        .select_related("engineer")
        .prefetch_related("windows")
        .order_by("-created_at", "-pk")
    )
    may_book = actor.can_run_desk
    may_open = (
        may_book
        and sr.call_type in JOB_FOR_CALL
        and sr.status in OPEN_STATUSES
        and not any(wo.status in OPEN for wo in visits)
    )
    if not visits and not may_open:
        return ""
    context = {
        "sr": sr,
        "visits": visits,
        "may_open": may_open,
        "may_book": may_book,
        "bookable": [s.value for s in BOOKING_OFFERED],
        "cancellable": [s.value for s in CANCELLABLE],
        "needs_visit": sr.call_type in JOB_FOR_CALL,
    }
    return render_to_string("dispatch/includes/request_visits.html", context, request=request)
