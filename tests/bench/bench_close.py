"""The monthly close (issue 12, "Speed"): 1,000,000 stock rows and 200,000 parcels of June over 200 sellers,
each with a contract on the preset card ``cainiao-bonded``, closed from the stored rows on PostgreSQL to
written draft invoices with their lines by two real Celery worker processes (``--pool=solo``, one task per
seller, queued by ``billing.close.queue_close`` as the admin action and the beat schedule do).

Anchor, timed in the same run: a plain SQL ``GROUP BY seller_id, item_id`` (sums of stock and sales) over
the same stock rows. Floor: at most 20x the anchor (aim 10x), peak RSS per worker under 500 MB. A second close
of the same month must write nothing (no draft written, the invoice lines unchanged).

The rows are made by the database (``INSERT ... SELECT generate_series``, one ledger file per seller and kind)
and deleted at the end. Needs ``DATABASE_URL`` (PostgreSQL) and ``REDIS_URL``. Run alone:
``python -m tests.bench.bench_close``.
"""

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

WAREHOUSE = "BENCH-CLOSE"
LINE = "bench-close"
SELLERS = 200
STOCK_ROWS = 1_000_000  # 5,000 a seller: 167 items x 30 days (the last item 20 days)
PARCELS = 200_000  # 1,000 a seller
DAYS = 30
WORKERS = 2
FLOOR, AIM = 20.0, 10.0
RSS_FLOOR_MB = 500
TIMEOUT = 1800
REPO = Path(__file__).resolve().parents[2]


def seller_codes(count: int = SELLERS) -> list[str]:
    return [f"bench-close-{n:03d}" for n in range(count)]


def setup_world(count: int = SELLERS):
    """The warehouse, its service line, 200 sellers with a contract on ``cainiao-bonded`` and a stock and an
    outbound ledger file each (kept between runs: the audit trail protects the sellers)."""
    from datetime import date

    from inventory.models import LedgerFile
    from portal.models import Operator, Seller, ServiceLine, Warehouse
    from tariffs.models import Contract, RateCard

    operator, _ = Operator.objects.get_or_create(code="bench-op", defaults={"name": "Bench", "country": "CN"})
    warehouse, _ = Warehouse.objects.get_or_create(
        code=WAREHOUSE,
        defaults={"name": "Bench close warehouse", "country": "CN", "operator": operator, "currency": "CNY"},
    )
    line, _ = ServiceLine.objects.get_or_create(warehouse=warehouse, code=LINE, defaults={"name": "Bench"})
    card = RateCard.objects.get(code="cainiao-bonded", currency="CNY")
    sellers, files = [], {}
    for code in seller_codes(count):
        seller, _ = Seller.objects.get_or_create(
            code=code,
            defaults={
                "name": code,
                "legal_name": code,
                "status": "active",
            },
        )
        Contract.objects.get_or_create(
            seller=seller,
            service_line=line,
            defaults={"rate_card": card, "customer_class": "regular", "starts_on": date(2016, 1, 1)},
        )
        for kind in ("stock", "outbound"):
            files[seller.pk, kind], _ = LedgerFile.objects.get_or_create(
                dedupe_key=f"{code}-{kind}",
                defaults={
                    "warehouse": warehouse,
                    "kind": kind,
                    "source": "warehouse",
                    "file": f"{code}-{kind}",
                    "original_name": f"{code}-{kind}.csv",
                    "sha256": f"{code}-{kind}",
                    "status": "stored",
                },
            )
        sellers.append(seller)
    return warehouse, line, sellers, files


def delete_results(sellers) -> None:
    """The bench's drafts and close runs (drafts only: the bench never issues)."""
    from billing.models import CloseRun, Invoice

    Invoice.objects.filter(seller__in=sellers, status="draft").delete()
    CloseRun.objects.filter(seller__in=sellers).delete()


def delete_rows(warehouse) -> None:
    from django.db import connection

    from inventory.models import OutboundParcelRow, StockLedgerRow

    with connection.cursor() as cursor:
        for model in (StockLedgerRow, OutboundParcelRow):
            cursor.execute(f"DELETE FROM {model._meta.db_table} WHERE warehouse_id = %s", [warehouse.pk])


