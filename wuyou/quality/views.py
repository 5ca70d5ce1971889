"""Quality on the web: the follow-up list of callbacks with a record form per row, and phone guidance (R-E3, R-G1)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from wuyou.accounts.actors import Actor
from wuyou.accounts.views import actor_of, staff_view
from wuyou.core.errors import Conflict, DomainError, PermissionDenied
from wuyou.core.htmx import apply_domain_error, found_or_404, refusal_status, render_page_or_partial
from wuyou.customers.selectors import phone_for_display
from wuyou.quality import selectors, services
from wuyou.quality.forms import CallbackFilterForm, CallbackRecordForm, PhoneGuidanceForm
from wuyou.quality.models import Callback
from wuyou.tickets.models import ServiceRequest
from wuyou.tickets.selectors import request_contact_number, request_get

PAGE_SIZE = 25


def _desk(actor: Actor) -> None:
    if not actor.can_run_desk:
        raise PermissionDenied(_("Callbacks are made by follow-up staff and the service desk."))


def _record_form(callback: Callback, data: Any = None) -> CallbackRecordForm:
    return CallbackRecordForm(data, prefix=f"cb{callback.pk}")


def _phone(actor: Actor, callback: Callback) -> str:
    number = request_contact_number(callback.request)
    return phone_for_display(actor=actor, number=number) if number else ""


def _list_context(
    request: HttpRequest,
    actor: Actor,
    filter_form: CallbackFilterForm,
    bound: CallbackRecordForm | None = None,
    conflict: str = "",
) -> dict[str, Any]:
    page = Paginator(selectors.callbacks_due(actor=actor, filters=filter_form.to_filters()), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    now = timezone.now()
    bound_shown = False
    for callback in page.object_list:
        callback.overdue = callback.is_overdue(now)  # type: ignore[attr-defined]
        callback.phone = _phone(actor, callback)  # type: ignore[attr-defined]
        owns_bound = bound is not None and bound.prefix == f"cb{callback.pk}"
        bound_shown = bound_shown or owns_bound
        callback.record_form = bound if owns_bound else _record_form(callback)  # type: ignore[attr-defined]
    # A refused record whose row is not on this page (recorded meanwhile, or on another page): say it on top.
    alert = conflict or (
        "; ".join(str(e) for errors in bound.errors.values() for e in errors) if bound and not bound_shown else ""
    )
    return {
        "alert": alert,
        "title": _("Callbacks"),
        "form": filter_form,
        "due": filter_form.to_filters().due.value,
        "list_url": reverse("quality:callbacks"),
        "page": page,
        "callbacks": page.object_list,
        "now": now,
    }


@require_GET
@staff_view
def callback_list(request: HttpRequest) -> HttpResponse:
    """The follow-up list: pending callbacks due first, overdue marked; htmx swaps only the table."""
    actor = actor_of(request)
    _desk(actor)
    context = _list_context(request, actor, CallbackFilterForm(request.GET or None))
    return render_page_or_partial(request, "quality/callback_list.html", "results", context)


@require_POST
@staff_view
def callback_record(request: HttpRequest, callback_id: int) -> HttpResponse:
    """Record what the customer said; the list again, with the errors on the row's form when refused."""
    actor = actor_of(request)
    callback = found_or_404(request, selectors.callback_get, actor=actor, callback_id=callback_id)
    _desk(actor)
    form = _record_form(callback, request.POST)
    filter_form = CallbackFilterForm({"due": request.POST.get("due", "")})
    status, conflict = 422, ""
    if form.is_valid():
        try:
            services.callback_record(
                actor=actor, callback=callback, outcome=form.cleaned_data["outcome"], note=form.cleaned_data["note"]
            )
        except DomainError as exc:
            apply_domain_error(form, exc, {"callback_id": "__all__"})
            status = refusal_status(exc)
            conflict = exc.message if isinstance(exc, Conflict) else ""
        else:
            messages.success(
                request,
                _("Callback for %(number)s recorded: %(outcome)s.")
                % {"number": callback.request.number, "outcome": callback.get_outcome_display()},
            )
            query = urlencode({"due": filter_form.to_filters().due.value})
            return redirect(f"{reverse('quality:callbacks')}?{query}")
    context = _list_context(request, actor, filter_form, bound=form, conflict=conflict)
    return render(request, "quality/callback_list.html", context, status=status)


def _guidance_page(
    request: HttpRequest, sr: ServiceRequest, form: PhoneGuidanceForm, *, status: int = 200, conflict: str = ""
) -> HttpResponse:
    return render(request, "quality/phone_guidance.html", {"sr": sr, "form": form, "conflict": conflict}, status=status)


@require_http_methods(["GET", "POST"])
@staff_view
def request_resolve_by_phone(request: HttpRequest, request_id: int) -> HttpResponse:
    """Resolve the request by phone guidance (R-E3); the request page again, or this form with its errors."""
    actor = actor_of(request)
    sr = found_or_404(request, request_get, actor=actor, request_id=request_id)
    _desk(actor)
    if request.method == "GET":
        return _guidance_page(request, sr, PhoneGuidanceForm(initial={"version": sr.version}))
    form = PhoneGuidanceForm(request.POST)
    if not form.is_valid():
        return _guidance_page(request, sr, form, status=422)
    try:
        callback = services.request_resolve_by_phone(
            actor=actor, request=sr, note=form.cleaned_data["note"], expected_version=form.cleaned_data["version"]
        )
    except DomainError as exc:
        if isinstance(exc, Conflict):
            fresh = found_or_404(request, request_get, actor=actor, request_id=request_id)
            again = PhoneGuidanceForm(initial={"version": fresh.version, "note": form.cleaned_data["note"]})
            return _guidance_page(request, fresh, again, status=409, conflict=exc.message)
        apply_domain_error(form, exc, {"version": "__all__", "request_id": "__all__"})
        return _guidance_page(request, sr, form, status=exc.status if exc.status == 403 else 422)
    messages.success(
        request,
        _("%(number)s resolved by phone guidance; callback due %(due)s.")
        % {"number": sr.number, "due": f"{timezone.localtime(callback.due_at):%H:%M}"},
    )
    return redirect("tickets:detail", request_id=sr.pk)
