"""The ledger rows page in keyset pages (issue 11, "Pages"): every row once and in order across the pages,
forwards and backwards, with sorts and filters; hostile or crafted cursors give a normal page of the
seller's own rows. Through PostgreSQL (the page's SQL and indexes are PostgreSQL's)."""

import base64
import html
import json
import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.urls import reverse

from inventory.models import LedgerFile, StockLedgerRow
from tests.factories import WarehouseFactory

pytestmark = pytest.mark.django_db
URL = "/ledgers/rows/stock/"
LINK = {rel: re.compile(rf'<a[^>]*rel="{rel}"[^>]*href="(\?[^"]*)"') for rel in ("next", "prev")}


@pytest.fixture(autouse=True)
def postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("the rows page's keyset SQL is checked on PostgreSQL")


def ledger(seller, warehouse, name):
    return LedgerFile.objects.create(
        seller=seller,
        warehouse=warehouse,
        kind="stock",
        source="warehouse",
        file=name,
        original_name=name,
        sha256=name,
        dedupe_key=name,
        status=LedgerFile.Status.STORED,
    )


def stock_rows(seller, warehouse, days, items, *, current=True, name="f", start=date(2016, 6, 1)):
    """``items`` rows a day over ``days`` days; row numbers in file order; every 3rd total volume unknown."""
    file = ledger(seller, warehouse, f"{name}-{seller.pk}-{warehouse.pk}")
    rows = [
        StockLedgerRow(
            ledger_file=file,
            seller=seller,
            warehouse=warehouse,
            source="warehouse",
            row_number=d * items + i + 2,
            is_current=current,
            business_date=start + timedelta(days=d),
            item_id=f"{name.upper()}-{i:03d}",
            length_mm=100,
            height_mm=100,
            width_mm=100,
            total_volume_m3=None if i % 3 == 0 else Decimal(i % 4),
            daily_volume_m3=Decimal("0.001"),
            sales_qty=0,
            stock_qty=(i * 7 + d) % 5,  # many ties: the id breaks them
        )
        for d in range(days)
        for i in range(items)
    ]
    return StockLedgerRow.objects.bulk_create(rows)


@pytest.fixture
def rows(owner, other_owner):
    """The owner's rows at two warehouses (out of date order in the table), an out-of-force row, and
    another seller's rows on the same days."""
    one, two = WarehouseFactory(code="WH-ONE"), WarehouseFactory(code="WH-TWO")
    mine = stock_rows(owner.seller, two, 4, 9, name="b", start=date(2016, 6, 3))
    mine += stock_rows(owner.seller, one, 5, 8, name="a")
    stock_rows(owner.seller, one, 2, 3, current=False, name="old")
    stock_rows(other_owner.seller, one, 5, 8, name="theirs")
    return mine


def walk(client, query: dict, rel="next", start=None):
    """Every row id shown, page by page, following the pager's ``rel`` links."""
    response = client.get(URL + (start or ""), query)
    seen = []
    while True:
        assert response.status_code == 200
        seen += [row.record.pk for row in response.context["table"].rows]
        link = LINK[rel].search(response.content.decode())
        if not link:
            return seen, response
        response = client.get(URL + html.unescape(link.group(1)))


def test_pages_show_every_row_once_in_date_then_file_order(owner_client, rows):
    expected = [r.pk for r in sorted(rows, key=lambda r: (-r.business_date.toordinal(), r.row_number, r.pk))]
    seen, last = walk(owner_client, {"per_page": "7"})
    assert seen == expected  # 76 rows of the seller in force: no other seller's, no replaced row
    page = last.context["page"]
    assert len(page.object_list) == 76 % 7 and page.has_previous and not page.has_next
    # ...and back from the last page to the first through the "previous" links.
    back, first = walk(owner_client, {}, rel="prev", start="?" + last.wsgi_request.GET.urlencode())
    pages = [expected[i : i + 7] for i in range(0, 76, 7)]
    assert back == [pk for page in reversed(pages) for pk in page]
    assert first.context["page"].is_first is False and not first.context["page"].has_previous


def test_oldest_first_and_sorts_by_a_column_keep_every_row(owner_client, rows):
    by_day = sorted(rows, key=lambda r: (r.business_date, r.row_number, r.pk))
    assert walk(owner_client, {"per_page": "10", "sort": "business_date"})[0] == [r.pk for r in by_day]
    by_stock = sorted(rows, key=lambda r: (-r.stock_qty, -r.pk))
    assert walk(owner_client, {"per_page": "10", "sort": "-stock_qty"})[0] == [r.pk for r in by_stock]
    # A column with unknown values: those come last, whichever the direction.
    known = [r for r in rows if r.total_volume_m3 is not None]
    unknown = [r for r in rows if r.total_volume_m3 is None]
    up = sorted(known, key=lambda r: (r.total_volume_m3, r.pk)) + sorted(unknown, key=lambda r: r.pk)
    assert walk(owner_client, {"per_page": "6", "sort": "total_volume_m3"})[0] == [r.pk for r in up]
    down = sorted(known, key=lambda r: (-r.total_volume_m3, -r.pk)) + sorted(unknown, key=lambda r: -r.pk)
    assert walk(owner_client, {"per_page": "6", "sort": "-total_volume_m3"})[0] == [r.pk for r in down]
    # By item (through its index): items in order, each newest day first.
    by_item = sorted(rows, key=lambda r: (r.item_id, -r.business_date.toordinal(), r.row_number, r.pk))
    assert walk(owner_client, {"per_page": "9", "sort": "item_id"})[0] == [r.pk for r in by_item]


