"""Loaner units and take-back repair (issue 5 item 5, R-F5): take back, lend, advance, return; what is out and late.

A loaner moves available → lent by a conditional UPDATE (`… WHERE status = 'available'`), so when two clerks lend
the same loaner at once one wins and the other is told it is already out; a partial unique index (one open loan
per loaner) backs that up. Every step writes an event on the service request behind the visit.
"""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from wuyou.accounts.actors import Actor
from wuyou.accounts.selectors import outlet_contact_ids
from wuyou.core.errors import Conflict, NotFound, PermissionDenied, TransitionNotAllowed, ValidationFailed
from wuyou.dispatch.models import WorkOrder, WorkOrderStatus
from wuyou.dispatch.selectors import work_order_get
from wuyou.loaners.models import TAKE_BACK_STAGES, Loan, LoanerStatus, LoanerUnit, LoanerVerb, TakeBack, TakeBackStage
from wuyou.loaners.selectors import loan_get, take_back_get
from wuyou.notifications.services import message_to_staff
from wuyou.tickets.services import request_record

MAX_LOAN_DAYS = 90  # a repair that takes longer is a replacement case, not a loan
MAX_RECEIPT = 40
MAX_SIGNER = 60
MAX_CONDITION = 300


# ------------------------------------------------------------------------------------------------------ services


def take_back_record(*, actor: Actor, work_order: WorkOrder, receipt_number: str, signed_by: str) -> TakeBack:
    """The engineer (or the desk) takes the customer's unit away for repair on a signed receipt.

    When the outlet has no available loaner of the unit's category, its manager is told (once per take-back).
    """
    receipt_number = _required(receipt_number, field="receipt_number", limit=MAX_RECEIPT)
    signed_by = _required(signed_by, field="signed_by", limit=MAX_SIGNER)
    with transaction.atomic():
        wo = _work_order_for_loans(actor=actor, work_order_id=work_order.pk)
        unit = wo.request.unit
        if unit is None:
            raise ValidationFailed(_("The request names no registered unit to take back."), field="work_order")
        if TakeBack.objects.filter(unit=unit).exclude(stage=TakeBackStage.RETURNED).exists():
            raise Conflict(_("This unit is already taken back for repair."), field="work_order")
        now = timezone.now()
        try:
            with transaction.atomic():
                take_back = TakeBack.objects.create(
                    work_order=wo,
                    unit=unit,
                    taken_at=now,
                    receipt_number=receipt_number,
                    signed_by=signed_by,
                    recorded_by_id=actor.user_id,
                )
        except IntegrityError as exc:  # a second taker of the same unit at the same moment
            raise Conflict(_("This unit is already taken back for repair."), field="work_order") from exc
        request_record(
            actor=actor,
            request=wo.request,
            verb=LoanerVerb.UNIT_TAKEN_BACK,
            summary=_("Unit %(serial)s taken back for repair (receipt %(receipt)s)")
            % {"serial": unit.serial, "receipt": receipt_number},
            data={"take_back": take_back.pk, "unit": unit.serial, "receipt": receipt_number, "work_order": wo.pk},
        )
        suitable = LoanerUnit.objects.filter(
            outlet_id=wo.outlet_id,
            status=LoanerStatus.AVAILABLE,
            product_model__category_id=unit.product_model.category_id,
        )
        if not suitable.exists():
            _flag_no_loaner(take_back=take_back, work_order=wo)
    return take_back


