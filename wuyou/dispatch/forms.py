"""Web forms of the dispatcher's board and of booking a visit."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django import forms
from django.utils.translation import gettext_lazy as _

from wuyou.core.dates import BoundedDateField
from wuyou.core.htmx import set_choices
from wuyou.products.models import JobType

# The board lets the dispatcher search for 5 to 60 seconds; the service itself takes up to 120 (API, urgent re-plan).
OPTIMISE_SECONDS = (5, 60)
OPTIMISE_SECONDS_DEFAULT = 10
WINDOW_SEPARATOR = "|"


class OptimiseForm(forms.Form):
    """Ask the optimiser for a plan of the outlet's day."""

    outlet = forms.IntegerField(widget=forms.HiddenInput)
    day = BoundedDateField(
        label=_("Day"),
        widget=forms.DateInput(attrs={"type": "hidden"}, format="%Y-%m-%d"),
        input_formats=["%Y-%m-%d"],
    )
    seconds = forms.IntegerField(
        label=_("Search time (seconds)"),
        min_value=OPTIMISE_SECONDS[0],
        max_value=OPTIMISE_SECONDS[1],
        initial=OPTIMISE_SECONDS_DEFAULT,
        widget=forms.NumberInput(attrs={"min": OPTIMISE_SECONDS[0], "max": OPTIMISE_SECONDS[1], "step": 1}),
    )


class AdjustForm(forms.Form):
    """Move one job of a proposal by hand: to an engineer at a place in his route, or out of the plan."""

    MOVE = "move"
    UNASSIGN = "unassign"

    work_order = forms.IntegerField(widget=forms.HiddenInput)
    action = forms.ChoiceField(choices=[(MOVE, _("Move")), (UNASSIGN, _("Take out of the plan"))], initial=MOVE)
    engineer = forms.TypedChoiceField(label=_("Engineer"), coerce=int, required=False, empty_value=None)
    position = forms.IntegerField(
        label=_("Stop number"),
        required=False,
        min_value=1,
        help_text=_("Empty: at the end of the route."),
        widget=forms.NumberInput(attrs={"min": 1, "step": 1}),
    )

    def __init__(self, *args: object, engineers: Sequence[tuple[int, str]] = (), **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        set_choices(self, "engineer", [("", "—"), *engineers])

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        if data.get("action") == self.MOVE and data.get("engineer") is None and "engineer" not in self.errors:
            self.add_error("engineer", _("Choose the engineer to move the job to."))
        return data

    @property
    def position_index(self) -> int | None:
        """The place in the route as the service counts it (from 0); the dispatcher counts stops from 1."""
        position = self.cleaned_data.get("position")
        return position - 1 if position is not None else None


class PinForm(forms.Form):
    """Pin a proposed visit to its engineer and time, or release it."""

    work_order = forms.IntegerField(widget=forms.HiddenInput)
    pinned = forms.TypedChoiceField(choices=[("1", _("Pin")), ("0", _("Unpin"))], coerce=lambda v: v == "1")


class WorkOrderNewForm(forms.Form):
    """Open a visit for a request: what kind of job and how long it takes."""

    job_type = forms.ChoiceField(label=_("Job type"), choices=JobType.choices)
    duration_minutes = forms.IntegerField(
        label=_("Expected duration (minutes)"),
        min_value=5,
        max_value=600,
        required=False,
        help_text=_("Empty: the standard time for this product and job."),
        widget=forms.NumberInput(attrs={"min": 5, "max": 600, "step": 5}),
    )


def window_value(starts_at: dt.datetime, ends_at: dt.datetime) -> str:
    """A booking slot as a form value: both ends in ISO format."""
    return f"{starts_at.isoformat()}{WINDOW_SEPARATOR}{ends_at.isoformat()}"


class BookForm(forms.Form):
    """The window(s) the customer accepts: one is the appointment, several let the plan choose."""

    windows = forms.MultipleChoiceField(
        label=_("Windows the customer accepts"),
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "required": _("Choose at least one window."),
            "invalid_choice": _("A chosen window is no longer free; choose again."),
        },
    )
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args: object, offered: Sequence[str] = (), **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        set_choices(self, "windows", [(value, value) for value in offered])

    def chosen_windows(self) -> list[tuple[dt.datetime, dt.datetime]]:
        """The chosen windows as (start, end) pairs."""
        pairs = []
        for value in self.cleaned_data["windows"]:
            start, _sep, end = value.partition(WINDOW_SEPARATOR)
            pairs.append((dt.datetime.fromisoformat(start), dt.datetime.fromisoformat(end)))
        return pairs
