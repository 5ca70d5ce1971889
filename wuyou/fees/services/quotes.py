"""Fee quotes on a visit (issue 5 item 3, R-B3, R-B4): priced from the catalogue, shown before work, decided by
the customer, disputes settled by the centre, and the receipt that explains every charge.

The pricing itself is the pure `products.policy.quote` under the unit's policy; this module supplies what only
field service knows: the parts catalogue (prices and warranty component), the fee schedule's labour charge of
the job, the visit's unit and day. A quote is frozen as shown (figures, policy version, explanation keys) so the
receipt says exactly what the customer agreed to, in the reader's language.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from wuyou.accounts.actors import Actor
from wuyou.accounts.models import Role
from wuyou.accounts.selectors import outlet_contact_ids
from wuyou.core.errors import Conflict, PermissionDenied, TransitionNotAllowed, ValidationFailed
from wuyou.core.signatures import signature_normalised
from wuyou.dispatch.models import OPEN, WorkOrder, WorkOrderStatus
from wuyou.fees.models import FeeQuote, FeeVerb, QuoteStatus
from wuyou.fees.pricing import QuotePart, visit_quote_preview, visit_service_date, yuan_amount
from wuyou.fees.selectors import quote_current, quote_get
from wuyou.notifications.services import message_to_staff
from wuyou.products.policy import Explanation
from wuyou.tickets.services import request_record

MAX_NOTE = 500
MAX_SIGNER = 50
# Who settles a disputed charge at the centre: money decisions are the service managers' (and the admin's).
SETTLER_ROLES = frozenset({Role.SERVICE_MANAGER, Role.ADMIN})
DECISIONS = ("accept", "refuse", "dispute")


def _at_most(text: str, limit: int, field: str) -> None:
    if len(text) > limit:
        raise ValidationFailed(_("At most %(max)d characters.") % {"max": limit}, field=field)


# -- the customer's quote on a visit ------------------------------------------------------------------------------


def visit_quote_offer(
    *,
    actor: Actor,
    work_order: WorkOrder,
    fault_cause: str,
    parts: Sequence[QuotePart] = (),
    labour_card_price: Decimal | None = None,
) -> FeeQuote:
    """Price the visit and show it to the customer: the new quote replaces the current one unless it is disputed."""
    _may_quote(actor, work_order)
    priced = visit_quote_preview(
        actor=actor, work_order=work_order, fault_cause=fault_cause, parts=parts, labour_card_price=labour_card_price
    )
    if not priced.lines:
        raise ValidationFailed(_("A quote needs at least one part or a labour charge."), field="parts")
    with transaction.atomic():
        wo = WorkOrder.objects.select_for_update().get(pk=work_order.pk)  # numbers and the current quote, in turn
        current = quote_current(wo)
        if current is not None and current.status == QuoteStatus.DISPUTED:
            raise TransitionNotAllowed(
                _("The centre is settling the customer's dispute over %(quote)s; wait for its answer.")
                % {"quote": current.number},
                field="quote",
            )
        if current is not None:
            FeeQuote.objects.filter(pk=current.pk).update(status=QuoteStatus.SUPERSEDED, updated_at=timezone.now())
        number = f"{wo.number}-Q{wo.quotes.count() + 1}"
        try:
            with transaction.atomic():
                fee = FeeQuote.objects.create(
                    work_order=wo,
                    number=number,
                    job_type=wo.job_type,
                    fault_cause=fault_cause,
                    service_date=visit_service_date(wo),
                    policy_code=priced.policy,
                    policy_version=priced.version,
                    lines=[_line_data(line) for line in priced.lines],
                    options=[_option_data(option) for option in priced.options],
                    total=priced.total,
                    customer_total=priced.customer_total,
                    quoted_by_id=actor.user_id,
                )
        except IntegrityError as exc:
            raise Conflict(_("Someone else has just quoted this visit; reload it."), field="quote") from exc
        request_record(
            actor=actor,
            request=wo.request,
            verb=FeeVerb.QUOTED,
            summary=_("Quote %(quote)s shown to the customer: ¥%(share)s of ¥%(total)s")
            % {"quote": number, "share": priced.customer_total, "total": priced.total},
            data={
                "quote": number,
                "work_order": wo.number,
                "policy": priced.policy,
                "version": priced.version,
                "total": str(priced.total),
                "customer_total": str(priced.customer_total),
            },
        )
    return fee


def quote_decide(
    *,
    actor: Actor,
    quote_id: int,
    decision: str,
    signed_by: str = "",
    signature: str = "",
    note: str = "",
) -> FeeQuote:
    """Record the customer's answer: accept (signed), refuse, or dispute (the centre is told and settles it)."""
    quote_get(actor=actor, quote_id=quote_id)  # another outlet's quote is not found before its input is weighed
    if decision not in DECISIONS:
        raise ValidationFailed(_("Choose accept, refuse or dispute."), field="decision")
    note = (note or "").strip()
    signed_by = (signed_by or "").strip()
    signature = (signature or "").strip()
    _at_most(note, MAX_NOTE, "note")
    if decision == "accept":
        if not signed_by:
            raise ValidationFailed(_("Write the name of the customer who agrees."), field="signed_by")
        _at_most(signed_by, MAX_SIGNER, "signed_by")
        if not signature:
            raise ValidationFailed(_("Have the customer sign the quote on the screen."), field="signature")
        signature = signature_normalised(signature, field="signature")  # decoded, checked, stored re-encoded
    if decision == "dispute" and not note:
        raise ValidationFailed(_("Write what the customer disputes."), field="note")
    with transaction.atomic():
        fee = quote_get(actor=actor, quote_id=quote_id)
        _may_quote(actor, fee.work_order)
        status = {"accept": QuoteStatus.ACCEPTED, "refuse": QuoteStatus.REFUSED, "dispute": QuoteStatus.DISPUTED}
        now = timezone.now()
        changed = FeeQuote.objects.filter(pk=fee.pk, status=QuoteStatus.PROPOSED).update(
            status=status[decision],
            decided_at=now,
            decided_by_id=actor.user_id,
            signed_by=signed_by if decision == "accept" else "",
            signature=signature if decision == "accept" else "",
            decision_note=note,
            updated_at=now,
        )
        if not changed:
            raise Conflict(
                _("Quote %(quote)s is no longer waiting for the customer's answer; reload the visit.")
                % {"quote": fee.number},
                field="quote",
            )
        fee.refresh_from_db()
        wo = fee.work_order
        summaries = {
            "accept": _("Customer accepted quote %(quote)s: pays ¥%(share)s"),
            "refuse": _("Customer refused quote %(quote)s (¥%(share)s)"),
            "dispute": _("Customer disputes quote %(quote)s (¥%(share)s): sent to the centre"),
        }
        summary = summaries[decision] % {"quote": fee.number, "share": fee.customer_total}
        request_record(
            actor=actor,
            request=wo.request,
            verb=FeeVerb(f"fee_{status[decision]}"),
            summary=summary,
            data={"quote": fee.number, "work_order": wo.number, "customer_total": str(fee.customer_total)},
            note=note,
        )
        if decision == "dispute":
            # The centre settles money disputes: the service managers, and the outlet manager hears of it.
            message_to_staff(
                user_ids=outlet_contact_ids(wo.outlet_id, managers=True, service_managers=True),
                kind="fee_disputed",
                subject=summary,
                body=f"{summary}\n{wo.request.customer.name} · {wo.address_text}\n{note}",
                ref=f"fee_quote:{fee.pk}",
                dedupe_key=f"fee-disputed:{fee.pk}",
            )
    return fee


