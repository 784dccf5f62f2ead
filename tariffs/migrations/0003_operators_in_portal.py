"""Rate cards and contracts point at the operators and service lines of the base app: state only."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("portal", "0005_warehouses_from_inventory"),
        ("tariffs", "0002_preset_rate_cards"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],  # the tables stay as they are
            state_operations=[
                migrations.AlterField(
                    model_name="contract",
                    name="service_line",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="contracts",
                        to="portal.serviceline",
                        verbose_name="service line",
                    ),
                ),
                migrations.AlterField(
                    model_name="ratecard",
                    name="operator",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="rate_cards",
                        to="portal.operator",
                        verbose_name="operator",
                    ),
                ),
            ],
        ),
    ]
