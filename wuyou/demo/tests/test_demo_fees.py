"""Issue 5 "done when", in the loaded demo: quotes, consent, parts from the van, receipts, take-backs and loaners.

One small demo for the module (as test_demo_data); each test runs in a savepoint inside it.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings
from django.urls import reverse
from django.utils import translation

from wuyou.accounts.actors import Actor, actor_for_user
from wuyou.accounts.models import Outlet
from wuyou.core.errors import NotFound
from wuyou.demo.parts import PARTS
from wuyou.demo.visits import signature_png
from wuyou.dispatch.models import WorkOrder, WorkOrderStatus
from wuyou.fees.models import QuoteStatus
from wuyou.fees.pricing import QuotePart
from wuyou.fees.selectors import quotes_disputed, receipt_for
from wuyou.fees.services import quote_decide, quote_settle, visit_quote_offer
from wuyou.fieldservice.services import StepInput, work_order_step
from wuyou.loaners.models import Loan, LoanerStatus, LoanerUnit, TakeBackStage
from wuyou.loaners.selectors import loans_overdue, take_backs_open, take_backs_short_of_loaner
from wuyou.notifications.models import Message
from wuyou.parts.models import (
    Part,
    Requisition,
    RequisitionStatus,
    StockMove,
    StockMoveKind,
    StockPlace,
    StockPlaceKind,
)
from wuyou.parts.selectors import low_stock, stock_levels
from wuyou.parts.services import requisition_approve
from wuyou.products.models import JobSpec
from wuyou.products.selectors import policy_for_unit

SMALL = {"customers": 60, "units": 90, "requests": 40}
FAST_HASHER = override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker) -> Iterator[str]:
    """One small demo for the whole module, rolled back at its end."""
    with django_db_blocker.unblock(), FAST_HASHER, transaction.atomic():
        out = StringIO()
        call_command("load_demo", stdout=out, **SMALL)
        yield out.getvalue()
        transaction.set_rollback(True)


@pytest.fixture(autouse=True)
def _each_test_in_a_savepoint(demo, db) -> None:
    """Request `db` after the module's demo so that each test's changes are rolled back."""


def login(username: str) -> Actor:
    return actor_for_user(get_user_model().objects.get(username=username))


def engineers_visit_today() -> WorkOrder:
    return WorkOrder.objects.select_related("request__unit", "request__customer").get(
        status=WorkOrderStatus.ON_SITE, engineer__user__username="engineer"
    )


def test_the_catalogue_fee_schedule_and_policies_are_loaded(demo):
    assert Part.objects.count() == len(PARTS) >= 30
    assert {p.category for p in PARTS} == {
        "air-conditioner",
        "washing-machine",
        "refrigerator",
        "water-heater",
        "wall-hung-boiler",
        "range-hood",
    }
    assert Part.objects.filter(is_consumable=False, low_stock_level__gt=0).exists()
    assert Part.objects.get(code="AC-CMP-35").component == "compressor"
    repair = JobSpec.objects.get(product_model__code="KFR-35GW/BP3DN1Y-XA", job_type="repair")
    install = JobSpec.objects.get(product_model__code="KFR-35GW/BP3DN1Y-XA", job_type="installation")
    assert (repair.labour_fee, install.labour_fee) == (Decimal("100.00"), Decimal("0.00"))
    unit = engineers_visit_today().request.unit
    assert policy_for_unit(unit).code == "haixin-ac"


def test_the_engineer_is_on_site_at_an_out_of_warranty_unit_whose_part_is_in_his_van(demo):
    wo = engineers_visit_today()
    unit = wo.request.unit
    assert wo.diagnosis and wo.arrived_at is not None
    assert (wo.arrived_at.date() - unit.purchase_date).days > 5 * 365
    van = StockPlace.objects.get(kind=StockPlaceKind.VAN, engineer=wo.engineer)
    held = {line.part.code: line.quantity for line in stock_levels(actor=login("engineer"), place_id=van.pk)}
    assert held["AC-PCB-MAIN"] >= 1 and held["AC-CAP-35"] >= 1


def test_the_engineer_quotes_the_customer_agrees_the_part_is_used_and_the_receipt_prints(demo):
    # Given the engineer on site today at a unit bought more than five years ago
    engineer = login("engineer")
    wo = engineers_visit_today()
    # When he quotes the main board and the capacitor, the customer signs, and he books the board by serial
    fee = visit_quote_offer(
        actor=engineer,
        work_order=wo,
        fault_cause="quality",
        parts=[QuotePart("AC-PCB-MAIN", 1), QuotePart("AC-CAP-35", 1)],
    )
    quote_decide(
        actor=engineer,
        quote_id=fee.pk,
        decision="accept",
        signed_by=wo.request.customer.name,
        signature=signature_png(1),
    )
    wo.refresh_from_db()
    work_order_step(
        actor=engineer,
        work_order=wo,
        step="parts_used",
        entry=StepInput(parts=(("AC-PCB-MAIN", "ZK2511B00417", 1), ("AC-CAP-35", "", 1))),
    )
    # Then the receipt lists the parts with the serial, charged at half price (over 4 years old), with reasons
    with translation.override("en"):
        receipt = receipt_for(actor=engineer, work_order_id=wo.pk)
    board = next(line for line in receipt.lines if line.code == "AC-PCB-MAIN")
    assert board.serials == ("ZK2511B00417",)
    assert (board.amount, board.customer_share) == (Decimal("380.00"), Decimal("190.00"))
    assert "50%" in board.explanation and receipt.quote.policy_code == "haixin-ac"
    assert receipt.customer_pays == Decimal("282.50")  # (380 + 35 + 150 labour on a 2 HP cabinet unit) / 2


def test_yesterdays_finished_visit_has_its_receipt_with_serials_and_a_faulty_part_back(demo):
    engineer = login("engineer")
    finished = WorkOrder.objects.get(
        engineer__user__username="engineer", status=WorkOrderStatus.DONE, quotes__status=QuoteStatus.ACCEPTED
    )
    receipt = receipt_for(actor=engineer, work_order_id=finished.pk)
    fan = next(line for line in receipt.lines if line.code == "AC-FAN-OUT")
    assert len(fan.serials) == 1 and receipt.quote.signature.startswith("data:image/png;base64,")
    assert receipt.customer_pays == Decimal("415.00")
    assert StockMove.objects.filter(work_order=finished, kind=StockMoveKind.FAULTY_RETURN).exists()
    assert StockMove.objects.filter(kind=StockMoveKind.FAULTY_RETURN).count() >= 3
    # another outlet's staff cannot read it
    with pytest.raises(NotFound):
        receipt_for(actor=login("qd-shibei-clerk"), work_order_id=finished.pk)


def test_the_magnesium_rod_is_free_under_the_water_heater_policy(demo):
    rod_visit = WorkOrder.objects.get(
        request__unit__product_model__code="ES60H-A3",
        status=WorkOrderStatus.DONE,
        stock_moves__part__code="MG-ROD-60",  # the month of quality history has other water-heater visits
    )
    with translation.override("en"):
        receipt = receipt_for(actor=login("outlet_manager"), work_order_id=rod_visit.pk)
    (rod,) = [line for line in receipt.lines if line.code == "MG-ROD-60"]
    assert (rod.rule, rod.version, rod.customer_share) == ("free_consumable", "haixin-wh-2022", Decimal("0.00"))
    assert "MG-*" in rod.explanation


def test_a_disputed_quote_waits_for_the_centre_and_the_manager_settles_it(demo):
    manager = login("manager")
    (disputed,) = quotes_disputed(actor=manager)
    assert disputed.decision_note
    assert Message.objects.filter(kind="fee_disputed").exists()
    goodwill = "刚过保修期，按质量问题免费更换"
    settled = quote_settle(actor=manager, quote_id=disputed.pk, customer_pays="0", note=goodwill)
    assert settled.status == QuoteStatus.SETTLED
    assert receipt_for(actor=manager, work_order_id=settled.work_order_id).customer_pays == Decimal("0.00")


def test_take_backs_and_loaners_tell_their_whole_story(demo):
    outlet_manager = login("outlet_manager")
    # one loaner lent and returned, the customer's unit back with him
    returned = Loan.objects.get(returned_at__isnull=False)
    assert returned.take_back.stage == TakeBackStage.RETURNED
    assert returned.loaner.status == LoanerStatus.AVAILABLE and returned.returned_condition
    # one loan overdue (the unit is repaired, the customer not yet called back), one out and not yet due
    (overdue,) = loans_overdue(actor=outlet_manager)
    assert overdue.take_back.stage == TakeBackStage.REPAIRED
    out = Loan.objects.filter(returned_at__isnull=True).exclude(pk=overdue.pk).get()
    assert out.loaner.status == LoanerStatus.LENT
    # one take-back with no loaner to give: flagged to the outlet manager
    open_take_backs = list(take_backs_open(actor=outlet_manager))
    assert len(take_backs_short_of_loaner(open_take_backs)) == 1
    assert Message.objects.filter(kind="loaner_shortage").exists()
    # air conditioners are never lent; every outlet keeps 2 to 4 loaners
    assert not LoanerUnit.objects.filter(product_model__category__code="air-conditioner").exists()
    assert all(2 <= outlet.loaners.count() <= 4 for outlet in Outlet.objects.all())


def test_vans_are_stocked_some_run_low_and_a_requisition_waits_for_the_manager(demo):
    outlet_manager = login("outlet_manager")
    vans = StockPlace.objects.filter(kind=StockPlaceKind.VAN, outlet__code="qd-shinan")
    assert vans.count() == 5
    assert all(StockMove.objects.filter(place=van, kind=StockMoveKind.TRANSFER_IN).exists() for van in vans)
    assert any(line.place.kind == StockPlaceKind.VAN for line in low_stock(actor=outlet_manager))
    waiting = Requisition.objects.get(status=RequisitionStatus.REQUESTED)
    assert waiting.destination.engineer.user.username == "engineer"
    assert requisition_approve(actor=outlet_manager, requisition_id=waiting.pk).status == RequisitionStatus.APPROVED


@pytest.mark.parametrize(
    ("username", "page"),
    [
        ("engineer", "my_day"),
        ("engineer", "onsite"),
        ("engineer", "receipt"),
        ("manager", "disputes"),
        ("outlet_manager", "parts"),
        ("outlet_manager", "requisitions"),
        ("outlet_manager", "loaners"),
        ("qd-shibei-clerk", "receipt"),
    ],
)
def test_the_tour_pages_open_for_their_logins(demo, client, username, page):
    client.force_login(get_user_model().objects.get(username=username))
    finished = WorkOrder.objects.get(
        engineer__user__username="engineer", status=WorkOrderStatus.DONE, quotes__status=QuoteStatus.ACCEPTED
    )
    urls = {
        "my_day": reverse("fieldservice:my_day"),
        "onsite": reverse("fieldservice:work_order", args=[engineers_visit_today().pk]),
        "receipt": reverse("fees:receipt", args=[finished.pk]),
        "disputes": reverse("fees:disputes"),
        "parts": reverse("parts:stock"),
        "requisitions": reverse("parts:requisitions"),
        "loaners": reverse("loaners:list"),
    }
    response = client.get(urls[page], HTTP_ACCEPT_LANGUAGE="en")
    # another outlet's clerk gets 404 for outlet 1's receipt; everyone else the page
    assert response.status_code == (404 if username == "qd-shibei-clerk" else 200)
    if page == "receipt" and response.status_code == 200:
        (fan,) = StockMove.objects.filter(work_order=finished, part__code="AC-FAN-OUT", kind=StockMoveKind.CONSUMPTION)
        assert fan.serial in response.content.decode()
    if page == "loaners":
        overdue = loans_overdue(actor=login(username)).get()
        assert overdue.loaner.serial in response.content.decode()
