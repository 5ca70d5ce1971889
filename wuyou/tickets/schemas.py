"""API shapes of service requests: intake, list filters, detail with history and clocks, "at risk", state changes."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from ninja import Schema
from pydantic import Field

from wuyou.core.schemas import BoundedDate, BoundedDateTime, CleanText, ObjectId

# The TextChoices values and the state machine's actions, spelt out so the OpenAPI document lists
# them; a test keeps them in step with wuyou.tickets.models and wuyou.tickets.lifecycle.
CallTypeValue = Literal["general", "consultation", "inquiry", "order_report", "repair", "complaint"]
ChannelValue = Literal["hotline", "web", "portal", "wechat", "visit", "letter", "dealer", "authority", "api"]
PriorityValue = Literal["low", "normal", "high", "urgent"]
StatusValue = Literal[
    "new", "accepted", "in_progress", "waiting_customer", "waiting_parts", "resolved", "closed", "cancelled"
]
ActionValue = Literal[
    "accept", "start", "wait_customer", "wait_parts", "resume", "resolve", "close", "reopen", "cancel"
]
StepValue = Literal[
    "first_response",
    "appointment_confirmed",
    "on_site",
    "resolved",
    "complaint_disposition",
    "authority_report",
    "callback_due",
]
ClockStateValue = Literal["running", "paused", "stopped"]
ClockStageValue = Literal["on_time", "warned", "breached"]
ClockOutcomeValue = Literal["", "met", "missed", "moot"]


class RequestIn(Schema):
    """A service request as captured at intake; missing facts flag it "to verify"."""

    call_type: CallTypeValue
    customer_id: ObjectId
    channel: ChannelValue = "api"
    priority: PriorityValue = "normal"
    unit_serial: CleanText | None = Field(None, max_length=40)
    address_id: ObjectId | None = None
    contact_phone: CleanText | None = Field(None, max_length=40)
    reported_model: CleanText = Field("", max_length=50)
    reported_purchase_date: BoundedDate | None = None
    symptom: CleanText = Field("", max_length=4000)
    window_start: BoundedDateTime | None = None
    window_end: BoundedDateTime | None = None
    outlet_id: ObjectId | None = None


class TransitionIn(Schema):
    """A state-machine action; `version` (or `If-Match`) guards against lost updates."""

    action: ActionValue
    note: CleanText = Field("", max_length=4000)
    version: int | None = Field(None, ge=1, le=2**31 - 1)


class AssignIn(Schema):
    """Dispatch to an engineer of the request's outlet."""

    engineer_id: ObjectId
    version: int | None = Field(None, ge=1, le=2**31 - 1)


class AuthorityReportIn(Schema):
    """The manager's written report on a complaint an authority transferred."""

    report: str = Field(..., min_length=1, max_length=8000)
    version: int | None = Field(None, ge=1, le=2**31 - 1)


class VerifyIn(Schema):
    """Facts that complete or correct the intake; a field left out stays as it is."""

    address_id: ObjectId | None = None
    contact_phone: CleanText | None = Field(None, max_length=40)
    reported_model: CleanText | None = Field(None, max_length=50)
    reported_purchase_date: BoundedDate | None = None
    symptom: CleanText | None = Field(None, max_length=4000)
    window_start: BoundedDateTime | None = None
    window_end: BoundedDateTime | None = None
    version: int | None = Field(None, ge=1, le=2**31 - 1)


class RequestOut(Schema):
    """A request as a list row shows it; phone and address follow the caller's right to see them."""

    id: int
    number: str
    call_type: str
    channel: str
    priority: str
    status: str
    customer_id: int
    customer_name: str
    contact_phone: str
    unit_serial: str | None
    address_id: int | None
    address: str
    reported_model: str
    reported_purchase_date: dt.date | None
    symptom: str
    window_start: dt.datetime | None
    window_end: dt.datetime | None
    outlet_id: int
    outlet_name: str
    assignee_id: int | None
    assignee_name: str
    to_verify: bool
    missing_fields: list[str]
    due_at: dt.datetime | None
    overdue: bool
    resolved_at: dt.datetime | None
    closed_at: dt.datetime | None
    version: int
    created_at: dt.datetime


class RequestEventOut(Schema):
    """One line of the request's history."""

    id: int
    verb: str
    from_status: str
    to_status: str
    note: str
    data: dict[str, Any]
    actor_name: str
    created_at: dt.datetime


class ActionOut(Schema):
    """A transition the caller may take now."""

    action: str
    label: str
    needs_note: bool


class ClockOut(Schema):
    """One step's time limit: where it stands, when it warns and is due, how far it has escalated (R-E4).

    `stage` is on_time, warned or breached; `level` is the rung of the escalation chain reached and `level_name`
    that rung; `outcome` of a stopped clock is met, missed (met late) or moot (no longer needed). `provisional`:
    the deadline assumed weekends only, next year's holidays not being published yet.
    """

    step: StepValue
    state: ClockStateValue
    stage: ClockStageValue
    level: int
    level_name: str = Field(
        description="The rung reached: responsible, outlet_manager, service_manager, head_of_service."
    )
    outcome: ClockOutcomeValue
    started_at: dt.datetime
    warn_at: dt.datetime
    due_at: dt.datetime
    provisional: bool
    paused_at: dt.datetime | None
    stopped_at: dt.datetime | None


class RequestDetailOut(RequestOut):
    """A request with its history (newest first), its clocks and the actions the caller may take."""

    customer_phones: list[str]
    events: list[RequestEventOut]
    actions: list[ActionOut]
    clocks: list[ClockOut]


class AtRiskOut(RequestOut):
    """A request on the "at risk" list with the running clocks that put it there, nearest due first."""

    at_risk: list[ClockOut]


class RequestPage(Schema):
    """One page of requests."""

    items: list[RequestOut]
    count: int
    limit: int
    offset: int


class AtRiskPage(Schema):
    """One page of requests at risk, nearest due first."""

    items: list[AtRiskOut]
    count: int
    limit: int
    offset: int
