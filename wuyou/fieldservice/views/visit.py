"""One visit on the engineer's phone, walked step by step to done, with its exceptions (R-F2, R-F3, R-F8)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from wuyou.accounts.actors import Actor
from wuyou.accounts.models import Role
from wuyou.accounts.views import actor_of, staff_view
from wuyou.core.errors import Conflict, DomainError
from wuyou.core.htmx import found_or_404, refusal_status
from wuyou.core.signatures import MAX_SIGNATURE_CHARS
from wuyou.dispatch import selectors
from wuyou.dispatch.models import WorkOrder, WorkOrderStatus
from wuyou.fees import views as fee_views
from wuyou.fieldservice import services, steps
from wuyou.fieldservice.views.cards import (
    STEP_TITLES,
    Posted,
    exception_cards,
    step_cards,
)
from wuyou.fieldservice.views.day import leave_at_of, outlet_today, product_label

RATINGS = (1, 2, 3, 4, 5)


class StepForm(forms.Form):
    """What a step's form posts; each step's own rules are the service's (it names the field at fault)."""

    step = forms.ChoiceField(choices=[(s, s) for s in steps.STEP_ORDER])
    version = forms.IntegerField(min_value=1)
    note = forms.CharField(required=False, strip=True)
    receipt = forms.CharField(required=False, strip=True)
    test_run = forms.ChoiceField(required=False, choices=[("", "—"), ("passed", "passed"), ("failed", "failed")])
    quality = forms.IntegerField(required=False)
    attitude = forms.IntegerField(required=False)
    signature = forms.CharField(required=False, strip=True)
    signed_by = forms.CharField(required=False, strip=True)
    declined = forms.BooleanField(required=False)
    not_sure_fixed = forms.BooleanField(required=False)
    no_time_for_test_run = forms.BooleanField(required=False)


class ExceptionForm(forms.Form):
    """What an exception's form posts."""

    kind = forms.ChoiceField(choices=[(k, k) for k in steps.EXCEPTIONS])
    version = forms.IntegerField(min_value=1)
    note = forms.CharField(required=False, strip=True)
    late_minutes = forms.IntegerField(required=False)
    notice_left = forms.BooleanField(required=False)


# -- one visit ----------------------------------------------------------------------------------------------------


def _work_order(request: HttpRequest, actor: Actor, work_order_id: int) -> WorkOrder:
    return found_or_404(request, selectors.work_order_get, actor=actor, work_order_id=work_order_id)


def visit_context(
    actor: Actor,
    wo: WorkOrder,
    *,
    posted: Posted | None = None,
    alert: str = "",
    conflict: str = "",
    quote_posted: fee_views.QuotePosted | None = None,
) -> dict[str, Any]:
    """The visit page's context; the fee views render it too, with their form's errors (`quote_posted`)."""
    may_record = services.work_order_may_record(actor=actor, work_order=wo)
    walk = steps.visit_walk(wo)
    on_site = may_record and wo.status == WorkOrderStatus.ON_SITE
    cards = step_cards(wo, walk, posted) if may_record else []
    quote_card = fee_views.quote_card(actor, wo, quote_posted) if on_site else None
    if quote_card is not None and wo.work_done and quote_posted is None:
        # The work is done: the form to quote (again) folds away, a tap from reach, so the page leads with what is next.
        quote_card = {**quote_card, "form_open": False}
    return {
        "wo": wo,
        "sr": wo.request,
        "contact": selectors.work_order_contact(actor=actor, work_order=wo, today=outlet_today(wo.outlet_id)),
        "product": product_label(wo),
        "leave_at": leave_at_of(wo),
        "on_behalf": actor.role != Role.ENGINEER,
        "may_record": may_record,
        "steps": cards,
        "focus": next((c for c in cards if c.focus), None),  # the page leads with it, unfolded, its button big
        "next_step": walk.next_step if may_record else "",
        "exceptions": exception_cards(walk, posted) if may_record else [],
        "alert": alert,
        "conflict": conflict,
        "has_posted": posted is not None,
        "ratings": RATINGS,
        "late_alert_minutes": services.LATE_ALERT_MINUTES,
        "max_signature_chars": MAX_SIGNATURE_CHARS,
        "is_mine": actor.role == Role.ENGINEER,
        # The quote card sits after the diagnosis while the engineer is on site; later, a line with the receipt.
        "quote_card": quote_card,
        "quote_summary": fee_views.quote_summary(wo),
        "has_quote_posted": quote_posted is not None,
        "part_choices": fee_views.parts_choices(actor, wo) if on_site else [],
        "take_back": wo.take_backs.order_by("-pk").first() if wo.take_back_receipt else None,
    }


