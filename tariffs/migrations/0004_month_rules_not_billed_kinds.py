"""One contract and one rate card version at a time (SPEC §3, §9); kinds a card does not bill; payment terms.

On PostgreSQL, exclusion constraints (btree_gist) refuse overlapping contracts of a seller and service
line and overlapping versions of a rate card, and check constraints keep the month bounds. SQLite has no
exclusion constraints: there the services' checks under a lock are the guard. The constraints live only
in the database (not in the models' Meta), so SQLite migrates and ``makemigrations --check`` stays clean.
"""

import django.core.validators
from django.db import migrations, models

from tariffs.presets import set_not_billed_kinds

POSTGRES_CONSTRAINTS = {
    "contract_one_at_a_time": (
        "tariffs_contract",
        "EXCLUDE USING gist (seller_id WITH =, service_line_id WITH =, "
        "daterange(starts_on, ends_on, '[]') WITH &&)",
    ),
    "contract_month_bounds": (
        "tariffs_contract",
        "CHECK (EXTRACT(DAY FROM starts_on) = 1 AND (ends_on IS NULL OR "
        "(ends_on >= starts_on AND EXTRACT(DAY FROM ends_on + 1) = 1)))",
    ),
    "rate_card_version_one_at_a_time": (
        "tariffs_ratecardversion",
        "EXCLUDE USING gist (rate_card_id WITH =, daterange(valid_from, valid_to, '[]') WITH &&)",
    ),
    "rate_card_version_month_bounds": (
        "tariffs_ratecardversion",
        "CHECK (EXTRACT(DAY FROM valid_from) = 1 AND (valid_to IS NULL OR "
        "(valid_to >= valid_from AND EXTRACT(DAY FROM valid_to + 1) = 1)))",
    ),
}


def add_postgres_constraints(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
    for name, (table, definition) in POSTGRES_CONSTRAINTS.items():
        schema_editor.execute(f"ALTER TABLE {table} ADD CONSTRAINT {name} {definition}")


def drop_postgres_constraints(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, (table, _definition) in POSTGRES_CONSTRAINTS.items():
        schema_editor.execute(f"ALTER TABLE {table} DROP CONSTRAINT IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("tariffs", "0003_operators_in_portal")]

    operations = [
        migrations.AddField(
            model_name="ratecardversion",
            name="not_billed_kinds",
            field=models.JSONField(
                blank=True,
                default=list,
                help_text=(
                    "Ledger kinds this version deliberately does not bill (e.g. stock for a card without "
                    "storage fees): their rows are reported as not billed instead of stopping the invoice. "
                    "Any of: stock, outbound, vas, tax, inbound, receiving."
                ),
                verbose_name="ledger kinds not billed",
            ),
        ),
        migrations.AddField(
            model_name="contract",
            name="payment_terms_days",
            field=models.PositiveSmallIntegerField(
                default=30,
                help_text="Days from an invoice's issue date to its due date.",
                validators=[django.core.validators.MaxValueValidator(365)],
                verbose_name="payment terms (days)",
            ),
        ),
        migrations.AlterField(
            model_name="contract",
            name="starts_on",
            field=models.DateField(help_text="The first day of a month.", verbose_name="starts on"),
        ),
        migrations.AlterField(
            model_name="contract",
            name="ends_on",
            field=models.DateField(
                blank=True,
                help_text="The last day of a month; empty for no end.",
                null=True,
                verbose_name="ends on",
            ),
        ),
        migrations.AlterModelOptions(
            name="contract",
            options={
                "ordering": ["seller", "service_line", "starts_on"],
                "verbose_name": "contract",
                "verbose_name_plural": "contracts",
            },
        ),
        migrations.RunPython(set_not_billed_kinds, migrations.RunPython.noop),
        migrations.RunPython(add_postgres_constraints, drop_postgres_constraints),
    ]