def loaner_lend(
    *,
    actor: Actor,
    take_back: TakeBack,
    loaner_id: int,
    due_back_on: dt.date,
    receipt_number: str,
    signed_by: str,
) -> Loan:
    """Lend an available loaner of the visit's outlet against a take-back; Conflict when it is already out."""
    receipt_number = _required(receipt_number, field="receipt_number", limit=MAX_RECEIPT)
    signed_by = _required(signed_by, field="signed_by", limit=MAX_SIGNER)
    today = timezone.localdate()
    if not isinstance(due_back_on, dt.date) or isinstance(due_back_on, dt.datetime):
        raise ValidationFailed(_("Enter the date the loaner is due back."), field="due_back_on")
    if not today < due_back_on <= today + dt.timedelta(days=MAX_LOAN_DAYS):
        raise ValidationFailed(
            _("The due-back date must be after today and at most %(days)d days ahead.") % {"days": MAX_LOAN_DAYS},
            field="due_back_on",
        )
    with transaction.atomic():
        found = take_back_get(actor=actor, take_back_id=take_back.pk)
        wo = _work_order_for_loans(actor=actor, work_order_id=found.work_order_id)
        if found.stage == TakeBackStage.RETURNED:
            raise TransitionNotAllowed(
                _("The customer's unit is already back: no loaner is needed."), field="take_back"
            )
        loaner = LoanerUnit.objects.filter(pk=loaner_id, outlet_id=wo.outlet_id).first()
        if loaner is None:
            raise NotFound(_("No such loaner at this outlet."), field="loaner")
        if Loan.objects.filter(take_back=found, returned_at__isnull=True).exists():
            raise Conflict(_("A loaner is already out against this take-back."), field="take_back")
        # The conditional update is the claim: of two clerks lending it at once, only one sees a row change.
        claimed = LoanerUnit.objects.filter(pk=loaner.pk, status=LoanerStatus.AVAILABLE).update(
            status=LoanerStatus.LENT, updated_at=timezone.now()
        )
        if not claimed:
            raise Conflict(_("Loaner %(serial)s is already out.") % {"serial": loaner.serial}, field="loaner")
        try:
            with transaction.atomic():
                loan = Loan.objects.create(
                    loaner=loaner,
                    take_back=found,
                    work_order=wo,
                    unit_id=found.unit_id,
                    lent_at=timezone.now(),
                    due_back_on=due_back_on,
                    receipt_number=receipt_number,
                    signed_by=signed_by,
                    lent_by_id=actor.user_id,
                )
        except IntegrityError as exc:  # another loaner lent against the same take-back at the same moment
            raise Conflict(_("A loaner is already out against this take-back."), field="take_back") from exc
        request_record(
            actor=actor,
            request=wo.request,
            verb=LoanerVerb.LOANER_LENT,
            summary=_("Loaner %(serial)s lent, due back %(due)s (receipt %(receipt)s)")
            % {"serial": loaner.serial, "due": due_back_on.isoformat(), "receipt": receipt_number},
            data={
                "loan": loan.pk,
                "loaner": loaner.serial,
                "take_back": found.pk,
                "due_back_on": due_back_on.isoformat(),
                "receipt": receipt_number,
            },
        )
    return loan


def take_back_advance(*, actor: Actor, take_back: TakeBack, stage: str) -> TakeBack:
    """Move the customer's unit to the next stage (taken → at outlet → in repair → repaired → returned)."""
    if stage not in TAKE_BACK_STAGES:
        raise ValidationFailed(_("Unknown stage."), field="stage")
    with transaction.atomic():
        found = take_back_get(actor=actor, take_back_id=take_back.pk)
        wo = _work_order_for_loans(actor=actor, work_order_id=found.work_order_id, any_status=True)
        current = TAKE_BACK_STAGES.index(found.stage)
        if TAKE_BACK_STAGES.index(stage) != current + 1:
            raise TransitionNotAllowed(
                _("A unit that is %(now)s cannot go to %(next)s.")
                % {"now": found.get_stage_display(), "next": TakeBackStage(stage).label},
                field="stage",
            )
        now = timezone.now()
        returned_at = now if stage == TakeBackStage.RETURNED else None
        # Conditional on the stage read: of two clerks advancing it at once, the second is told, not applied twice.
        moved = TakeBack.objects.filter(pk=found.pk, stage=found.stage).update(
            stage=stage, returned_at=returned_at, updated_at=now
        )
        if not moved:
            raise Conflict(_("Someone else has just moved this unit on; reload and try again."), field="stage")
        found.refresh_from_db()
        request_record(
            actor=actor,
            request=wo.request,
            verb=LoanerVerb.TAKE_BACK_ADVANCED,
            summary=_("Unit %(serial)s: %(stage)s") % {"serial": found.unit.serial, "stage": found.get_stage_display()},
            data={"take_back": found.pk, "unit": found.unit.serial, "stage": stage},
        )
    return found


