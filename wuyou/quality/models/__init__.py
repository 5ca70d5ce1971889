"""Quality's tables: callbacks, questionnaires, the sampling plan and its draws, complaints and their rectification."""

from wuyou.quality.models.callbacks import (
    RULE_MADE,
    Callback,
    CallbackMode,
    CallbackOutcome,
    CallbackReason,
    CallbackStatus,
    QualityVerb,
)
from wuyou.quality.models.complaints import (
    Complaint,
    ComplaintCategory,
    ComplaintSettings,
    ComplaintStatus,
    RectificationAction,
    Remedy,
    ResponsibleParty,
    Severity,
)
from wuyou.quality.models.questionnaires import (
    CallbackAnswer,
    GapRole,
    Question,
    QuestionKind,
    Questionnaire,
    QuestionnaireVersion,
)
from wuyou.quality.models.sampling import SampleDraw, SamplingPlan, SamplingRate, StratumKind

__all__ = [
    "RULE_MADE",
    "Callback",
    "CallbackAnswer",
    "CallbackMode",
    "CallbackOutcome",
    "CallbackReason",
    "CallbackStatus",
    "Complaint",
    "ComplaintCategory",
    "ComplaintSettings",
    "ComplaintStatus",
    "GapRole",
    "QualityVerb",
    "Question",
    "QuestionKind",
    "Questionnaire",
    "QuestionnaireVersion",
    "RectificationAction",
    "Remedy",
    "ResponsibleParty",
    "SampleDraw",
    "SamplingPlan",
    "SamplingRate",
    "Severity",
    "StratumKind",
]
