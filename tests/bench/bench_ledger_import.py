"""Ledger import speed (issues 6 and 11): a 1,000,000-row stock ledger CSV validated and stored on
PostgreSQL with the natural-key constraints in place, as a ratio to an anchor timed in the same run: a raw
``COPY`` of the same file into a plain table of text columns (floor: 2.5x the anchor and 200 MB peak; aim
1.4x); the same file again as a replacement of the first (its rows retire the first's); and side by side on
100,000 rows: our path, plain bulk_create, and django-import-export's ``import_data`` (ours must be at least
20x faster than import-export)."""

import io
import multiprocessing
import resource
import tempfile
import time
from pathlib import Path

HEADER = (
    "business_date,warehouse,seller,item_id,length_mm,height_mm,width_mm,"
    "units_per_carton,sales_qty,stock_qty\n"
)


def write_csv(path: Path, rows: int) -> None:
    with path.open("w", encoding="utf-8") as out:
        out.write(HEADER)
        for n in range(rows):
            out.write(
                f"2016-06-{1 + n % 30:02d},BENCH-WH,bench-seller,ITEM{n // 30:06d},434,150,220,6,{n % 3},82\n"
            )


def setup_world():
    import django

    django.setup()
    from inventory.models import LedgerFile, LedgerReplacement, StockLedgerRow
    from portal.models import Operator, Seller, ServiceLine, Warehouse

    StockLedgerRow.objects.filter(warehouse__code="BENCH-WH").delete()
    LedgerReplacement.objects.filter(new_file__warehouse__code="BENCH-WH").delete()
    LedgerFile.objects.filter(warehouse__code="BENCH-WH").delete()
    from django.db import connection

    with connection.cursor() as cursor:  # every case starts from a table without dead rows
        cursor.execute(f"VACUUM ANALYZE {StockLedgerRow._meta.db_table}")
    operator, _ = Operator.objects.get_or_create(code="bench-op", defaults={"name": "Bench", "country": "CN"})
    warehouse, _ = Warehouse.objects.get_or_create(
        code="BENCH-WH",
        defaults={"name": "Bench warehouse", "country": "CN", "operator": operator, "currency": "CNY"},
    )
    ServiceLine.objects.get_or_create(warehouse=warehouse, code="bench-line", defaults={"name": "Bench line"})
    seller, _ = Seller.objects.get_or_create(
        code="bench-seller",
        defaults={"name": "Bench seller", "legal_name": "Bench"},
    )
    Seller.objects.filter(pk=seller.pk).update(status=Seller.Status.ACTIVE)  # a pending seller matches no row
    return warehouse, seller


def _import(path: Path, warehouse):
    from inventory.ledgers.imports import create_upload, import_ledger_file

    with path.open("rb") as handle:
        result = create_upload(
            uploaded=handle,
            name=path.name,
            seller=None,
            warehouse=warehouse,
            kind="stock",
            source="warehouse",
            user=None,
            enqueue=False,
        )
    ledger_file = import_ledger_file(result.ledger_file.pk)
    assert ledger_file.status == "stored", (ledger_file.message, ledger_file.errors[:3])
    return ledger_file


def ours(path: Path, queue) -> None:
    warehouse, _ = setup_world()
    start = time.perf_counter()
    ledger_file = _import(path, warehouse)
    elapsed = time.perf_counter() - start
    queue.put((elapsed, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, ledger_file.rows_stored))


def replacement(path: Path, queue) -> None:
    """The file stored, then the same days again (one count changed, so it is new content): every row of the
    second retires one of the first while the keys hold. Times the second upload only."""
    warehouse, _ = setup_world()
    _import(path, warehouse)
    again = path.with_name("again-" + path.name)
    with path.open("rb") as source, again.open("wb") as out:
        out.write(source.read().replace(b",82\n", b",83\n", 1))
    start = time.perf_counter()
    ledger_file = _import(again, warehouse)
    elapsed = time.perf_counter() - start
    from inventory.models import StockLedgerRow

    assert (
        StockLedgerRow.objects.filter(ledger_file=ledger_file, is_current=True).count()
        == ledger_file.rows_stored
    )
    queue.put((elapsed, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, ledger_file.rows_stored))


