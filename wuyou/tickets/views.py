"""Service requests on the web: home, the list with filters, "at risk", intake, the detail page with its clocks."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from wuyou.accounts.actors import Actor, Scope
from wuyou.accounts.views import actor_of, staff_view
from wuyou.core.errors import Conflict, DomainError
from wuyou.core.htmx import apply_domain_error, found_or_404, render_page_or_partial, wants_partial
from wuyou.customers.selectors import customer_get
from wuyou.customers.views import console
from wuyou.tickets import selectors, services
from wuyou.tickets.forms import (
    FACT_LABELS,
    REQUEST_FIELD_MAP,
    AssignForm,
    AtRiskFilterForm,
    AuthorityReportForm,
    RequestFilterForm,
    RequestOpenForm,
    TransitionForm,
    VerifyForm,
)
from wuyou.tickets.history import history_line
from wuyou.tickets.job_cards import job_cards
from wuyou.tickets.models import OPEN_STATUSES, ServiceRequest, Status
from wuyou.tickets.panels import request_panels
from wuyou.tickets.selectors import RequestFilters

PAGE_SIZE = 25
CUSTOMER_PANEL_LIMIT = 10


@require_GET
@staff_view
def home(request: HttpRequest) -> HttpResponse:
    """Where a login lands: the console search for the desk, "my jobs" for engineers."""
    if actor_of(request).scope is Scope.OWN_JOBS:
        return my_jobs(request)
    return console(request)


def _page(request: HttpRequest, actor: Actor, filters: RequestFilters) -> dict[str, Any]:
    qs = selectors.request_list(actor=actor, filters=filters)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    for sr in page.object_list:
        sr.overdue = selectors.request_is_overdue(sr)  # type: ignore[attr-defined]
    return {"page": page, "requests": page.object_list}


@require_GET
@staff_view
def request_list(request: HttpRequest) -> HttpResponse:
    """All visible requests with filters and paging; htmx swaps only the table."""
    actor = actor_of(request)
    form = RequestFilterForm(request.GET or None, actor=actor)
    context = {"form": form, "title": _("Service requests"), "list_url": reverse("tickets:list")}
    context |= _page(request, actor, form.to_filters())
    return render_page_or_partial(request, "tickets/request_list.html", "results", context)


@require_GET
@staff_view
def requests_at_risk(request: HttpRequest) -> HttpResponse:
    """Requests with a clock warned, overdue or due within hours, the most urgent first, the old backlog in one line;
    htmx swaps only the table."""
    actor = actor_of(request)
    form = AtRiskFilterForm(request.GET or None, actor=actor)
    filters = form.to_filters()
    qs = selectors.requests_at_risk(actor=actor, filters=filters)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    backlog = (
        selectors.requests_at_risk_backlog(actor=actor, filters=filters)
        if filters.backlog == selectors.Backlog.HIDE
        else 0
    )
    backlog_query = request.GET.copy()
    backlog_query["backlog"] = selectors.Backlog.ONLY
    backlog_query.pop("page", None)
    for sr in page.object_list:
        sr.overdue = selectors.request_is_overdue(sr, sr.risk_clocks)  # type: ignore[attr-defined]
    context = {
        "form": form,
        "title": _("At risk"),
        "list_url": reverse("tickets:at_risk"),
        "page": page,
        "requests": page.object_list,
        "now": timezone.now(),
        "backlog_count": backlog,
        "backlog_days": selectors.AT_RISK_BACKLOG_DAYS,
        "backlog_url": f"{reverse('tickets:at_risk')}?{backlog_query.urlencode()}",
    }
    return render_page_or_partial(request, "tickets/requests_at_risk.html", "results", context)


@require_GET
@staff_view
def my_jobs(request: HttpRequest) -> HttpResponse:
    """An engineer's open jobs (everyone else: the requests they may see that are open)."""
    actor = actor_of(request)
    form = RequestFilterForm(request.GET or None, actor=actor)
    filters = form.to_filters()
    if not form.data.get("status"):
        filters = RequestFilters(**{**filters.__dict__, "open_only": True})
    context = {"form": form, "title": _("My jobs"), "list_url": reverse("tickets:mine"), "mine": True}
    listed = _page(request, actor, filters)
    context |= listed
    if actor.scope is Scope.OWN_JOBS:  # an engineer's phone: a card a job, with its visit and next step (issue 13)
        context["job_cards"] = job_cards(actor=actor, requests=list(listed["requests"]))
    return render_page_or_partial(request, "tickets/request_list.html", "results", context)


