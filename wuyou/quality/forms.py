"""Web forms for quality: phone guidance on the request page, the follow-up list's filter and its record form."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from wuyou.quality.models import CallbackOutcome
from wuyou.quality.selectors import CallbackFilters, DueWithin
from wuyou.quality.services import NOTE_MAX


class PhoneGuidanceForm(forms.Form):
    """What the customer was guided to do, with the version of the request the agent was looking at."""

    # Required by the service (one rule, one message); the form only bounds the length.
    note = forms.CharField(
        label=_("Guidance given"),
        required=False,
        max_length=NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("A callback is scheduled 2 hours later; a visit not yet under way is called off."),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


DUE_CHOICES = [
    (DueWithin.NOW.value, _("Due now")),
    (DueWithin.TODAY.value, _("Due today")),
    (DueWithin.ALL.value, _("All pending")),
]


class CallbackFilterForm(forms.Form):
    """The follow-up list's filter: due now, due today (overdue included) or every pending callback."""

    due = forms.ChoiceField(label=_("Show"), choices=DUE_CHOICES, required=False, initial=DueWithin.TODAY.value)

    def to_filters(self) -> CallbackFilters:
        """The selector's filters; anything unreadable falls back to "due today"."""
        value = self.cleaned_data.get("due") if self.is_valid() else ""
        return CallbackFilters(due=DueWithin(value) if value else DueWithin.TODAY)


class CallbackRecordForm(forms.Form):
    """What the customer said on the callback."""

    outcome = forms.ChoiceField(label=_("Outcome"), choices=[("", "—"), *CallbackOutcome.choices])
    note = forms.CharField(label=_("Note"), required=False, max_length=NOTE_MAX)
