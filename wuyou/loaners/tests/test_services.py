"""Loaner units and take-back repair (issue 5 item 5, R-F5): take back, lend on a signed receipt, follow the
customer's unit through the repair and back, return the loaner; overdue list; shortage flagged to the manager.

Time is frozen by the `field_service` fixture on Tuesday 2026-11-24 07:00 Shanghai.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import connection
from django.utils import translation

from tests.concurrency import run_together
from tests.factories import ProductModelFactory
from tests.field_service import TODAY
from wuyou.core.errors import Conflict, NotFound, PermissionDenied, TransitionNotAllowed, ValidationFailed
from wuyou.dispatch.models import WorkOrder
from wuyou.loaners.models import Loan, LoanerStatus, LoanerUnit, TakeBack, TakeBackStage
from wuyou.loaners.selectors import loaners_visible, loans_overdue, take_back_get, take_backs_open
from wuyou.loaners.services import loaner_lend, loaner_return, take_back_advance, take_back_record
from wuyou.notifications.models import Message
from wuyou.products.models import ProductModel
from wuyou.tickets.models import RequestEvent

DUE = TODAY + dt.timedelta(days=14)


@dataclass
class Loaners:
    """Outlet A with two loaners of the customer's model (one retired), outlet B with one; a visit on site."""

    f: Any
    loaner: LoanerUnit
    retired: LoanerUnit
    loaner_b: LoanerUnit
    work_order: WorkOrder

    def actor(self, name: str):
        return self.f.network.actor(getattr(self.f.network, name))

    def visit(self, *, outlet=None, engineer=None) -> WorkOrder:
        """Another visit, with its engineer on site."""
        return self.f.visit_on_site(engineer=engineer, outlet=outlet)

    def take_back(self, wo: WorkOrder | None = None, actor: str = "engineer_a") -> TakeBack:
        return take_back_record(
            actor=self.actor(actor), work_order=wo or self.work_order, receipt_number="TB-0001", signed_by="李建国"
        )


@pytest.fixture
def loaners(field_service) -> Loaners:
    f = field_service
    net = f.network
    model = ProductModel.objects.get(code=f.model_code)
    wo = f.visit_on_site()
    return Loaners(
        f=f,
        loaner=LoanerUnit.objects.create(outlet=net.outlet_a, product_model=model, serial="LN-A-001"),
        retired=LoanerUnit.objects.create(
            outlet=net.outlet_a, product_model=model, serial="LN-A-002", status=LoanerStatus.RETIRED
        ),
        loaner_b=LoanerUnit.objects.create(outlet=net.outlet_b, product_model=model, serial="LN-B-001"),
        work_order=wo,
    )


def verbs(wo: WorkOrder) -> list[str]:
    return list(RequestEvent.objects.filter(request_id=wo.request_id).order_by("pk").values_list("verb", flat=True))


# ----------------------------------------------------------------------------------------------------- lending


def test_the_engineer_takes_the_unit_back_and_the_clerk_lends_a_loaner_on_a_signed_receipt(loaners):
    s = loaners
    # given the engineer takes the customer's unit away on a signed receipt
    take_back = s.take_back()
    assert (take_back.stage, take_back.receipt_number, take_back.signed_by) == (
        TakeBackStage.TAKEN,
        "TB-0001",
        "李建国",
    )
    assert take_back.unit_id == s.work_order.request.unit_id
    # when the clerk lends outlet A's loaner against it, due back in two weeks
    loan = loaner_lend(
        actor=s.actor("clerk_a"),
        take_back=take_back,
        loaner_id=s.loaner.pk,
        due_back_on=DUE,
        receipt_number="LN-0001",
        signed_by="李建国",
    )
    # then the loaner is out, the loan names the visit, the unit and the receipt, and the request says so
    s.loaner.refresh_from_db()
    assert s.loaner.status == LoanerStatus.LENT
    assert (loan.work_order_id, loan.unit_id, loan.due_back_on, loan.receipt_number, loan.returned_at) == (
        s.work_order.pk,
        take_back.unit_id,
        DUE,
        "LN-0001",
        None,
    )
    assert verbs(s.work_order)[-2:] == ["unit_taken_back", "loaner_lent"]
    # and no shortage was flagged: a loaner was available when the unit was taken
    assert not Message.objects.filter(kind="loaner_shortage").exists()


