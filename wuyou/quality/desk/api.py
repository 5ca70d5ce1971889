"""Complaint API under /api/v1/complaints/ (R-G3): list and read, register, dispose, approve, the face-to-face reply
and the rectification plan. Scoped like the requests: another outlet's complaint is 404."""

from __future__ import annotations

from typing import Annotated, Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Query, Router, Status

from wuyou.accounts.actors import api_actor
from wuyou.core.schemas import CleanText, Limit, ObjectId, Offset, page_of
from wuyou.quality import complaints as rules
from wuyou.quality import selectors
from wuyou.quality.desk.schemas import (
    ComplaintIn,
    ComplaintOut,
    ComplaintPage,
    DisposeIn,
    FaceToFaceIn,
    RectificationDoneIn,
    RectificationIn,
    RectificationOut,
    VersionIn,
)
from wuyou.quality.models import Complaint, RectificationAction
from wuyou.quality.services import complaints as services
from wuyou.quality.services import rectification
from wuyou.tickets.selectors import request_get

router = Router(tags=["complaints"])


def action_out(action: RectificationAction) -> dict[str, Any]:
    """An action of the plan as the API shows it."""
    return {
        "id": action.pk,
        "action": action.action,
        "owner_id": action.owner_id,
        "owner": action.owner.display_name,
        "due_on": action.due_on,
        "done_at": action.done_at,
        "escalation_level": action.escalation_level,
    }


def complaint_out(complaint: Complaint, *, with_actions: bool = False) -> dict[str, Any]:
    """A complaint as the API shows it (its plan only when read one by one)."""
    sr = complaint.request
    return {
        "id": complaint.pk,
        "request_id": sr.pk,
        "request_number": sr.number,
        "outlet": sr.outlet.code,
        "channel": sr.channel,
        "status": complaint.status,
        "category": complaint.category,
        "severity": complaint.severity,
        "unit_serial": complaint.unit.serial if complaint.unit else None,
        "about_engineer_id": complaint.about_engineer_id,
        "promised_by": complaint.promised_by,
        "promise_told_at": complaint.promise_told_at,
        "promise_script": rules.promise_script(
            customer_name=sr.customer.name,
            number=sr.number or "",
            promised_by=timezone.localtime(complaint.promised_by or timezone.now()),
        ),
        "repeat_of": complaint.repeat_of_id,
        "responsible": complaint.responsible,
        "finding": complaint.finding,
        "remedy": complaint.remedy,
        "remedy_amount": complaint.remedy_amount,
        "approved_at": complaint.approved_at,
        "disposed_at": complaint.disposed_at,
        "customer_informed_at": complaint.customer_informed_at,
        "face_to_face_on": complaint.face_to_face_on,
        "version": complaint.version,
        "actions": [action_out(a) for a in selectors.complaint_actions(complaint=complaint)] if with_actions else [],
    }


def _fresh(request: HttpRequest, complaint_id: int) -> dict[str, Any]:
    found = selectors.complaint_get(actor=api_actor(request), complaint_id=complaint_id)
    return complaint_out(found, with_actions=True)


@router.get("/", response=ComplaintPage, summary="Complaints, newest first")
def complaint_list(
    request: HttpRequest,
    category: Annotated[CleanText, Query("", max_length=30)] = "",
    severity: Annotated[CleanText, Query("", max_length=30)] = "",
    status: Annotated[CleanText, Query("", max_length=30)] = "",
    outlet_id: Annotated[ObjectId | None, Query(None)] = None,
    repeat: Annotated[bool | None, Query(None)] = None,
    overdue: Annotated[bool, Query(False)] = False,
    limit: Limit = 50,
    offset: Offset = 0,
) -> ComplaintPage:
    """The caller's complaints, filtered by category, severity, status, outlet, repeat and overdue."""
    filters = selectors.ComplaintFilters(
        category=category, severity=severity, status=status, outlet_id=outlet_id, repeat=repeat, overdue=overdue
    )
    qs = selectors.complaints_list(actor=api_actor(request), filters=filters)
    return page_of(ComplaintPage, qs, complaint_out, limit, offset)


