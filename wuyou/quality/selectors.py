"""Reads of callbacks, scoped to the acting user like the requests they belong to."""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils import timezone

from wuyou.accounts.actors import Actor
from wuyou.accounts.selectors import scoped_to_actor
from wuyou.core.errors import NotFound
from wuyou.quality.models import Callback, CallbackStatus
from wuyou.tickets.models import OPEN_STATUSES, ServiceRequest


def callbacks_visible(*, actor: Actor) -> QuerySet[Callback]:
    """Callbacks the actor may see: all, a region's, an outlet's; engineers and the unscoped none."""
    # Engineers call nobody back: the follow-up is someone else's (R-G4 cross-checks their own "satisfied" marks).
    return scoped_to_actor(Callback.objects.all(), actor=actor, outlet="request__outlet")


class DueWithin(enum.StrEnum):
    """How far ahead the follow-up list looks."""

    NOW = "now"
    TODAY = "today"
    ALL = "all"


@dataclass(frozen=True)
class CallbackFilters:
    """The follow-up list's filters: due now, due by the end of today (overdue included), or every pending one."""

    due: DueWithin = DueWithin.TODAY


def _end_of_today(now: dt.datetime) -> dt.datetime:
    """Midnight after today, in the organisation's zone."""
    local = timezone.localtime(now)
    return local.replace(hour=0, minute=0, second=0, microsecond=0) + dt.timedelta(days=1)


def callbacks_due(*, actor: Actor, filters: CallbackFilters) -> QuerySet[Callback]:
    """Visible pending callbacks, due first, with what a row of the follow-up list shows."""
    now = timezone.now()
    qs = callbacks_visible(actor=actor).filter(status=CallbackStatus.PENDING)
    if filters.due is DueWithin.NOW:
        qs = qs.filter(due_at__lte=now)
    elif filters.due is DueWithin.TODAY:
        qs = qs.filter(due_at__lt=_end_of_today(now))
    return (
        qs.select_related("request", "request__customer", "request__outlet", "assigned_to", "follows")
        .prefetch_related("request__customer__phones")
        .order_by("due_at", "pk")
    )


def callback_get(*, actor: Actor, callback_id: int) -> Callback:
    """One visible callback, or NotFound (another outlet's callback does not exist for you)."""
    found = (
        callbacks_visible(actor=actor)
        .select_related("request", "request__customer", "request__outlet", "assigned_to")
        .filter(pk=callback_id)
        .first()
    )
    if found is None:
        raise NotFound("callback not found", field="callback_id")
    return found


def callbacks_of_request(*, actor: Actor, request: ServiceRequest) -> QuerySet[Callback]:
    """The request's callbacks the actor may see, latest due first."""
    return (
        callbacks_visible(actor=actor)
        .filter(request=request)
        .select_related("assigned_to", "done_by__staff")
        .order_by("-due_at", "-pk")
    )


def phone_guidance_offered(*, actor: Actor, request: ServiceRequest) -> bool:
    """Whether the request page offers this actor "resolve by phone guidance" (desk roles, open requests)."""
    return actor.can_run_desk and request.status in OPEN_STATUSES