def test_lending_a_loaner_that_is_already_out_is_a_conflict_and_writes_nothing(loaners):
    s = loaners
    first = s.take_back()
    loaner_lend(
        actor=s.actor("clerk_a"),
        take_back=first,
        loaner_id=s.loaner.pk,
        due_back_on=DUE,
        receipt_number="L1",
        signed_by="甲",
    )
    second = s.take_back(s.visit())
    loans, events = Loan.objects.count(), RequestEvent.objects.count()
    with translation.override("en"), pytest.raises(Conflict, match="already out") as caught:
        loaner_lend(
            actor=s.actor("outlet_manager_a"),
            take_back=second,
            loaner_id=s.loaner.pk,
            due_back_on=DUE,
            receipt_number="L2",
            signed_by="乙",
        )
    assert caught.value.field == "loaner"
    assert (Loan.objects.count(), RequestEvent.objects.count()) == (loans, events)
    # a retired loaner is not lent either
    with pytest.raises(Conflict):
        loaner_lend(
            actor=s.actor("clerk_a"),
            take_back=second,
            loaner_id=s.retired.pk,
            due_back_on=DUE,
            receipt_number="L3",
            signed_by="乙",
        )
    assert Loan.objects.count() == loans


@pytest.mark.parametrize(
    ("due", "receipt", "signer", "field"),
    [
        (TODAY, "L1", "甲", "due_back_on"),  # must be in the future
        (TODAY + dt.timedelta(days=91), "L1", "甲", "due_back_on"),  # at most 90 days
        (DUE, "  ", "甲", "receipt_number"),  # the signed receipt is required
        (DUE, "L1", "", "signed_by"),
    ],
)
def test_a_loan_needs_a_due_date_within_ninety_days_and_a_signed_receipt(loaners, due, receipt, signer, field):
    s = loaners
    take_back = s.take_back()
    with pytest.raises(ValidationFailed) as caught:
        loaner_lend(
            actor=s.actor("clerk_a"),
            take_back=take_back,
            loaner_id=s.loaner.pk,
            due_back_on=due,
            receipt_number=receipt,
            signed_by=signer,
        )
    assert caught.value.field == field
    assert not Loan.objects.exists()
    assert LoanerUnit.objects.get(pk=s.loaner.pk).status == LoanerStatus.AVAILABLE


def test_ninety_days_ahead_is_the_last_due_date_allowed(loaners):
    s = loaners
    loan = loaner_lend(
        actor=s.actor("clerk_a"),
        take_back=s.take_back(),
        loaner_id=s.loaner.pk,
        due_back_on=TODAY + dt.timedelta(days=90),
        receipt_number="L1",
        signed_by="甲",
    )
    assert loan.due_back_on == dt.date(2027, 2, 22)


def test_the_loaner_comes_back_and_can_be_lent_again(loaners):
    s = loaners
    later_visit = s.visit()
    loan = loaner_lend(
        actor=s.actor("clerk_a"),
        take_back=s.take_back(),
        loaner_id=s.loaner.pk,
        due_back_on=DUE,
        receipt_number="L1",
        signed_by="甲",
    )
    s.f.now(TODAY + dt.timedelta(days=5), "10:00")
    returned = loaner_return(actor=s.actor("clerk_a"), loan=loan, condition="外壳轻微划痕")
    assert returned.returned_at is not None and returned.returned_condition == "外壳轻微划痕"
    s.loaner.refresh_from_db()
    assert (s.loaner.status, s.loaner.condition_note) == (LoanerStatus.AVAILABLE, "外壳轻微划痕")
    assert verbs(s.work_order)[-1] == "loaner_returned"
    # returning it twice is told, not applied twice
    with pytest.raises(Conflict):
        loaner_return(actor=s.actor("clerk_a"), loan=loan, condition="")
    # and it goes out again against another take-back
    again = loaner_lend(
        actor=s.actor("clerk_a"),
        take_back=s.take_back(later_visit),
        loaner_id=s.loaner.pk,
        due_back_on=TODAY + dt.timedelta(days=20),
        receipt_number="L2",
        signed_by="乙",
    )
    assert again.loaner_id == s.loaner.pk and Loan.objects.filter(returned_at__isnull=True).count() == 1


