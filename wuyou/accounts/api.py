"""Calendar checks through the API: the organisation's or an outlet's working days (R-E4)."""

from __future__ import annotations

from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import Field

from wuyou.accounts.actors import api_actor
from wuyou.accounts.selectors import calendar_for
from wuyou.calendars import checks

router = Router(tags=["calendar"])

OutletCode = Annotated[str | None, Field(None, max_length=32, description="an outlet's code; empty: the organisation")]


class CalendarAnswerOut(Schema):
    """One readable line, and the same facts."""

    line: str
    facts: dict[str, Any]


class AddWorkdaysQuery(Schema):
    date: str = Field(..., max_length=10, description="YYYY-MM-DD")
    n: int = Field(..., ge=0, le=checks.MAX_WORKDAYS, description="working days to add")
    outlet: OutletCode = None


class AddHoursQuery(Schema):
    start: str = Field(..., max_length=16, description="YYYY-MM-DD HH:MM on the calendar's wall clock")
    hours: float = Field(..., ge=0, le=checks.MAX_HOURS, allow_inf_nan=False, description="business hours to add")
    outlet: OutletCode = None


class IsWorkdayQuery(Schema):
    date: str = Field(..., max_length=10, description="YYYY-MM-DD")
    outlet: OutletCode = None


def _out(answer: checks.CalendarAnswer) -> CalendarAnswerOut:
    return CalendarAnswerOut(line=answer.line, facts=answer.facts)


@router.get("/add-workdays", response=CalendarAnswerOut, summary="The date N working days later")
def add_workdays(request: HttpRequest, query: Query[AddWorkdaysQuery]) -> CalendarAnswerOut:
    calendar = calendar_for(actor=api_actor(request), outlet_code=query.outlet)
    return _out(checks.answer_add_workdays(calendar, query.date, query.n))


@router.get("/add-hours", response=CalendarAnswerOut, summary="The moment H business hours later")
def add_hours(request: HttpRequest, query: Query[AddHoursQuery]) -> CalendarAnswerOut:
    calendar = calendar_for(actor=api_actor(request), outlet_code=query.outlet)
    return _out(checks.answer_add_hours(calendar, query.start, query.hours))


@router.get("/is-workday", response=CalendarAnswerOut, summary="Whether a date is a working day, and why")
def is_workday(request: HttpRequest, query: Query[IsWorkdayQuery]) -> CalendarAnswerOut:
    calendar = calendar_for(actor=api_actor(request), outlet_code=query.outlet)
    return _out(checks.answer_is_workday(calendar, query.date))
