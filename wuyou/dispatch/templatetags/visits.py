"""The request page's visits section: `{% load visits %}{% request_visits sr %}`."""

from __future__ import annotations

from typing import Any

from django import template

from wuyou.accounts.actors import Actor
from wuyou.dispatch.models import OPEN, WorkOrderStatus
from wuyou.dispatch.selectors import work_orders_visible
from wuyou.dispatch.services import CANCELLABLE, JOB_FOR_CALL
from wuyou.tickets.models import OPEN_STATUSES, ServiceRequest

register = template.Library()

BOOKABLE = (WorkOrderStatus.UNBOOKED, WorkOrderStatus.BOOKED)


@register.inclusion_tag("dispatch/includes/request_visits.html", takes_context=True)
def request_visits(context: template.Context, sr: ServiceRequest) -> dict[str, Any]:
    """The request's visits (number, status, window, engineer, planned time) and what the viewer may do next."""
    actor = context.get("actor")  # every page has it (accounts.views.actor_context)
    if not isinstance(actor, Actor):
        return {"visits": [], "may_open": False}
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
    return {
        "sr": sr,
        "visits": visits,
        "may_open": may_open,
        "may_book": may_book,
        "bookable": [s.value for s in BOOKABLE],
        "cancellable": [s.value for s in CANCELLABLE],
        "needs_visit": sr.call_type in JOB_FOR_CALL,
    }
