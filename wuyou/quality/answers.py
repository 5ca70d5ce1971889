"""A callback's answers checked against its questionnaire version (pure; issue 14 item 3).

Every required question answered, each answer of its kind (a rating 1–5, yes/no, one of the choices, text within
bounds), and the version's rule decides "satisfied": the deciding rating question at or above its threshold, or the
deciding yes/no question answered yes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from django.utils.translation import gettext as _

from wuyou.core.errors import ValidationFailed

RATING, YES_NO, CHOICE, TEXT = "rating", "yes_no", "choice", "text"
YES = frozenset({"yes", "y", "true", "1", "是"})
NO = frozenset({"no", "n", "false", "0", "否"})
TEXT_MAX = 1000


@dataclass(frozen=True)
class QuestionRule:
    """What a question accepts."""

    id: int
    code: str
    kind: str
    required: bool = True
    choices: Sequence[str] = ()


@dataclass(frozen=True)
class FormRule:
    """A questionnaire version as the checker needs it."""

    questions: Sequence[QuestionRule]
    satisfied_code: str
    satisfied_min_rating: int = 4


@dataclass(frozen=True)
class CheckedAnswer:
    """One answer as stored: the text, and the number for ratings (yes 1 / no 0)."""

    question_id: int
    value: str
    rating: int | None


@dataclass(frozen=True)
class Checked:
    """The answers as stored and what the rule says of them."""

    answers: tuple[CheckedAnswer, ...]
    satisfied: bool


def _one(question: QuestionRule, raw: str) -> CheckedAnswer:
    field = f"answers.{question.code}"
    if question.kind == RATING:
        if raw not in {"1", "2", "3", "4", "5"}:
            raise ValidationFailed(_("Give a rating from 1 to 5."), field=field)
        return CheckedAnswer(question.id, raw, int(raw))
    if question.kind == YES_NO:
        word = raw.lower()
        if word not in YES | NO:
            raise ValidationFailed(_("Answer yes or no."), field=field)
        yes = word in YES
        return CheckedAnswer(question.id, "yes" if yes else "no", 1 if yes else 0)
    if question.kind == CHOICE:
        if raw not in question.choices:
            raise ValidationFailed(_("Choose one of the answers offered."), field=field)
        return CheckedAnswer(question.id, raw, None)
    if len(raw) > TEXT_MAX:
        raise ValidationFailed(
            _("The answer is too long (%(max)d characters at most).") % {"max": TEXT_MAX}, field=field
        )
    return CheckedAnswer(question.id, raw, None)


def answers_check(form: FormRule, answers: Mapping[str, object]) -> Checked:
    """Check the answers, in question order; the first fault raises ValidationFailed naming `answers.<code>`."""
    known = {q.code for q in form.questions}
    for code in answers:
        if code not in known:
            raise ValidationFailed(_("This question is not on the questionnaire."), field=f"answers.{str(code)[:40]}")
    checked: list[CheckedAnswer] = []
    satisfied: bool | None = None
    for question in form.questions:
        raw = str(answers.get(question.code) or "").strip()
        if not raw:
            if question.required or question.code == form.satisfied_code:
                raise ValidationFailed(_("This question needs an answer."), field=f"answers.{question.code}")
            continue
        answer = _one(question, raw)
        checked.append(answer)
        if question.code == form.satisfied_code and answer.rating is not None:
            threshold = form.satisfied_min_rating if question.kind == RATING else 1
            satisfied = answer.rating >= threshold
    if satisfied is None:  # the admin form refuses such a version; an old row must not pass silently
        raise ValidationFailed(_("The questionnaire names no rating or yes/no question to decide satisfaction."))
    return Checked(answers=tuple(checked), satisfied=satisfied)
