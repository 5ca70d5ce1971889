"""Every installation starts with the default time limits (R-E4); admins tune them afterwards."""

from django.db import migrations


def install(apps, schema_editor):
    from wuyou.tickets.standards import STANDARDS

    Policy = apps.get_model("tickets", "TimeLimitPolicy")
    chain = ["responsible", "outlet_manager", "service_manager", "head_of_service"]
    for row in STANDARDS:
        Policy.objects.get_or_create(
            call_type=row.call_type,
            priority=row.priority,
            channel=row.channel,
            step=row.step,
            is_active=True,
            defaults={
                "amount": row.amount,
                "unit": row.unit,
                "warn_percent": row.warn_percent,
                "pauses_when_waiting": row.pauses_when_waiting,
                "chain": chain,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("tickets", "0002_time_limits")]
    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
