"""Reads for accounts, scoped to the acting user."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TypeVar

from django.db.models import Model, Q, QuerySet
from django.utils.translation import gettext as _

from wuyou.accounts.actors import Actor, Scope
from wuyou.accounts.models import Organisation, Outlet, Role, StaffProfile
from wuyou.calendars.models import BusinessCalendar
from wuyou.calendars.selectors import work_calendar_of
from wuyou.calendars.workdays import WorkCalendar
from wuyou.core.errors import ValidationFailed


def outlets_visible(*, actor: Actor) -> QuerySet[Outlet]:
    """The outlets whose work the actor may see."""
    qs = Outlet.objects.select_related("region").filter(is_active=True)
    scope = actor.scope
    if scope is Scope.ALL:
        return qs
    if scope is Scope.REGION and actor.region_id is not None:
        return qs.filter(region_id=actor.region_id)
    if scope in (Scope.OUTLET, Scope.OWN_JOBS) and actor.outlet_id:
        return qs.filter(pk=actor.outlet_id)
    return qs.none()


_Row = TypeVar("_Row", bound=Model)


def scoped_to_actor(
    qs: QuerySet[_Row], *, actor: Actor, outlet: str = "outlet", own_jobs: str | None = None
) -> QuerySet[_Row]:
    """Rows of the outlets the actor sees, through the `outlet` lookup path; an engineer's own jobs through
    `own_jobs` (the path to the engineer's user id), or none when that is not given."""
    scope = actor.scope
    if scope is Scope.ALL:
        return qs
    if scope is Scope.REGION and actor.region_id is not None:
        return qs.filter(**{f"{outlet}__region_id": actor.region_id})
    if scope is Scope.OUTLET and actor.outlet_id is not None:
        return qs.filter(**{f"{outlet}_id": actor.outlet_id})
    if scope is Scope.OWN_JOBS and own_jobs is not None and actor.user_id is not None:
        return qs.filter(**{own_jobs: actor.user_id})
    return qs.none()


def engineers_visible(*, actor: Actor, outlet_id: int | None = None) -> QuerySet[StaffProfile]:
    """Engineers the actor may assign work to (own outlet, region or all)."""
    qs = StaffProfile.objects.filter(role=Role.ENGINEER, user__is_active=True).select_related("outlet")
    qs = qs.filter(outlet__in=outlets_visible(actor=actor))
    if actor.scope is Scope.OWN_JOBS and actor.user_id is not None:
        qs = qs.filter(user_id=actor.user_id)
    if outlet_id is not None:
        qs = qs.filter(outlet_id=outlet_id)
    return qs.order_by("outlet__code", "display_name")


def organisation_calendar() -> BusinessCalendar | None:
    """The organisation's business calendar (None: the standard week with statutory holidays)."""
    organisation = Organisation.objects.select_related("calendar").order_by("pk").first()
    return organisation.calendar if organisation is not None else None


# Set only inside `calendars_held()`: a bulk load inside one transaction, where nothing changes the calendars, builds
# each outlet's calendar once. Context-local, never shared between requests, threads or processes.
_HELD: ContextVar[dict[int | None, WorkCalendar] | None] = ContextVar("calendars_held", default=None)


@contextmanager
def calendars_held() -> Iterator[None]:
    """Within the block, each outlet's calendar is built once (for bulk loads that change no calendar meanwhile)."""
    token = _HELD.set({})
    try:
        yield
    finally:
        _HELD.reset(token)


def calendar_for_outlet(outlet_id: int | None) -> WorkCalendar:
    """The working calendar an outlet keeps: its own override, else the organisation's."""
    held = _HELD.get()
    if held is not None:
        if outlet_id not in held:
            held[outlet_id] = _calendar_for_outlet(outlet_id)
        return held[outlet_id]
    return _calendar_for_outlet(outlet_id)


def _calendar_for_outlet(outlet_id: int | None) -> WorkCalendar:
    if outlet_id is not None:
        found = calendars_for_outlets([outlet_id]).get(outlet_id)
        if found is not None:
            return found
    return work_calendar_of(organisation_calendar())


def calendars_for_outlets(outlet_ids: Iterable[int]) -> dict[int, WorkCalendar]:
    """The working calendar of each outlet, each distinct calendar built once."""
    built: dict[int | None, WorkCalendar] = {}
    result: dict[int, WorkCalendar] = {}
    default: BusinessCalendar | None = None
    default_loaded = False
    for outlet in Outlet.objects.select_related("calendar__base").filter(pk__in=set(outlet_ids)):
        calendar = outlet.calendar
        if calendar is None:
            if not default_loaded:
                default, default_loaded = organisation_calendar(), True
            calendar = default
        key = calendar.pk if calendar is not None else None
        if key not in built:
            built[key] = work_calendar_of(calendar)
        result[outlet.pk] = built[key]
    return result


@dataclass(frozen=True)
class EscalationContacts:
    """Who is reached at each escalation level, for a set of outlets (user ids)."""

    clerks: dict[int, list[int]]
    outlet_managers: dict[int, list[int]]
    head_office_clerks: list[int]
    service_managers: list[int]
    head_of_service: list[int]


def escalation_contacts(outlet_ids: Iterable[int]) -> EscalationContacts:
    """The active staff each escalation level reaches, for the given outlets (three queries)."""
    clerks: dict[int, list[int]] = defaultdict(list)
    managers: dict[int, list[int]] = defaultdict(list)
    office_clerks: list[int] = []
    service_managers: list[int] = []
    admins: list[int] = []
    rows = StaffProfile.objects.filter(user__is_active=True).filter(
        Q(outlet_id__in=set(outlet_ids), role__in=[Role.CLERK, Role.OUTLET_MANAGER])
        | Q(outlet__isnull=True, role__in=[Role.CLERK, Role.SERVICE_MANAGER, Role.ADMIN])
    )
    for outlet_id, role, user_id in rows.values_list("outlet_id", "role", "user_id").order_by("pk"):
        if outlet_id is not None:
            (clerks if role == Role.CLERK else managers)[outlet_id].append(user_id)
        elif role == Role.CLERK:
            office_clerks.append(user_id)
        elif role == Role.SERVICE_MANAGER:
            service_managers.append(user_id)
        else:
            admins.append(user_id)
    head = (
        Organisation.objects.filter(head_of_service__user__is_active=True)
        .values_list("head_of_service__user_id", flat=True)
        .first()
    )
    return EscalationContacts(
        clerks=dict(clerks),
        outlet_managers=dict(managers),
        head_office_clerks=office_clerks,
        service_managers=service_managers,
        head_of_service=[head] if head is not None else admins,
    )


def organisation_name() -> str:
    """The organisation's name as receipts print it ("" before set-up)."""
    return Organisation.objects.order_by("pk").values_list("name", flat=True).first() or ""


def outlet_contact_ids(
    outlet_id: int, *, clerks: bool = False, managers: bool = False, service_managers: bool = False
) -> list[int]:
    """User ids of an outlet's clerks and/or managers (head office's when it has none), and the service managers."""
    contacts = escalation_contacts([outlet_id])
    ids: list[int] = []
    if clerks:
        ids += contacts.clerks.get(outlet_id, []) or contacts.head_office_clerks
    if managers:
        ids += contacts.outlet_managers.get(outlet_id, []) or contacts.service_managers
    if service_managers:
        ids += contacts.service_managers
    return list(dict.fromkeys(ids))


def calendar_for(*, actor: Actor | None, outlet_code: str | None) -> WorkCalendar:
    """The calendar named by an outlet code the actor sees (no actor: any outlet, for admins' shell), else the org's."""
    if not outlet_code:
        return work_calendar_of(organisation_calendar())
    outlets = outlets_visible(actor=actor) if actor is not None else Outlet.objects.all()
    outlet_id = outlets.filter(code=outlet_code.strip()).values_list("pk", flat=True).first()
    if outlet_id is None:
        raise ValidationFailed(_("Unknown outlet %(code)s.") % {"code": outlet_code[:32]}, field="outlet")
    return calendar_for_outlet(outlet_id)
