"""The engineer's doubts when he finishes a visit (issue 14: a callback 3 hours later), and the index the daily
sample draw reads finished visits by."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("dispatch", "0006_work_order_parts_from_the_ledger")]

    operations = [
        migrations.AddField(
            model_name="workorder",
            name="no_time_for_test_run",
            field=models.BooleanField(default=False, verbose_name="no time for a test run"),
        ),
        migrations.AddField(
            model_name="workorder",
            name="not_sure_fixed",
            field=models.BooleanField(default=False, verbose_name="not sure it is fully fixed"),
        ),
        migrations.AddIndex(
            model_name="workorder",
            index=models.Index(fields=["status", "finished_at"], name="work_order_finished"),
        ),
    ]