def anchor(path: Path, queue) -> None:
    """A raw COPY of the same file into a plain table of text columns: the floor any import stands on."""
    import django

    django.setup()
    from django.db import connection

    columns = HEADER.strip().split(",")
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_copy_anchor")
        cursor.execute(f"CREATE TABLE bench_copy_anchor ({', '.join(f'{c} text' for c in columns)})")
        start = time.perf_counter()
        sql = "COPY bench_copy_anchor FROM STDIN (FORMAT csv, HEADER true)"
        with path.open("rb") as handle, cursor.cursor.copy(sql) as copy:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                copy.write(chunk)
        elapsed = time.perf_counter() - start
        cursor.execute("SELECT count(*) FROM bench_copy_anchor")
        (count,) = cursor.fetchone()
        cursor.execute("DROP TABLE bench_copy_anchor")
    queue.put((elapsed, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, count))


def bound(path: Path, queue) -> None:
    """What writing the rows costs with no reading or checking at all: the rows the last ``ours`` stored,
    copied out as COPY text, then timed going back in with ``COPY`` into a table ``LIKE`` the stock rows
    ``INCLUDING ALL`` (the primary key, the natural key and the indexes of the store). No importer that keeps
    these rows and keys can be faster than this on the same machine."""
    import django

    django.setup()
    from django.db import connection

    from inventory.ledgers.kinds import get_kind
    from portal.models import Warehouse

    kind = get_kind("stock")
    column_of = {f.attname: f.column for f in kind.model._meta.concrete_fields}
    columns = ", ".join(column_of[c] for c in kind.copy_columns)
    with tempfile.TemporaryFile() as rows, connection.cursor() as cursor:
        warehouse_id = Warehouse.objects.get(code="BENCH-WH").pk
        out = f"COPY (SELECT {columns} FROM {kind.table} WHERE is_current AND source = 'warehouse' AND "
        out += f"warehouse_id = {warehouse_id:d}) TO STDOUT"
        with cursor.cursor.copy(out) as copy:
            for data in copy:
                rows.write(data)
        rows.seek(0)
        cursor.execute("DROP TABLE IF EXISTS bench_bound")
        cursor.execute(f"CREATE TABLE bench_bound (LIKE {kind.table} INCLUDING ALL)")
        start = time.perf_counter()
        with cursor.cursor.copy(f"COPY bench_bound ({columns}) FROM STDIN") as copy:
            for chunk in iter(lambda: rows.read(1 << 20), b""):
                copy.write(chunk)
        elapsed = time.perf_counter() - start
        cursor.execute("SELECT count(*) FROM bench_bound")
        (count,) = cursor.fetchone()
        cursor.execute("DROP TABLE bench_bound")
    queue.put((elapsed, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, count))


def bulk(path: Path, queue) -> None:
    """csv.reader + Decimal/int conversion + bulk_create(batch_size=5000): the usual Django path."""
    warehouse, seller = setup_world()
    import csv
    from datetime import date
    from decimal import Decimal

    from inventory.models import LedgerFile, StockLedgerRow

    start = time.perf_counter()
    ledger_file = LedgerFile.objects.create(
        warehouse=warehouse,
        kind="stock",
        source="warehouse",
        file="x",
        original_name="bulk",
        sha256="bulk",
        dedupe_key=f"bulk-{time.time()}",
    )
    batch, stored = [], 0
    with path.open(encoding="utf-8") as handle:
        reader = csv.reader(handle)
        next(reader)
        for number, row in enumerate(reader, start=2):
            length, height, width, upc = Decimal(row[4]), Decimal(row[5]), Decimal(row[6]), int(row[7])
            stock = int(row[9])
            batch.append(
                StockLedgerRow(
                    ledger_file=ledger_file,
                    seller=seller,
                    warehouse=warehouse,
                    source="warehouse",
                    row_number=number,
                    business_date=date.fromisoformat(row[0]),
                    item_id=row[3],
                    length_mm=length,
                    height_mm=height,
                    width_mm=width,
                    units_per_carton=upc,
                    daily_volume_m3=length * width * height / upc / 10**9 * stock,
                    sales_qty=int(row[8]),
                    stock_qty=stock,
                )
            )
            if len(batch) == 5000:
                StockLedgerRow.objects.bulk_create(batch)
                stored += len(batch)
                batch = []
    StockLedgerRow.objects.bulk_create(batch)
    stored += len(batch)
    queue.put(
        (time.perf_counter() - start, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, stored)
    )


