"""What the customer paid on site and his invoice (发票) request (issue 13 item 4, R-B5): the writes.

A payment is taken only once the customer agreed to what he pays (the quote accepted, or settled by the centre);
payments may add up to that amount, never beyond it. A non-cash payment carries its transaction number. The
customer's invoice request waits for the finance desk, who marks it issued. Every write is an event on the request.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from stdnum.cn import uscc
from stdnum.exceptions import ValidationError as NumberInvalid

from wuyou.accounts.actors import Actor
from wuyou.accounts.models import Role
from wuyou.accounts.selectors import calendar_for_outlet
from wuyou.core.errors import Conflict, PermissionDenied, TransitionNotAllowed, ValidationFailed
from wuyou.dispatch.models import WorkOrder, WorkOrderStatus
from wuyou.dispatch.selectors import work_order_get
from wuyou.fees.models import (
    AGREED,
    FeeVerb,
    InvoiceRequest,
    InvoiceStatus,
    InvoiceTitle,
    Payment,
    PaymentMethod,
)
from wuyou.fees.pricing import yuan_amount
from wuyou.fees.selectors import invoice_get, paid_on, quote_current
from wuyou.tickets.services import request_record

MAX_REFERENCE = 64
MAX_TITLE = 100
MAX_INVOICE_NUMBER = 40
# The engineer takes the money at the door, while on site or once the job is done.
ENGINEER_PAYS_AT = (WorkOrderStatus.ON_SITE, WorkOrderStatus.DONE)


def may_take_payment(actor: Actor, wo: WorkOrder) -> bool:
    """The visit's own engineer, or the outlet desk, records what the customer paid."""
    if actor.role == Role.ENGINEER:
        return wo.engineer is not None and wo.engineer.user_id == actor.user_id
    return actor.can_run_desk


def payment_record(*, actor: Actor, work_order_id: int, method: str, amount: Any, reference: str = "") -> Payment:
    """Record money the customer paid for the visit's agreed quote; refuses more than he still owes.

    A visit the actor may not see is not found (404) before his role is weighed (403).
    """
    wo = work_order_get(actor=actor, work_order_id=work_order_id)
    if not may_take_payment(actor, wo):
        raise PermissionDenied(
            _("This visit is planned for another engineer.")
            if actor.role == Role.ENGINEER
            else _("Your role may not record payments.")
        )
    if method not in PaymentMethod.values:
        raise ValidationFailed(_("Choose how the customer paid."), field="method")
    value = yuan_amount(amount, "amount")
    if value <= 0:
        raise ValidationFailed(_("The amount must be more than ¥0.00."), field="amount")
    reference = (reference or "").strip()
    if len(reference) > MAX_REFERENCE:
        raise ValidationFailed(_("At most %(max)d characters.") % {"max": MAX_REFERENCE}, field="reference")
    if method != PaymentMethod.CASH and not reference:
        raise ValidationFailed(
            _("Type the transaction number of the %(method)s payment.") % {"method": PaymentMethod(method).label},
            field="reference",
        )
    with transaction.atomic():
        locked = WorkOrder.objects.select_for_update().get(pk=wo.pk)  # payments of one visit, one at a time
        if actor.role == Role.ENGINEER and locked.status not in ENGINEER_PAYS_AT:
            raise TransitionNotAllowed(_("Record the payment on site."), field="amount")
        if locked.status == WorkOrderStatus.CANCELLED:
            raise TransitionNotAllowed(_("The visit was cancelled: nothing is to be paid."), field="amount")
        quote = quote_current(locked)
        if quote is None or quote.status not in AGREED:
            raise TransitionNotAllowed(
                _("The customer has not agreed to a quote yet: take no money before he does."), field="amount"
            )
        owed = quote.customer_pays
        paid = paid_on(quote)
        if paid + value > owed:
            raise ValidationFailed(
                _("That is more than the customer owes: ¥%(left)s left of ¥%(owed)s.")
                % {"left": owed - paid, "owed": owed},
                field="amount",
            )
        payment = Payment.objects.create(
            work_order=locked,
            quote=quote,
            outlet_id=locked.outlet_id,
            engineer_id=locked.engineer_id,
            method=method,
            amount=value,
            reference=reference,
            day=timezone.localtime(timezone.now(), calendar_for_outlet(locked.outlet_id).zone).date(),
            recorded_by_id=actor.user_id,
        )
        balance = owed - paid - value
        request_record(
            actor=actor,
            request=locked.request,
            verb=FeeVerb.PAID,
            summary=_("Customer paid ¥%(amount)s by %(method)s for quote %(quote)s; balance due ¥%(balance)s")
            % {
                "amount": value,
                "method": PaymentMethod(method).label,
                "quote": quote.number,
                "balance": balance,
            },
            data={
                "quote": quote.number,
                "work_order": locked.number,
                "method": method,
                "amount": str(value),
                "reference": reference,
                "balance_due": str(balance),
            },
        )
    return payment


