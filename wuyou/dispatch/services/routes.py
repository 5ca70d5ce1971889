"""Engineers' routes as the planner and the desk change them: the claim on a visit, route versions, travel."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from wuyou.accounts.actors import Actor
from wuyou.accounts.models import StaffProfile
from wuyou.accounts.selectors import calendar_for_outlet, engineers_visible
from wuyou.core.errors import NotFound, PermissionDenied, ValidationFailed
from wuyou.core.locks import version_claim
from wuyou.dispatch.models import (
    PLANNABLE,
    STARTED,
    EngineerDay,
    WorkOrder,
    WorkOrderStatus,
)
from wuyou.dispatch.problem import day_origin
from wuyou.notifications.services import message_to_staff
from wuyou.routing.travel import GreatCircleTravel

# How far ahead a visit is booked or a day planned.
MAX_DAYS_AHEAD = 60


def travel_model() -> GreatCircleTravel:
    """The travel model plans use (great-circle × road factor ÷ speed, until a road network is plugged in)."""
    return GreatCircleTravel()


def work_order_claim(
    wo: WorkOrder, *, expected_version: int | None, from_status: Sequence[str], **changes: Any
) -> None:
    """Apply changes only if the work order is still as the actor saw it (one of two writers wins)."""
    version_claim(
        wo,
        expected_version=expected_version,
        stale_message=_("The work order was changed by someone else; reload it and try again."),
        from_status=from_status,
        **changes,
    )


def outlet_day_of(wo: WorkOrder, at: dt.datetime) -> dt.date:
    return at.astimezone(calendar_for_outlet(wo.outlet_id).zone).date()


def day_has_plan(outlet_id: int, day: dt.date, zone: dt.tzinfo) -> bool:
    origin = day_origin(zone, day)
    return WorkOrder.objects.filter(
        outlet_id=outlet_id,
        engineer__isnull=False,
        planned_start__gte=origin,
        planned_start__lt=origin + dt.timedelta(days=1),
        status__in=[*PLANNABLE, *STARTED],
    ).exists()


def routes_bump(engineer_ids: set[int], day: dt.date) -> None:
    """A route changed outside a plan: plans built on the old route can no longer be committed."""
    for engineer_id in engineer_ids:
        EngineerDay.objects.get_or_create(engineer_id=engineer_id, day=day)
    EngineerDay.objects.filter(engineer_id__in=engineer_ids, day=day).update(route_version=F("route_version") + 1)


def unplanned_fields() -> dict[str, Any]:
    """The fields of a visit taken out of any route: booked, no engineer, no planned times, not pinned."""
    return {
        "status": WorkOrderStatus.BOOKED,
        "engineer_id": None,
        "planned_arrival": None,
        "planned_start": None,
        "planned_end": None,
        "route_position": None,
        "travel_minutes": None,
        "pinned": False,
    }


def work_order_tell(wo: WorkOrder, *, kind: str, subject: str, body: str, user_ids: list[int], key: str) -> None:
    message_to_staff(
        user_ids=user_ids,
        kind=kind,
        subject=subject,
        body=body,
        ref=f"work_order:{wo.pk}",
        dedupe_key=f"wo:{wo.pk}:{key}",
    )


audit_log = logging.getLogger("wuyou.audit")


def engineer_day_off_check(*, engineer_id: int, day: dt.date, is_off: bool) -> None:
    """Refuse to take an engineer off duty on a day his route still holds visits (move them on the board first)."""
    if not is_off:
        return
    outlet_id = StaffProfile.objects.filter(pk=engineer_id).values_list("outlet_id", flat=True).first()
    origin = day_origin(calendar_for_outlet(outlet_id).zone, day)
    planned = WorkOrder.objects.filter(
        engineer_id=engineer_id,
        planned_start__gte=origin,
        planned_start__lt=origin + dt.timedelta(days=1),
        status__in=[*PLANNABLE, *STARTED],
    ).values_list("number", flat=True)
    numbers = list(planned[:6])
    if numbers:
        raise ValidationFailed(
            _("Visits are planned for him that day (%(visits)s): move them to another engineer first.")
            % {"visits": ", ".join(n or "?" for n in numbers[:5]) + (" …" if len(numbers) > 5 else "")},
            field="is_off",
        )


def engineer_day_save(*, actor: Actor, day: EngineerDay) -> EngineerDay:
    """Store an engineer's day off or his hours that day; plans made on the old day can no longer be committed."""
    if not actor.can_run_desk:
        raise PermissionDenied(_("Your role may not change engineers' days."))
    if not engineers_visible(actor=actor).filter(pk=day.engineer_id).exists():
        raise NotFound(_("Unknown engineer."), field="engineer")  # another outlet's man reads as missing
    engineer_day_off_check(engineer_id=day.engineer_id, day=day.day, is_off=day.is_off)
    with transaction.atomic():
        if day.pk is None:
            day.save()
        else:  # the route version is the planner's: never written back from a form's stale copy
            day.save(update_fields=["is_off", "starts_at", "ends_at", "note"])
        routes_bump({day.engineer_id}, day.day)
    audit_log.info(
        "engineer day set user=%s engineer=%s day=%s off=%s", actor.user_id, day.engineer_id, day.day, day.is_off
    )
    day.refresh_from_db()
    return day
