"""R-F2, R-F3, R-F8: the visit walk as pure rules — which steps and exceptions a visit allows from its status."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from typing import Any

import pytest

from wuyou.dispatch.models import WorkOrderStatus as S
from wuyou.fieldservice import steps

NOW = dt.datetime(2026, 11, 24, 9, 0, tzinfo=dt.UTC)


@dataclass(frozen=True)
class Visit:
    """A visit's facts as the walk reads them; nothing recorded yet."""

    status: str = S.PLANNED
    engineer_id: int | None = 7
    confirmed_at: dt.datetime | None = None
    departed_at: dt.datetime | None = None
    arrived_at: dt.datetime | None = None
    diagnosis: str = ""
    work_done: str = ""
    parts_used: list[Any] = field(default_factory=list)
    take_back_receipt: str = ""
    test_run_ok: bool | None = None
    quality_rating: int | None = None


ON_SITE = Visit(status=S.ON_SITE, confirmed_at=NOW, departed_at=NOW, arrived_at=NOW)
SITE = ("diagnosis", "work_done", "parts_used", "take_back", "test_run", "rating", "done")


def test_r_f2_the_walk_goes_road_then_site_in_order():
    assert steps.STEP_ORDER == ("confirm_call", "on_the_way", "arrived", *SITE)
    assert steps.ROAD_STEPS == ("confirm_call", "on_the_way", "arrived")
    assert steps.SITE_STEPS == SITE
    assert steps.OPTIONAL_STEPS == {"parts_used", "take_back"}  # not every visit fits parts or takes the unit away


@pytest.mark.parametrize(
    ("key", "sources", "target", "verb"),
    [
        ("confirm_call", {S.PLANNED}, S.CONFIRMED, "job_confirmed"),
        ("on_the_way", {S.PLANNED, S.CONFIRMED}, S.ON_THE_WAY, "job_on_the_way"),
        ("arrived", {S.PLANNED, S.CONFIRMED, S.ON_THE_WAY}, S.ON_SITE, "job_arrived"),
        ("diagnosis", {S.ON_SITE}, None, "job_diagnosis"),
        ("work_done", {S.ON_SITE}, None, "job_work_done"),
        ("parts_used", {S.ON_SITE}, None, "job_parts_used"),
        ("take_back", {S.ON_SITE}, None, "job_take_back"),
        ("test_run", {S.ON_SITE}, None, "job_test_run"),
        ("rating", {S.ON_SITE}, None, "job_rated"),
        ("done", {S.ON_SITE}, S.DONE, "job_done"),
    ],
)
def test_r_f2_each_step_leaves_from_its_statuses_to_its_target_with_its_verb(key, sources, target, verb):
    step = steps.step_for(key)
    assert step is not None
    assert (set(step.sources), step.target, step.verb) == (sources, target, verb)
    for status in S.values:
        assert steps.step_allowed(key, status=status) is (status in sources)


def test_an_unknown_step_is_never_allowed():
    assert steps.step_for("teleport") is None
    assert not steps.step_allowed("teleport", status=S.ON_SITE)


@pytest.mark.parametrize(
    ("status", "has_engineer", "expected"),
    [
        (S.UNBOOKED, False, ()),
        (S.BOOKED, False, ()),
        (S.BOOKED, True, ()),
        (S.PLANNED, True, ("confirm_call", "on_the_way", "arrived")),
        (S.PLANNED, False, ()),  # handed back: nothing to walk
        (S.CONFIRMED, True, ("on_the_way", "arrived")),
        (S.ON_THE_WAY, True, ("arrived",)),
        (S.ON_SITE, True, SITE),
        (S.DONE, True, ()),
        (S.CANCELLED, True, ()),
    ],
)
def test_r_f2_the_steps_a_visit_allows_by_its_status(status, has_engineer, expected):
    assert steps.steps_allowed(status=status, has_engineer=has_engineer) == expected


