"""Month facts from the store (issue 11, "Speed: Facts"): one seller's month of 1,000,020 stock rows and
200,000 parcels, among other sellers' rows, rows of other months and rows no longer in force, built into
engine facts by ``inventory.ledgers.store_facts.month_facts`` on PostgreSQL.

Anchor: a plain SQL ``GROUP BY seller_id, item_id`` (sums of stock and sales) over the same stock rows.
Floor: at most 3x the anchor. The rows are generated in the database (``INSERT ... SELECT generate_series``)
and deleted at the end. Run alone: ``python -m tests.bench.bench_store_facts``.
"""

import os
import statistics
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

WAREHOUSE = "BENCH-FACTS"
BIG = "bench-facts-big"
OTHERS = 29  # other sellers of the warehouse, 500 items each
ITEMS = 33_334  # x 30 days = 1,000,020 stock rows in June for the big seller
PARCELS = 200_000
REPEATS = 5
FLOOR = 3.0


def setup_world():
    import django

    django.setup()
    from inventory.models import LedgerFile
    from portal.models import Operator, Seller, Warehouse

    operator, _ = Operator.objects.get_or_create(code="bench-op", defaults={"name": "Bench", "country": "CN"})
    warehouse, _ = Warehouse.objects.get_or_create(
        code=WAREHOUSE,
        defaults={"name": "Bench facts warehouse", "country": "CN", "operator": operator, "currency": "CNY"},
    )
    sellers = []
    for code in [BIG] + [f"bench-facts-{n:02d}" for n in range(OTHERS)]:
        seller, _ = Seller.objects.get_or_create(code=code, defaults={"name": code, "legal_name": code})
        sellers.append(seller)
    ledger_file, _ = LedgerFile.objects.get_or_create(
        dedupe_key="bench-facts",
        defaults={
            "warehouse": warehouse,
            "kind": "stock",
            "source": "warehouse",
            "file": "bench-facts",
            "original_name": "bench-facts",
            "sha256": "bench-facts",
            "status": "stored",
        },
    )
    return warehouse, sellers, ledger_file


def extra_columns(model, warehouse) -> tuple[str, str]:
    """The row's service line (SPEC §6): its column name and value for the INSERT."""
    from portal.models import ServiceLine

    line, _ = ServiceLine.objects.get_or_create(warehouse=warehouse, code="bench", defaults={"name": "Bench"})
    return ", service_line_id", f", {int(line.pk)}"


def delete_rows(warehouse) -> None:
    from django.db import connection

    from inventory.models import OutboundParcelRow, StockLedgerRow

    with connection.cursor() as cursor:
        for model in (StockLedgerRow, OutboundParcelRow):
            cursor.execute(f"DELETE FROM {model._meta.db_table} WHERE warehouse_id = %s", [warehouse.pk])