@require_GET
@staff_view
def work_order_detail(request: HttpRequest, work_order_id: int) -> HttpResponse:
    """The visit: its facts, the next steps as big buttons, the exceptions, and what was recorded so far."""
    actor = actor_of(request)
    wo = _work_order(request, actor, work_order_id)
    return render(request, "fieldservice/work_order.html", visit_context(actor, wo))


def _form_errors(form: forms.Form) -> dict[str, str]:
    return {name: str(errors[0]) for name, errors in form.errors.items()}


def _parts(request: HttpRequest) -> tuple[list[dict[str, Any]], tuple[tuple[str, str, int], ...], dict[str, str]]:
    """The part rows as posted (blank rows dropped), the service's tuples, and quantities that are not numbers."""
    codes = request.POST.getlist("part_code")
    serials = request.POST.getlist("part_serial")
    quantities = request.POST.getlist("part_quantity")
    rows: list[dict[str, Any]] = []
    for i in range(max(len(codes), len(serials), len(quantities))):
        code = codes[i].strip() if i < len(codes) else ""
        serial = serials[i].strip() if i < len(serials) else ""
        quantity = quantities[i].strip() if i < len(quantities) else ""
        if not code and not serial and quantity in ("", "1"):
            continue  # an empty row left on the form
        rows.append({"code": code[:40], "serial": serial[:64], "quantity": quantity[:6], "errors": {}})
    parsed: list[tuple[str, str, int]] = []
    errors: dict[str, str] = {}
    for i, row in enumerate(rows):
        try:
            count = int(row["quantity"] or "1")
        except ValueError:
            errors[f"parts[{i}].quantity"] = _("A quantity is 1 to 99.")
            count = 0
        parsed.append((row["code"], row["serial"], count))
    return rows, tuple(parsed), errors


def _refused(request: HttpRequest, actor: Actor, wo: WorkOrder, posted: Posted, exc: DomainError) -> HttpResponse:
    """The page again after a service said no: a stale version or a step no longer allowed shows the visit as it is."""
    if isinstance(exc, Conflict) and not (exc.field or "").startswith("parts"):
        fresh = _work_order(request, actor, wo.pk)
        stale = exc.field in (None, "version")
        message = _("This visit was changed by someone else; reload it and try again.") if stale else exc.message
        context = visit_context(actor, fresh, conflict=message if stale else "", alert="" if stale else message)
        return render(request, "fieldservice/work_order.html", context, status=409)
    known = {"note", "receipt", "signed_by", "test_run", "quality", "attitude", "signature", "parts", "late_minutes"}
    errors = {("test_run" if k == "test_run_ok" else k): v for k, v in exc.errors.items()}
    errors = fee_views.place_row_errors(posted.parts, errors)
    posted.errors = {k: v for k, v in errors.items() if k in known or k == "rating"}
    rest = [v for k, v in errors.items() if k not in posted.errors]
    alert = " ".join(rest) if rest or posted.errors else exc.message
    status = refusal_status(exc)  # 409: the van is short of a part
    return render(
        request, "fieldservice/work_order.html", visit_context(actor, wo, posted=posted, alert=alert), status=status
    )


def _bad_form(request: HttpRequest, actor: Actor, wo: WorkOrder, posted: Posted) -> HttpResponse:
    if "version" in posted.errors or "step" in posted.errors or "kind" in posted.errors:
        alert = _("The form was incomplete; reload the page and try again.")
        return render(request, "fieldservice/work_order.html", visit_context(actor, wo, alert=alert), status=422)
    return render(request, "fieldservice/work_order.html", visit_context(actor, wo, posted=posted), status=422)


def _visit_url(wo: WorkOrder, anchor: str = "") -> str:
    return reverse("fieldservice:work_order", args=[wo.pk]) + (f"#{anchor}" if anchor else "")


