"""Timeline lines remember where they were written, so a shared customer's timeline is scoped line by line.

Existing lines: a request's line takes the request's outlet; any other the outlet of the staff member who wrote it
(head-office staff and the system leave it empty: such lines show to everyone who sees the customer).
"""

import django.db.models.deletion
from django.db import migrations, models


def written_at(apps, schema_editor):
    TimelineEntry = apps.get_model("customers", "TimelineEntry")
    ServiceRequest = apps.get_model("tickets", "ServiceRequest")
    StaffProfile = apps.get_model("accounts", "StaffProfile")
    request_outlets = dict(ServiceRequest.objects.values_list("pk", "outlet_id"))
    staff_outlets = dict(StaffProfile.objects.exclude(outlet_id=None).values_list("user_id", "outlet_id"))
    changed = []
    for entry in TimelineEntry.objects.only("pk", "ref_kind", "ref_id", "actor_id").iterator(chunk_size=2000):
        outlet_id = (
            request_outlets.get(entry.ref_id) if entry.ref_kind == "request" else staff_outlets.get(entry.actor_id)
        )
        if outlet_id is not None:
            entry.outlet_id = outlet_id
            changed.append(entry)
    TimelineEntry.objects.bulk_update(changed, ["outlet"], batch_size=2000)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_calendars_head_of_service"),
        ("customers", "0001_initial"),
        ("tickets", "0004_policy_escalation_interval"),
    ]

    operations = [
        migrations.AddField(
            model_name="timelineentry",
            name="outlet",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="accounts.outlet",
                verbose_name="written at",
            ),
        ),
        migrations.RunPython(written_at, migrations.RunPython.noop),
    ]
