"""Operators, warehouses, service lines and aliases moved from ``inventory`` to the base app (issue 11): the
move is state only, so an existing database keeps its rows and a fresh one (PostgreSQL or SQLite) migrates."""

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from portal.models import Operator, SellerAlias, ServiceLine, Warehouse

REPO = Path(__file__).resolve().parents[2]
BEFORE_THE_MOVE = [
    ("portal", "0004_seller_upload_quota"),
    ("inventory", "0011_order_documents_exports"),
    ("tariffs", "0002_preset_rate_cards"),
]


def test_the_moved_models_keep_their_tables():
    tables = {model: model._meta.db_table for model in (Operator, Warehouse, ServiceLine, SellerAlias)}
    assert tables == {
        Operator: "inventory_operator",
        Warehouse: "inventory_warehouse",
        ServiceLine: "inventory_serviceline",
        SellerAlias: "inventory_selleralias",
    }
    assert {m._meta.app_label for m in tables} == {"portal"}


@pytest.mark.django_db(transaction=True)  # migrations run outside a test transaction
def test_a_warehouse_added_before_the_move_is_found_after_it(client):
    from django.contrib.auth.models import Permission
    from django.contrib.contenttypes.models import ContentType
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    view_warehouse = Permission.objects.get(content_type__app_label="portal", codename="view_warehouse")
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE_THE_MOVE)
    old_apps = executor.loader.project_state(BEFORE_THE_MOVE).apps
    OldOperator = old_apps.get_model("inventory", "Operator")
    OldWarehouse = old_apps.get_model("inventory", "Warehouse")
    operator = OldOperator.objects.create(code="old-op", name="Old operator", country="JP")
    OldWarehouse.objects.create(
        code="OLD-WH", name="Old warehouse", country="JP", operator=operator, currency="JPY"
    )
    # Before the move the permission's content type is inventory's: staff groups keep it through the move.
    assert ContentType.objects.get(pk=view_warehouse.content_type_id).app_label == "inventory"

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    warehouse = Warehouse.objects.get(code="OLD-WH")
    assert (warehouse.operator.code, warehouse.name) == ("old-op", "Old warehouse")
    assert Permission.objects.get(pk=view_warehouse.pk).content_type.app_label == "portal"
    added = Warehouse.objects.create(
        code="NEW-WH", name="New", country="JP", operator=warehouse.operator, currency="JPY"
    )
    assert added.pk > warehouse.pk  # the table's sequence carried on


def manage(*args, database_url: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": database_url}
    env.pop("REDIS_URL", None)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=300
    )


def test_a_sqlite_database_migrates_fresh_and_keeps_a_warehouse_of_before_the_move(tmp_path):
    """The demo's SQLite: migrated to before the move, given a warehouse, then migrated to the end."""
    path = tmp_path / "demo.sqlite3"
    url = f"sqlite:///{path}"
    for app, migration in BEFORE_THE_MOVE:
        done = manage("migrate", app, migration, "--no-input", "-v0", database_url=url)
        assert done.returncode == 0, done.stderr
    with sqlite3.connect(path) as db:
        db.execute(
            "INSERT INTO inventory_operator (code, name, legal_name, country, registration_number, address)"
            " VALUES ('sq-op', 'SQLite operator', '', 'VN', '', '')"
        )
        db.execute(
            "INSERT INTO inventory_warehouse (code, name, country, time_zone, currency, address, operator_id)"
            " SELECT 'SQ-WH', 'SQLite warehouse', 'VN', 'Asia/Ho_Chi_Minh', 'VND', '', id"
            " FROM inventory_operator WHERE code = 'sq-op'"
        )
    done = manage("migrate", "--no-input", "-v0", database_url=url)
    assert done.returncode == 0, done.stderr
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT name FROM inventory_warehouse WHERE code = 'SQ-WH'").fetchall() == [
            ("SQLite warehouse",)
        ]
        applied = set(db.execute("SELECT app, name FROM django_migrations"))
        # the preset rate cards of the data migration point at operators in the same table
        cards = db.execute(
            "SELECT COUNT(*) FROM tariffs_ratecard JOIN inventory_operator o ON o.id = operator_id"
        ).fetchone()[0]
    assert ("portal", "0005_warehouses_from_inventory") in applied
    assert ("inventory", "0012_warehouses_to_portal") in applied
    assert cards > 0
    fresh = manage("migrate", "--no-input", "-v0", database_url=f"sqlite:///{tmp_path / 'fresh.sqlite3'}")
    assert fresh.returncode == 0, fresh.stderr
    check = manage("makemigrations", "--check", "--dry-run", "-v0", database_url=url)
    assert check.returncode == 0, check.stdout + check.stderr
