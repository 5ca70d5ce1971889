"""Reads of the loaner pool, take-backs and loans, scoped to the actor (R-F5)."""

from __future__ import annotations

import datetime as dt

from django.db.models import Case, IntegerField, QuerySet, When
from django.utils import timezone
from django.utils.translation import gettext as _

from wuyou.accounts.actors import Actor, Scope
from wuyou.accounts.selectors import scoped_to_actor
from wuyou.core.errors import NotFound
from wuyou.loaners.models import TAKE_BACK_STAGES, Loan, LoanerStatus, LoanerUnit, TakeBack, TakeBackStage


def loaners_visible(*, actor: Actor) -> QuerySet[LoanerUnit]:
    """Loaners in the actor's outlets; an engineer sees his outlet's available ones (what he may offer)."""
    qs = LoanerUnit.objects.select_related("outlet", "product_model")
    if actor.scope is Scope.OWN_JOBS:
        if actor.outlet_id is None:
            return qs.none()
        return qs.filter(outlet_id=actor.outlet_id, status=LoanerStatus.AVAILABLE)
    return scoped_to_actor(qs, actor=actor)


def take_backs_visible(*, actor: Actor) -> QuerySet[TakeBack]:
    """Take-backs of visits the actor sees: his outlets', or an engineer's own visits."""
    qs = TakeBack.objects.select_related("work_order", "work_order__request", "unit", "unit__product_model")
    return scoped_to_actor(qs, actor=actor, outlet="work_order__outlet", own_jobs="work_order__engineer__user_id")


def take_backs_open(*, actor: Actor) -> QuerySet[TakeBack]:
    """Customers' units still with the service (not yet returned), oldest first."""
    return take_backs_visible(actor=actor).exclude(stage=TakeBackStage.RETURNED).order_by("taken_at", "pk")


def take_back_get(*, actor: Actor, take_back_id: int) -> TakeBack:
    """One visible take-back; NotFound otherwise."""
    found = take_backs_visible(actor=actor).filter(pk=take_back_id).first()
    if found is None:
        raise NotFound(_("No such take-back repair."), field="take_back")
    return found


def loans_visible(*, actor: Actor) -> QuerySet[Loan]:
    """Loans of visits the actor sees."""
    qs = Loan.objects.select_related("loaner", "loaner__product_model", "take_back", "work_order", "unit")
    return scoped_to_actor(qs, actor=actor, outlet="work_order__outlet", own_jobs="work_order__engineer__user_id")


def loan_get(*, actor: Actor, loan_id: int) -> Loan:
    """One visible loan; NotFound otherwise."""
    found = loans_visible(actor=actor).filter(pk=loan_id).first()
    if found is None:
        raise NotFound(_("No such loan."), field="loan")
    return found


def loans_overdue(*, actor: Actor, today: dt.date | None = None) -> QuerySet[Loan]:
    """Loans not yet returned whose due-back date has passed, most overdue first."""
    today = today or timezone.localdate()
    return (
        loans_visible(actor=actor).filter(returned_at__isnull=True, due_back_on__lt=today).order_by("due_back_on", "pk")
    )


def loaners_to_lend(*, actor: Actor, take_back: TakeBack) -> QuerySet[LoanerUnit]:
    """Available loaners of the take-back's outlet, the unit's own category first (what the lend form offers)."""
    found = take_back_get(actor=actor, take_back_id=take_back.pk)
    category_id = found.unit.product_model.category_id
    return (
        LoanerUnit.objects.filter(outlet_id=found.work_order.outlet_id, status=LoanerStatus.AVAILABLE)
        .select_related("product_model")
        .order_by(
            Case(When(product_model__category_id=category_id, then=0), default=1, output_field=IntegerField()),
            "serial",
        )
    )


def take_backs_short_of_loaner(take_backs: list[TakeBack]) -> set[int]:
    """Ids of the take-backs whose outlet has no available loaner of the unit's category and none lent against them.

    One query for the whole list: the loaners screen marks these for the outlet manager.
    """
    if not take_backs:
        return set()
    covered = set(
        Loan.objects.filter(take_back__in=take_backs, returned_at__isnull=True).values_list("take_back_id", flat=True)
    )
    stocked = set(
        LoanerUnit.objects.filter(
            status=LoanerStatus.AVAILABLE, outlet_id__in={tb.work_order.outlet_id for tb in take_backs}
        ).values_list("outlet_id", "product_model__category_id")
    )
    return {
        tb.pk
        for tb in take_backs
        if tb.pk not in covered
        and tb.stage != TakeBackStage.RETURNED
        and (tb.work_order.outlet_id, tb.unit.product_model.category_id) not in stocked
    }


def take_back_next_stage(take_back: TakeBack) -> str | None:
    """The stage the unit goes to next, or None once it is back with the customer."""
    index = TAKE_BACK_STAGES.index(take_back.stage)
    return TAKE_BACK_STAGES[index + 1] if index + 1 < len(TAKE_BACK_STAGES) else None