def _customer_panel(actor: Actor, customer: Any, form: RequestOpenForm | None = None) -> dict[str, Any]:
    recent = list(
        selectors.request_list(actor=actor, filters=RequestFilters(customer_id=customer.pk))[:CUSTOMER_PANEL_LIMIT]
    )
    for sr in recent:
        sr.overdue = selectors.request_is_overdue(sr)  # type: ignore[attr-defined]
    return {
        "customer": customer,
        "recent_requests": recent,
        "can_run_desk": actor.can_run_desk,
        "open_form": form or RequestOpenForm(actor=actor, customer=customer),
    }


@require_http_methods(["GET", "POST"])
@staff_view
def customer_requests(request: HttpRequest, customer_id: int) -> HttpResponse:
    """The customer's recent requests with the intake form (POST opens a request)."""
    actor = actor_of(request)
    customer = found_or_404(request, customer_get, actor=actor, customer_id=customer_id)
    if request.method == "GET":
        return render_page_or_partial(
            request, "tickets/customer_requests.html", "panel", _customer_panel(actor, customer)
        )
    form = RequestOpenForm(request.POST, actor=actor, customer=customer)
    status = 422
    if form.is_valid():
        try:
            sr = services.request_open(actor=actor, intake=form.to_input())
        except DomainError as exc:
            apply_domain_error(form, exc, REQUEST_FIELD_MAP)
            status = exc.status if exc.status in (403, 409) else 422
        else:
            if sr.to_verify:
                messages.warning(request, _("Request %(number)s opened; it needs verifying.") % {"number": sr.number})
            else:
                messages.success(request, _("Request %(number)s opened.") % {"number": sr.number})
            url = reverse("tickets:detail", args=[sr.pk])
            return HttpResponseClientRedirect(url) if wants_partial(request) else redirect(url)
    return render_page_or_partial(
        request, "tickets/customer_requests.html", "panel", _customer_panel(actor, customer, form), status=status
    )


def _detail_context(request: HttpRequest, actor: Actor, sr: ServiceRequest, **forms: Any) -> dict[str, Any]:
    actions = selectors.request_actions(actor=actor, request=sr)
    may_dispatch = actor.can_run_desk and sr.status in OPEN_STATUSES
    verify_form = forms.get("verify_form") or VerifyForm(request_obj=sr, initial={"version": sr.version})
    clocks = selectors.request_clocks(request=sr)
    return {
        "sr": sr,
        "overdue": selectors.request_is_overdue(sr, clocks),
        "clocks": clocks,
        "now": timezone.now(),
        "contact": selectors.request_contact(actor=actor, request=sr),
        # The panels of the apps above tickets (visits, callbacks), drawn for this actor.
        "panels": request_panels(request=request, actor=actor, sr=sr),
        "missing_labels": [FACT_LABELS.get(f, f) for f in sr.missing_fields],
        "actions": actions,
        "note_needed": any(t.needs_note for t in actions),
        "transition_form": forms.get("transition_form") or TransitionForm(initial={"version": sr.version}),
        "assign_form": (
            forms.get("assign_form") or AssignForm(actor=actor, request_obj=sr, initial={"version": sr.version})
        )
        if may_dispatch
        else None,
        "report_form": (forms.get("report_form") or AuthorityReportForm(initial={"version": sr.version}))
        if selectors.request_needs_authority_report(actor=actor, request=sr)
        else None,
        "verify_form": verify_form if actor.can_run_desk and sr.to_verify and sr.status in OPEN_STATUSES else None,
        "verify_inputs": verify_form.missing_inputs(sr.missing_fields),
        "history": [history_line(event) for event in selectors.request_history(request=sr)[:200]],
        "conflict": forms.get("conflict"),
        "status_label": Status(sr.status).label,
    }


def _request(request: HttpRequest, actor: Actor, request_id: int) -> ServiceRequest:
    return found_or_404(request, selectors.request_get, actor=actor, request_id=request_id)


@require_GET
@staff_view
def request_detail(request: HttpRequest, request_id: int) -> HttpResponse:
    """All facts, the "to verify" banner, dispatch, the allowed steps and the history."""
    actor = actor_of(request)
    sr = _request(request, actor, request_id)
    return render(request, "tickets/request_detail.html", _detail_context(request, actor, sr))


def _redisplay(
    request: HttpRequest,
    actor: Actor,
    sr: ServiceRequest,
    form_name: str,
    form: Any,
    exc: DomainError | None,
    posted_version: int | None,
) -> HttpResponse:
    """Show the page again with the form's errors; a conflict shows the request as it is now."""
    if exc is None:
        return render(
            request, "tickets/request_detail.html", _detail_context(request, actor, sr, **{form_name: form}), status=422
        )
    if isinstance(exc, Conflict):
        fresh = _request(request, actor, sr.pk)
        stale = posted_version is not None and posted_version != fresh.version
        conflict = (
            _("The request was changed by someone else meanwhile; it is shown below as it is now.")
            if stale
            else exc.message
        )
        return render(
            request,
            "tickets/request_detail.html",
            _detail_context(request, actor, fresh, conflict=conflict),
            status=409,
        )
    status = exc.status if exc.status == 403 else 422
    return render(
        request, "tickets/request_detail.html", _detail_context(request, actor, sr, **{form_name: form}), status=status
    )


