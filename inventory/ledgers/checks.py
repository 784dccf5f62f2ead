"""Consistency findings of a month's stock ledger (SPEC §6.1, §10): stock that moves without a reason,
reported volumes that disagree with dimensions, and seller records that disagree with the warehouse's."""

from dataclasses import dataclass
from datetime import date

from django.db import connections
from django.db.models import Q, Sum

from inventory.models import LedgerFile, StockLedgerRow
from tariffs.messages import render_text
from tariffs.rules import Text

MAX_FINDINGS = 200


@dataclass(frozen=True)
class Finding:
    kind: str  # "unexplained_drop", "volume_mismatch", "source_mismatch"
    item_id: str
    day: date
    detail: str  # in English: what a stored finding falls back to
    text: Text | None = None  # the detail as a message id (``finding.<kind>``) with params (issue 12)

    @property
    def message(self) -> str:
        """The detail in the active language."""
        return render_text(self.text, self.detail)


def month_rows(seller, warehouse_ids, first: date, last: date):
    rows = StockLedgerRow.objects.filter(seller=seller, is_current=True, business_date__range=(first, last))
    return rows.filter(warehouse_id__in=warehouse_ids) if warehouse_ids else rows


def chart_source(seller, warehouse_ids, first: date, last: date) -> str:
    """The warehouse's rows when it has sent any for the month, else the seller's own."""
    rows = month_rows(seller, warehouse_ids, first, last)
    return "warehouse" if rows.filter(source="warehouse").exists() else "seller"


def daily_totals(seller, warehouse_ids, first: date, last: date, source: str = "warehouse") -> list[dict]:
    """Per day of the month (rows of ``source``): stored volume in m³ and units in stock, for the chart."""
    return list(
        month_rows(seller, warehouse_ids, first, last)
        .filter(source=source)
        .values("business_date")
        .annotate(volume=Sum("daily_volume_m3"), units=Sum("stock_qty"))
        .order_by("business_date")
    )


def unexplained_drops(
    seller, warehouse_ids, first: date, last: date, source: str = "warehouse", *, limit: int
) -> tuple[list[tuple[str, date, int, int, int, int]], int]:
    """Days whose closing stock is below the day before's minus the day's sales (opening + received − sold =
    closing, so something left without a reason), on consecutive days of an item at a warehouse: the first
    ``limit`` of them in (warehouse, item, day) order as (item, day, stock before, stock, sold, units
    unaccounted for), and how many there are in all. One query: the database compares each row with the one
    before it (``LAG``) instead of Python walking the month's rows. (The window partitions by the item's
    bytes, ``COLLATE "C"``: the same partitions, sorted without the locale's rules.)"""
    rows = month_rows(seller, warehouse_ids, first, last).filter(source=source)
    if connections[rows.db].vendor != "postgresql":
        return _unexplained_drops_in_python(rows, limit)
    inner, params = (
        rows.order_by()
        .values_list("warehouse_id", "item_id", "business_date", "stock_qty", "sales_qty", "pk")
        .query.sql_with_params()
    )
    sql = f"""
        SELECT item_id, business_date, before, stock_qty, sales_qty, before - stock_qty - sales_qty,
               count(*) OVER ()
        FROM (
            SELECT r.*, lag(r.stock_qty) OVER w AS before, lag(r.business_date) OVER w AS day_before
            FROM ({inner}) AS r (warehouse_id, item_id, business_date, stock_qty, sales_qty, id)
            WINDOW w AS (PARTITION BY r.warehouse_id, r.item_id COLLATE "C" ORDER BY r.business_date, r.id)
        ) AS t
        WHERE business_date - day_before = 1 AND stock_qty - before + sales_qty < 0
        ORDER BY warehouse_id, item_id, business_date, id
        LIMIT %s"""
    with connections[rows.db].cursor() as cursor:
        cursor.execute(sql, [*params, limit])
        found = cursor.fetchall()
    if not found:
        return [], 0
    return [tuple(row[:6]) for row in found], found[0][6]


def unexplained_drops_of_sellers(
    seller_ids, warehouse_ids, first: date, last: date, source: str = "warehouse", *, limit: int
) -> dict[int, tuple[list[tuple[str, date, int, int, int, int]], int]]:
    """``unexplained_drops`` of many sellers: {seller id: (first ``limit`` drops, how many)} for the sellers
    with any, one query each. (The close reads a batch's drops with its stock month, in one scan:
    ``store_facts.read_stock_month_of_sellers``.)"""
    found = {
        seller_id: unexplained_drops(seller_id, warehouse_ids, first, last, source, limit=limit)
        for seller_id in sorted(set(seller_ids))
    }
    return {seller_id: drops for seller_id, drops in found.items() if drops[1]}


def sellers_with_other_findings(seller_ids, warehouse_ids, first: date, last: date) -> set[int]:
    """Of ``seller_ids``, those whose month has a row that ``stock_findings`` looks at beyond the drops: a
    volume that disagrees with the dimensions (a small partial index holds those rows), or the seller's own
    records (only rows of the sellers' own stored stock uploads of the month are looked at)."""
    seller_ids = list(seller_ids)
    scope = {"seller_id__in": seller_ids, "is_current": True, "business_date__range": (first, last)}
    if warehouse_ids:
        scope["warehouse_id__in"] = list(warehouse_ids)
    found = set(
        StockLedgerRow.objects.filter(volume_mismatch=True, **scope)
        .order_by()
        .values_list("seller_id", flat=True)
        .distinct()
    )
    own_files = LedgerFile.objects.filter(
        Q(period_start__isnull=True) | Q(period_start__lte=last, period_end__gte=first),
        kind=LedgerFile.Kind.STOCK,
        source=LedgerFile.Source.SELLER,
        status=LedgerFile.Status.STORED,
    )
    if warehouse_ids:
        own_files = own_files.filter(warehouse_id__in=list(warehouse_ids))
    own_files = list(own_files.values_list("pk", flat=True))
    if own_files:
        found.update(
            StockLedgerRow.objects.filter(ledger_file_id__in=own_files, source="seller", **scope)
            .order_by()
            .values_list("seller_id", flat=True)
            .distinct()
        )
    return found