def test_the_overdue_list_holds_loans_past_their_due_date_not_yet_returned(loaners):
    s = loaners
    model = ProductModel.objects.get(code=s.f.model_code)
    other = LoanerUnit.objects.create(outlet=s.f.network.outlet_a, product_model=model, serial="LN-A-003")
    late = loaner_lend(
        actor=s.actor("clerk_a"),
        take_back=s.take_back(),
        loaner_id=s.loaner.pk,
        due_back_on=TODAY + dt.timedelta(days=3),
        receipt_number="L1",
        signed_by="甲",
    )
    back = loaner_lend(
        actor=s.actor("clerk_a"),
        take_back=s.take_back(s.visit()),
        loaner_id=other.pk,
        due_back_on=TODAY + dt.timedelta(days=3),
        receipt_number="L2",
        signed_by="乙",
    )
    loaner_return(actor=s.actor("clerk_a"), loan=back, condition="")
    clerk = s.actor("clerk_a")
    # on the due date itself it is not late yet; the day after it is
    assert list(loans_overdue(actor=clerk, today=TODAY + dt.timedelta(days=3))) == []
    assert list(loans_overdue(actor=clerk, today=TODAY + dt.timedelta(days=4))) == [late]
    # another outlet's clerk does not see outlet A's late loans
    assert list(loans_overdue(actor=s.actor("clerk_b"), today=TODAY + dt.timedelta(days=4))) == []


# ---------------------------------------------------------------------------------------------- no loaner free


def test_a_take_back_with_no_loaner_available_is_flagged_to_the_outlet_manager_once(loaners):
    s = loaners
    # given outlet A's only working loaner is out
    loaner_lend(
        actor=s.actor("clerk_a"),
        take_back=s.take_back(),
        loaner_id=s.loaner.pk,
        due_back_on=DUE,
        receipt_number="L1",
        signed_by="甲",
    )
    # and a loaner of another category (a washing machine) is available, which does not fit an air-conditioner
    washer = ProductModelFactory(
        code="XQG100", name="滚筒洗衣机", category__code="washing-machine", category__name="洗衣机"
    )
    LoanerUnit.objects.create(outlet=s.f.network.outlet_a, product_model=washer, serial="LN-A-W01")
    assert not Message.objects.filter(kind="loaner_shortage").exists()
    # when another unit is taken back
    with translation.override("en"):
        take_back = s.take_back(s.visit())
    # then outlet A's manager gets one message naming the unit
    [message] = Message.objects.filter(kind="loaner_shortage")
    assert message.recipient_id == s.f.network.outlet_manager_a.user_id
    assert message.subject == "Take-back with no loaner available"
    assert take_back.unit.serial in message.body and message.ref == f"take_back:{take_back.pk}"
    assert message.dedupe_key.startswith(f"take-back-no-loaner:{take_back.pk}:")


# ------------------------------------------------------------------------------------ the customer's unit's path


def test_the_customers_unit_goes_through_every_stage_and_back(loaners):
    s = loaners
    take_back = s.take_back()
    clerk = s.actor("clerk_a")
    assert list(take_backs_open(actor=clerk)) == [take_back]
    # skipping a stage or going back is refused
    with pytest.raises(TransitionNotAllowed):
        take_back_advance(actor=clerk, take_back=take_back, stage=TakeBackStage.REPAIRED)
    with pytest.raises(ValidationFailed):
        take_back_advance(actor=clerk, take_back=take_back, stage="lost")
    for stage in (TakeBackStage.AT_OUTLET, TakeBackStage.IN_REPAIR, TakeBackStage.REPAIRED):
        take_back = take_back_advance(actor=clerk, take_back=take_back, stage=stage)
        assert take_back.stage == stage and take_back.returned_at is None
    s.f.now(TODAY + dt.timedelta(days=6), "15:00")
    take_back = take_back_advance(actor=s.actor("engineer_a"), take_back=take_back, stage=TakeBackStage.RETURNED)
    assert take_back.stage == TakeBackStage.RETURNED and take_back.returned_at is not None
    assert list(take_backs_open(actor=clerk)) == []
    assert verbs(s.work_order).count("take_back_advanced") == 4
    with pytest.raises(TransitionNotAllowed):
        take_back_advance(actor=clerk, take_back=take_back, stage=TakeBackStage.TAKEN)
    # the unit is back: it may be taken again on a later visit, and a returned take-back needs no loaner
    with pytest.raises(TransitionNotAllowed):
        loaner_lend(
            actor=clerk,
            take_back=take_back,
            loaner_id=s.loaner.pk,
            due_back_on=DUE,
            receipt_number="L1",
            signed_by="甲",
        )