def _posted_version(form: Any) -> int | None:
    value = form.cleaned_data.get("version") if hasattr(form, "cleaned_data") else None
    return value if isinstance(value, int) else None


def _submit(
    request: HttpRequest,
    actor: Actor,
    sr: ServiceRequest,
    form_name: str,
    form: Any,
    act: Callable[[], object],
    field_map: dict[str, str],
) -> HttpResponse | None:
    """Run a request-page form through its service; on bad input or a refusal, the page again with the errors."""
    if not form.is_valid():
        return _redisplay(request, actor, sr, form_name, form, None, None)
    try:
        act()
    except DomainError as exc:
        apply_domain_error(form, exc, field_map)
        return _redisplay(request, actor, sr, form_name, form, exc, _posted_version(form))
    return None


@require_POST
@staff_view
def request_transition(request: HttpRequest, request_id: int) -> HttpResponse:
    """Take one allowed step; a stale version gets "changed by someone else", not an error page."""
    actor = actor_of(request)
    sr = _request(request, actor, request_id)
    form = TransitionForm(request.POST)
    failed = _submit(
        request,
        actor,
        sr,
        "transition_form",
        form,
        lambda: services.request_transition(
            actor=actor,
            request=sr,
            action=form.cleaned_data["action"],
            note=form.cleaned_data["note"],
            expected_version=form.cleaned_data["version"],
        ),
        {"version": "__all__", "action": "__all__"},
    )
    if failed:
        return failed
    messages.success(
        request, _("%(number)s is now %(status)s.") % {"number": sr.number, "status": Status(sr.status).label}
    )
    return redirect("tickets:detail", request_id=sr.pk)


@require_POST
@staff_view
def request_assign(request: HttpRequest, request_id: int) -> HttpResponse:
    """Dispatch the request to an engineer of its outlet."""
    actor = actor_of(request)
    sr = _request(request, actor, request_id)
    form = AssignForm(request.POST, actor=actor, request_obj=sr)
    failed = _submit(
        request,
        actor,
        sr,
        "assign_form",
        form,
        lambda: services.request_assign(
            actor=actor,
            request=sr,
            engineer_id=form.cleaned_data["engineer"],
            expected_version=form.cleaned_data["version"],
        ),
        {**REQUEST_FIELD_MAP, "version": "__all__"},
    )
    if failed:
        return failed
    name = sr.assignee.display_name if sr.assignee else ""
    messages.success(request, _("%(number)s dispatched to %(engineer)s.") % {"number": sr.number, "engineer": name})
    return redirect("tickets:detail", request_id=sr.pk)


@require_POST
@staff_view
def request_verify(request: HttpRequest, request_id: int) -> HttpResponse:
    """Supply the facts missing at intake."""
    actor = actor_of(request)
    sr = _request(request, actor, request_id)
    form = VerifyForm(request.POST, request_obj=sr)
    failed = _submit(
        request,
        actor,
        sr,
        "verify_form",
        form,
        lambda: services.request_verify(
            actor=actor, request=sr, details=form.to_details(), expected_version=form.cleaned_data["version"]
        ),
        {**REQUEST_FIELD_MAP, "version": "__all__", "status": "__all__"},
    )
    if failed:
        return failed
    if sr.to_verify:
        messages.warning(
            request,
            _("Details saved; still missing: %(missing)s.")
            % {"missing": ", ".join(str(FACT_LABELS.get(f, f)) for f in sr.missing_fields)},
        )
    else:
        messages.success(request, _("%(number)s verified.") % {"number": sr.number})
    return redirect("tickets:detail", request_id=sr.pk)


@require_POST
@staff_view
def request_authority_report(request: HttpRequest, request_id: int) -> HttpResponse:
    """File the manager's report on a complaint transferred by an authority."""
    actor = actor_of(request)
    sr = _request(request, actor, request_id)
    form = AuthorityReportForm(request.POST)
    failed = _submit(
        request,
        actor,
        sr,
        "report_form",
        form,
        lambda: services.request_authority_report(
            actor=actor, request=sr, report=form.cleaned_data["report"], expected_version=form.cleaned_data["version"]
        ),
        {"version": "__all__"},
    )
    if failed:
        return failed
    messages.success(request, _("%(number)s: the report to the authority is filed.") % {"number": sr.number})
    return redirect("tickets:detail", request_id=sr.pk)
