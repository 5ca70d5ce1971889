"""Web forms for quality: phone guidance on the request page, the follow-up queue's filter, and the callback's work
page: the questionnaire built from its version, the outcome, and "call at another time"."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from wuyou.core.dates import BoundedDateTimeField
from wuyou.quality.models import CallbackMode, CallbackOutcome, Question, QuestionKind, QuestionnaireVersion
from wuyou.quality.selectors import DueWithin, QueueFilters, Whose
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


WHOSE_CHOICES = [
    (Whose.MINE.value, _("Mine")),
    (Whose.UNASSIGNED.value, _("Not taken")),
    (Whose.ALL.value, _("All")),
]


class CallbackQueueFilterForm(forms.Form):
    """The follow-up queue's filter: how far ahead (due now, today with the overdue ones, all pending), and whose
    callbacks (mine, not taken yet, all)."""

    due = forms.ChoiceField(label=_("Show"), choices=DUE_CHOICES, required=False, initial=DueWithin.TODAY.value)
    whose = forms.ChoiceField(label=_("Whose"), choices=WHOSE_CHOICES, required=False, initial=Whose.ALL.value)

    def to_queue_filters(self) -> QueueFilters:
        """The queue selector's filters; anything unreadable falls back to "due today", everybody's."""
        due = self.cleaned_data.get("due") if self.is_valid() else ""
        whose = self.cleaned_data.get("whose") if self.is_valid() else ""
        return QueueFilters(due=DueWithin(due) if due else DueWithin.TODAY, whose=Whose(whose) if whose else Whose.ALL)

    def query(self) -> dict[str, str]:
        """The filter as query parameters, to come back to the same queue."""
        filters = self.to_queue_filters()
        return {"due": filters.due.value, "whose": filters.whose.value}


class CallbackRecordForm(forms.Form):
    """What the customer said on the callback."""

    outcome = forms.ChoiceField(label=_("Outcome"), choices=[("", "—"), *CallbackOutcome.choices])
    note = forms.CharField(label=_("Note"), required=False, max_length=NOTE_MAX)


# The outcome buttons of the work page: "answered" lets the questionnaire's rule decide satisfied or not.
ANSWERED = "answered"
OUTCOME_BUTTONS = [
    (ANSWERED, _("Answered")),
    (CallbackOutcome.SATISFIED.value, _("Satisfied")),
    (CallbackOutcome.UNSATISFIED.value, _("Not satisfied")),
    (CallbackOutcome.NO_ANSWER.value, _("Not reached")),
    (CallbackOutcome.REFUSED.value, _("Refused")),
]
YES_NO_CHOICES = [("yes", _("Yes")), ("no", _("No"))]
RATING_CHOICES = [(str(n), str(n)) for n in range(1, 6)]


def _question_field(question: Question) -> forms.Field:
    """The input for one question; "required" is the service's rule (one rule, one message), not the browser's."""
    label = question.text
    help_text = _("Required") if question.required else _("Optional")
    if question.kind == QuestionKind.RATING:
        return forms.ChoiceField(
            label=label, choices=RATING_CHOICES, required=False, widget=forms.RadioSelect, help_text=help_text
        )
    if question.kind == QuestionKind.YES_NO:
        return forms.ChoiceField(
            label=label, choices=YES_NO_CHOICES, required=False, widget=forms.RadioSelect, help_text=help_text
        )
    if question.kind == QuestionKind.CHOICE:
        options = [("", "—"), *((str(c), str(c)) for c in question.choices or ())]
        return forms.ChoiceField(label=label, choices=options, required=False, help_text=help_text)
    return forms.CharField(
        label=label,
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=help_text,
    )


class CallbackWorkForm(forms.Form):
    """The callback's answers, the outcome (the button pressed), a note and the version the page showed.

    One field per question of the version in force, named `q_<code>` (apart from the form's own fields), so that the
    service's `answers.<code>` errors land next to their question.
    """

    outcome = forms.ChoiceField(label=_("Outcome"), choices=OUTCOME_BUTTONS)
    note = forms.CharField(
        label=_("Note"), required=False, max_length=NOTE_MAX, widget=forms.Textarea(attrs={"rows": 2})
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args: Any, questionnaire: QuestionnaireVersion | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.questions: list[Question] = list(questionnaire.questions.order_by("position")) if questionnaire else []
        for question in self.questions:
            self.fields[f"q_{question.code}"] = _question_field(question)

    @property
    def question_fields(self) -> list[forms.BoundField]:
        """The questions' inputs, in the order they are asked."""
        return [self[f"q_{q.code}"] for q in self.questions]

    def answers(self) -> dict[str, str]:
        """{question code: answer} of the questions answered (the service checks the required ones)."""
        return {q.code: str(self.cleaned_data.get(f"q_{q.code}") or "").strip() for q in self.questions}

    def field_map(self) -> dict[str, str]:
        """The service's error paths → this form's fields."""
        return {f"answers.{q.code}": f"q_{q.code}" for q in self.questions} | {
            "expected_version": "__all__",
            "callback": "__all__",
            "callback_id": "__all__",
        }


class CallbackMoveForm(forms.Form):
    """Call at another time, or book a home visit at a daytime the customer chose."""

    call_at = BoundedDateTimeField(
        label=_("Call at"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
    )
    mode = forms.ChoiceField(label=_("How"), choices=CallbackMode.choices, initial=CallbackMode.PHONE)

    def clean_call_at(self) -> dt.datetime:
        """A time typed without a zone is the organisation's local time."""
        value: dt.datetime = self.cleaned_data["call_at"]
        return timezone.make_aware(value) if timezone.is_naive(value) else value
