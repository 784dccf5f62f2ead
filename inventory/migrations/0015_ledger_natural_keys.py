"""Rows stored before rows had a service line get the one their seller's contracts imply (else the
warehouse's only line); duplicates among the rows in force are retired (the newest upload's row stays), so
that the natural keys of SPEC §6 can be enforced by the database (next migration: partial unique indexes
over the rows in force, see ``inventory.ledgers.keys``).
"""

from django.db import migrations

# table -> (key columns besides warehouse and source, the column that must be non-blank for a key)
KEYS = {
    # seller and item lead: the same index serves a seller's rows of one item, newest day first (rows page)
    "inventory_stockledgerrow": (("seller_id", "item_id", "business_date", "service_line_id"), None),
    "inventory_outboundparcelrow": (("order_no",), None),
    "inventory_customstaxrow": (("order_no",), None),
    "inventory_vasrow": (("reference",), "reference"),
    "inventory_inboundweightrow": (("reference",), "reference"),
    "inventory_receivingservicerow": (("reference",), "reference"),
}


def forwards(apps, schema_editor):
    contract = apps.get_model("tariffs", "Contract")._meta.db_table
    line = apps.get_model("portal", "ServiceLine")._meta.db_table
    for table, (columns, given) in KEYS.items():
        # 1. The implied service line of legacy rows.
        schema_editor.execute(
            f"UPDATE {table} SET service_line_id = (SELECT MIN(c.service_line_id) FROM {contract} c "
            f"JOIN {line} l ON l.id = c.service_line_id WHERE c.seller_id = {table}.seller_id "
            f"AND l.warehouse_id = {table}.warehouse_id HAVING COUNT(DISTINCT c.service_line_id) = 1) "
            "WHERE service_line_id IS NULL"
        )
        schema_editor.execute(
            f"UPDATE {table} SET service_line_id = (SELECT MIN(l.id) FROM {line} l "
            f"WHERE l.warehouse_id = {table}.warehouse_id HAVING COUNT(*) = 1) "
            f"WHERE service_line_id IS NULL AND NOT EXISTS (SELECT 1 FROM {contract} c JOIN {line} l "
            f"ON l.id = c.service_line_id WHERE c.seller_id = {table}.seller_id "
            f"AND l.warehouse_id = {table}.warehouse_id)"
        )
        # 2. Duplicates in force: the newest upload's row stays in force.
        key = (*columns, "warehouse_id", "source")
        same = " AND ".join(f"d.{c} = {table}.{c}" for c in key)
        blank = f" AND {table}.{given} <> ''" if given else ""
        schema_editor.execute(
            f"UPDATE {table} SET is_current = false WHERE is_current{blank} AND EXISTS (SELECT 1 FROM {table} d "
            f"WHERE d.is_current AND {same} AND (d.ledger_file_id > {table}.ledger_file_id OR "
            f"(d.ledger_file_id = {table}.ledger_file_id AND d.id > {table}.id)))"
        )


def backwards(apps, schema_editor):
    """Nothing to undo: lines filled in and duplicates retired are facts the store keeps."""


class Migration(migrations.Migration):
    dependencies = [
        ("inventory", "0014_ledger_row_service_line"),
        ("tariffs", "0004_month_rules_not_billed_kinds"),
    ]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
