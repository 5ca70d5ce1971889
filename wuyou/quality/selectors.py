"""Reads of callbacks, scoped to the acting user like the requests they belong to."""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils import timezone

from wuyou.accounts.actors import Actor
from wuyou.accounts.selectors import scoped_to_actor
from wuyou.core.errors import NotFound
from wuyou.quality.answers import FormRule, QuestionRule
from wuyou.quality.models import Callback, CallbackStatus, QuestionnaireVersion
from wuyou.tickets.models import OPEN_STATUSES, ServiceRequest


def callbacks_visible(*, actor: Actor) -> QuerySet[Callback]:
    """Callbacks the actor may see: all, a region's, an outlet's; engineers and the unscoped none."""
    # Engineers call nobody back: the follow-up is someone else's (R-G4 cross-checks their own "satisfied" marks).
    return scoped_to_actor(Callback.objects.all(), actor=actor, outlet="request__outlet")


class DueWithin(enum.StrEnum):
    """How far ahead the follow-up list looks."""

    NOW = "now"
    TODAY = "today"
    ALL = "all"


class Whose(enum.StrEnum):
    """Whose callbacks the queue shows."""

    MINE = "mine"
    UNASSIGNED = "unassigned"
    ALL = "all"


@dataclass(frozen=True)
class QueueFilters:
    """The follow-up queue's filters: how far ahead (by "call at": now, by the end of today with the overdue ones,
    or every pending one) and whose (taken by me, by nobody yet, any)."""

    due: DueWithin = DueWithin.TODAY
    whose: Whose = Whose.ALL


def _end_of_today(now: dt.datetime) -> dt.datetime:
    """Midnight after today, in the organisation's zone."""
    local = timezone.localtime(now)
    return local.replace(hour=0, minute=0, second=0, microsecond=0) + dt.timedelta(days=1)


def callbacks_queue(*, actor: Actor, filters: QueueFilters) -> QuerySet[Callback]:
    """The follow-up staff's work queue: visible pending callbacks, the next call first (by "call at"), with what a
    row shows. Scoped like every callback read; roles without scope get an empty queue."""
    now = timezone.now()
    qs = callbacks_visible(actor=actor).filter(status=CallbackStatus.PENDING)
    if filters.due is DueWithin.NOW:
        qs = qs.filter(call_at__lte=now)
    elif filters.due is DueWithin.TODAY:
        qs = qs.filter(call_at__lt=_end_of_today(now))
    if filters.whose is Whose.MINE:
        qs = qs.filter(assigned_to__user_id=actor.user_id) if actor.user_id is not None else qs.none()
    elif filters.whose is Whose.UNASSIGNED:
        qs = qs.filter(assigned_to__isnull=True)
    return (
        qs.select_related("request", "request__customer", "request__outlet", "assigned_to", "follows")
        .prefetch_related("request__customer__phones")
        .order_by("call_at", "due_at", "pk")
    )


def callback_get(*, actor: Actor, callback_id: int) -> Callback:
    """One visible callback, or NotFound (another outlet's callback does not exist for you)."""
    found = (
        callbacks_visible(actor=actor)
        .select_related("request", "request__customer", "request__outlet", "assigned_to")
        .filter(pk=callback_id)
        .first()
    )
    if found is None:
        raise NotFound("callback not found", field="callback_id")
    return found


def callbacks_of_request(*, actor: Actor, request: ServiceRequest) -> QuerySet[Callback]:
    """The request's callbacks the actor may see, latest due first."""
    return (
        callbacks_visible(actor=actor)
        .filter(request=request)
        .select_related("assigned_to", "done_by__staff")
        .order_by("-due_at", "-pk")
    )


def phone_guidance_offered(*, actor: Actor, request: ServiceRequest) -> bool:
    """Whether the request page offers this actor "resolve by phone guidance" (desk roles, open requests)."""
    return actor.can_run_desk and request.status in OPEN_STATUSES


def questionnaire_for(reason: str) -> QuestionnaireVersion | None:
    """The questionnaire asked on a callback of this reason: the latest published version of an active one that
    names the reason, else of one that names none."""
    published = QuestionnaireVersion.objects.filter(questionnaire__is_active=True, published_at__isnull=False)
    versions = list(published.select_related("questionnaire").order_by("-published_at", "-number", "-pk")[:50])
    for version in versions:
        if reason in (version.questionnaire.reasons or []):
            return version
    return next((v for v in versions if not v.questionnaire.reasons), None)


def form_rule_of(version: QuestionnaireVersion) -> FormRule:
    """The version's questions as the answer checker needs them."""
    return FormRule(
        questions=tuple(
            QuestionRule(id=q.pk, code=q.code, kind=q.kind, required=q.required, choices=tuple(q.choices or ()))
            for q in version.questions.order_by("position")
        ),
        satisfied_code=version.satisfied_code,
        satisfied_min_rating=version.satisfied_min_rating,
    )


