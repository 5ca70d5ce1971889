"""Dates typed by people into the web UI: one reading, bounded to the years the API takes (issue 12 item 4).

A day such as 0001-01-01 or 9999-12-31 is a typing mistake, and near either end the day before or after, or the
day's midnight in a time zone, overflows Python's date arithmetic (OverflowError, a 500). Every view and form that
reads a date goes through here: `day_from_text` for a `?day=` query or a posted day, `BoundedDateField` and
`BoundedDateTimeField` for forms.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from wuyou.core.errors import ValidationFailed
from wuyou.core.schemas import EARLIEST_YEAR, LATEST_YEAR

EARLIEST_DAY = dt.date(EARLIEST_YEAR, 1, 1)
LATEST_DAY = dt.date(LATEST_YEAR, 12, 31)
MAX_DATE_CHARS = 40  # no date written in any accepted format is longer; longer text is not echoed back


def in_bounds(day: dt.date) -> bool:
    """Whether the day lies within the years the API and the UI accept."""
    return EARLIEST_DAY <= day <= LATEST_DAY


def out_of_bounds_message(label: str | Promise) -> str:
    """The one message for a date outside the accepted years, naming the field."""
    return _("%(field)s must be between %(first)s and %(last)s.") % {
        "field": label,
        "first": EARLIEST_DAY.isoformat(),
        "last": LATEST_DAY.isoformat(),
    }


def day_from_text(raw: str | None, *, field: str = "day", label: str | Promise | None = None) -> dt.date | None:
    """A day written YYYY-MM-DD within the accepted years; None when empty.

    Raises ValidationFailed naming `field` (and saying `label`, the field as people know it) for anything else.
    """
    text = (raw or "").strip()
    if not text:
        return None
    shown = label if label is not None else field
    day: dt.date | None = None
    if len(text) <= MAX_DATE_CHARS:
        with contextlib.suppress(ValueError):
            day = dt.date.fromisoformat(text)
    if day is None:
        raise ValidationFailed(_("%(field)s: give the date as YYYY-MM-DD.") % {"field": shown}, field=field)
    if not in_bounds(day):
        raise ValidationFailed(out_of_bounds_message(shown), field=field)
    return day


def day_or_default(
    raw: str | None, default: dt.date, *, field: str = "day", label: str | Promise | None = None
) -> tuple[dt.date, str]:
    """The day asked for, or `default` when none is given; a bad day gives `default` and the message to show."""
    try:
        day = day_from_text(raw, field=field, label=label)
    except ValidationFailed as exc:
        return default, exc.message
    return (day if day is not None else default), ""


def bounded(value: dt.date | None, label: str | Promise) -> dt.date | None:
    """The date (or date and time) unchanged when within the accepted years, else a form ValidationError."""
    day = value.date() if isinstance(value, dt.datetime) else value
    if day is not None and not in_bounds(day):
        raise ValidationError(out_of_bounds_message(label), code="out_of_range")
    return value


class BoundedDateField(forms.DateField):
    """A form's date field that refuses years outside those the API takes, with a message naming the field."""

    def validate(self, value: Any) -> None:
        super().validate(value)
        bounded(value, self.label or gettext_lazy("Date"))


class BoundedDateTimeField(forms.DateTimeField):
    """A form's date-and-time field bounded like BoundedDateField (the zone arithmetic overflows near year 1)."""

    def to_python(self, value: Any) -> dt.datetime | None:
        try:
            return super().to_python(value)
        except OverflowError:  # a local time at 0001-01-01 00:00 has no UTC instant
            raise ValidationError(
                out_of_bounds_message(self.label or gettext_lazy("Date")), code="out_of_range"
            ) from None

    def validate(self, value: Any) -> None:
        super().validate(value)
        bounded(value, self.label or gettext_lazy("Date"))


class BoundedSplitDateTimeField(forms.SplitDateTimeField):
    """The admin's date-and-time field (a date box and a time box) bounded like BoundedDateField."""

    def compress(self, data_list: Any) -> dt.datetime | None:
        try:
            return super().compress(data_list)
        except OverflowError:
            raise ValidationError(
                out_of_bounds_message(self.label or gettext_lazy("Date")), code="out_of_range"
            ) from None

    def validate(self, value: Any) -> None:
        super().validate(value)
        bounded(value, self.label or gettext_lazy("Date"))


def bounded_form_fields() -> dict[type, dict[str, Any]]:
    """ModelAdmin.formfield_overrides that bound every date and date-and-time field of a model's admin form."""
    from django.db import models

    return {
        models.DateField: {"form_class": BoundedDateField},
        models.DateTimeField: {"form_class": BoundedSplitDateTimeField},
    }
