"""The checker's findings read in the dispatcher's language (issue 13 item 11): names, HH:MM, no raw codes."""

from __future__ import annotations

import pytest
from django.utils import translation

from wuyou.accounts.models import Skill
from wuyou.dispatch.findings import clock_text, findings_text


@pytest.mark.parametrize(
    ("clock", "text"),
    [("16:47:43", "16:48"), ("9:05", "09:05"), ("25:10", "01:10 the next day"), ("-0:30", "-00:30")],
)
def test_checker_clocks_read_as_hours_and_minutes(clock, text):
    with translation.override("en"):
        assert clock_text(clock) == text


@pytest.mark.django_db
def test_a_refused_move_reads_in_chinese_with_the_skills_name_and_no_seconds():
    Skill.objects.create(code="gas", name="燃气灶")
    raw = "e3 lacks skills gas for job wo9; job wo9 starts at 16:47:43, outside its window 9:00-11:00"
    with translation.override("zh-hans"):
        text = findings_text(raw)
    assert "燃气灶" in text and "gas" not in text
    assert "16:48" in text and "16:47:43" not in text and "09:00–11:00" in text
    assert "lacks" not in text and "outside" not in text


def test_an_unknown_finding_is_shown_as_written():
    with translation.override("en"):
        assert findings_text("something new happened") == "something new happened"
