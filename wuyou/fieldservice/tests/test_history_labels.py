"""Every step a visit records on its request — fees, parts, take-back, loaner — reads as words in the request's
history, in either language, never as a raw event verb."""

from __future__ import annotations

import datetime as dt

from django.utils import translation

from tests.field_service import TODAY, catalogue_part, quote_agreed, van_stocked
from wuyou.dispatch.models import WorkOrder, WorkOrderStatus
from wuyou.fees.pricing import QuotePart
from wuyou.fees.services import quote_decide, quote_settle, visit_quote_offer
from wuyou.fieldservice.services import StepInput, work_order_step
from wuyou.loaners.models import LoanerUnit
from wuyou.loaners.services import loaner_lend, loaner_return, take_back_advance
from wuyou.parts.services import part_return_faulty
from wuyou.products.models import ProductModel
from wuyou.tickets.history import history_line
from wuyou.tickets.models import RequestEvent


def on_site(f):
    wo = f.work_order()
    WorkOrder.objects.filter(pk=wo.pk).update(engineer=f.network.engineer_a, status=WorkOrderStatus.ON_SITE)
    wo.refresh_from_db()
    return wo


def test_fee_parts_and_loaner_events_have_a_label(field_service):
    f = field_service
    net = f.network
    me = net.actor(net.engineer_a)
    clerk = net.actor(net.clerk_a)
    catalogue_part("CAP-1", "启动电容", "12.00", "35.00")
    van_stocked(net, net.engineer_a, {"CAP-1": 1})
    LoanerUnit.objects.create(
        outlet=net.outlet_a, product_model=ProductModel.objects.get(code=f.model_code), serial="LN-A-001"
    )
    repaired = on_site(f)
    quote_agreed(me, repaired, ("CAP-1", 1))
    work_order_step(actor=me, work_order=repaired, step="parts_used", entry=StepInput(parts=(("CAP-1", "SN-1", 1),)))
    part_return_faulty(actor=me, work_order_id=repaired.pk, part_code="CAP-1", serial="SN-OLD")
    repaired.refresh_from_db()
    work_order_step(
        actor=me, work_order=repaired, step="take_back", entry=StepInput(receipt="TB-1", signed_by="李建国")
    )
    take_back = repaired.take_backs.get()
    loan = loaner_lend(
        actor=clerk,
        take_back=take_back,
        loaner_id=LoanerUnit.objects.get().pk,
        due_back_on=TODAY + dt.timedelta(days=7),
        receipt_number="LN-1",
        signed_by="李建国",
    )
    take_back_advance(actor=clerk, take_back=take_back, stage="at_outlet")
    loaner_return(actor=clerk, loan=loan)
    disputed = on_site(f)
    for decision in ("refuse", "dispute"):
        fee = visit_quote_offer(actor=me, work_order=disputed, fault_cause="quality", parts=[QuotePart("CAP-1")])
        quote_decide(actor=me, quote_id=fee.pk, decision=decision, note="太贵")
    quote_settle(actor=net.actor(net.manager), quote_id=fee.pk, customer_pays="0", note="免收")

    events = RequestEvent.objects.filter(request_id__in=[repaired.request_id, disputed.request_id])
    verbs = set(events.values_list("verb", flat=True))
    assert {"fee_quoted", "fee_accepted", "fee_refused", "fee_disputed", "fee_settled", "part_consumed"} <= verbs
    assert {"faulty_part_returned", "unit_taken_back", "loaner_lent", "take_back_advanced", "loaner_returned"} <= verbs
    for language in ("en", "zh-hans"):
        with translation.override(language):
            unlabelled = {e.verb for e in events if history_line(e).what == e.verb}
        assert unlabelled == set(), (language, unlabelled)