def generate(
    warehouse, line, sellers, files, *, stock_rows: int = STOCK_ROWS, parcels: int = PARCELS
) -> None:
    """June's rows, made by the database: with the bench's figures, seller s has rows 5,000 s .. 5,000 s +
    4,999 of the stock series and 1,000 s .. 1,000 s + 999 of the parcels'."""
    from django.db import connection

    from inventory.models import OutboundParcelRow, StockLedgerRow

    per_seller, parcels_per_seller = stock_rows // len(sellers), parcels // len(sellers)

    def array(values) -> str:
        return f"ARRAY[{', '.join(str(int(value)) for value in values)}]"

    seller_ids = array(seller.pk for seller in sellers)
    stock_files = array(files[seller.pk, "stock"].pk for seller in sellers)
    parcel_files = array(files[seller.pk, "outbound"].pk for seller in sellers)
    # item i of a seller: dimensions from i, 1 in 5 items 3 a carton, 1 in 3 items with a reported volume;
    # stock and sales from the row number (so some days lose stock without a sale: findings).
    local, s = f"(n % {per_seller})", f"(1 + n / {per_seller})"
    item = f"({local} / {DAYS})"
    with connection.cursor() as cursor:
        cursor.execute(
            f"""INSERT INTO {StockLedgerRow._meta.db_table} (
                    ledger_file_id, warehouse_id, source, seller_id, row_number, is_current, business_date,
                    item_id, length_mm, height_mm, width_mm, units_per_carton, total_volume_m3,
                    daily_volume_m3, volume_mismatch, sales_qty, stock_qty, service_line_id)
                SELECT ({stock_files})[{s}], {warehouse.pk}, 'warehouse', ({seller_ids})[{s}],
                       {local} + 2, true,
                       DATE '2016-06-01' + ({local} % {DAYS}), 'ITEM' || lpad({item}::text, 6, '0'),
                       100 + {item} % 400 + 0.5, 50 + {item} % 300, 20 + {item} % 200 + 0.125,
                       CASE WHEN {item} % 5 = 0 THEN 3 ELSE 1 END,
                       CASE WHEN {item} % 3 = 0 THEN ({item} % 997 + 1) / 1000.0 END,
                       0, false, n % 4, (n * 7) % 500, {line.pk}
                FROM generate_series(0, {per_seller * len(sellers) - 1}) AS n"""
        )
        local, s = f"(n % {parcels_per_seller})", f"(1 + n / {parcels_per_seller})"
        cursor.execute(
            f"""INSERT INTO {OutboundParcelRow._meta.db_table} (
                    ledger_file_id, warehouse_id, source, seller_id, row_number, is_current, order_no,
                    ship_date, weight_kg, sku_kinds, units, carrier, destination, length_mm, width_mm,
                    height_mm, service_line_id)
                SELECT ({parcel_files})[{s}], {warehouse.pk}, 'warehouse', ({seller_ids})[{s}],
                       {local} + 2, true,
                       'LPC' || lpad(n::text, 9, '0'), DATE '2016-06-01' + (n % {DAYS}),
                       0.1 + (n % 3000) / 100.0, 1 + n % 5, CASE WHEN n % 2 = 0 THEN 1 + n % 3 END,
                       CASE WHEN n % 2 = 0 THEN 'SF' ELSE '' END, '',
                       CASE WHEN n % 4 = 0 THEN 300 END, CASE WHEN n % 4 = 0 THEN 200 END,
                       CASE WHEN n % 4 = 0 THEN 100.5 END, {line.pk}
                FROM generate_series(0, {parcels_per_seller * len(sellers) - 1}) AS n"""
        )


def vacuum() -> None:
    from django.db import connection

    from inventory.models import OutboundParcelRow, StockLedgerRow

    with connection.cursor() as cursor:
        for model in (StockLedgerRow, OutboundParcelRow):
            cursor.execute(f"VACUUM ANALYZE {model._meta.db_table}")


def anchor(warehouse) -> int:
    """The plain SQL GROUP BY of the month's stock rows by seller and item; returns the number of groups."""
    from django.db import connection

    from inventory.models import StockLedgerRow

    with connection.cursor() as cursor:
        cursor.execute(
            f"""SELECT seller_id, item_id, sum(stock_qty), sum(sales_qty)
                FROM {StockLedgerRow._meta.db_table}
                WHERE warehouse_id = %s AND source = 'warehouse' AND is_current
                  AND business_date >= %s AND business_date < %s
                GROUP BY seller_id, item_id""",
            [warehouse.pk, "2016-06-01", "2016-07-01"],
        )
        return len(cursor.fetchall())