# --- the complaint desk (R-G3) ------------------------------------------------------------------------------------
# Imported here rather than on top: this block is the complaint desk's, appended to a module others edit too.
from django.db.models import Exists, OuterRef, Q  # noqa: E402

from wuyou.accounts.models import Outlet  # noqa: E402
from wuyou.quality.models import (  # noqa: E402
    Complaint,
    ComplaintSettings,
    ComplaintStatus,
    RectificationAction,
)

COMPLAINT_UNDISPOSED = (ComplaintStatus.REGISTERED, ComplaintStatus.AWAITING_APPROVAL)


def complaints_visible(*, actor: Actor) -> QuerySet[Complaint]:
    """Complaints the actor may see: all, a region's, an outlet's; engineers and the unscoped none."""
    # Engineers do not read complaints, not even those about themselves: the desk and the managers work them.
    return scoped_to_actor(Complaint.objects.all(), actor=actor, outlet="request__outlet")


@dataclass(frozen=True)
class ComplaintFilters:
    """The complaints list's filters; empty values filter nothing."""

    category: str = ""
    severity: str = ""
    status: str = ""
    outlet_id: int | None = None
    repeat: bool | None = None
    overdue: bool = False


def _overdue(now: dt.datetime) -> Q:
    """Not disposed past the promised time, or with an open rectification action past its due day."""
    late_action = RectificationAction.objects.filter(
        complaint=OuterRef("pk"), done_at__isnull=True, due_on__lt=timezone.localdate(now)
    )
    return Q(status__in=COMPLAINT_UNDISPOSED, promised_by__lt=now) | Q(Exists(late_action))


def complaints_list(*, actor: Actor, filters: ComplaintFilters) -> QuerySet[Complaint]:
    """Visible complaints, newest first, filtered, with what a row of the list shows."""
    qs = complaints_visible(actor=actor)
    if filters.category:
        qs = qs.filter(category=filters.category)
    if filters.severity:
        qs = qs.filter(severity=filters.severity)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.outlet_id is not None:
        qs = qs.filter(request__outlet_id=filters.outlet_id)
    if filters.repeat is not None:
        qs = qs.filter(repeat_of__isnull=not filters.repeat)
    if filters.overdue:
        qs = qs.filter(_overdue(timezone.now()))
    return qs.select_related(
        "request", "request__customer", "request__outlet", "unit", "about_engineer", "repeat_of__request"
    ).order_by("-created_at", "-pk")


def complaint_get(*, actor: Actor, complaint_id: int) -> Complaint:
    """One visible complaint, or NotFound (another outlet's complaint does not exist for you)."""
    found = (
        complaints_visible(actor=actor)
        .select_related(
            "request",
            "request__customer",
            "request__outlet",
            "unit",
            "about_engineer",
            "repeat_of__request",
            "approved_by__staff",
            "disposed_by__staff",
        )
        .filter(pk=complaint_id)
        .first()
    )
    if found is None:
        raise NotFound("complaint not found", field="complaint_id")
    return found


def complaint_of_request(*, actor: Actor, request: ServiceRequest) -> Complaint | None:
    """The complaint record of a visible request, or None when it has none yet (or the actor may not see it)."""
    return (
        complaints_visible(actor=actor)
        .select_related("request", "unit", "about_engineer", "repeat_of__request", "approved_by__staff")
        .filter(request_id=request.pk)
        .first()
    )


def complaint_actions(*, complaint: Complaint) -> QuerySet[RectificationAction]:
    """The complaint's rectification plan, due first (the caller has already read the complaint in scope)."""
    return RectificationAction.objects.filter(complaint=complaint).select_related("owner").order_by("due_on", "pk")


def rectification_action_get(*, actor: Actor, action_id: int) -> RectificationAction:
    """One action of a visible complaint's plan, or NotFound."""
    found = (
        RectificationAction.objects.filter(pk=action_id, complaint__in=complaints_visible(actor=actor))
        .select_related("owner", "complaint")
        .first()
    )
    if found is None:
        raise NotFound("rectification action not found", field="action_id")
    return found


def complaint_repeats(*, actor: Actor, complaint: Complaint) -> QuerySet[Complaint]:
    """Visible later complaints flagged as repeating this one."""
    return complaints_visible(actor=actor).filter(repeat_of=complaint).select_related("request").order_by("pk")


def complaint_settings_for(*, outlet_id: int | None) -> ComplaintSettings:
    """The complaint rules of the outlet's organisation (the defaults, unsaved, before an admin sets them)."""
    organisation_id = (
        Outlet.objects.filter(pk=outlet_id).values_list("region__organisation_id", flat=True).first()
        if outlet_id is not None
        else None
    )
    found = ComplaintSettings.objects.filter(organisation_id=organisation_id).first() if organisation_id else None
    return found or ComplaintSettings()  # unsaved: the model's defaults
