"""Questionnaires (回访问卷, issue 14 item 3): configured in admin, versioned; answers keep their question version.

A version is frozen once a callback has answered it: a change is a new version, so last month's answers still read
against the questions that were asked. The version says which question decides "satisfied" and from which rating.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from wuyou.core.models import TimeStampedModel


class Questionnaire(TimeStampedModel):
    """A questionnaire the follow-up staff read from; the latest published version is asked."""

    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    reasons = models.JSONField(
        _("used for"),
        default=list,
        blank=True,
        help_text=_("Callback reasons it is asked on (empty: every reason without a questionnaire of its own)."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("questionnaire")
        verbose_name_plural = _("questionnaires")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class QuestionnaireVersion(TimeStampedModel):
    """One version of a questionnaire: the script, the questions and the rule for "satisfied"."""

    questionnaire = models.ForeignKey(
        Questionnaire, on_delete=models.PROTECT, related_name="versions", verbose_name=_("questionnaire")
    )
    number = models.PositiveSmallIntegerField(_("version"))
    published_at = models.DateTimeField(
        _("published at"), null=True, blank=True, help_text=_("Empty: a draft, not asked yet.")
    )
    greeting = models.TextField(_("greeting"), blank=True)
    apology = models.TextField(_("apology for the disturbance"), blank=True)
    closing = models.TextField(_("closing words"), blank=True)
    satisfied_code = models.SlugField(
        _("question that decides satisfaction"),
        max_length=40,
        help_text=_("The code of a rating or yes/no question of this version."),
    )
    satisfied_min_rating = models.PositiveSmallIntegerField(
        _("satisfied from rating"), default=4, help_text=_("For a rating question: this rating or better counts.")
    )

    class Meta:
        verbose_name = _("questionnaire version")
        verbose_name_plural = _("questionnaire versions")
        ordering = ["questionnaire", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["questionnaire", "number"], name="questionnaire_version_unique"),
            models.CheckConstraint(
                condition=models.Q(satisfied_min_rating__range=(1, 5)), name="questionnaire_satisfied_rating_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.questionnaire} v{self.number}"


class QuestionKind(models.TextChoices):
    RATING = "rating", _("Rating 1–5")
    YES_NO = "yes_no", _("Yes / no")
    CHOICE = "choice", _("One of several")
    TEXT = "text", _("Free text")


class GapRole(models.TextChoices):
    """For service gaps (R-G7): what the customer expected against what he perceived, on one dimension."""

    NONE = "", _("—")
    EXPECTATION = "expectation", _("Expectation")
    PERCEPTION = "perception", _("Perception")


class Question(models.Model):
    """A question of a questionnaire version, in the order it is asked."""

    version = models.ForeignKey(
        QuestionnaireVersion, on_delete=models.CASCADE, related_name="questions", verbose_name=_("version")
    )
    position = models.PositiveSmallIntegerField(_("position"))
    code = models.SlugField(_("code"), max_length=40)
    text = models.CharField(_("question"), max_length=300)
    kind = models.CharField(_("kind"), max_length=10, choices=QuestionKind.choices)
    choices = models.JSONField(_("choices"), default=list, blank=True, help_text=_("For a choice question."))
    required = models.BooleanField(_("required"), default=True)
    dimension = models.SlugField(
        _("service dimension"), max_length=40, blank=True, help_text=_("e.g. punctuality, fees, attitude.")
    )
    gap_role = models.CharField(_("gap role"), max_length=12, choices=GapRole.choices, blank=True, default="")

    class Meta:
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        ordering = ["version", "position"]
        constraints = [
            models.UniqueConstraint(fields=["version", "code"], name="question_code_unique_in_version"),
            models.UniqueConstraint(fields=["version", "position"], name="question_position_unique_in_version"),
        ]

    def __str__(self) -> str:
        return self.text


class CallbackAnswer(models.Model):
    """The customer's answer to one question on one callback (the question row carries its version)."""

    callback = models.ForeignKey(
        "quality.Callback", on_delete=models.CASCADE, related_name="answers", verbose_name=_("callback")
    )
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="answers", verbose_name=_("question"))
    value = models.CharField(_("answer"), max_length=1000, blank=True)
    rating = models.PositiveSmallIntegerField(_("rating"), null=True, blank=True)  # ratings and yes (1) / no (0)

    class Meta:
        verbose_name = _("answer")
        verbose_name_plural = _("answers")
        constraints = [models.UniqueConstraint(fields=["callback", "question"], name="answer_once_per_question")]

    def __str__(self) -> str:
        return f"{self.question.code}={self.value}"