def generate(warehouse, sellers, ledger_file) -> dict[str, int]:
    """The month's rows, made by the database. Returns how many rows of each sort were made."""
    from django.db import connection

    from inventory.models import OutboundParcelRow, StockLedgerRow

    stock, parcels = StockLedgerRow._meta.db_table, OutboundParcelRow._meta.db_table
    big, others = sellers[0].pk, [seller.pk for seller in sellers[1:]]
    stock_extra, stock_value = extra_columns(StockLedgerRow, warehouse)
    parcel_extra, parcel_value = extra_columns(OutboundParcelRow, warehouse)
    # item n: dimensions from n, 1 in 5 items 3 a carton, 1 in 7 items 7 (and odd ones), 1 in 3 items with
    # a reported volume; stock and sales from the row number.
    stock_columns = (
        "ledger_file_id, warehouse_id, source, seller_id, row_number, is_current, business_date, item_id, "
        "length_mm, height_mm, width_mm, units_per_carton, total_volume_m3, daily_volume_m3, "
        "volume_mismatch, sales_qty, stock_qty" + stock_extra
    )

    def stock_select(seller: str, first_day: str, days: int, current: str) -> str:
        return f"""
            SELECT {ledger_file.pk}, {warehouse.pk}, 'warehouse', {seller}, n + 2, {current},
                   DATE '{first_day}' + (n % {days}), 'ITEM' || lpad((n / {days})::text, 6, '0'),
                   100 + (n / {days}) % 400 + 0.5, 50 + (n / {days}) % 300, 20 + (n / {days}) % 200 + 0.125,
                   CASE WHEN (n / {days}) % 5 = 0 THEN 3 WHEN (n / {days}) % 7 = 0 THEN 7 ELSE 1 END,
                   CASE WHEN (n / {days}) % 3 = 0 THEN ((n / {days}) % 997 + 1) / 1000.0 END,
                   0, false, n % 4, (n * 7) % 500{stock_value}
        """

    made = {}
    with connection.cursor() as cursor:
        # the big seller's June: 33,334 items x 30 days
        cursor.execute(
            f"INSERT INTO {stock} ({stock_columns}) {stock_select(str(big), '2016-06-01', 30, 'true')} "
            f"FROM generate_series(0, {ITEMS * 30 - 1}) AS n"
        )
        made["stock rows of the month"] = cursor.rowcount
        # older versions of 2,000 items' June (replaced: not in force), and the last 5 days of May
        cursor.execute(
            f"INSERT INTO {stock} ({stock_columns}) {stock_select(str(big), '2016-06-01', 30, 'false')} "
            f"FROM generate_series(0, {2000 * 30 - 1}) AS n"
        )
        made["stock rows not in force"] = cursor.rowcount
        cursor.execute(
            f"INSERT INTO {stock} ({stock_columns}) {stock_select(str(big), '2016-05-27', 5, 'true')} "
            f"FROM generate_series(0, {ITEMS * 5 - 1}) AS n"
        )
        made["stock rows of May"] = cursor.rowcount
        # other sellers: 500 items x 30 days each
        per_seller = 500 * 30
        seller_of = f"(ARRAY[{', '.join(map(str, others))}])[1 + n / {per_seller}]"
        cursor.execute(
            f"INSERT INTO {stock} ({stock_columns}) "
            f"{stock_select(seller_of, '2016-06-01', 30, 'true')} "
            f"FROM generate_series(0, {per_seller * len(others) - 1}) AS n"
        )
        made["stock rows of other sellers"] = cursor.rowcount
        parcel_columns = (
            "ledger_file_id, warehouse_id, source, seller_id, row_number, is_current, order_no, ship_date, "
            "weight_kg, sku_kinds, units, carrier, destination, length_mm, width_mm, height_mm" + parcel_extra
        )

        def parcel_select(seller: str) -> str:
            return f"""
                SELECT {ledger_file.pk}, {warehouse.pk}, 'warehouse', {seller}, n + 2, true,
                       'LP' || {seller} || '-' || lpad(n::text, 9, '0'), DATE '2016-06-01' + (n % 30),
                       0.1 + (n % 3000) / 100.0,
                       1 + n % 5, CASE WHEN n % 2 = 0 THEN 1 + n % 3 END,
                       CASE WHEN n % 2 = 0 THEN 'SF' ELSE '' END, '',
                       CASE WHEN n % 4 = 0 THEN 300 END, CASE WHEN n % 4 = 0 THEN 200 END,
                       CASE WHEN n % 4 = 0 THEN 100.5 END{parcel_value}
            """

        cursor.execute(
            f"INSERT INTO {parcels} ({parcel_columns}) {parcel_select(str(big))} "
            f"FROM generate_series(0, {PARCELS - 1}) AS n"
        )
        made["parcels of the month"] = cursor.rowcount
        other_seller = f"(ARRAY[{', '.join(map(str, others))}])[1 + n / 2000]"
        cursor.execute(
            f"INSERT INTO {parcels} ({parcel_columns}) {parcel_select(other_seller)} "
            f"FROM generate_series(0, {2000 * len(others) - 1}) AS n"
        )
        made["parcels of other sellers"] = cursor.rowcount
    return made


def vacuum() -> None:
    from django.db import connection

    from inventory.models import OutboundParcelRow, StockLedgerRow

    with connection.cursor() as cursor:
        for model in (StockLedgerRow, OutboundParcelRow):
            cursor.execute(f"VACUUM ANALYZE {model._meta.db_table}")


def anchor(warehouse, seller) -> int:
    """The plain SQL GROUP BY of the same stock rows by seller and item; returns the number of groups."""
    from django.db import connection

    from inventory.models import StockLedgerRow

    with connection.cursor() as cursor:
        cursor.execute(
            f"""SELECT seller_id, item_id, sum(stock_qty), sum(sales_qty)
                FROM {StockLedgerRow._meta.db_table}
                WHERE seller_id = %s AND warehouse_id = %s AND source = 'warehouse' AND is_current
                  AND business_date >= %s AND business_date < %s
                GROUP BY seller_id, item_id""",
            [seller.pk, warehouse.pk, "2016-06-01", "2016-07-01"],
        )
        return len(cursor.fetchall())


