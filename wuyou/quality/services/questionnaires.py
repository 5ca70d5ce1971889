"""The default callback questionnaire (seed 003 回访制度): installed once, so that a new installation asks the
standard questions from the first callback on; administrators change it by adding versions in admin."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from wuyou.quality.models import GapRole, Question, QuestionKind, Questionnaire, QuestionnaireVersion

DEFAULT_CODE = "standard"
SATISFIED_CODE = "overall"


@dataclass(frozen=True)
class _Q:
    code: str
    text: str
    kind: str
    required: bool = True
    dimension: str = ""
    gap_role: str = ""


# Short questions (seed 003: 语言尽量简短): satisfaction first, then the facts a supervisor checks (on time, fees as
# quoted, the engineer asking for a "satisfied" mark — R-G4), then expectation against perception for two dimensions.
_QUESTIONS = (
    _Q(SATISFIED_CODE, "您对这次服务总体满意吗？请打1到5分（5分最满意）。", QuestionKind.RATING, dimension="overall"),
    _Q("on_time", "服务人员是否按约定时间上门？", QuestionKind.YES_NO, dimension="punctuality"),
    _Q("charged_as_quoted", "收费是否与服务人员事先报价一致？", QuestionKind.YES_NO, dimension="fees"),
    _Q("asked_to_mark_satisfied", "服务人员是否要求您签字或勾选“满意”？", QuestionKind.YES_NO, dimension="integrity"),
    _Q("attitude", "您对服务人员的态度打几分？（1到5分）", QuestionKind.RATING, dimension="attitude"),
    _Q(
        "punctuality_expected",
        "准时上门对您有多重要？（1到5分）",
        QuestionKind.RATING,
        dimension="punctuality",
        gap_role=GapRole.EXPECTATION,
    ),
    _Q(
        "punctuality_perceived",
        "这次上门的准时程度您打几分？（1到5分）",
        QuestionKind.RATING,
        dimension="punctuality",
        gap_role=GapRole.PERCEPTION,
    ),
    _Q(
        "repair_expected",
        "一次修好对您有多重要？（1到5分）",
        QuestionKind.RATING,
        dimension="repair_quality",
        gap_role=GapRole.EXPECTATION,
    ),
    _Q(
        "repair_perceived",
        "这次维修的效果您打几分？（1到5分）",
        QuestionKind.RATING,
        dimension="repair_quality",
        gap_role=GapRole.PERCEPTION,
    ),
    _Q("suggestions", "您对我们的服务还有什么意见或建议？", QuestionKind.TEXT, required=False),
)

GREETING = "您好！我是售后服务中心的回访员，请问您是前几天报修的用户吗？"
APOLOGY = "不好意思打扰您几分钟，想了解一下您对我们这次服务的意见。"
CLOSING = "感谢您的支持与配合！如有任何问题请随时拨打我们的服务热线，祝您生活愉快，再见！"


def questionnaire_default_install() -> QuestionnaireVersion:
    """Install the standard questionnaire (published version 1) unless it exists; returns its latest version.

    Idempotent: a second run, or a run after an administrator added versions, changes nothing.
    """
    with transaction.atomic():
        questionnaire, _created = Questionnaire.objects.get_or_create(
            code=DEFAULT_CODE, defaults={"name": "标准回访问卷", "reasons": [], "is_active": True}
        )
        latest = questionnaire.versions.order_by("-number").first()
        if latest is not None:
            return latest
        version = QuestionnaireVersion.objects.create(
            questionnaire=questionnaire,
            number=1,
            published_at=timezone.now(),
            greeting=GREETING,
            apology=APOLOGY,
            closing=CLOSING,
            satisfied_code=SATISFIED_CODE,
            satisfied_min_rating=4,
        )
        Question.objects.bulk_create(
            Question(
                version=version,
                position=position,
                code=q.code,
                text=q.text,
                kind=q.kind,
                required=q.required,
                dimension=q.dimension,
                gap_role=q.gap_role,
            )
            for position, q in enumerate(_QUESTIONS, start=1)
        )
    return version


def questionnaire_version_copy(*, version: QuestionnaireVersion) -> QuestionnaireVersion:
    """A draft copy of the version (script, rule and questions) numbered after the questionnaire's latest."""
    with transaction.atomic():
        # Lock the questionnaire so that two copies at once do not take the same number.
        Questionnaire.objects.select_for_update().filter(pk=version.questionnaire_id).first()
        last = version.questionnaire.versions.aggregate(n=Max("number"))["n"] or 0
        copy = QuestionnaireVersion.objects.create(
            questionnaire_id=version.questionnaire_id,
            number=last + 1,
            published_at=None,
            greeting=version.greeting,
            apology=version.apology,
            closing=version.closing,
            satisfied_code=version.satisfied_code,
            satisfied_min_rating=version.satisfied_min_rating,
        )
        Question.objects.bulk_create(
            Question(
                version=copy,
                position=q.position,
                code=q.code,
                text=q.text,
                kind=q.kind,
                choices=q.choices,
                required=q.required,
                dimension=q.dimension,
                gap_role=q.gap_role,
            )
            for q in version.questions.order_by("position")
        )
    return copy