@pytest.mark.parametrize(
    ("status", "has_engineer", "allowed"),
    [
        (S.UNBOOKED, False, False),
        (S.BOOKED, False, False),  # handed back, no engineer yet
        (S.BOOKED, True, True),
        (S.PLANNED, True, True),
        (S.CONFIRMED, True, True),
        (S.ON_THE_WAY, True, True),
        (S.ON_SITE, True, True),
        (S.DONE, True, False),
        (S.CANCELLED, True, False),
    ],
)
def test_r_f8_exceptions_are_reported_on_planned_or_started_visits_of_an_engineer(status, has_engineer, allowed):
    expected = steps.EXCEPTIONS if allowed else ()
    assert steps.exception_allowed(status=status, has_engineer=has_engineer) is allowed
    assert steps.exceptions_allowed(status=status, has_engineer=has_engineer) == expected


@pytest.mark.parametrize(
    ("kind", "off_the_route", "new_appointment", "note_required"),
    [
        ("nobody_home", True, True, True),
        ("entry_refused", True, True, True),
        ("hand_back", True, False, True),  # another engineer keeps the appointment
        ("running_late", False, False, False),  # says how late instead
        ("compensation", False, False, True),
    ],
)
def test_r_f8_what_each_exception_does_to_the_visit(kind, off_the_route, new_appointment, note_required):
    assert kind in steps.EXCEPTIONS
    assert (kind in steps.OFF_THE_ROUTE, kind in steps.NEW_APPOINTMENT) == (off_the_route, new_appointment)
    assert (kind in steps.NOTE_REQUIRED) is note_required


@pytest.mark.parametrize(
    ("key", "changes"),
    [
        ("confirm_call", {"confirmed_at": NOW}),
        ("on_the_way", {"departed_at": NOW}),
        ("arrived", {"arrived_at": NOW}),
        ("diagnosis", {"diagnosis": "E4: pump"}),
        ("work_done", {"work_done": "pump replaced"}),
        ("parts_used", {"parts_used": [{"code": "P-1"}]}),
        ("take_back", {"take_back_receipt": "TB-1"}),
        ("test_run", {"test_run_ok": False}),  # a failed test run is recorded too
        ("rating", {"quality_rating": 5}),
        ("done", {"status": S.DONE}),
    ],
)
def test_a_step_is_recorded_once_what_it_writes_is_there(key, changes):
    assert not steps.step_recorded(key, Visit())
    assert steps.step_recorded(key, replace(Visit(), **changes))


@pytest.mark.parametrize(
    ("visit", "next_step"),
    [
        (Visit(), "confirm_call"),
        (Visit(status=S.CONFIRMED, confirmed_at=NOW), "on_the_way"),
        (Visit(status=S.ON_THE_WAY, confirmed_at=NOW, departed_at=NOW), "arrived"),
        (ON_SITE, "diagnosis"),
        (replace(ON_SITE, diagnosis="E4"), "work_done"),
        # Parts and the take-back are optional: the walk goes past them to the test run.
        (replace(ON_SITE, diagnosis="E4", work_done="fixed"), "test_run"),
        (replace(ON_SITE, diagnosis="E4", work_done="fixed", test_run_ok=True), "rating"),
        (replace(ON_SITE, diagnosis="E4", work_done="fixed", test_run_ok=True, quality_rating=4), "done"),
        (Visit(status=S.BOOKED, engineer_id=None), ""),
        (Visit(status=S.DONE), ""),
    ],
)
def test_r_f2_the_next_step_is_the_first_not_recorded_and_not_optional(visit, next_step):
    assert steps.visit_walk(visit).next_step == next_step


def test_r_f2_the_walk_of_a_visit_on_site_offers_every_site_step_and_the_exceptions():
    walk = steps.visit_walk(ON_SITE)
    assert walk.steps == SITE and walk.exceptions == steps.EXCEPTIONS


def test_a_finished_visit_walks_no_further():
    assert steps.visit_walk(Visit(status=S.DONE)) == steps.Walk(steps=(), exceptions=(), next_step="")


def test_every_verb_the_walk_writes_is_declared_with_its_history_label():
    from wuyou.fieldservice.models import VisitVerb

    written = {s.verb for s in steps.STEPS.values()} | {f"job_{kind}" for kind in steps.EXCEPTIONS} | {"job_rebook"}
    assert written == set(VisitVerb.values)
