"""Forms of the second factor: a code from the authenticator app (or a recovery code) and the enrolment check."""

from __future__ import annotations

import re

from django import forms
from django.utils.translation import gettext_lazy as _

_SEPARATORS = re.compile(r"[\s\-]+")


def _clean_code(value: str) -> str:
    return _SEPARATORS.sub("", value or "").lower()


class SecondFactorForm(forms.Form):
    """The code after the password: six digits from the app, or one of the recovery codes."""

    code = forms.CharField(
        label=_("Code"),
        max_length=32,
        help_text=_("The 6-digit code your authenticator app shows now, or one of your recovery codes."),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "autofocus": True, "spellcheck": "false"}),
    )
    remember = forms.BooleanField(label=_("Remember this device for 30 days"), required=False)

    def __init__(self, *args: object, remember_days: int = 30, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        if remember_days:
            self.fields["remember"].label = _("Remember this device for %(days)d days") % {"days": remember_days}
        else:
            del self.fields["remember"]

    def clean_code(self) -> str:
        code = _clean_code(self.cleaned_data["code"])
        if not re.fullmatch(r"[0-9a-z]{6,16}", code):
            raise forms.ValidationError(_("Enter the 6 digits from the app, or a recovery code."), code="format")
        return code


class EnrolmentForm(forms.Form):
    """The first code from a newly added authenticator, which proves it was set up right."""

    code = forms.CharField(
        label=_("Code from the app"),
        max_length=16,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}),
    )

    def clean_code(self) -> str:
        code = _clean_code(self.cleaned_data["code"])
        if not re.fullmatch(r"[0-9]{6}", code):
            raise forms.ValidationError(_("Enter the 6 digits the app shows."), code="format")
        return code
