"""Operators, warehouses, service lines and seller aliases leave inventory for the base app: state only
(``portal`` 0005 took them over with their tables)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("tariffs", "0003_operators_in_portal"),
        ("inventory", "0011_order_documents_exports"),
        ("portal", "0005_warehouses_from_inventory"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],  # the tables stay as they are
            state_operations=[
                migrations.RemoveField(
                    model_name="warehouse",
                    name="operator",
                ),
                migrations.RemoveField(
                    model_name="selleralias",
                    name="created_by",
                ),
                migrations.RemoveField(
                    model_name="selleralias",
                    name="seller",
                ),
                migrations.RemoveField(
                    model_name="selleralias",
                    name="warehouse",
                ),
                migrations.RemoveField(
                    model_name="serviceline",
                    name="warehouse",
                ),
                migrations.AlterField(
                    model_name="stocklevel",
                    name="warehouse",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="stock_levels",
                        to="portal.warehouse",
                        verbose_name="warehouse",
                    ),
                ),
                migrations.AlterField(
                    model_name="vasrow",
                    name="warehouse",
                    field=models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="portal.warehouse",
                    ),
                ),
                migrations.AlterField(
                    model_name="customstaxrow",
                    name="warehouse",
                    field=models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="portal.warehouse",
                    ),
                ),
                migrations.AlterField(
                    model_name="ledgerfile",
                    name="warehouse",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="ledger_files",
                        to="portal.warehouse",
                        verbose_name="warehouse",
                    ),
                ),
                migrations.AlterField(
                    model_name="inboundorder",
                    name="warehouse",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="inbound_orders",
                        to="portal.warehouse",
                        verbose_name="destination warehouse",
                    ),
                ),
                migrations.AlterField(
                    model_name="stockledgerrow",
                    name="warehouse",
                    field=models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="portal.warehouse",
                    ),
                ),
                migrations.AlterField(
                    model_name="inboundweightrow",
                    name="warehouse",
                    field=models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="portal.warehouse",
                    ),
                ),
                migrations.AlterField(
                    model_name="receivingservicerow",
                    name="warehouse",
                    field=models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="portal.warehouse",
                    ),
                ),
                migrations.AlterField(
                    model_name="outboundparcelrow",
                    name="warehouse",
                    field=models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="portal.warehouse",
                    ),
                ),
                migrations.DeleteModel(
                    name="Operator",
                ),
                migrations.DeleteModel(
                    name="SellerAlias",
                ),
                migrations.DeleteModel(
                    name="ServiceLine",
                ),
                migrations.DeleteModel(
                    name="Warehouse",
                ),
            ],
        ),
    ]