@require_POST
@staff_view
def work_order_step(request: HttpRequest, work_order_id: int) -> HttpResponse:
    """Record one step; errors come back next to their field, a stale page is told to reload (never a 500)."""
    actor = actor_of(request)
    wo = _work_order(request, actor, work_order_id)
    form = StepForm(request.POST)
    key = request.POST.get("step", "")
    values: dict[str, Any] = {
        k: request.POST.get(k, "") for k in ("note", "receipt", "test_run", "signature", "signed_by", "declined")
    }
    # Ratings as numbers, so the star chosen is checked again on the redisplayed form.
    values |= {k: _int_or_none(request.POST.get(k)) for k in ("quality", "attitude")}
    posted = Posted(key=key, values=values, errors={})
    parts: tuple[tuple[str, str, int], ...] = ()
    if key == "parts_used":
        posted.parts, parts, part_errors = _parts(request)
        if part_errors:
            posted.errors = fee_views.place_row_errors(posted.parts, part_errors)
            return _bad_form(request, actor, wo, posted)
    if not form.is_valid():
        posted.errors = _form_errors(form)
        return _bad_form(request, actor, wo, posted)
    data = form.cleaned_data
    declined = data["declined"]
    step_input = services.StepInput(
        note=data["note"],
        parts=parts,
        receipt=data["receipt"],
        test_run_ok={"passed": True, "failed": False}.get(data["test_run"]),
        quality=data["quality"],
        attitude=data["attitude"],
        # A customer who declines to sign leaves no signature, whatever was scribbled before.
        signature="" if declined else data["signature"],
        signed_by="" if declined else data["signed_by"],
        not_sure_fixed=data["not_sure_fixed"],
        no_time_for_test_run=data["no_time_for_test_run"],
    )
    if key == "rating" and declined and not data["note"]:
        posted.errors = {"note": _("Say why the customer did not sign.")}
        return _bad_form(request, actor, wo, posted)
    try:
        wo = services.work_order_step(
            actor=actor, work_order=wo, step=key, entry=step_input, expected_version=data["version"]
        )
    except DomainError as exc:
        return _refused(request, actor, wo, posted, exc)
    if key == "done":
        messages.success(request, _("%(number)s is done. Thank you.") % {"number": wo.number})
        return redirect(reverse("fieldservice:my_day") if actor.role == Role.ENGINEER else _visit_url(wo))
    messages.success(request, _("Saved: %(step)s.") % {"step": STEP_TITLES[key]})
    return redirect(_visit_url(wo, "next"))


def _int_or_none(value: str | None) -> int | None:
    if not value:
        return None
    try:
        return int(value)
    except ValueError:
        return None


@require_POST
@staff_view
def work_order_exception(request: HttpRequest, work_order_id: int) -> HttpResponse:
    """Report an exception (R-F8): nobody home, entry refused, running late, compensation asked, hand back."""
    actor = actor_of(request)
    wo = _work_order(request, actor, work_order_id)
    form = ExceptionForm(request.POST)
    key = request.POST.get("kind", "")
    values = {k: request.POST.get(k, "") for k in ("note", "late_minutes", "notice_left")}
    posted = Posted(key=key, values=values, errors={})
    if not form.is_valid():
        posted.errors = _form_errors(form)
        return _bad_form(request, actor, wo, posted)
    data = form.cleaned_data
    note = data["note"]
    if key == "nobody_home" and data["notice_left"] and note:
        note = f"{note}\n{_('A notice was left at the door.')}"
    late = data["late_minutes"] if key == "running_late" else None
    try:
        wo = services.work_order_exception(
            actor=actor,
            work_order=wo,
            kind=key,
            note=note,
            late_minutes=late,
            expected_version=data["version"],
        )
    except DomainError as exc:
        return _refused(request, actor, wo, posted, exc)
    if key == "running_late":
        if late is not None and late > services.LATE_ALERT_MINUTES:
            text = _("Running %(minutes)d minutes late: the outlet manager has been told.") % {"minutes": late}
        else:
            text = _("Running %(minutes)d minutes late: noted on the visit.") % {"minutes": late}
        messages.warning(request, text)
        return redirect(_visit_url(wo))
    if key == "compensation":
        messages.warning(request, _("Escalated to the manager, who will answer the customer. Promise nothing on site."))
        return redirect(_visit_url(wo))
    if key == "hand_back":
        messages.warning(
            request, _("%(number)s is handed back to the desk for another engineer.") % {"number": wo.number}
        )
    else:
        messages.warning(request, _("%(number)s goes back to the desk for a new appointment.") % {"number": wo.number})
    # The visit has left the engineer's route: he no longer sees it.
    return redirect(reverse("fieldservice:my_day") if actor.role == Role.ENGINEER else _visit_url(wo))
