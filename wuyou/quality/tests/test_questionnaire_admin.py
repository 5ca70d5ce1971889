"""Questionnaires in admin (issue 14 item 3): versions with their questions, frozen once answered, changed by copying
as a new version, and "satisfied" decided by a rating or yes/no question of the version; the default installer."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from tests.factories import RequestFactory
from wuyou.quality.models import Callback, CallbackAnswer, Question, QuestionKind, Questionnaire, QuestionnaireVersion
from wuyou.quality.selectors import questionnaire_for
from wuyou.quality.services.questionnaires import questionnaire_default_install, questionnaire_version_copy


@pytest.fixture
def admin_client(client, db):
    client.force_login(get_user_model().objects.create_superuser(username="root", password="root-pass-123", email=""))
    return client


def test_the_default_questionnaire_is_installed_once_and_asked(db):
    version = questionnaire_default_install()
    assert questionnaire_default_install() == version
    assert Questionnaire.objects.count() == 1 and QuestionnaireVersion.objects.count() == 1
    codes = {q.code: q for q in version.questions.all()}
    assert codes["overall"].kind == QuestionKind.RATING and version.satisfied_code == "overall"
    assert version.satisfied_min_rating == 4
    assert codes["on_time"].dimension == "punctuality" and codes["charged_as_quoted"].dimension == "fees"
    assert codes["asked_to_mark_satisfied"].kind == QuestionKind.YES_NO
    assert {q.gap_role for q in codes.values()} >= {"expectation", "perception"}
    assert not codes["suggestions"].required
    assert "打扰" in version.apology and version.greeting and version.closing
    assert questionnaire_for("sample") == version and questionnaire_for("phone_guidance") == version


def inline_post(version: QuestionnaireVersion, questions: list[dict], **changes) -> dict:
    """The admin change form's POST for a version with these questions."""
    data = {
        "questionnaire": version.questionnaire_id,
        "number": version.number,
        "published_at_0": "",
        "published_at_1": "",
        "greeting": version.greeting,
        "apology": version.apology,
        "closing": version.closing,
        "satisfied_code": version.satisfied_code,
        "satisfied_min_rating": version.satisfied_min_rating,
        "questions-TOTAL_FORMS": len(questions),
        "questions-INITIAL_FORMS": 0,
        "questions-MIN_NUM_FORMS": 0,
        "questions-MAX_NUM_FORMS": 1000,
        **changes,
    }
    for i, q in enumerate(questions):
        for name, value in {"choices": "[]", "required": "on", "dimension": "", "gap_role": "", **q}.items():
            data[f"questions-{i}-{name}"] = value
    return data


@pytest.mark.parametrize(
    ("questions", "code", "words"),
    [
        ([{"position": 1, "code": "overall", "text": "总体", "kind": "rating"}], "missing", "not among"),
        ([{"position": 1, "code": "remarks", "text": "意见", "kind": "text"}], "remarks", "rating or a yes/no"),
    ],
)
def test_satisfied_code_must_name_a_rating_or_yes_no_question_of_the_version(admin_client, questions, code, words):
    questionnaire = Questionnaire.objects.create(code="short", name="简短问卷")
    draft = QuestionnaireVersion.objects.create(questionnaire=questionnaire, number=1, satisfied_code="overall")
    url = reverse("admin:quality_questionnaireversion_change", args=[draft.pk])
    response = admin_client.post(url, inline_post(draft, questions, satisfied_code=code), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200, "the form comes back with its error"
    assert words in response.content.decode()
    assert not Question.objects.filter(version=draft).exists()


def test_a_valid_version_is_saved_with_its_questions(admin_client):
    questionnaire = Questionnaire.objects.create(code="short", name="简短问卷")
    draft = QuestionnaireVersion.objects.create(questionnaire=questionnaire, number=1, satisfied_code="ok")
    url = reverse("admin:quality_questionnaireversion_change", args=[draft.pk])
    questions = [{"position": 1, "code": "ok", "text": "满意吗？", "kind": "yes_no"}]
    response = admin_client.post(url, inline_post(draft, questions, satisfied_code="ok"))
    assert response.status_code == 302, response.content.decode()[:2000]
    assert list(draft.questions.values_list("code", flat=True)) == ["ok"]


def answered(version: QuestionnaireVersion) -> None:
    callback = Callback.objects.create(
        request=RequestFactory(),
        reason="sample",
        due_at="2026-03-03T10:00:00+08:00",
        call_at="2026-03-03T10:00:00+08:00",
        status="done",
        outcome="satisfied",
        questionnaire=version,
    )
    CallbackAnswer.objects.create(
        callback=callback, question=version.questions.get(code="overall"), value="5", rating=5
    )


def test_an_answered_version_is_read_only_and_changed_by_copying_it(admin_client):
    version = questionnaire_default_install()
    url = reverse("admin:quality_questionnaireversion_change", args=[version.pk])
    assert 'name="greeting"' in admin_client.get(url).content.decode(), "not answered yet: editable"
    answered(version)
    page = admin_client.get(url).content.decode()
    assert 'name="greeting"' not in page and 'name="questions-0-text"' not in page
    assert admin_client.post(url, {"greeting": "改"}).status_code == 403
    # "Copy as new version": a draft v2 with the same questions, not asked until published
    changelist = reverse("admin:quality_questionnaireversion_changelist")
    response = admin_client.post(changelist, {"action": "copy_as_new_version", "_selected_action": [version.pk]})
    assert response.status_code == 302
    copy = QuestionnaireVersion.objects.get(questionnaire=version.questionnaire, number=2)
    assert copy.published_at is None and copy.satisfied_code == "overall"
    assert list(copy.questions.values_list("code", flat=True)) == list(version.questions.values_list("code", flat=True))
    assert questionnaire_for("sample") == version, "a draft is not asked"
    assert (
        'name="greeting"'
        in admin_client.get(reverse("admin:quality_questionnaireversion_change", args=[copy.pk])).content.decode()
    )


def test_copies_take_the_next_number(db):
    version = questionnaire_default_install()
    assert [questionnaire_version_copy(version=version).number for _ in range(2)] == [2, 3]


def test_the_questionnaire_pages_render(admin_client):
    version = questionnaire_default_install()
    for url in (
        reverse("admin:quality_questionnaire_changelist"),
        reverse("admin:quality_questionnaire_change", args=[version.questionnaire_id]),
        reverse("admin:quality_questionnaireversion_changelist"),
        reverse("admin:quality_questionnaireversion_add"),
    ):
        assert admin_client.get(url).status_code == 200, url
