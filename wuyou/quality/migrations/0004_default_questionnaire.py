"""Every installation starts with the standard callback questionnaire (seed 003 回访制度); admins add versions."""

from django.db import migrations


def install(apps, schema_editor):
    from django.utils import timezone

    from wuyou.quality.services import questionnaires as default

    Questionnaire = apps.get_model("quality", "Questionnaire")
    Version = apps.get_model("quality", "QuestionnaireVersion")
    Question = apps.get_model("quality", "Question")
    questionnaire, _created = Questionnaire.objects.get_or_create(
        code=default.DEFAULT_CODE, defaults={"name": "标准回访问卷", "reasons": [], "is_active": True}
    )
    if Version.objects.filter(questionnaire=questionnaire).exists():
        return
    version = Version.objects.create(
        questionnaire=questionnaire,
        number=1,
        published_at=timezone.now(),
        greeting=default.GREETING,
        apology=default.APOLOGY,
        closing=default.CLOSING,
        satisfied_code=default.SATISFIED_CODE,
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
        for position, q in enumerate(default._QUESTIONS, start=1)
    )


class Migration(migrations.Migration):
    dependencies = [("quality", "0003_call_at_required_orphan_clocks_moot")]
    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