def tax_number_checked(raw: str) -> str:
    """A unified social credit code (统一社会信用代码, GB 32100-2015): 18 characters with a valid check character."""
    try:
        return str(uscc.validate(raw))
    except NumberInvalid:
        raise ValidationFailed(
            _("Enter the company's 18-character unified social credit code (统一社会信用代码)."), field="tax_number"
        ) from None


def invoice_request(
    *, actor: Actor, work_order_id: int, title_kind: str, title: str, tax_number: str = "", email: str
) -> InvoiceRequest:
    """The customer asks for an e-invoice of what he paid: a personal or a company title, sent by e-mail."""
    wo = work_order_get(actor=actor, work_order_id=work_order_id)
    if not may_take_payment(actor, wo):
        raise PermissionDenied(_("Your role may not take invoice requests."))
    if title_kind not in InvoiceTitle.values:
        raise ValidationFailed(_("Choose a personal or a company title."), field="title_kind")
    title = (title or "").strip()
    if not title:
        raise ValidationFailed(_("Write the invoice title: the person's or the company's name."), field="title")
    if len(title) > MAX_TITLE:
        raise ValidationFailed(_("At most %(max)d characters.") % {"max": MAX_TITLE}, field="title")
    tax_number = (tax_number or "").strip().upper()
    if title_kind == InvoiceTitle.COMPANY:
        tax_number = tax_number_checked(tax_number)
    elif tax_number:
        raise ValidationFailed(_("A personal invoice carries no tax number."), field="tax_number")
    email = (email or "").strip()
    try:
        validate_email(email)
    except ValidationError:
        raise ValidationFailed(_("Enter the e-mail address the e-invoice is sent to."), field="email") from None
    with transaction.atomic():
        locked = WorkOrder.objects.select_for_update().get(pk=wo.pk)
        quote = quote_current(locked)
        paid = paid_on(quote) if quote is not None and quote.status in AGREED else Decimal("0.00")
        if paid <= 0:
            raise TransitionNotAllowed(_("Nothing has been paid yet: record the payment first."), field="invoice")
        try:
            with transaction.atomic():
                invoice = InvoiceRequest.objects.create(
                    work_order=locked,
                    outlet_id=locked.outlet_id,
                    title_kind=title_kind,
                    title=title,
                    tax_number=tax_number,
                    email=email,
                    amount=paid,
                    requested_by_id=actor.user_id,
                )
        except IntegrityError as exc:
            raise Conflict(_("The customer has already asked for an invoice of this visit."), field="invoice") from exc
        request_record(
            actor=actor,
            request=locked.request,
            verb=FeeVerb.INVOICE_REQUESTED,
            summary=_("Invoice of ¥%(amount)s requested (%(kind)s title)")
            % {"amount": paid, "kind": InvoiceTitle(title_kind).label},
            data={"work_order": locked.number, "title_kind": title_kind, "amount": str(paid)},
        )
    return invoice


def invoice_issue(*, actor: Actor, invoice_id: int, invoice_number: str = "") -> InvoiceRequest:
    """The finance desk marks the invoice issued (with its number, if it has one to give)."""
    invoice_get(actor=actor, invoice_id=invoice_id)  # 404 before 403
    if not actor.can_run_desk:
        raise PermissionDenied(_("Only the outlet or finance desk issues invoices."))
    invoice_number = (invoice_number or "").strip()
    if len(invoice_number) > MAX_INVOICE_NUMBER:
        raise ValidationFailed(_("At most %(max)d characters.") % {"max": MAX_INVOICE_NUMBER}, field="invoice_number")
    with transaction.atomic():
        invoice = invoice_get(actor=actor, invoice_id=invoice_id)
        now = timezone.now()
        changed = InvoiceRequest.objects.filter(pk=invoice.pk, status=InvoiceStatus.REQUESTED).update(
            status=InvoiceStatus.ISSUED,
            issued_at=now,
            issued_by_id=actor.user_id,
            invoice_number=invoice_number,
            updated_at=now,
        )
        if not changed:
            raise Conflict(_("This invoice has already been issued."), field="invoice")
        invoice.refresh_from_db()
        wo = invoice.work_order
        request_record(
            actor=actor,
            request=wo.request,
            verb=FeeVerb.INVOICE_ISSUED,
            summary=_("Invoice of ¥%(amount)s issued %(number)s")
            % {"amount": invoice.amount, "number": invoice_number},
            data={"work_order": wo.number, "invoice_number": invoice_number, "amount": str(invoice.amount)},
        )
    return invoice
