"""Ledger rows pages at 10k and at 1M stored rows (issue 11, "Pages"): the page must cost about the same
(goal: the 1M figure at most 1.5× the 10k figure).

Rows are generated in SQL (``INSERT ... SELECT`` over ``generate_series``), like a real store: one bench
seller with ~1,100 items a day (~33k stock rows a month, many months) and two other sellers at the same
warehouses. Each page is fetched through Django's test ``Client`` logged in as the seller's owner; a
figure is the median of several runs after a warm-up. Everything the bench creates is deleted at the end.
"""

import html
import re
import statistics
import time
from datetime import date
from urllib.parse import urlencode

LAST_DAY = date(2016, 6, 30)
ITEMS = 1100  # items (stock) or parcels (outbound) of the bench seller per day
RUNS = 9
NEXT_LINK = re.compile(r'<a[^>]*rel="next"[^>]*href="(\?[^"]*)"')
WAREHOUSES = ("BENCH-PG-1", "BENCH-PG-2")
SELLERS = ("bench-pages", "bench-pages-b", "bench-pages-c")
# (kind, bench seller's days, other sellers' items a day, other sellers' days): ~10k and ~1M rows per kind
SCALES = {
    "10k": {"days": 6, "other_items": 850, "other_days": 2},  # 6,600 + 2 × 1,700 = 10,000
    "1M": {"days": 600, "other_items": 1100, "other_days": 155},  # 660,000 + 2 × 170,500 = 1,001,000
}


def world():
    from django.contrib.auth import get_user_model

    from portal.models import Operator, Seller, SellerUser, Warehouse

    cleanup()
    operator, _ = Operator.objects.get_or_create(
        code="bench-pages-op", defaults={"name": "Bench", "country": "CN"}
    )
    warehouses = [
        Warehouse.objects.create(code=code, name=code, country="CN", operator=operator, currency="CNY")
        for code in WAREHOUSES
    ]
    sellers = [
        Seller.objects.create(
            code=code,
            name=code,
            legal_name=code,
            status=Seller.Status.ACTIVE,
        )
        for code in SELLERS
    ]
    user = get_user_model().objects.create(email="bench-pages-owner@example.com")
    SellerUser.objects.create(user=user, seller=sellers[0], role=SellerUser.Role.OWNER)
    return warehouses, sellers, user


def cleanup() -> None:
    from django.contrib.auth import get_user_model
    from django.db import connection

    from inventory.models import LedgerFile, OutboundParcelRow, StockLedgerRow
    from portal.models import Operator, Seller, Warehouse

    sellers = list(Seller.objects.filter(code__in=SELLERS).values_list("pk", flat=True))
    for model in (StockLedgerRow, OutboundParcelRow):
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {model._meta.db_table} WHERE seller_id = ANY(%s)", [sellers])
    LedgerFile.objects.filter(warehouse__code__in=WAREHOUSES).delete()
    get_user_model().objects.filter(email="bench-pages-owner@example.com").delete()
    Seller.objects.filter(pk__in=sellers).delete()
    Warehouse.objects.filter(code__in=WAREHOUSES).delete()
    Operator.objects.filter(code="bench-pages-op").delete()


def ledger_file(warehouse, seller, kind: str, name: str):
    from inventory.models import LedgerFile

    return LedgerFile.objects.create(
        seller=seller,
        warehouse=warehouse,
        kind=kind,
        source="warehouse",
        file=f"bench/{name}",
        original_name=name,
        sha256=name,
        dedupe_key=f"bench-pages:{name}",
        status=LedgerFile.Status.STORED,
    )


STOCK_SQL = """
INSERT INTO inventory_stockledgerrow (
    ledger_file_id, seller_id, warehouse_id, source, row_number, is_current, business_date, item_id,
    length_mm, height_mm, width_mm, units_per_carton, volume_mm3, total_volume_m3, daily_volume_m3,
    volume_mismatch, sales_qty, stock_qty)
SELECT %(file)s, %(seller)s, %(warehouse)s, 'warehouse', d * %(items)s + i + 2, true, %(last)s::date - d,
    'ITEM' || lpad(i::text, 6, '0'), 434, 150, 220, 6, 14322000, 0.014322 * (50 + (i * 7 + d * 3) %% 40),
    0.014322 / 6 * (50 + (i * 7 + d * 3) %% 40) / 1000, i %% 97 = 0, (i + d) %% 3, 50 + (i * 7 + d * 3) %% 40
FROM generate_series(0, %(days)s - 1) AS d, generate_series(0, %(items)s - 1) AS i
"""
OUTBOUND_SQL = """
INSERT INTO inventory_outboundparcelrow (
    ledger_file_id, seller_id, warehouse_id, source, row_number, is_current, order_no, ship_date,
    weight_kg, sku_kinds, units, carrier, destination)
SELECT %(file)s, %(seller)s, %(warehouse)s, 'warehouse', d * %(items)s + i + 2, true,
    'SO' || %(seller)s || '-' || (d * %(items)s + i), %(last)s::date - d, 0.2 + (i %% 50) / 10.0, 1 + i %% 5,
    1 + i %% 3, (ARRAY['SF', 'YTO', 'ZTO'])[1 + i %% 3],
    (ARRAY['Hangzhou', 'Shanghai', 'Beijing'])[1 + d %% 3]
FROM generate_series(0, %(days)s - 1) AS d, generate_series(0, %(items)s - 1) AS i
"""


