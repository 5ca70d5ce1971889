"""What the engineer's "my jobs" cards show of each job's visit: when, how it stands, the next step (issue 13).

Registered with wuyou.tickets.job_cards in the app's ready(); the next step is the pure walk's (steps.visit_walk).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

from django.urls import reverse

from wuyou.accounts.actors import Actor
from wuyou.dispatch import selectors
from wuyou.dispatch.models import OPEN, WorkOrder, WorkOrderStatus
from wuyou.fieldservice import services, steps
from wuyou.fieldservice.views.cards import STEP_TITLES
from wuyou.fieldservice.views.day import outlet_today
from wuyou.tickets.job_cards import JobVisit
from wuyou.tickets.models import ServiceRequest


def _rank(wo: WorkOrder) -> tuple[int, float, int]:
    """Which visit a job's card shows: an open one, the soonest first; else the latest."""
    if wo.status in OPEN:
        when = wo.planned_start or wo.window_start
        return (0, when.timestamp() if when is not None else float("inf"), wo.pk)
    return (1, 0.0, -wo.pk)


def job_visits(actor: Actor, requests: Sequence[ServiceRequest]) -> dict[int, JobVisit]:
    """The visit of each request the actor sees one of (cancelled ones left out), with its next step in words."""
    by_id = {sr.pk: sr for sr in requests}
    if not by_id:
        return {}
    found = (
        selectors.work_orders_visible(actor=actor)
        .filter(request_id__in=list(by_id))
        .exclude(status=WorkOrderStatus.CANCELLED)
        .prefetch_related(selectors.parts_used_prefetch())
    )
    chosen: dict[int, WorkOrder] = {}
    for wo in found:
        current = chosen.get(wo.request_id)
        if current is None or _rank(wo) < _rank(current):
            chosen[wo.request_id] = wo
    today = cache(outlet_today)  # one calendar look-up an outlet
    visits = {}
    for request_id, wo in chosen.items():
        wo.request = by_id[request_id]  # the list's request, its contact already prefetched
        next_step = steps.visit_walk(wo).next_step if services.work_order_may_record(actor=actor, work_order=wo) else ""
        visits[request_id] = JobVisit(
            url=reverse("fieldservice:work_order", args=[wo.pk]),
            window_start=wo.window_start,
            window_end=wo.window_end,
            status=wo.status,
            status_label=wo.get_status_display(),
            next_step=str(STEP_TITLES[next_step]) if next_step else "",
            contact=selectors.work_order_contact(actor=actor, work_order=wo, today=today),
        )
    return visits
