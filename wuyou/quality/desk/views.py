"""The complaint desk on the web (R-G3): the complaints list, the desk screen of one complaint (apology script and
promise, "customer told", disposition, approval, face-to-face reply, rectification plan) and their forms' posts.

Every post answers with a redirect to the desk screen, or the screen again with the refused form's errors (422, or
403 / 409 as the service said). Another outlet's complaint is a 404.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from wuyou.accounts.actors import Actor
from wuyou.accounts.models import StaffProfile
from wuyou.accounts.selectors import engineers_visible, outlets_visible
from wuyou.accounts.views import actor_of, staff_view
from wuyou.core.errors import DomainError, PermissionDenied
from wuyou.core.htmx import apply_domain_error, found_or_404, refusal_status, render_page_or_partial, set_choices
from wuyou.products.models import Unit
from wuyou.quality import complaints as rules
from wuyou.quality import selectors
from wuyou.quality.desk.forms import (
    ComplaintDisposeForm,
    ComplaintFilterForm,
    ComplaintRegisterForm,
    FaceToFaceForm,
    RectificationDoneForm,
    RectificationForm,
    VersionedForm,
)
from wuyou.quality.models import Complaint, ComplaintStatus
from wuyou.quality.services import complaints as services
from wuyou.quality.services import rectification
from wuyou.tickets.models import CallType, Channel, ServiceRequest, Status
from wuyou.tickets.selectors import request_get

PAGE_SIZE = 25
# Service paths that name no input of the form in hand: their message goes on top of it.
ON_TOP = {"version": "__all__", "status": "__all__", "complaint_id": "__all__", "request_id": "__all__"}


def _desk(actor: Actor) -> None:
    if not actor.can_run_desk:
        raise PermissionDenied(_("Complaints are worked by the service desk and the managers."))


def register_form(actor: Actor, sr: ServiceRequest, data: Any = None) -> ComplaintRegisterForm:
    """The register form with the customer's units and the outlet's engineers to choose from."""
    form = ComplaintRegisterForm(data, initial={"unit_id": sr.unit_id, "about_engineer_id": sr.assignee_id})
    units = Unit.objects.filter(owner_id=sr.customer_id).select_related("product_model").order_by("pk")
    set_choices(form, "unit_id", [("", "—"), *((u.pk, u.serial) for u in units)])
    engineers = engineers_visible(actor=actor, outlet_id=sr.outlet_id)
    set_choices(form, "about_engineer_id", [("", "—"), *((e.pk, e.display_name) for e in engineers)])
    return form


def _owners(actor: Actor) -> list[tuple[Any, Any]]:
    staff = (
        StaffProfile.objects.filter(user__is_active=True)
        .filter(Q(outlet__in=outlets_visible(actor=actor)) | Q(outlet__isnull=True, role__in=rules.APPROVERS))
        .order_by("outlet_id", "display_name")
    )
    return [("", "—"), *((s.pk, f"{s.display_name} ({s.get_role_display()})") for s in staff)]


def _rectification_form(actor: Actor, data: Any = None) -> RectificationForm:
    form = RectificationForm(data, prefix="action")
    set_choices(form, "owner_id", _owners(actor))
    return form


def desk_context(
    request: HttpRequest, actor: Actor, complaint: Complaint, bound: forms.Form | None = None, alert: str = ""
) -> dict[str, Any]:
    """What the desk screen of a complaint shows, with the refused form (if any) in place of its blank one."""
    sr = complaint.request

    def pick(kind: type[forms.Form], blank: forms.Form) -> forms.Form:
        return bound if isinstance(bound, kind) else blank

    versioned = {"version": complaint.version}
    undisposed = complaint.status in (ComplaintStatus.REGISTERED, ComplaintStatus.AWAITING_APPROVAL)
    actions = list(selectors.complaint_actions(complaint=complaint))
    today = timezone.localdate()
    for action in actions:
        action.overdue = action.done_at is None and action.due_on < today  # type: ignore[attr-defined]
    return {
        "complaint": complaint,
        "sr": sr,
        "actor": actor,
        "alert": alert,
        "script": rules.promise_script(
            customer_name=sr.customer.name,
            number=sr.number or "",
            promised_by=timezone.localtime(complaint.promised_by or timezone.now()),
        ),
        "overdue": undisposed and complaint.promised_by is not None and complaint.promised_by < timezone.now(),
        "told_form": pick(VersionedForm, VersionedForm(initial=versioned))
        if actor.can_run_desk and complaint.promise_told_at is None
        else None,
        "dispose_form": pick(ComplaintDisposeForm, ComplaintDisposeForm(initial=versioned))
        if actor.can_run_desk and complaint.status == ComplaintStatus.REGISTERED and sr.status != Status.CANCELLED
        else None,
        "approve_form": VersionedForm(initial=versioned)
        if rules.may_approve(actor.role) and complaint.status == ComplaintStatus.AWAITING_APPROVAL
        else None,
        "face_form": pick(FaceToFaceForm, FaceToFaceForm(initial={**versioned, "face_to_face_on": today}))
        if sr.channel == Channel.AUTHORITY and actor.role in rules.FACE_TO_FACE_REPLIERS
        else None,
        "actions": actions,
        "action_form": pick(RectificationForm, _rectification_form(actor))
        if actor.can_run_desk and complaint.status != ComplaintStatus.CLOSED
        else None,
        "done_form": RectificationDoneForm(),
        "repeats": list(selectors.complaint_repeats(actor=actor, complaint=complaint)),
    }


def _desk_page(
    request: HttpRequest,
    actor: Actor,
    complaint: Complaint,
    *,
    bound: forms.Form | None = None,
    status: int = 200,
    alert: str = "",
) -> HttpResponse:
    context = desk_context(request, actor, complaint, bound=bound, alert=alert)
    context["title"] = _("Complaint %(number)s") % {"number": complaint.request.number}
    return render(request, "quality/complaints/detail.html", context, status=status)


def _refused(request: HttpRequest, actor: Actor, complaint_id: int, form: forms.Form, exc: DomainError) -> HttpResponse:
    apply_domain_error(form, exc, ON_TOP)
    fresh = found_or_404(request, selectors.complaint_get, actor=actor, complaint_id=complaint_id)
    # A stale page or a refused role is said on top; so is a refusal of a form the screen does not redraw.
    shown_on_top = exc.status in (403, 409) or isinstance(form, RectificationDoneForm)
    alert = exc.message if shown_on_top else ""
    return _desk_page(request, actor, fresh, bound=form, status=refusal_status(exc), alert=alert)


def _to_desk(complaint_id: int) -> HttpResponse:
    return redirect("quality:complaint", complaint_id=complaint_id)


# --- the list and the screen --------------------------------------------------------------------------------------


@require_GET
@staff_view
def complaint_list(request: HttpRequest) -> HttpResponse:
    """The complaints list with filters by category, severity, status, outlet, repeat and overdue."""
    actor = actor_of(request)
    _desk(actor)
    form = ComplaintFilterForm(request.GET or None)
    set_choices(form, "outlet", [("", _("All")), *((o.pk, o.name) for o in outlets_visible(actor=actor))])
    page = Paginator(selectors.complaints_list(actor=actor, filters=form.to_filters()), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    now = timezone.now()
    for complaint in page.object_list:
        complaint.overdue = (  # type: ignore[attr-defined]
            complaint.status in selectors.COMPLAINT_UNDISPOSED
            and complaint.promised_by is not None
            and complaint.promised_by < now
        )
    context = {
        "title": _("Complaints"),
        "form": form,
        "list_url": reverse("quality:complaints"),
        "page": page,
        "complaints": page.object_list,
    }
    return render_page_or_partial(request, "quality/complaints/list.html", "results", context)


@require_GET
@staff_view
def complaint_detail(request: HttpRequest, complaint_id: int) -> HttpResponse:
    """The desk screen of one complaint."""
    actor = actor_of(request)
    complaint = found_or_404(request, selectors.complaint_get, actor=actor, complaint_id=complaint_id)
    _desk(actor)
    return _desk_page(request, actor, complaint)


# --- the forms' posts ---------------------------------------------------------------------------------------------


@require_POST
@staff_view
def complaint_register(request: HttpRequest, request_id: int) -> HttpResponse:
    """Register the complaint record of a complaint request; the request page again, or this form with its errors."""
    actor = actor_of(request)
    sr = found_or_404(request, request_get, actor=actor, request_id=request_id)
    _desk(actor)
    form = register_form(actor, sr, request.POST)
    status = 422
    if form.is_valid():
        try:
            complaint = services.complaint_register(
                actor=actor,
                request=sr,
                category=form.cleaned_data["category"],
                severity=form.cleaned_data["severity"],
                unit_id=form.cleaned_data["unit_id"],
                about_engineer_id=form.cleaned_data["about_engineer_id"],
            )
        except DomainError as exc:
            apply_domain_error(form, exc, ON_TOP)
            status = refusal_status(exc)
        else:
            messages.success(request, _("Complaint registered: read the promise out to the customer."))
            return _to_desk(complaint.pk)
    context = {"sr": sr, "form": form, "title": _("Register the complaint")}
    return render(request, "quality/complaints/register.html", context, status=status)


@require_POST
@staff_view
def complaint_promise_told(request: HttpRequest, complaint_id: int) -> HttpResponse:
    """The customer was told the apology and the promised disposition time."""
    actor = actor_of(request)
    complaint = found_or_404(request, selectors.complaint_get, actor=actor, complaint_id=complaint_id)
    _desk(actor)
    form = VersionedForm(request.POST)
    try:
        if not form.is_valid():
            return _desk_page(request, actor, complaint, bound=form, status=422)
        services.complaint_promise_told(actor=actor, complaint=complaint, expected_version=form.cleaned_data["version"])
    except DomainError as exc:
        return _refused(request, actor, complaint_id, form, exc)
    messages.success(request, _("Recorded: the customer was told the promise."))
    return _to_desk(complaint_id)


@require_POST
@staff_view
def complaint_dispose(request: HttpRequest, complaint_id: int) -> HttpResponse:
    """Dispose of the complaint (or send the remedy for approval above the amount)."""
    actor = actor_of(request)
    complaint = found_or_404(request, selectors.complaint_get, actor=actor, complaint_id=complaint_id)
    _desk(actor)
    form = ComplaintDisposeForm(request.POST)
    if not form.is_valid():
        return _desk_page(request, actor, complaint, bound=form, status=422)
    try:
        complaint = services.complaint_dispose(
            actor=actor,
            complaint=complaint,
            finding=form.cleaned_data["finding"],
            responsible=form.cleaned_data["responsible"],
            remedy=form.cleaned_data["remedy"],
            remedy_amount=form.cleaned_data["remedy_amount"],
            expected_version=form.cleaned_data["version"],
        )
    except DomainError as exc:
        return _refused(request, actor, complaint_id, form, exc)
    if complaint.status == ComplaintStatus.AWAITING_APPROVAL:
        messages.info(request, _("The remedy waits for the service manager's approval."))
    else:
        messages.success(request, _("Complaint disposed; the customer is told and the callback scheduled."))
    return _to_desk(complaint_id)


@require_POST
@staff_view
def complaint_approve(request: HttpRequest, complaint_id: int) -> HttpResponse:
    """The service manager approves the remedy; the disposition completes."""
    actor = actor_of(request)
    complaint = found_or_404(request, selectors.complaint_get, actor=actor, complaint_id=complaint_id)
    form = VersionedForm(request.POST)
    try:
        if not form.is_valid():
            return _desk_page(request, actor, complaint, bound=form, status=422)
        services.complaint_approve(actor=actor, complaint=complaint, expected_version=form.cleaned_data["version"])
    except DomainError as exc:
        return _refused(request, actor, complaint_id, form, exc)
    messages.success(request, _("Remedy approved; the complaint is disposed."))
    return _to_desk(complaint_id)


@require_POST
@staff_view
def complaint_face_to_face(request: HttpRequest, complaint_id: int) -> HttpResponse:
    """The date of the manager's face-to-face reply to an authority's complaint."""
    actor = actor_of(request)
    complaint = found_or_404(request, selectors.complaint_get, actor=actor, complaint_id=complaint_id)
    form = FaceToFaceForm(request.POST)
    if not form.is_valid():
        return _desk_page(request, actor, complaint, bound=form, status=422)
    try:
        services.complaint_face_to_face(
            actor=actor,
            complaint=complaint,
            on=form.cleaned_data["face_to_face_on"],
            expected_version=form.cleaned_data["version"],
        )
    except DomainError as exc:
        return _refused(request, actor, complaint_id, form, exc)
    messages.success(request, _("Face-to-face reply recorded."))
    return _to_desk(complaint_id)


@require_POST
@staff_view
def rectification_add(request: HttpRequest, complaint_id: int) -> HttpResponse:
    """Add an action to the rectification plan."""
    actor = actor_of(request)
    complaint = found_or_404(request, selectors.complaint_get, actor=actor, complaint_id=complaint_id)
    _desk(actor)
    form = _rectification_form(actor, request.POST)
    if not form.is_valid():
        return _desk_page(request, actor, complaint, bound=form, status=422)
    try:
        rectification.rectification_add(
            actor=actor,
            complaint=complaint,
            action=form.cleaned_data["action"],
            owner_id=form.cleaned_data["owner_id"],
            due_on=form.cleaned_data["due_on"],
        )
    except DomainError as exc:
        return _refused(request, actor, complaint_id, form, exc)
    messages.success(request, _("Rectification action added."))
    return _to_desk(complaint_id)


@require_POST
@staff_view
def rectification_done(request: HttpRequest, action_id: int) -> HttpResponse:
    """Mark an action of the plan done."""
    actor = actor_of(request)
    action = found_or_404(request, selectors.rectification_action_get, actor=actor, action_id=action_id)
    form = RectificationDoneForm(request.POST)
    if not form.is_valid():
        complaint = found_or_404(request, selectors.complaint_get, actor=actor, complaint_id=action.complaint_id)
        return _desk_page(request, actor, complaint, bound=form, status=422)
    try:
        rectification.rectification_done(actor=actor, action=action, note=form.cleaned_data["note"])
    except DomainError as exc:
        return _refused(request, actor, action.complaint_id, form, exc)
    messages.success(request, _("Rectification action done."))
    return _to_desk(action.complaint_id)


def complaint_registrable(actor: Actor, sr: ServiceRequest) -> bool:
    """Whether the request page offers this actor to register the complaint record."""
    return actor.can_run_desk and sr.call_type == CallType.COMPLAINT and sr.status != Status.CANCELLED