def load(warehouses, sellers, scale: str) -> int:
    """Stock and outbound rows at ``scale``; the bench seller's rows go to both warehouses by item."""
    from django.db import connection

    from inventory.models import OutboundParcelRow, StockLedgerRow

    plan = SCALES[scale]
    with connection.cursor() as cursor:
        for model in (StockLedgerRow, OutboundParcelRow):
            cursor.execute(
                f"DELETE FROM {model._meta.db_table} WHERE seller_id = ANY(%s)", [[s.pk for s in sellers]]
            )
        jobs = [(sellers[0], warehouses[0], ITEMS * 2 // 3, plan["days"])]
        jobs.append((sellers[0], warehouses[1], ITEMS - ITEMS * 2 // 3, plan["days"]))
        jobs += [(seller, warehouses[0], plan["other_items"], plan["other_days"]) for seller in sellers[1:]]
        for n, (seller, warehouse, items, days) in enumerate(jobs):
            for kind, sql in (("stock", STOCK_SQL), ("outbound", OUTBOUND_SQL)):
                lf = ledger_file(warehouse, seller, kind, f"{scale}-{kind}-{n}")
                params = {"file": lf.pk, "seller": seller.pk, "warehouse": warehouse.pk}
                cursor.execute(sql, {**params, "items": items, "days": days, "last": LAST_DAY})
        for model in (StockLedgerRow, OutboundParcelRow):
            cursor.execute(f"VACUUM ANALYZE {model._meta.db_table}")
        cursor.execute(
            "SELECT count(*) FROM inventory_stockledgerrow WHERE seller_id = ANY(%s)",
            [[s.pk for s in sellers]],
        )
        return cursor.fetchone()[0]


def timed(client, url: str) -> float:
    """Median milliseconds of RUNS requests after two warm-up ones."""
    for _ in range(2):
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200
    return statistics.median(times)


def page_urls(client, kind: str, warehouse) -> dict[str, str]:
    """The pages timed for ``kind``: first, a later one (reached through the pager), filtered, sorted."""
    from django.urls import reverse

    base = reverse("inventory:ledger-rows", args=[kind])
    search = {"stock": "ITEM00010", "outbound": "SO"}[kind]
    sort = {"stock": "stock_qty", "outbound": "weight_kg"}[kind]
    day = {"stock": "business_date", "outbound": "ship_date"}[kind]
    urls = {
        "first page": base,
        "later page": later_page(client, base),
        "filtered page": f"{base}?{urlencode({'warehouse': warehouse.pk, 'q': search})}",
        "sorted page": f"{base}?{urlencode({'sort': f'-{sort}'})}",
        "sorted by date, oldest first": f"{base}?{urlencode({'sort': day})}",
    }
    if kind == "stock":  # loaded by htmx after the page: the month's chart and consistency findings
        urls["month panel (htmx)"] = f"{base}?panel=month"
    return urls


def later_page(client, base: str, pages: int = 100) -> str:
    """The page 5,000 rows in (100 pages of 50), reached by following the pager's "next" links."""
    url = base
    for _ in range(pages):
        found = NEXT_LINK.search(client.get(url).content.decode())
        if not found:
            return f"{base}?page={pages + 1}"  # an OFFSET pager without rel="next" links
        url = base + html.unescape(found.group(1))
    return url


def run() -> list[tuple[str, str, str]]:
    import django
    from django.conf import settings
    from django.test import Client
    from django.test.utils import override_settings

    django.setup()
    # The test client's host, without setup_test_environment(): its instrumented template rendering
    # (a signal per template) would add to every figure.
    hosts = override_settings(ALLOWED_HOSTS=[*settings.ALLOWED_HOSTS, "testserver"])
    hosts.enable()
    warehouses, sellers, user = world()
    client = Client()
    client.force_login(user)
    figures: dict[str, dict[str, float]] = {}
    stored = {}
    try:
        for scale in SCALES:
            stored[scale] = load(warehouses, sellers, scale)
            for kind in ("stock", "outbound"):
                for name, url in page_urls(client, kind, warehouses[0]).items():
                    figures.setdefault(f"{kind} rows, {name}", {})[scale] = timed(client, url)
    finally:
        cleanup()
        hosts.disable()
    rows = []
    for name, by_scale in figures.items():
        small, big = by_scale["10k"], by_scale["1M"]
        ratio = big / small
        verdict = "ok" if ratio <= 1.5 else "OVER GOAL (1.5×)"
        rows.append(
            (
                f"page: {name}",
                f"{big:.1f} ms",
                f"at {stored['1M']:,} rows; {small:.1f} ms at {stored['10k']:,}: {ratio:.2f}×, {verdict}",
            )
        )
    return rows
