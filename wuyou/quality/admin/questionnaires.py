"""Django admin for questionnaires (issue 14 item 3): a questionnaire with its versions, a version with its questions.

A version some callback has answered is frozen (answers keep the questions they were given to): it is shown read-only
and changed by "copy as new version", which makes an unpublished draft with the same script and questions.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from wuyou.quality.models import CallbackAnswer, Question, QuestionKind, Questionnaire, QuestionnaireVersion
from wuyou.quality.services.questionnaires import questionnaire_version_copy

DECIDING_KINDS = (QuestionKind.RATING, QuestionKind.YES_NO)


def version_is_answered(version: QuestionnaireVersion | None) -> bool:
    """Whether a callback has answered this version (then it may no longer change)."""
    return (
        version is not None
        and version.pk is not None
        and CallbackAnswer.objects.filter(question__version_id=version.pk).exists()
    )


class QuestionInlineFormSet(forms.BaseInlineFormSet):
    """The version's questions: `satisfied_code` must name one of them that is a rating or a yes/no question."""

    def clean(self) -> None:
        super().clean()
        if any(form.errors for form in self.forms):
            return
        kinds: dict[str, str] = {}
        for form in self.forms:
            data = getattr(form, "cleaned_data", None) or {}
            if not data or data.get("DELETE"):
                continue
            if data.get("kind") == QuestionKind.CHOICE and not data.get("choices"):
                form.add_error("choices", _("A choice question needs its choices."))
            kinds[data["code"]] = data["kind"]
        code = getattr(self.instance, "satisfied_code", "")
        if code not in kinds:
            raise forms.ValidationError(
                _("The question that decides satisfaction (%(code)s) is not among this version's questions.")
                % {"code": code or "—"}
            )
        if kinds[code] not in DECIDING_KINDS:
            raise forms.ValidationError(
                _("The question that decides satisfaction (%(code)s) must be a rating or a yes/no question.")
                % {"code": code}
            )


class QuestionInline(admin.TabularInline):
    """The questions of a version, in the order they are asked."""

    model = Question
    formset = QuestionInlineFormSet
    extra = 0
    fields = ("position", "code", "text", "kind", "choices", "required", "dimension", "gap_role")
    ordering = ("position",)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_add_permission(request, obj) and not version_is_answered(obj)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_change_permission(request, obj) and not version_is_answered(obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_delete_permission(request, obj) and not version_is_answered(obj)


class VersionInline(admin.TabularInline):
    """The questionnaire's versions at a glance (edited on their own page)."""

    model = QuestionnaireVersion
    extra = 0
    fields = ("number", "published_at", "satisfied_code", "satisfied_min_rating")
    readonly_fields = fields
    show_change_link = True
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Questionnaire)
class QuestionnaireAdmin(admin.ModelAdmin):
    """Questionnaires and what they are asked on; their versions carry the questions."""

    list_display = ("code", "name", "reasons", "is_active")
    list_filter = ("is_active",)
    search_fields = ("code", "name")
    inlines = [VersionInline]


@admin.action(description=_("Copy as new version (an unpublished draft)"))
def copy_as_new_version(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet) -> None:
    """Copy each chosen version, script and questions, as the next version number of its questionnaire."""
    copies = 0
    for version in queryset.select_related("questionnaire"):
        questionnaire_version_copy(version=version)
        copies += 1
    modeladmin.message_user(
        request,
        ngettext("%(n)d new version drafted.", "%(n)d new versions drafted.", copies) % {"n": copies},
        messages.SUCCESS,
    )


@admin.register(QuestionnaireVersion)
class QuestionnaireVersionAdmin(admin.ModelAdmin):
    """A version with its questions; read-only once answered (change it by copying it as a new version)."""

    list_display = ("questionnaire", "number", "published_at", "satisfied_code", "satisfied_min_rating")
    list_filter = ("questionnaire",)
    list_select_related = ("questionnaire",)
    inlines = [QuestionInline]
    actions = [copy_as_new_version]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_change_permission(request, obj) and not version_is_answered(obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_delete_permission(request, obj) and not version_is_answered(obj)
