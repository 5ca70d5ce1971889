"""Admins enter working hours in admin: overlapping shifts of one day are refused, a split day is fine."""

from __future__ import annotations

import pytest
from django.forms import BaseInlineFormSet, ModelForm, inlineformset_factory

from wuyou.calendars.admin import WorkingPeriodFormSet
from wuyou.calendars.models import BusinessCalendar, WorkingPeriod

Hours: type[BaseInlineFormSet[WorkingPeriod, BusinessCalendar, ModelForm[WorkingPeriod]]] = inlineformset_factory(
    BusinessCalendar, WorkingPeriod, formset=WorkingPeriodFormSet, fields=["weekday", "start", "end"], extra=0
)


def posted(*shifts: tuple[int, str, str]) -> dict[str, str]:
    data = {"periods-TOTAL_FORMS": str(len(shifts)), "periods-INITIAL_FORMS": "0"}
    for n, (weekday, start, end) in enumerate(shifts):
        data |= {f"periods-{n}-weekday": str(weekday), f"periods-{n}-start": start, f"periods-{n}-end": end}
    return data


@pytest.mark.django_db
def test_a_split_day_is_accepted_and_overlapping_shifts_are_refused(settings):
    settings.LANGUAGE_CODE = "en"
    calendar = BusinessCalendar.objects.create(name="总部")
    split = Hours(posted((0, "08:30", "12:00"), (0, "13:30", "17:30"), (1, "08:30", "12:00")), instance=calendar)
    assert split.is_valid(), split.errors
    overlapping = Hours(posted((0, "08:30", "12:00"), (0, "11:30", "17:30")), instance=calendar)
    assert not overlapping.is_valid()
    assert overlapping.non_form_errors() == ["Two shifts overlap on Monday."]
