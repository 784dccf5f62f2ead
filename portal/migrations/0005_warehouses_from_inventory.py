"""Operators, warehouses, service lines and seller aliases join the base app (issue 11): state only.

The models keep their tables (``db_table`` = inventory's names), so rows, sequences and the foreign keys of
other tables stay; their content types (and so permissions and admin history) are renamed to ``portal``."""

import django.db.models.deletion
import django.db.models.functions.text
from django.conf import settings
from django.db import migrations, models

MOVED = ["operator", "warehouse", "serviceline", "selleralias"]


def move_content_types(apps, schema_editor, old="inventory", new="portal"):
    """Rename the content types (permissions point at them), unless the new ones exist already."""
    ContentType = apps.get_model("contenttypes", "ContentType")
    db = schema_editor.connection.alias
    for model in MOVED:
        if not ContentType.objects.using(db).filter(app_label=new, model=model).exists():
            ContentType.objects.using(db).filter(app_label=old, model=model).update(app_label=new)


def move_content_types_back(apps, schema_editor):
    move_content_types(apps, schema_editor, old="portal", new="inventory")


class Migration(migrations.Migration):
    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("inventory", "0011_order_documents_exports"),
        ("portal", "0004_seller_upload_quota"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],  # the tables stay as they are
            state_operations=[
                migrations.CreateModel(
                    name="Operator",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("code", models.SlugField(max_length=40, unique=True, verbose_name="code")),
                        ("name", models.CharField(max_length=200, verbose_name="name")),
                        (
                            "legal_name",
                            models.CharField(blank=True, max_length=200, verbose_name="legal name"),
                        ),
                        (
                            "country",
                            models.CharField(
                                choices=[
                                    ("CN", "China"),
                                    ("HK", "Hong Kong"),
                                    ("JP", "Japan"),
                                    ("VN", "Vietnam"),
                                    ("US", "United States"),
                                    ("GB", "United Kingdom"),
                                    ("DE", "Germany"),
                                    ("ZZ", "Other"),
                                ],
                                max_length=2,
                                verbose_name="country",
                            ),
                        ),
                        (
                            "registration_number",
                            models.CharField(
                                blank=True,
                                help_text="Tax or qualified-invoice registration number printed on invoices.",
                                max_length=40,
                                verbose_name="registration number",
                            ),
                        ),
                        ("address", models.TextField(blank=True, verbose_name="address")),
                    ],
                    options={
                        "verbose_name": "operator",
                        "verbose_name_plural": "operators",
                        "db_table": "inventory_operator",
                        "ordering": ["name"],
                    },
                ),
                migrations.CreateModel(
                    name="Warehouse",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("code", models.SlugField(max_length=40, unique=True, verbose_name="code")),
                        ("name", models.CharField(max_length=200, verbose_name="name")),
                        (
                            "country",
                            models.CharField(
                                choices=[
                                    ("CN", "China"),
                                    ("HK", "Hong Kong"),
                                    ("JP", "Japan"),
                                    ("VN", "Vietnam"),
                                    ("US", "United States"),
                                    ("GB", "United Kingdom"),
                                    ("DE", "Germany"),
                                    ("ZZ", "Other"),
                                ],
                                max_length=2,
                                verbose_name="country",
                            ),
                        ),
                        (
                            "time_zone",
                            models.CharField(
                                default="Asia/Shanghai", max_length=64, verbose_name="time zone"
                            ),
                        ),
                        (
                            "currency",
                            models.CharField(
                                choices=[("CNY", "CNY"), ("JPY", "JPY"), ("VND", "VND"), ("USD", "USD")],
                                max_length=3,
                                verbose_name="billing currency",
                            ),
                        ),
                        ("address", models.TextField(blank=True, verbose_name="address")),
                        (
                            "operator",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="warehouses",
                                to="portal.operator",
                                verbose_name="operator",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "warehouse",
                        "verbose_name_plural": "warehouses",
                        "db_table": "inventory_warehouse",
                        "ordering": ["code"],
                    },
                ),
                migrations.CreateModel(
                    name="ServiceLine",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("code", models.SlugField(max_length=40, verbose_name="code")),
                        ("name", models.CharField(max_length=200, verbose_name="name")),
                        (
                            "warehouse",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="service_lines",
                                to="portal.warehouse",
                                verbose_name="warehouse",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "service line",
                        "verbose_name_plural": "service lines",
                        "db_table": "inventory_serviceline",
                        "ordering": ["warehouse", "code"],
                        "constraints": [
                            models.UniqueConstraint(
                                fields=("warehouse", "code"), name="service_line_code_per_warehouse"
                            )
                        ],
                    },
                ),
                migrations.CreateModel(
                    name="SellerAlias",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        (
                            "alias",
                            models.CharField(
                                help_text="The seller's name in this warehouse's ledgers (the 卖家nick column), e.g. 123旗舰店.",
                                max_length=200,
                                verbose_name="alias",
                            ),
                        ),
                        ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="registered")),
                        (
                            "created_by",
                            models.ForeignKey(
                                blank=True,
                                editable=False,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                                verbose_name="registered by",
                            ),
                        ),
                        (
                            "seller",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="ledger_aliases",
                                to="portal.seller",
                                verbose_name="seller",
                            ),
                        ),
                        (
                            "warehouse",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="seller_aliases",
                                to="portal.warehouse",
                                verbose_name="warehouse",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "seller alias",
                        "verbose_name_plural": "seller aliases",
                        "db_table": "inventory_selleralias",
                        "ordering": ["warehouse", "alias"],
                        "constraints": [
                            models.UniqueConstraint(
                                models.F("warehouse"),
                                django.db.models.functions.text.Lower("alias"),
                                name="seller_alias_unique_per_warehouse",
                                violation_error_message="This warehouse already has this alias (letter case does not count).",
                            )
                        ],
                    },
                ),
            ],
        ),
        migrations.RunPython(move_content_types, move_content_types_back),
    ]
