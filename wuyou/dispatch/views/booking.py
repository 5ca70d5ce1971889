"""Opening a visit for a request and booking it into a window the customer accepts (R-F1, R-D3)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from wuyou.accounts.actors import Actor
from wuyou.accounts.selectors import calendar_for_outlet
from wuyou.accounts.views import actor_of, staff_view
from wuyou.core.errors import Conflict, DomainError, PermissionDenied
from wuyou.core.htmx import apply_domain_error, found_or_404, refusal_status
from wuyou.dispatch import selectors, services
from wuyou.dispatch.forms import BookForm, WorkOrderNewForm, window_value
from wuyou.dispatch.models import BOOKABLE, BOOKING_OFFERED, OPEN, WorkOrder
from wuyou.products.models import JobType
from wuyou.tickets import selectors as ticket_selectors
from wuyou.tickets.models import ServiceRequest

OPEN_FIELD_MAP = {"request": "__all__", "address_id": "__all__", "skill_codes": "__all__", "windows": "__all__"}
BOOK_FIELD_MAP = {"version": "__all__", "windows": "windows"}


def _desk(actor: Actor) -> None:
    """Only the desk books visits; a visible request or work order is a 403 for others, an invisible one a 404."""
    if not actor.can_run_desk:
        raise PermissionDenied(_("Your role may not book visits."))


def _open_visit(actor: Actor, sr: ServiceRequest) -> WorkOrder | None:
    return selectors.work_orders_visible(actor=actor).filter(request_id=sr.pk, status__in=list(OPEN)).first()


@require_http_methods(["GET", "POST"])
@staff_view
def work_order_new(request: HttpRequest, request_id: int) -> HttpResponse:
    """Open a visit for a request: the job type (from the call type) and duration (from the job specification)."""
    actor = actor_of(request)
    sr = found_or_404(request, ticket_selectors.request_get, actor=actor, request_id=request_id)
    _desk(actor)
    status = 200
    if request.method == "POST":
        form = WorkOrderNewForm(request.POST)
        if form.is_valid():
            try:
                wo = services.work_order_open(
                    actor=actor,
                    request=sr,
                    visit=services.WorkOrderInput(
                        job_type=form.cleaned_data["job_type"],
                        duration_minutes=form.cleaned_data["duration_minutes"],
                    ),
                )
            except DomainError as exc:
                apply_domain_error(form, exc, OPEN_FIELD_MAP)
                status = refusal_status(exc)
            else:
                messages.success(request, _("Visit %(number)s opened: now book a time.") % {"number": wo.number})
                return redirect("dispatch:work_order_book", work_order_id=wo.pk)
        else:
            status = 422
    else:
        default = services.JOB_FOR_CALL.get(sr.call_type)  # type: ignore[call-overload]
        wanted = request.GET.get("job_type")
        job_type = wanted if wanted in JobType.values else (default or JobType.REPAIR)
        form = WorkOrderNewForm(
            initial={"job_type": job_type, "duration_minutes": services.standard_minutes(request=sr, job_type=job_type)}
        )
    open_visit = _open_visit(actor, sr)
    context = {
        "sr": sr,
        "form": form,
        "open_visit": open_visit,
        "offer_booking": open_visit is not None and open_visit.status in BOOKING_OFFERED,
    }
    return render(request, "dispatch/booking_new.html", context, status=status)


@dataclass(frozen=True)
class Slot:
    """A window the desk may offer, as the clerk sees it."""

    value: str
    label: str
    feasible: bool
    engineer: str
    extra_travel_minutes: int | None
    checked: bool


@dataclass(frozen=True)
class SlotDay:
    """The slots of one day."""

    day: dt.date
    slots: list[Slot]

    @property
    def any_feasible(self) -> bool:
        return any(slot.feasible for slot in self.slots)


def _slot_days(options: list[selectors.BookingOption], zone: dt.tzinfo, chosen: set[str]) -> list[SlotDay]:
    days: dict[dt.date, list[Slot]] = {}
    for option in options:
        start = timezone.localtime(option.starts_at, zone)  # type: ignore[arg-type]
        end = timezone.localtime(option.ends_at, zone)  # type: ignore[arg-type]
        value = window_value(option.starts_at, option.ends_at)
        days.setdefault(start.date(), []).append(
            Slot(
                value=value,
                label=f"{start:%H:%M}–{end:%H:%M}",
                feasible=option.feasible,
                engineer=option.engineer,
                extra_travel_minutes=option.extra_travel_minutes,
                checked=value in chosen,
            )
        )
    return [SlotDay(day=day, slots=slots) for day, slots in days.items()]


def _booked_windows(wo: WorkOrder, zone: dt.tzinfo) -> list[str]:
    def text(start: dt.datetime, end: dt.datetime) -> str:
        start_local = timezone.localtime(start, zone)  # type: ignore[arg-type]
        end_local = timezone.localtime(end, zone)  # type: ignore[arg-type]
        return f"{start_local:%Y-%m-%d %H:%M}–{end_local:%H:%M}"

    if wo.window_start is not None and wo.window_end is not None:
        return [text(wo.window_start, wo.window_end)]
    return [text(w.starts_at, w.ends_at) for w in wo.windows.all()]


@require_http_methods(["GET", "POST"])
@staff_view
def work_order_book(request: HttpRequest, work_order_id: int) -> HttpResponse:
    """The next days' windows, feasible ones to choose (one: the appointment; several: the plan picks)."""
    actor = actor_of(request)
    wo = found_or_404(request, selectors.work_order_get, actor=actor, work_order_id=work_order_id)
    _desk(actor)
    zone = calendar_for_outlet(wo.outlet_id).zone
    bookable = wo.status in BOOKABLE
    options = selectors.booking_options(actor=actor, work_order=wo) if bookable else []
    offered = [window_value(o.starts_at, o.ends_at) for o in options if o.feasible]
    status = 200
    if request.method == "POST":
        form = BookForm(request.POST, offered=offered)
        if not bookable:
            form.add_error(None, _("A visit that has started cannot be rebooked."))
            status = 409
        elif form.is_valid():
            try:
                services.work_order_book(
                    actor=actor,
                    work_order=wo,
                    windows=form.chosen_windows(),
                    expected_version=form.cleaned_data["version"],
                )
            except DomainError as exc:
                apply_domain_error(form, exc, BOOK_FIELD_MAP)
                status = refusal_status(exc)
                if isinstance(exc, Conflict):  # show the visit as it is now, so a second try can succeed
                    wo = found_or_404(request, selectors.work_order_get, actor=actor, work_order_id=work_order_id)
            else:
                count = len(form.cleaned_data["windows"])
                if count == 1:
                    messages.success(request, _("%(number)s booked.") % {"number": wo.number})
                else:
                    messages.success(
                        request,
                        _("%(number)s booked with %(count)d windows; the plan will choose one.")
                        % {"number": wo.number, "count": count},
                    )
                return redirect(reverse("tickets:detail", args=[wo.request_id]))
        else:
            status = 422
        chosen = set(request.POST.getlist("windows"))
    else:
        form = BookForm(initial={"version": wo.version}, offered=offered)
        chosen = set()
    context = {
        "wo": wo,
        "sr": wo.request,
        "form": form,
        "bookable": bookable,
        "days": _slot_days(options, zone, chosen),
        "unskilled": selectors.skills_nobody_holds(work_order=wo, day=timezone.localdate(timezone.now(), zone))
        if bookable
        else [],
        "booked": _booked_windows(wo, zone),
        "version": wo.version,
    }
    return render(request, "dispatch/booking_book.html", context, status=status)


@require_http_methods(["POST"])
@staff_view
def work_order_cancel(request: HttpRequest, work_order_id: int) -> HttpResponse:
    """Call off a visit not under way (the customer cancelled, or no visit is needed after all), with why."""
    actor = actor_of(request)
    wo = found_or_404(request, selectors.work_order_get, actor=actor, work_order_id=work_order_id)
    _desk(actor)
    reason = request.POST.get("reason", "").strip()[:200]
    if not reason:
        messages.error(request, _("Say why the visit is called off."))
    else:
        try:
            services.work_order_cancel(actor=actor, work_order=wo, reason=reason)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Visit %(wo)s called off.") % {"wo": wo.number})
    return redirect(reverse("tickets:detail", args=[wo.request_id]) + "#visits")
