"""Resolving a request by phone guidance from the request page (R-E3): a callback follows 2 hours later."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from wuyou.accounts.actors import Actor
from wuyou.accounts.views import actor_of, staff_view
from wuyou.core.errors import Conflict, DomainError, PermissionDenied
from wuyou.core.htmx import apply_domain_error, found_or_404
from wuyou.quality import services
from wuyou.quality.forms import PhoneGuidanceForm
from wuyou.tickets.models import ServiceRequest
from wuyou.tickets.selectors import request_get


def desk_only(actor: Actor) -> None:
    """Callbacks and phone guidance are the desk's: follow-up staff, clerks, supervisors and managers."""
    if not actor.can_run_desk:
        raise PermissionDenied(_("Callbacks are made by follow-up staff and the service desk."))


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
    desk_only(actor)
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
    if callback is None:  # a customer who may not be called back (no consent): resolved without a callback
        messages.success(request, _("%(number)s resolved by phone guidance.") % {"number": sr.number})
    else:
        messages.success(
            request,
            _("%(number)s resolved by phone guidance; callback due %(due)s.")
            % {"number": sr.number, "due": f"{timezone.localtime(callback.due_at):%H:%M}"},
        )
    return redirect("tickets:detail", request_id=sr.pk)