def _unexplained_drops_in_python(rows, limit: int):
    """SQLite (development): the same walk in Python."""
    found, total = [], 0
    previous: dict[tuple[int, str], tuple[date, int]] = {}
    for warehouse_id, item, day, stock, sales in (
        rows.order_by("warehouse_id", "item_id", "business_date", "pk")
        .values_list("warehouse_id", "item_id", "business_date", "stock_qty", "sales_qty")
        .iterator(chunk_size=10_000)
    ):
        before = previous.get((warehouse_id, item))
        if before and (day - before[0]).days == 1 and stock - before[1] + sales < 0:
            total += 1
            if len(found) < limit:
                found.append((item, day, before[1], stock, sales, before[1] - stock - sales))
        previous[(warehouse_id, item)] = (day, stock)
    return found, total


def stock_findings_of_sellers(
    seller_ids, warehouse_ids, first: date, last: date, source: str = "warehouse", *, drops=None
) -> dict[int, tuple[list[Finding], int]]:
    """``stock_findings`` of many sellers ({seller id: (findings, how many)}, every seller given): the drops
    of all in one query (or ``drops``, {seller id: (every drop, how many)} read already; a seller with more
    than ``MAX_FINDINGS`` has its first ones found again in the database's order); the other checks only for
    the sellers with rows they look at."""
    seller_ids = sorted(set(seller_ids))
    if drops is None:
        drops = unexplained_drops_of_sellers(
            seller_ids, warehouse_ids, first, last, source, limit=MAX_FINDINGS
        )
    else:  # every drop of each seller, read with its month (``store_facts.read_stock_month_of_sellers``)
        drops = {
            seller_id: (found[:MAX_FINDINGS], total)
            if total <= MAX_FINDINGS
            else unexplained_drops(seller_id, warehouse_ids, first, last, source, limit=MAX_FINDINGS)
            for seller_id, (found, total) in drops.items()
        }
    others = sellers_with_other_findings(seller_ids, warehouse_ids, first, last)
    return {
        seller_id: stock_findings(
            seller_id,
            warehouse_ids,
            first,
            last,
            source,
            drops=drops.get(seller_id, ([], 0)),
            only_drops=seller_id not in others,
        )
        for seller_id in seller_ids
    }


def stock_findings(
    seller,
    warehouse_ids,
    first: date,
    last: date,
    source: str = "warehouse",
    *,
    drops: tuple[list, int] | None = None,
    only_drops: bool = False,
) -> tuple[list[Finding], int]:
    """Findings (at most MAX_FINDINGS) and how many there are in all. (``drops``: the seller's
    ``unexplained_drops`` already found; ``only_drops``: the month has no row the other checks look at.)"""
    findings: list[Finding] = []
    total = 0

    def add(finding: Finding) -> None:
        nonlocal total
        total += 1
        if len(findings) < MAX_FINDINGS:
            findings.append(finding)

    rows = month_rows(seller, warehouse_ids, first, last)
    if drops is None:
        drops = unexplained_drops(seller, warehouse_ids, first, last, source, limit=MAX_FINDINGS)
    drops, drop_count = drops
    for item, day, before, stock, sales, missing in drops:
        findings.append(
            Finding(
                "unexplained_drop",
                item,
                day,
                f"stock {before} → {stock} with {sales} sold: {missing} units unaccounted for",
                Text(
                    "finding.unexplained_drop",
                    {"before": before, "stock": stock, "sales": sales, "missing": missing},
                ),
            )
        )
    total = drop_count
    if only_drops:
        findings.sort(key=lambda f: (f.day, f.item_id, f.kind))
        return findings, total
    for item, day, total_volume in rows.filter(volume_mismatch=True).values_list(
        "item_id", "business_date", "total_volume_m3"
    )[: MAX_FINDINGS * 5]:
        add(
            Finding(
                "volume_mismatch",
                item,
                day,
                f"reported {total_volume} m³ differs from the dimensions by more than 1 %",
                Text("finding.volume_mismatch", {"volume_m3": str(total_volume)}),
            )
        )
    seller_rows = {
        (w, item, day): (stock, sales)
        for w, item, day, stock, sales in rows.filter(source="seller").values_list(
            "warehouse_id", "item_id", "business_date", "stock_qty", "sales_qty"
        )
    }
    if seller_rows:
        for w, item, day, stock, sales in (
            rows.filter(source="warehouse")
            .filter(Q(item_id__in={key[1] for key in seller_rows}))
            .values_list("warehouse_id", "item_id", "business_date", "stock_qty", "sales_qty")
        ):
            mine = seller_rows.get((w, item, day))
            if mine and mine != (stock, sales):
                add(
                    Finding(
                        "source_mismatch",
                        item,
                        day,
                        f"warehouse: stock {stock}, sold {sales}; yours: stock {mine[0]}, sold {mine[1]}",
                        Text(
                            "finding.source_mismatch",
                            {"stock": stock, "sales": sales, "my_stock": mine[0], "my_sales": mine[1]},
                        ),
                    )
                )
    findings.sort(key=lambda f: (f.day, f.item_id, f.kind))
    return findings, total
