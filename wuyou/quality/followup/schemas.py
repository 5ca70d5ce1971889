"""API schemas of the follow-up desk (/api/v1/callbacks): a callback as the queue shows it, recording and moving."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from ninja import Schema
from pydantic import Field

from wuyou.core.schemas import BoundedDateTime, CleanText

# The TextChoices values spelt out so that the OpenAPI document lists them.
CallbackReasonValue = Literal[
    "phone_guidance", "uncertain_repair", "sample", "complaint", "onsite_unsatisfied", "revisit"
]
CallbackStatusValue = Literal["pending", "done", "cancelled", "unreachable", "refused"]
CallbackModeValue = Literal["phone", "home_visit"]
RecordOutcomeValue = Literal["answered", "satisfied", "unsatisfied", "no_answer", "refused"]
QuestionCode = Annotated[str, Field(min_length=1, max_length=40, pattern=r"^[-a-zA-Z0-9_]+$")]
AnswerText = Annotated[CleanText, Field(max_length=1000)]
Note = Annotated[CleanText, Field(max_length=2000)]


class CallbackAnswerOut(Schema):
    """The customer's answer to one question of the version answered."""

    code: str
    question: str
    value: str
    rating: int | None


class CallbackOut(Schema):
    """A callback: due by rule and call at, the customer to call (phone as the caller may see it), its outcome."""

    id: int
    request_id: int
    request_number: str
    outlet_id: int
    reason: CallbackReasonValue
    mode: CallbackModeValue
    status: CallbackStatusValue
    due_at: dt.datetime
    call_at: dt.datetime
    overdue: bool
    attempts: int
    version: int
    assigned_to_id: int | None
    assigned_to_name: str
    taken_at: dt.datetime | None
    customer_name: str
    phone: str
    dont_call_at_work: bool
    outcome: str
    note: str
    done_at: dt.datetime | None
    questionnaire_version_id: int | None
    answers: list[CallbackAnswerOut] = []


class CallbackPage(Schema):
    """One page of the follow-up queue, the next call first."""

    items: list[CallbackOut]
    count: int
    limit: int
    offset: int


class CallbackRecordIn(Schema):
    """What the customer said: "answered" lets the questionnaire's rule decide satisfied or not."""

    outcome: RecordOutcomeValue
    answers: dict[QuestionCode, AnswerText] | None = Field(
        None, description='{question code: answer}: ratings "1".."5", "yes"/"no", a choice\'s text, free text.'
    )
    note: Note = ""
    expected_version: int | None = Field(None, ge=1, description="The callback's version you read (409 if changed).")


class CallbackMoveIn(Schema):
    """Call at another moment inside the customer's windows, or book a home visit at a daytime he chose."""

    call_at: BoundedDateTime
    mode: CallbackModeValue = "phone"
    expected_version: int | None = Field(None, ge=1)