def loaner_return(*, actor: Actor, loan: Loan, condition: str = "") -> Loan:
    """The customer brings the loaner back: the loan closes with its condition and the loaner is available again."""
    condition = (condition or "").strip()
    if len(condition) > MAX_CONDITION:
        raise ValidationFailed(
            _("Describe the condition in at most %(max)d characters.") % {"max": MAX_CONDITION}, field="condition"
        )
    with transaction.atomic():
        found = loan_get(actor=actor, loan_id=loan.pk)
        wo = _work_order_for_loans(actor=actor, work_order_id=found.work_order_id, any_status=True)
        now = timezone.now()
        closed = Loan.objects.filter(pk=found.pk, returned_at__isnull=True).update(
            returned_at=now, returned_condition=condition, updated_at=now
        )
        if not closed:
            raise Conflict(_("This loaner has already been returned."), field="loan")
        loaner_fields: dict[str, object] = {"status": LoanerStatus.AVAILABLE, "updated_at": now}
        if condition:
            loaner_fields["condition_note"] = condition
        LoanerUnit.objects.filter(pk=found.loaner_id, status=LoanerStatus.LENT).update(**loaner_fields)
        found.refresh_from_db()
        request_record(
            actor=actor,
            request=wo.request,
            verb=LoanerVerb.LOANER_RETURNED,
            summary=_("Loaner %(serial)s returned") % {"serial": found.loaner.serial},
            data={"loan": found.pk, "loaner": found.loaner.serial, "condition": condition},
        )
    return found


# ------------------------------------------------------------------------------------------------------ internals


def _required(value: str, *, field: str, limit: int) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationFailed(_("This field is required."), field=field)
    if len(value) > limit:
        raise ValidationFailed(_("At most %(max)d characters.") % {"max": limit}, field=field)
    return value


def _work_order_for_loans(*, actor: Actor, work_order_id: int, any_status: bool = False) -> WorkOrder:
    # Scope first (another outlet's visit is NotFound), then who may act: the visit's engineer or the desk.
    wo = work_order_get(actor=actor, work_order_id=work_order_id)
    if not any_status and wo.status in (WorkOrderStatus.CANCELLED, WorkOrderStatus.UNBOOKED):
        raise TransitionNotAllowed(_("A unit is taken back only on a visit that is going ahead."), field="work_order")
    own = wo.engineer is not None and wo.engineer.user_id == actor.user_id
    if not (own or actor.can_run_desk):
        raise PermissionDenied(_("Only the visit's engineer or outlet staff handle take-backs and loaners."))
    return wo


def _flag_no_loaner(*, take_back: TakeBack, work_order: WorkOrder) -> None:
    # The outlet manager (or, with none, the service managers) finds a loaner or calls the customer.
    message_to_staff(
        user_ids=outlet_contact_ids(work_order.outlet_id, managers=True),
        kind="loaner_shortage",
        subject=_("Take-back with no loaner available"),
        body=_(
            "Unit %(serial)s (%(model)s) was taken back on receipt %(receipt)s; the outlet has no loaner of "
            "that kind available."
        )
        % {
            "serial": take_back.unit.serial,
            "model": take_back.unit.product_model.name,
            "receipt": take_back.receipt_number,
        },
        ref=f"take_back:{take_back.pk}",
        dedupe_key=f"take-back-no-loaner:{take_back.pk}",
    )