def quote_settle(*, actor: Actor, quote_id: int, customer_pays: Any, note: str) -> FeeQuote:
    """The centre's answer to a dispute: what the customer pays (0 up to the total), with the reason.

    A quote the actor may not see is not found (404) before his role is weighed (403): no one learns of another
    outlet's quote by being refused it.
    """
    quote_get(actor=actor, quote_id=quote_id)
    if actor.role not in SETTLER_ROLES:
        raise PermissionDenied(_("Only a service manager of the centre settles a disputed charge."))
    note = (note or "").strip()
    if not note:
        raise ValidationFailed(_("Write the reason for the settlement: the customer is told it."), field="note")
    _at_most(note, MAX_NOTE, "note")
    amount = yuan_amount(customer_pays, "customer_pays")
    with transaction.atomic():
        fee = quote_get(actor=actor, quote_id=quote_id)
        if amount > fee.total:
            raise ValidationFailed(
                _("The customer cannot pay more than the quote's total of ¥%(total)s.") % {"total": fee.total},
                field="customer_pays",
            )
        now = timezone.now()
        changed = FeeQuote.objects.filter(pk=fee.pk, status=QuoteStatus.DISPUTED).update(
            status=QuoteStatus.SETTLED,
            settled_at=now,
            settled_by_id=actor.user_id,
            settled_total=amount,
            settlement_note=note,
            updated_at=now,
        )
        if not changed:
            raise Conflict(_("Quote %(quote)s is not in dispute any more.") % {"quote": fee.number}, field="quote")
        fee.refresh_from_db()
        wo = fee.work_order
        summary = _("Dispute over quote %(quote)s settled: the customer pays ¥%(amount)s") % {
            "quote": fee.number,
            "amount": amount,
        }
        request_record(
            actor=actor,
            request=wo.request,
            verb=FeeVerb.SETTLED,
            summary=summary,
            data={"quote": fee.number, "work_order": wo.number, "customer_pays": str(amount)},
            note=note,
        )
        engineer_user = [wo.engineer.user_id] if wo.engineer is not None else []
        message_to_staff(
            user_ids=[*engineer_user, *outlet_contact_ids(wo.outlet_id, managers=True)],
            kind="fee_settled",
            subject=summary,
            body=f"{summary}\n{note}",
            ref=f"fee_quote:{fee.pk}",
            dedupe_key=f"fee-settled:{fee.pk}",
        )
    return fee