def plan(warehouse, seller) -> str:
    """The scan PostgreSQL picks for the month's stock aggregate of the seller."""
    from django.db import connection, transaction

    from inventory.ledgers.store_facts import rows_in_force, stock_facts
    from tariffs.rules import Period

    june = Period(2016, 6)
    rows = rows_in_force("stock", seller=seller, warehouse=warehouse, period=june)
    captured = []

    class Capture:
        def __call__(self, execute, sql, params, many, context):
            captured.append((sql, params))
            return execute(sql, params, many, context)

    with connection.execute_wrapper(Capture()):
        stock_facts(rows, june)
    [(sql, params)] = [(sql, params) for sql, params in captured if "GROUP BY" in sql]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL work_mem = '64MB'; SET LOCAL jit = off")  # as stock_facts runs it
        cursor.execute(f"EXPLAIN {sql}", params)
        lines = [row[0] for row in cursor.fetchall()]
    scans = [line.strip().lstrip("-> ") for line in lines if "Scan" in line]
    return "; ".join(scan.split("  (")[0] for scan in scans) + f" under {lines[0].split('  (')[0].strip()}"


def timed(function, *args) -> tuple[float, object]:
    """Seconds a call takes, and what it returns."""
    start = time.perf_counter()
    result = function(*args)
    return time.perf_counter() - start, result


def run() -> list[tuple[str, str, str]]:
    from django.db import connection

    if connection.vendor != "postgresql":
        return [("month facts from the store", "skipped", "needs PostgreSQL (DATABASE_URL)")]
    from inventory.ledgers.store_facts import (
        _no_cyclic_gc,
        month_facts,
        row_facts,
        rows_in_force,
        stock_facts,
    )
    from tariffs.rules import Period

    june = Period(2016, 6)
    warehouse, sellers, ledger_file = setup_world()
    big = sellers[0]
    delete_rows(warehouse)
    try:
        start = time.perf_counter()
        made = generate(warehouse, sellers, ledger_file)
        vacuum()
        generated = time.perf_counter() - start

        def facts():
            return month_facts(seller=big, warehouse=warehouse, period=june)

        scope = {"seller": big, "warehouse": warehouse, "period": june}
        anchor(warehouse, big), facts()  # warm the cache
        facts_times, anchor_times, stock_times, parcel_times = [], [], [], []
        for _ in range(REPEATS):
            elapsed, groups = timed(anchor, warehouse, big)
            anchor_times.append(elapsed)
            elapsed, result = timed(facts)
            facts_times.append(elapsed)
            with _no_cyclic_gc():  # as month_facts runs them
                stock_times.append(timed(stock_facts, rows_in_force("stock", **scope), june)[0])
                parcel_times.append(timed(row_facts, "outbound", rows_in_force("outbound", **scope))[0])
        stock, parcels = result.rows("stock"), result.rows("outbound")
        assert groups == len(stock) == ITEMS, (groups, len(stock))
        assert sum(item.days for item in stock) == ITEMS * 30 and len(parcels) == PARCELS
        facts_time, anchor_time = statistics.median(facts_times), statistics.median(anchor_times)
        ratio = facts_time / anchor_time
        verdict = "ok" if ratio <= FLOOR else f"OVER THE FLOOR ({FLOOR:g}x)"
        scan = plan(warehouse, big)
        small = sellers[1]  # 15,000 stock rows and 2,000 parcels of the 1.9M: the day index finds them
        small_times = [
            timed(lambda: month_facts(seller=small, warehouse=warehouse, period=june))[0] for _ in range(5)
        ]
        small_anchor = statistics.median(timed(anchor, warehouse, small)[0] for _ in range(5))
        small_scan = plan(warehouse, small)
    finally:
        delete_rows(warehouse)
        vacuum()
        ledger_file.delete()
        for seller in sellers:
            seller.delete()
        warehouse.delete()
    stored = sum(made.values())
    return [
        (
            "month facts: 1M stock rows + 200k parcels",
            f"{facts_time:.2f} s",
            f"{ratio:.2f}x the anchor; {verdict} (median of {REPEATS}; stock part "
            f"{statistics.median(stock_times):.2f} s, parcels {statistics.median(parcel_times):.2f} s)",
        ),
        (
            "  anchor: SQL GROUP BY seller, item",
            f"{anchor_time:.2f} s",
            f"{groups:,} groups of {made['stock rows of the month']:,} rows; {stored:,} rows stored in "
            f"{generated:.0f} s; scan: {scan}",
        ),
        (
            "month facts: a small seller (15k rows, 2k parcels)",
            f"{statistics.median(small_times) * 1000:.0f} ms",
            f"anchor {small_anchor * 1000:.0f} ms; scan: {small_scan}",
        ),
    ]


if __name__ == "__main__":
    import django

    django.setup()
    for name, result, note in run():
        print(f"{name:<48} {result:>18}  {note}")
