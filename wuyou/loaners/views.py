"""Loaner screens (issue 5 item 5, R-F5): the outlet's pool, open take-backs, loans out and overdue; lend, return.

Thin views over wuyou.loaners: the selectors scope the lists (another outlet's take-back or loan is a 404),
the services decide and explain refusals (a loaner already out, a due date in the past) next to the field.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from wuyou.accounts.actors import Actor
from wuyou.accounts.views import actor_of, require_desk_or_field, staff_view
from wuyou.core.dates import BoundedDateField
from wuyou.core.errors import DomainError
from wuyou.core.htmx import KEPT_WITH_NOT_FOUND, apply_domain_error, found_or_404, refusal_status, set_choices
from wuyou.loaners import services as loaners_services
from wuyou.loaners.models import Loan, TakeBack, TakeBackStage
from wuyou.loaners.selectors import (
    loan_get,
    loaners_to_lend,
    loaners_visible,
    loans_visible,
    take_back_get,
    take_back_next_stage,
    take_backs_open,
    take_backs_short_of_loaner,
)
from wuyou.loaners.services import MAX_CONDITION, MAX_RECEIPT, MAX_SIGNER, loaner_return

DEFAULT_LOAN_DAYS = 14
LOANS_SHOWN = 200  # loans out at once in one outlet stay far below this; the rest is in the API


class LendForm(forms.Form):
    """Lend an available loaner against the take-back, on a receipt the customer signs."""

    loaner = forms.TypedChoiceField(label=gettext_lazy("Loaner"), coerce=int)
    due_back_on = BoundedDateField(
        label=gettext_lazy("Due back on"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    receipt_number = forms.CharField(label=gettext_lazy("Receipt number"), max_length=MAX_RECEIPT)
    signed_by = forms.CharField(label=gettext_lazy("Signed by"), max_length=MAX_SIGNER)

    def __init__(self, *args: Any, loaners: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_choices(self, "loaner", loaners)


class ReturnForm(forms.Form):
    """The loaner comes back: its condition."""

    condition = forms.CharField(label=gettext_lazy("Condition"), max_length=MAX_CONDITION, required=False)


def _take_back_row(take_back: TakeBack, *, no_loaner: bool, has_loan: bool) -> dict[str, Any]:
    next_stage = take_back_next_stage(take_back)
    return {
        "take_back": take_back,
        "next_stage": next_stage,
        "next_label": TakeBackStage(next_stage).label if next_stage else "",
        "no_loaner": no_loaner,
        "has_loan": has_loan,
    }


def _loaners_page(
    request: HttpRequest,
    actor: Actor,
    *,
    return_forms: dict[int, ReturnForm] | None = None,
    alert: str = "",
    status: int = 200,
) -> HttpResponse:
    today = timezone.localdate()
    open_tbs = list(take_backs_open(actor=actor).select_related("work_order__outlet", "work_order__request__customer"))
    short = take_backs_short_of_loaner(open_tbs)
    out = list(
        loans_visible(actor=actor)
        .filter(returned_at__isnull=True)
        .select_related("work_order__request__customer")
        .order_by("due_back_on", "pk")[:LOANS_SHOWN]
    )
    lent_against = {loan.take_back_id for loan in out}
    forms_by_loan = return_forms or {}
    context = {
        "pool": loaners_visible(actor=actor).order_by("outlet__code", "serial"),
        "take_backs": [_take_back_row(tb, no_loaner=tb.pk in short, has_loan=tb.pk in lent_against) for tb in open_tbs],
        "overdue": [
            {"loan": loan, "days": (today - loan.due_back_on).days, "form": forms_by_loan.get(loan.pk, ReturnForm())}
            for loan in out
            if loan.due_back_on < today
        ],
        "current": [
            {"loan": loan, "form": forms_by_loan.get(loan.pk, ReturnForm())}
            for loan in out
            if loan.due_back_on >= today
        ],
        "alert": alert,
    }
    return render(request, "loaners/loaners.html", context, status=status)


@require_http_methods(["GET"])
@staff_view
def loaner_list(request: HttpRequest) -> HttpResponse:
    """The outlet's loaner pool, the customers' units taken back, loans out (overdue first and marked)."""
    actor = actor_of(request)
    require_desk_or_field(actor)
    return _loaners_page(request, actor)


@require_POST
@staff_view
def take_back_advance(request: HttpRequest, take_back_id: int) -> HttpResponse:
    """Move the customer's unit to its next stage; a refusal (someone moved it first) is shown on the list."""
    actor = actor_of(request)
    take_back = found_or_404(request, take_back_get, actor=actor, take_back_id=take_back_id)
    try:
        moved = loaners_services.take_back_advance(
            actor=actor, take_back=take_back, stage=request.POST.get("stage", "")
        )
    except DomainError as exc:
        return _loaners_page(request, actor, alert=exc.message, status=refusal_status(exc, kept=KEPT_WITH_NOT_FOUND))
    messages.success(
        request, _("Unit %(serial)s: %(stage)s.") % {"serial": moved.unit.serial, "stage": moved.get_stage_display()}
    )
    return redirect("loaners:list")


