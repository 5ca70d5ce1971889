"""Every callback has a moment to call; callback clocks nobody owns are moot (issue 14)."""

from django.db import migrations, models


def orphan_callback_clocks_moot(apps, schema_editor):
    """A callback clock with no pending callback to meet it was started by resolving alone: nobody owns it, so it
    is moot (issue 14: every callback clock belongs to a callback on someone's list)."""
    from django.db.models import Min
    from django.utils import timezone

    RequestClock = apps.get_model("tickets", "RequestClock")
    ServiceRequest = apps.get_model("tickets", "ServiceRequest")
    Callback = apps.get_model("quality", "Callback")
    owned = Callback.objects.filter(status="pending").values("request_id")
    orphans = RequestClock.objects.filter(step="callback_due").exclude(state="stopped").exclude(request_id__in=owned)
    request_ids = list(orphans.values_list("request_id", flat=True))
    orphans.update(state="stopped", outcome="moot", stopped_at=timezone.now(), next_action_at=None, paused_at=None)
    for request_id in request_ids:
        due = RequestClock.objects.filter(request_id=request_id, state="running").aggregate(due=Min("due_at"))["due"]
        ServiceRequest.objects.filter(pk=request_id).update(due_at=due)


class Migration(migrations.Migration):
    dependencies = [("quality", "0002_callbacks_work_questionnaires_sampling_complaints")]

    operations = [
        migrations.AlterField(
            model_name="callback",
            name="call_at",
            field=models.DateTimeField(verbose_name="call at"),
        ),
        migrations.RunPython(orphan_callback_clocks_moot, migrations.RunPython.noop),
    ]