# -- internals ----------------------------------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    """A JSON-safe copy of an explanation parameter (dates as ISO text, decimals as text)."""
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _explanation_data(explanation: Explanation) -> dict[str, Any]:
    return {"key": explanation.key, "params": {k: _plain(v) for k, v in explanation.params.items()}}


def _line_data(line: Any) -> dict[str, Any]:
    return {
        "kind": line.line_kind,
        "code": line.code,
        "name": line.name,
        "quantity": line.quantity,
        "amount": str(line.amount),
        "customer_share": str(line.customer_share),
        "rule": line.rule_kind,
        "version": line.version,
        "explanation": _explanation_data(line.explanation),
        "notes": [_explanation_data(note) for note in line.notes],
    }


def _option_data(option: Any) -> dict[str, Any]:
    return {
        "kind": option.kind,
        "eligible": option.eligible,
        "deadline": option.deadline.isoformat(),
        "version": option.version,
        "explanation": _explanation_data(option.explanation),
    }


def _may_quote(actor: Actor, wo: WorkOrder) -> None:
    """The visit's engineer quotes on site; the desk may quote any open visit (e.g. over the phone)."""
    if actor.role == Role.ENGINEER:
        if wo.engineer is None or wo.engineer.user_id != actor.user_id:
            raise PermissionDenied(_("This visit is planned for another engineer."))
        if wo.status != WorkOrderStatus.ON_SITE:
            raise TransitionNotAllowed(_("Quote on site, once you have arrived."), field="quote")
    elif not actor.can_run_desk:
        raise PermissionDenied(_("Your role may not quote fees."))
    elif wo.status not in OPEN:
        raise TransitionNotAllowed(
            _("Visit %(wo)s is %(status)s: it can no longer be quoted.")
            % {"wo": wo.number, "status": wo.get_status_display()},
            field="quote",
        )