def _loaner_choices(actor: Actor, take_back: TakeBack) -> list[tuple[int, str]]:
    return [
        (loaner.pk, f"{loaner.serial} · {loaner.product_model.name}")
        for loaner in loaners_to_lend(actor=actor, take_back=take_back)
    ]


@require_http_methods(["GET", "POST"])
@staff_view
def loaner_lend(request: HttpRequest, take_back_id: int) -> HttpResponse:
    """Lend a loaner against a take-back: pick one, the due-back date, the signed receipt."""
    actor = actor_of(request)
    take_back = found_or_404(request, take_back_get, actor=actor, take_back_id=take_back_id)
    choices = _loaner_choices(actor, take_back)
    status = 200
    if request.method == "POST":
        # A loaner that was just lent elsewhere is no longer offered; keep it choosable so the service can say so.
        posted = request.POST.get("loaner", "")
        if posted.isdigit() and int(posted) not in {pk for pk, _label in choices}:
            choices = [*choices, (int(posted), posted)]
        form = LendForm(request.POST, loaners=choices)
        if form.is_valid():
            try:
                loan = loaners_services.loaner_lend(
                    actor=actor,
                    take_back=take_back,
                    loaner_id=form.cleaned_data["loaner"],
                    due_back_on=form.cleaned_data["due_back_on"],
                    receipt_number=form.cleaned_data["receipt_number"],
                    signed_by=form.cleaned_data["signed_by"],
                )
            except DomainError as exc:
                apply_domain_error(form, exc, {"take_back": "__all__", "work_order": "__all__"})
                status = refusal_status(exc, kept=KEPT_WITH_NOT_FOUND)
            else:
                messages.success(
                    request,
                    _("Loaner %(serial)s lent, due back %(due)s.")
                    % {"serial": loan.loaner.serial, "due": loan.due_back_on.isoformat()},
                )
                return redirect("loaners:list")
        else:
            status = 422
    else:
        due = timezone.localdate() + dt.timedelta(days=DEFAULT_LOAN_DAYS)
        form = LendForm(loaners=choices, initial={"due_back_on": due, "signed_by": take_back.signed_by})
    context = {"take_back": take_back, "form": form, "no_loaner": not choices}
    return render(request, "loaners/lend.html", context, status=status)


@require_POST
@staff_view
def loan_return(request: HttpRequest, loan_id: int) -> HttpResponse:
    """The customer brings the loaner back; its condition is noted and it is available again."""
    actor = actor_of(request)
    loan: Loan = found_or_404(request, loan_get, actor=actor, loan_id=loan_id)
    form = ReturnForm(request.POST)
    if not form.is_valid():
        return _loaners_page(request, actor, return_forms={loan.pk: form}, status=422)
    try:
        returned = loaner_return(actor=actor, loan=loan, condition=form.cleaned_data["condition"])
    except DomainError as exc:
        apply_domain_error(form, exc, {"loan": "__all__", "work_order": "__all__"})
        return _loaners_page(
            request,
            actor,
            return_forms={loan.pk: form},
            alert=exc.message,
            status=refusal_status(exc, kept=KEPT_WITH_NOT_FOUND),
        )
    messages.success(request, _("Loaner %(serial)s is back and available.") % {"serial": returned.loaner.serial})
    return redirect("loaners:list")