def test_a_unit_already_taken_back_is_not_taken_twice(loaners):
    s = loaners
    s.take_back()
    with pytest.raises(Conflict):
        s.take_back(actor="clerk_a")
    assert TakeBack.objects.count() == 1


# ----------------------------------------------------------------------------------------------------- scope


def test_another_outlet_sees_nothing_and_gets_not_found(loaners):
    s = loaners
    take_back = s.take_back()
    loan = loaner_lend(
        actor=s.actor("clerk_a"),
        take_back=take_back,
        loaner_id=s.loaner.pk,
        due_back_on=DUE,
        receipt_number="L1",
        signed_by="甲",
    )
    clerk_b = s.actor("clerk_b")
    with pytest.raises(NotFound):
        take_back_record(actor=clerk_b, work_order=s.visit(), receipt_number="X", signed_by="X")
    with pytest.raises(NotFound):
        take_back_get(actor=clerk_b, take_back_id=take_back.pk)
    with pytest.raises(NotFound):
        take_back_advance(actor=clerk_b, take_back=take_back, stage=TakeBackStage.AT_OUTLET)
    with pytest.raises(NotFound):
        loaner_return(actor=clerk_b, loan=loan, condition="")
    # outlet B's loaner is not lent against outlet A's take-back, even by head office
    second = s.take_back(s.visit())
    with pytest.raises(NotFound):
        loaner_lend(
            actor=s.actor("hq_clerk"),
            take_back=second,
            loaner_id=s.loaner_b.pk,
            due_back_on=DUE,
            receipt_number="L2",
            signed_by="乙",
        )
    assert list(loaners_visible(actor=clerk_b)) == [s.loaner_b]
    assert list(take_backs_open(actor=clerk_b)) == []


def test_an_engineer_sees_his_outlets_available_loaners_and_handles_only_his_own_visits(loaners):
    s = loaners
    assert list(loaners_visible(actor=s.actor("engineer_a2"))) == [s.loaner]  # not the retired one, not B's
    assert {lu.serial for lu in loaners_visible(actor=s.actor("outlet_manager_a"))} == {"LN-A-001", "LN-A-002"}
    # engineer A2 is not on this visit: he does not see it at all
    with pytest.raises(NotFound):
        s.take_back(actor="engineer_a2")
    # a sales rep of the outlet may see the visit's outlet but runs no take-backs
    with pytest.raises((PermissionDenied, NotFound)):
        s.take_back(actor="sales_rep_a")


# ------------------------------------------------------------------------------------------- PostgreSQL races


@pytest.mark.django_db(transaction=True)
def test_two_clerks_lending_the_same_loaner_at_once_one_wins(loaners):
    if connection.vendor != "postgresql":
        pytest.skip("concurrency is proved on PostgreSQL (set DATABASE_URL)")
    s = loaners
    take_backs = [s.take_back(), s.take_back(s.visit())]
    clerks = [s.actor("clerk_a"), s.actor("outlet_manager_a")]
    outcomes = run_together(
        *(
            (
                lambda a=actor, tb=tb, n=n: loaner_lend(
                    actor=a,
                    take_back=tb,
                    loaner_id=s.loaner.pk,
                    due_back_on=DUE,
                    receipt_number=f"L{n}",
                    signed_by="甲",
                )
            )
            for n, (actor, tb) in enumerate(zip(clerks, take_backs, strict=True))
        )
    )
    assert sorted(type(o).__name__ for o in outcomes) == ["Conflict", "Loan"], outcomes
    assert Loan.objects.filter(loaner=s.loaner).count() == 1
    assert LoanerUnit.objects.get(pk=s.loaner.pk).status == LoanerStatus.LENT
    assert RequestEvent.objects.filter(verb="loaner_lent").count() == 1
