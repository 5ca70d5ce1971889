from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0004_customer_version"),
    ]

    operations = [
        migrations.AddField(
            model_name="address",
            name="geo_precision",
            field=models.CharField(
                blank=True,
                choices=[
                    ("address", "house number (geocoded)"),
                    ("street", "street (approximate)"),
                    ("district", "district (approximate)"),
                    ("city", "city (approximate)"),
                    ("manual", "set on the map"),
                ],
                default="",
                max_length=10,
                verbose_name="map point precision",
            ),
        ),
    ]