def import_export(path: Path, queue) -> None:
    """django-import-export's import_data with its fast options (use_bulk, skip_diff, force_init_instance)."""
    warehouse, seller = setup_world()
    import tablib
    from import_export import fields, resources

    from inventory.models import LedgerFile, StockLedgerRow

    ledger_file = LedgerFile.objects.create(
        warehouse=warehouse,
        kind="stock",
        source="warehouse",
        file="x",
        original_name="ie",
        sha256="ie",
        dedupe_key=f"ie-{time.time()}",
    )

    class StockResource(resources.ModelResource):
        volume = fields.Field(attribute="daily_volume_m3")

        class Meta:
            model = StockLedgerRow
            fields = (
                "business_date",
                "item_id",
                "length_mm",
                "height_mm",
                "width_mm",
                "units_per_carton",
                "sales_qty",
                "stock_qty",
                "row_number",
            )
            use_bulk = True
            skip_diff = True
            force_init_instance = True
            batch_size = 5000

        def before_import_row(self, row, **kwargs):
            row["daily_volume_m3"] = "0.0024"

        def init_instance(self, row=None):
            return StockLedgerRow(
                ledger_file=ledger_file,
                seller=seller,
                warehouse=warehouse,
                source="warehouse",
                daily_volume_m3=0,
            )

    start = time.perf_counter()
    text = path.read_text(encoding="utf-8")
    dataset = tablib.Dataset().load(io.StringIO(text), format="csv")
    dataset.append_col(list(range(2, len(dataset) + 2)), header="row_number")
    result = StockResource().import_data(dataset, dry_run=False, raise_errors=True)
    elapsed = time.perf_counter() - start
    queue.put((elapsed, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, result.total_rows))


def measure(function, path: Path):
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    process = context.Process(target=function, args=(path, queue))
    process.start()
    return receive(queue, process)


def receive(queue, process, timeout: float = 900):
    """The child's result; a child that died says so instead of leaving the bench waiting."""
    import queue as queues

    while True:
        try:
            value = queue.get(timeout=5)
        except queues.Empty:
            if not process.is_alive():
                raise RuntimeError(f"benchmark process exited with code {process.exitcode}") from None
            timeout -= 5
            if timeout <= 0:
                process.kill()
                raise RuntimeError("benchmark process took too long") from None
            continue
        process.join()
        return value


def run() -> list[tuple[str, str, str]]:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        big, small = Path(tmp) / "stock-1m.csv", Path(tmp) / "stock-100k.csv"
        write_csv(big, 1_000_000)
        write_csv(small, 100_000)
        base, _, copied = measure(anchor, big)
        elapsed, peak, stored = measure(ours, big)
        assert copied == stored == 1_000_000
        ratio = elapsed / base
        verdict = "ok" if ratio <= 2.5 and peak <= 200 else "OVER FLOOR (2.5x, 200 MB)"
        rows.append(
            ("anchor: raw COPY of the 1M-row file, text columns", f"{base:.1f} s", "same file, same run")
        )
        written, _, count = measure(bound, big)
        assert count == stored
        rows.append(
            (
                "bound: COPY of the stored rows, typed, into the same indexes",
                f"{written:.1f} s",
                f"{written / base:.2f}x the anchor: writing alone, no reading or checks",
            )
        )
        rows.append(
            (
                "ledger import 1M stock rows, keys in place",
                f"{elapsed:.1f} s",
                f"{ratio:.2f}x the anchor (floor 2.5x, aim 1.4x), peak {peak:.0f} MB; {verdict}",
            )
        )
        again, peak, _ = measure(replacement, big)
        rows.append(
            (
                "ledger import 1M stock rows replacing 1M",
                f"{again:.1f} s",
                f"{again / base:.2f}x the anchor, peak {peak:.0f} MB (retires the first upload's rows)",
            )
        )
        small_ours, _, _ = measure(ours, small)
        small_bulk, _, _ = measure(bulk, small)
        small_ie, _, _ = measure(import_export, small)
        rows.append(("ledger import 100k rows (ours)", f"{small_ours:.2f} s", "parse, validate, COPY"))
        rows.append(
            (
                "ledger import 100k rows (csv + bulk_create)",
                f"{small_bulk:.2f} s",
                f"{small_bulk / small_ours:.1f}x ours, without validation",
            )
        )
        verdict = "ok" if small_ie / small_ours >= 20 else "UNDER TARGET (20x)"
        rows.append(
            (
                "ledger import 100k rows (django-import-export)",
                f"{small_ie:.2f} s",
                f"{small_ie / small_ours:.1f}x ours; {verdict}",
            )
        )
    return rows
