"""Web forms of the complaint desk: register, dispose, face-to-face reply, rectification actions, the list filter."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from wuyou.core.dates import BoundedDateField
from wuyou.quality import complaints as rules
from wuyou.quality.models import ComplaintCategory, ComplaintStatus, Remedy, ResponsibleParty, Severity
from wuyou.quality.selectors import ComplaintFilters

EMPTY = [("", "—")]


class VersionedForm(forms.Form):
    """A form on a complaint, carrying the version the person was looking at (a stale page gets 409)."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class ComplaintRegisterForm(forms.Form):
    """What the complaint is about: category, severity, the unit and the engineer complained about."""

    category = forms.ChoiceField(label=_("Category"), choices=[*EMPTY, *ComplaintCategory.choices])
    severity = forms.ChoiceField(label=_("Severity"), choices=Severity.choices, initial=Severity.MINOR)
    unit_id = forms.TypedChoiceField(label=_("Unit"), coerce=int, required=False, empty_value=None, choices=EMPTY)
    about_engineer_id = forms.TypedChoiceField(
        label=_("Engineer complained about"), coerce=int, required=False, empty_value=None, choices=EMPTY
    )


class ComplaintDisposeForm(VersionedForm):
    """The disposition: the finding, the party responsible, the remedy and its amount."""

    # Required by the service (one rule, one message naming the field); the form bounds the input only.
    finding = forms.CharField(
        label=_("Finding"), required=False, max_length=rules.FINDING_MAX, widget=forms.Textarea(attrs={"rows": 3})
    )
    responsible = forms.ChoiceField(
        label=_("Responsible party"), required=False, choices=[*EMPTY, *ResponsibleParty.choices]
    )
    remedy = forms.ChoiceField(label=_("Remedy"), required=False, choices=[*EMPTY, *Remedy.choices])
    remedy_amount = forms.DecimalField(
        label=_("Amount (yuan)"),
        required=False,
        min_value=Decimal(0),
        max_value=rules.AMOUNT_MAX,
        decimal_places=2,
        help_text=_("Above the organisation's amount the service manager approves the remedy first."),
    )


class FaceToFaceForm(VersionedForm):
    """The date of the manager's face-to-face reply (面复) to an authority's complaint."""

    face_to_face_on = BoundedDateField(label=_("Face-to-face reply on"), widget=forms.DateInput(attrs={"type": "date"}))


class RectificationForm(forms.Form):
    """One action of the rectification plan: what, who owns it, by when."""

    action = forms.CharField(label=_("Action"), max_length=rules.ACTION_MAX)
    owner_id = forms.TypedChoiceField(label=_("Owner"), coerce=int, choices=EMPTY)
    due_on = BoundedDateField(label=_("Due on"), widget=forms.DateInput(attrs={"type": "date"}))


class RectificationDoneForm(forms.Form):
    """Marking an action done, with an optional note."""

    note = forms.CharField(label=_("Note"), required=False, max_length=rules.FINDING_MAX)


YES_NO = [("", _("All")), ("yes", _("Repeat complaints")), ("no", _("First complaints"))]


class ComplaintFilterForm(forms.Form):
    """The complaints list's filters; anything unreadable filters nothing."""

    category = forms.ChoiceField(
        label=_("Category"), required=False, choices=[("", _("All")), *ComplaintCategory.choices]
    )
    severity = forms.ChoiceField(label=_("Severity"), required=False, choices=[("", _("All")), *Severity.choices])
    status = forms.ChoiceField(label=_("Status"), required=False, choices=[("", _("All")), *ComplaintStatus.choices])
    outlet = forms.TypedChoiceField(
        label=_("Outlet"), required=False, coerce=int, empty_value=None, choices=[("", _("All"))]
    )
    repeat = forms.ChoiceField(label=_("Repeat"), required=False, choices=YES_NO)
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)

    def to_filters(self) -> ComplaintFilters:
        """The selector's filters from what was valid."""
        data = self.cleaned_data if self.is_valid() else {}
        repeat = data.get("repeat") or ""
        return ComplaintFilters(
            category=data.get("category") or "",
            severity=data.get("severity") or "",
            status=data.get("status") or "",
            outlet_id=data.get("outlet"),
            repeat=None if not repeat else repeat == "yes",
            overdue=bool(data.get("overdue")),
        )
