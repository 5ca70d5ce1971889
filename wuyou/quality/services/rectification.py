"""The rectification plan of a complaint (R-G3): actions with owner and due date, tracked to done; an overdue one
climbs owner → outlet manager → service manager through the sweeper's jobs (tickets.sweep_jobs)."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from wuyou.accounts.actors import NOBODY, Actor
from wuyou.accounts.models import StaffProfile
from wuyou.accounts.selectors import calendar_for_outlet, outlet_contact_ids, outlets_visible
from wuyou.core.errors import Conflict, PermissionDenied, TransitionNotAllowed, ValidationFailed
from wuyou.notifications.services import message_to_staff
from wuyou.quality import complaints as rules
from wuyou.quality.models import Complaint, ComplaintStatus, QualityVerb, RectificationAction
from wuyou.quality.selectors import complaint_get
from wuyou.quality.services.complaints import _desk, _text  # the complaint desk's own checks
from wuyou.tickets.models import ServiceRequest
from wuyou.tickets.services import request_record


def _owner_of(actor: Actor, owner_id: int | None) -> StaffProfile:
    owner = None
    if owner_id is not None:
        owner = (
            StaffProfile.objects.filter(pk=owner_id, user__is_active=True)
            .filter(outlet__in=outlets_visible(actor=actor))
            .first()
            # Head-office staff own actions too (the service manager's own plan), whatever the actor's outlet.
            or StaffProfile.objects.filter(pk=owner_id, user__is_active=True, outlet__isnull=True).first()
        )
    if owner is None:
        raise ValidationFailed(_("Choose who owns the action."), field="owner_id")
    return owner


def rectification_add(
    *, actor: Actor, complaint: Complaint, action: str, owner_id: int | None, due_on: dt.date | None
) -> RectificationAction:
    """Add an action to the complaint's rectification plan: what, who owns it, by when; overdue it escalates."""
    _desk(actor)
    complaint = complaint_get(actor=actor, complaint_id=complaint.pk)
    if complaint.status == ComplaintStatus.CLOSED:
        raise TransitionNotAllowed(_("The complaint is closed."), field="action")
    text = _text(action, field="action", required=_("Say what is to be done."), limit=rules.ACTION_MAX)
    owner = _owner_of(actor, owner_id)
    if not isinstance(due_on, dt.date):
        raise ValidationFailed(_("Enter the date the action is due."), field="due_on")
    if due_on < timezone.localdate():
        raise ValidationFailed(_("The due date is in the past."), field="due_on")
    if due_on.year > timezone.localdate().year + 2:
        raise ValidationFailed(_("The due date is too far ahead."), field="due_on")
    zone = calendar_for_outlet(complaint.request.outlet_id).zone
    now = timezone.now()
    with transaction.atomic():
        row = RectificationAction.objects.create(
            complaint=complaint,
            action=text,
            owner=owner,
            due_on=due_on,
            escalate_at=rules.rectification_escalate_at(due_on, zone),
        )
        request_record(
            actor=actor,
            request=complaint.request,
            verb=QualityVerb.RECTIFICATION_ADDED,
            summary=_("%(number)s: rectification “%(action)s” for %(owner)s by %(due)s")
            % {"number": complaint.request.number, "action": text, "owner": owner.display_name, "due": due_on},
            data={"complaint": complaint.pk, "action": row.pk, "owner": owner.pk, "due_on": due_on.isoformat()},
            at=now,
        )
    return row


def rectification_done(*, actor: Actor, action: RectificationAction, note: str = "") -> RectificationAction:
    """Mark a rectification action done (its owner or the desk); done twice: the second gets Conflict."""
    is_owner = action.owner.user_id == actor.user_id and actor.user_id is not None
    if not (is_owner or actor.can_run_desk):
        raise PermissionDenied(_("Only the action's owner or the desk marks it done."))
    complaint = complaint_get(actor=actor, complaint_id=action.complaint_id)
    note = _text(note, field="note", required=None, limit=rules.FINDING_MAX)
    now = timezone.now()
    with transaction.atomic():
        updated = RectificationAction.objects.filter(pk=action.pk, done_at__isnull=True).update(
            done_at=now, escalate_at=None, updated_at=now
        )
        if updated != 1:
            raise Conflict(_("This action has been marked done already."), field="action_id")
        action.done_at, action.escalate_at = now, None
        request_record(
            actor=actor,
            request=complaint.request,
            verb=QualityVerb.RECTIFICATION_DONE,
            summary=_("%(number)s: rectification “%(action)s” done")
            % {"number": complaint.request.number, "action": action.action},
            data={"complaint": complaint.pk, "action": action.pk, "late": timezone.localdate() > action.due_on},
            note=note,
            at=now,
        )
    return action


def _escalation_recipients(level: int, owner_user_id: int, outlet_id: int) -> list[int]:
    if level == rules.OWNER:
        return [owner_user_id]
    if level == rules.OUTLET_MANAGER:
        return outlet_contact_ids(outlet_id, managers=True)
    return outlet_contact_ids(outlet_id, service_managers=True)


def rectification_overdue_sweep(now: dt.datetime, *, batch: int = 200) -> int:
    """The sweep job: each open action past its escalate_at climbs one rung (owner → outlet manager → service
    manager) and its people are told; returns how many were escalated.

    A row is claimed by a conditional UPDATE on its (escalate_at, escalation_level): of two sweepers, one moves it and
    the other's update matches nothing, so nobody is told twice.
    """
    due = list(
        RectificationAction.objects.filter(done_at__isnull=True, escalate_at__lte=now)
        .order_by("escalate_at", "pk")
        .values_list(
            "pk",
            "escalate_at",
            "escalation_level",
            "action",
            "due_on",
            "owner__user_id",
            "complaint__request_id",
            "complaint__request__number",
            "complaint__request__outlet_id",
        )[:batch]
    )
    acted = 0
    for pk, escalate_at, level, text, due_on, owner_user_id, request_id, number, outlet_id in due:
        next_level = rules.rectification_next_level(level)
        if next_level is None:
            continue
        calendar = calendar_for_outlet(outlet_id)
        # After the last rung it stays on the service manager's list; before it, the next rung a working day later.
        next_at = None if next_level == rules.LAST_LEVEL else calendar.workdays_deadline(now, 1)
        with transaction.atomic():
            claimed = RectificationAction.objects.filter(
                pk=pk, done_at__isnull=True, escalate_at=escalate_at, escalation_level=level
            ).update(escalation_level=next_level, escalate_at=next_at, updated_at=now)
            if claimed != 1:
                continue  # another sweeper moved it, or it was done meanwhile
            facts = {"number": number, "action": text, "due": due_on.isoformat()}
            message_to_staff(
                user_ids=_escalation_recipients(next_level, owner_user_id, outlet_id),
                kind="rectification_overdue",
                subject=_("Overdue rectification for %(number)s: “%(action)s” was due %(due)s") % facts,
                body=_("Complaint %(number)s: the rectification action “%(action)s” was due %(due)s and is not done.")
                % facts,
                ref=f"request:{request_id}",
                dedupe_key=f"rectification:{pk}:{next_level}",
            )
            request = ServiceRequest.objects.get(pk=request_id)
            request_record(
                actor=NOBODY,
                request=request,
                verb=rules.RECTIFICATION_ESCALATED,
                summary=_("%(number)s: overdue rectification “%(action)s” escalated") % facts,
                data={"action": pk, "level": next_level},
                at=now,
            )
        acted += 1
    return acted