def start_workers(queue: str, out: Path) -> list[subprocess.Popen]:
    """Two ``celery worker`` processes on the bench's own queue, on the same database and broker."""
    from django.conf import settings
    from django.db import connection

    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s.get("PASSWORD") else "")
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{auth}@{s.get('HOST') or '127.0.0.1'}:{s.get('PORT') or 5432}/"
        + s["NAME"],
        "REDIS_URL": settings.REDIS_URL,
        "CELERY_QUEUE": queue,
        "DATABASE_CONN_MAX_AGE": "60",  # as in production: a worker's tasks reuse its connection
        "BENCH_CLOSE_OUT": str(out),
        "PYTHONUNBUFFERED": "1",
    }
    workers = []
    for n in range(WORKERS):
        log = open(out / f"worker-{n}.log", "w")  # noqa: SIM115 - closed with the process
        command = [sys.executable, "-m", "celery", "-A", "tests.bench.close_worker", "worker", "--pool=solo"]
        command += ["--loglevel=info", "-Q", queue, "-n", f"{queue}-{n}@%h"]
        command += ["--without-gossip", "--without-mingle", "--without-heartbeat"]
        proc = subprocess.Popen(command, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
        proc.log_path = Path(log.name)
        workers.append(proc)
    deadline = time.monotonic() + 120
    while not all(" ready." in proc.log_path.read_text() for proc in workers):
        if time.monotonic() > deadline or any(proc.poll() is not None for proc in workers):
            log = workers[0].log_path.read_text()[-2000:]
            raise RuntimeError(f"the bench's workers did not start: {log}")
        time.sleep(0.1)
    return workers


def peak_rss_mb(proc: subprocess.Popen) -> float:
    """The process's peak resident set (VmHWM), in MB."""
    for line in Path(f"/proc/{proc.pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def stop_workers(workers: list[subprocess.Popen]) -> None:
    for proc in workers:
        proc.terminate()
    for proc in workers:
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def close_all(period, sellers, queue: str, out: Path) -> tuple[float, dict[str, float], list[float]]:
    """Two fresh workers close the month for every seller (queued as the admin action does): the seconds from
    queueing to the last run's end, the workers' seconds per phase (summed) and each one's peak RSS (MB)."""
    for path in out.glob("*.json"):
        path.unlink()
    workers = start_workers(queue, out)
    try:
        elapsed = _close_and_wait(period, sellers)
        rss = [peak_rss_mb(proc) for proc in workers]
    finally:
        stop_workers(workers)
    phases: dict[str, float] = {}
    for path in out.glob("*.json"):
        report = json.loads(path.read_text())
        for name, seconds in report["phases"].items():
            phases[name] = phases.get(name, 0.0) + seconds
        phases["tasks"] = phases.get("tasks", 0.0) + report["tasks"]["seconds"]
    return elapsed, phases, rss


def _close_and_wait(period, sellers) -> float:
    from billing.close import queue_close
    from billing.models import CloseRun

    start = time.perf_counter()
    queue_close(period, sellers)
    deadline = time.monotonic() + TIMEOUT
    finished = (CloseRun.Status.DONE, CloseRun.Status.FAILED)
    while CloseRun.objects.filter(seller__in=sellers, period=period.first_day, status__in=finished).filter(
        finished_at__isnull=False
    ).count() < len(sellers):
        if time.monotonic() > deadline:
            raise RuntimeError("the close did not finish in time")
        time.sleep(0.05)
    return time.perf_counter() - start


def run() -> list[tuple[str, str, str]]:
    from django.conf import settings
    from django.db import connection
    from django.db.models import Max, Sum

    if connection.vendor != "postgresql" or not settings.REDIS_URL:
        return [("close: 1M stock rows + 200k parcels", "skipped", "needs PostgreSQL and Redis")]
    from billing.models import CloseRun, Invoice, InvoiceLine
    from portal.celery import app
    from tariffs.rules import Period

    june = Period(2016, 6)
    warehouse, line, sellers, files = setup_world()
    delete_results(sellers)
    delete_rows(warehouse)
    queue = f"bench-close-{uuid.uuid4().hex[:8]}"
    previous_queue = app.conf.task_default_queue
    app.conf.task_default_queue = queue
    out = Path(tempfile.mkdtemp(prefix="bench-close-"))
    try:
        start = time.perf_counter()
        generate(warehouse, line, sellers, files)
        vacuum()
        generated = time.perf_counter() - start
        anchor(warehouse)  # warm the cache
        anchor_times = []
        for _ in range(3):
            start = time.perf_counter()
            groups = anchor(warehouse)
            anchor_times.append(time.perf_counter() - start)
        anchor_time = statistics.median(anchor_times)

        total, phases, rss = close_all(june, sellers, queue, out)
        invoices = Invoice.objects.filter(seller__in=sellers, period=june.first_day)
        lines = InvoiceLine.objects.filter(invoice__in=invoices)
        invoice_count = invoices.count()
        written = CloseRun.objects.filter(seller__in=sellers).aggregate(n=Sum("drafts_written"))["n"]
        failed = CloseRun.objects.filter(seller__in=sellers, status=CloseRun.Status.FAILED).count()
        assert invoice_count == SELLERS and written == SELLERS and not failed, (
            invoice_count,
            written,
            failed,
        )
        billed = lines.aggregate(n=Sum("rows_count"))["n"]
        assert billed == STOCK_ROWS + PARCELS, billed  # every stored row on one line
        line_count, last_line = lines.count(), lines.aggregate(last=Max("pk"))["last"]

        again, again_phases, again_rss = close_all(june, sellers, queue, out)
        rewritten = CloseRun.objects.filter(seller__in=sellers).aggregate(n=Sum("drafts_written"))["n"]
        unchanged = CloseRun.objects.filter(seller__in=sellers).aggregate(n=Sum("drafts_unchanged"))["n"]
        assert rewritten == 0 and unchanged == SELLERS, (rewritten, unchanged)
        assert (lines.count(), lines.aggregate(last=Max("pk"))["last"]) == (line_count, last_line)
        assert invoices.count() == SELLERS
    finally:
        app.conf.task_default_queue = previous_queue
        delete_results(sellers)
        delete_rows(warehouse)
        vacuum()
    ratio = total / anchor_time
    verdict = "ok" if ratio <= FLOOR else f"OVER THE FLOOR ({FLOOR:g}x)"
    verdict += "" if ratio > AIM or ratio > FLOOR else f", within the aim ({AIM:g}x)"
    rss = [max(pair) for pair in zip(rss, again_rss, strict=True)]
    rss_verdict = "ok" if max(rss) < RSS_FLOOR_MB else f"OVER THE FLOOR ({RSS_FLOOR_MB} MB)"

    def phase_text(phases: dict[str, float]) -> str:
        order = ["facts", "checks", "engine", "lock", "write", "run"]
        text = ", ".join(f"{name} {phases[name]:.1f} s" for name in order if name in phases)
        outside = phases["tasks"] - sum(phases.get(name, 0.0) for name in order)
        return f"{text}; in the tasks but outside the close {outside:.1f} s"

    return [
        (
            f"close: 1M stock rows + 200k parcels, {SELLERS} sellers",
            f"{total:.2f} s",
            f"{ratio:.1f}x the anchor; {verdict}; {WORKERS} Celery workers (solo pool), "
            f"{invoice_count} drafts, {line_count:,} lines",
        ),
        (
            "  anchor: SQL GROUP BY seller, item",
            f"{anchor_time:.2f} s",
            f"{groups:,} groups of {STOCK_ROWS:,} rows (median of 3); rows made in {generated:.0f} s",
        ),
        (
            "  tasks and phases (both workers' seconds)",
            f"{phases['tasks']:.2f} s",
            phase_text(phases),
        ),
        (
            "  peak RSS per worker (both closes)",
            f"{max(rss):.0f} MB",
            f"{' / '.join(f'{value:.0f}' for value in rss)} MB; {rss_verdict}",
        ),
        (
            "  second close of the same month",
            f"{again:.2f} s",
            f"0 drafts written, {unchanged} unchanged, {line_count:,} lines unchanged; "
            + phase_text(again_phases),
        ),
    ]


if __name__ == "__main__":
    import django

    django.setup()
    for name, result, note in run():
        print(f"{name:<48} {result:>18}  {note}")