@router.get("/{complaint_id}", response=ComplaintOut, summary="One complaint with its rectification plan")
def complaint_detail(request: HttpRequest, complaint_id: ObjectId) -> dict[str, Any]:
    return _fresh(request, complaint_id)


@router.post("/", response={201: ComplaintOut}, summary="Register a complaint request's complaint record")
def complaint_register(request: HttpRequest, payload: ComplaintIn) -> Status:
    """Category, severity, the unit and engineer; the disposition is promised in 3 working days."""
    actor = api_actor(request)
    sr = request_get(actor=actor, request_id=payload.request_id)
    complaint = services.complaint_register(
        actor=actor,
        request=sr,
        category=payload.category,
        severity=payload.severity,
        unit_id=payload.unit_id,
        about_engineer_id=payload.about_engineer_id,
    )
    return Status(201, _fresh(request, complaint.pk))


@router.post("/{complaint_id}/promise-told", response=ComplaintOut, summary="The customer was told the promise")
def complaint_promise_told(request: HttpRequest, complaint_id: ObjectId, payload: VersionIn) -> dict[str, Any]:
    actor = api_actor(request)
    complaint = selectors.complaint_get(actor=actor, complaint_id=complaint_id)
    services.complaint_promise_told(actor=actor, complaint=complaint, expected_version=payload.version)
    return _fresh(request, complaint_id)


@router.post("/{complaint_id}/dispose", response=ComplaintOut, summary="Dispose of the complaint")
def complaint_dispose(request: HttpRequest, complaint_id: ObjectId, payload: DisposeIn) -> dict[str, Any]:
    """Finding, responsible party (required), remedy; above the amount it waits for the service manager."""
    actor = api_actor(request)
    complaint = selectors.complaint_get(actor=actor, complaint_id=complaint_id)
    services.complaint_dispose(
        actor=actor,
        complaint=complaint,
        finding=payload.finding,
        responsible=payload.responsible,
        remedy=payload.remedy,
        remedy_amount=payload.remedy_amount,
        expected_version=payload.version,
    )
    return _fresh(request, complaint_id)


@router.post("/{complaint_id}/approve", response=ComplaintOut, summary="Approve the remedy (service manager)")
def complaint_approve(request: HttpRequest, complaint_id: ObjectId, payload: VersionIn) -> dict[str, Any]:
    actor = api_actor(request)
    complaint = selectors.complaint_get(actor=actor, complaint_id=complaint_id)
    services.complaint_approve(actor=actor, complaint=complaint, expected_version=payload.version)
    return _fresh(request, complaint_id)


@router.post("/{complaint_id}/face-to-face", response=ComplaintOut, summary="The manager's face-to-face reply")
def complaint_face_to_face(request: HttpRequest, complaint_id: ObjectId, payload: FaceToFaceIn) -> dict[str, Any]:
    actor = api_actor(request)
    complaint = selectors.complaint_get(actor=actor, complaint_id=complaint_id)
    services.complaint_face_to_face(
        actor=actor, complaint=complaint, on=payload.face_to_face_on, expected_version=payload.version
    )
    return _fresh(request, complaint_id)


@router.post("/{complaint_id}/actions", response={201: RectificationOut}, summary="Add a rectification action")
def rectification_add(request: HttpRequest, complaint_id: ObjectId, payload: RectificationIn) -> Status:
    actor = api_actor(request)
    complaint = selectors.complaint_get(actor=actor, complaint_id=complaint_id)
    action = rectification.rectification_add(
        actor=actor, complaint=complaint, action=payload.action, owner_id=payload.owner_id, due_on=payload.due_on
    )
    return Status(201, action_out(action))


@router.post("/actions/{action_id}/done", response=RectificationOut, summary="Mark a rectification action done")
def rectification_done(request: HttpRequest, action_id: ObjectId, payload: RectificationDoneIn) -> dict[str, Any]:
    actor = api_actor(request)
    action = selectors.rectification_action_get(actor=actor, action_id=action_id)
    return action_out(rectification.rectification_done(actor=actor, action=action, note=payload.note))
