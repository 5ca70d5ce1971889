"""Data migration: every installation starts with China's national three guarantees (三包) as the default policy."""

from django.db import migrations


def install_sanbao(apps, schema_editor):
    # The pure module is stable data, not a model: importing it here is safe across future schema changes.
    from wuyou.products.policy import NATIONAL_THREE_GUARANTEES, policy_to_dict

    WarrantyPolicy = apps.get_model("products", "WarrantyPolicy")
    policy = NATIONAL_THREE_GUARANTEES
    WarrantyPolicy.objects.update_or_create(
        code=policy.code,
        defaults={
            "name": policy.name,
            "applies_to_kind": policy.applies_to.kind,
            "applies_to_code": policy.applies_to.code,
            "document": policy_to_dict(policy),
            "is_active": True,
        },
    )


def remove_sanbao(apps, schema_editor):
    apps.get_model("products", "WarrantyPolicy").objects.filter(code="cn-sanbao").delete()


class Migration(migrations.Migration):
    dependencies = [("products", "0002_warranty_policy")]

    operations = [migrations.RunPython(install_sanbao, remove_sanbao)]