def test_filters_apply_on_every_page(owner_client, rows):
    warehouse = rows[-1].warehouse  # WH-ONE
    wanted = [
        r
        for r in rows
        if r.warehouse_id == warehouse.pk and "-00" in r.item_id and date(2016, 6, 2) <= r.business_date
    ]
    query = {"per_page": "4", "q": "-00", "warehouse": warehouse.pk, "date_from": "2016-06-02"}
    expected = sorted(wanted, key=lambda r: (-r.business_date.toordinal(), r.row_number, r.pk))
    seen, last = walk(owner_client, query)
    assert len(expected) > 8 and seen == [r.pk for r in expected]
    assert last.context["row_count"] == len(expected)
    # The search matches item ids case-insensitively, anywhere in them, as before.
    seen, _ = walk(owner_client, {"q": "a-00"})
    assert sorted(seen) == sorted(r.pk for r in rows if r.item_id.startswith("A-00"))
    assert walk(owner_client, {"q": "%"})[0] == []  # a LIKE wildcard is searched as text


def cursor(values: list) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


HOSTILE_CURSORS = [
    "x",
    "9" * 30,
    "%ff%fe",
    "\x00",
    "x" * 5000,
    cursor(["-business_date,row_number,id", "9999-99-99", 1, 1]),
    cursor(["-business_date,row_number,id", "2016-06-03", 10**30, 1]),
    cursor(["-business_date,row_number,id", "2016-06-03", 1, "1\x00"]),
    cursor(["-business_date,row_number,id", None, None, None]),
    cursor(["-business_date,row_number,id", "2016-06-03", 1]),
    cursor(["-business_date,row_number,id", {"a": 1}, [], 1.5]),
    cursor(["stock_qty,id", "NaN", 1]),
    cursor("not a list"),
]


@pytest.mark.parametrize("value", HOSTILE_CURSORS)
@pytest.mark.parametrize("param", ["after", "before"])
def test_a_hostile_cursor_shows_the_first_page(owner_client, rows, param, value):
    response = owner_client.get(URL, {param: value, "per_page": "5"})
    assert response.status_code == 200
    newest = sorted(rows, key=lambda r: (-r.business_date.toordinal(), r.row_number, r.pk))[:5]
    assert [row.record.pk for row in response.context["table"].rows] == [r.pk for r in newest]


def test_a_cursor_past_the_end_shows_the_first_page_and_one_before_it_the_last(owner_client, rows):
    beyond = cursor(["-business_date,row_number,id", "0001-01-01", 0, 0])
    order = sorted(rows, key=lambda r: (-r.business_date.toordinal(), r.row_number, r.pk))
    after = owner_client.get(URL, {"after": beyond, "per_page": "5"})
    assert [row.record.pk for row in after.context["table"].rows] == [r.pk for r in order[:5]]
    before = owner_client.get(URL, {"before": beyond, "per_page": "5"})
    assert [row.record.pk for row in before.context["table"].rows] == [r.pk for r in order[-5:]]
    assert before.context["page"].has_previous and before.context["page"].has_next


def test_a_cursor_made_of_another_sellers_row_shows_only_own_rows(owner_client, owner, other_owner, rows):
    theirs = StockLedgerRow.objects.filter(seller=other_owner.seller).order_by("-business_date", "row_number")
    target = theirs[3]
    crafted = cursor(
        ["-business_date,row_number,id", str(target.business_date), target.row_number, target.pk]
    )
    for param in ("after", "before"):
        seen, _ = walk(owner_client, {param: crafted, "per_page": "50"})
        assert seen and set(seen) <= {r.pk for r in rows}
    sellers = set(StockLedgerRow.objects.filter(pk__in=seen).values_list("seller", flat=True))
    assert sellers == {owner.seller.pk}


def test_the_page_reads_rows_through_the_page_index(owner, rows):
    """The first page's query reads the seller's newest rows from the partial index, already in order (no
    sort of the seller's rows: a small test table would otherwise be read whole or hashed, so plain scans
    and hash or merge joins of the warehouse and line are off, as a million rows would make them)."""
    from inventory.ledgers.views import row_filter

    with connection.cursor() as cursor:
        cursor.execute(
            "SET LOCAL enable_seqscan = off; SET LOCAL enable_bitmapscan = off; "
            "SET LOCAL enable_hashjoin = off; SET LOCAL enable_mergejoin = off"
        )
    plan = row_filter(owner.seller, "stock", {}).qs[:51].explain()
    assert "stock_rows_page" in plan and "Sort" not in plan, plan


def test_the_month_panel_loads_after_the_page(owner_client, rows):
    page = owner_client.get(URL)
    assert 'hx-get="?panel=month"' in page.content.decode() and "findings" not in page.context
    panel = owner_client.get(URL, {"panel": "month"})
    assert panel.status_code == 200 and panel.context["month"] == "2016-06"
    chart = json.loads(panel.context["chart_json"])
    assert chart["labels"] == [f"2016-06-0{d}" for d in range(1, 7)]  # the days of the rows in force
    assert reverse("inventory:ledger-rows", args=["stock"]) == URL
