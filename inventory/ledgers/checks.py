"""Consistency findings of a month's stock ledger (SPEC §6.1, §10): stock that moves without a reason,
reported volumes that disagree with dimensions, and seller records that disagree with the warehouse's."""

from dataclasses import dataclass
from datetime import date

from django.db.models import Q, Sum

from inventory.models import StockLedgerRow
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


def stock_findings(
    seller, warehouse_ids, first: date, last: date, source: str = "warehouse"
) -> tuple[list[Finding], int]:
    """Findings (at most MAX_FINDINGS) and how many there are in all."""
    findings: list[Finding] = []
    total = 0

    def add(finding: Finding) -> None:
        nonlocal total
        total += 1
        if len(findings) < MAX_FINDINGS:
            findings.append(finding)

    rows = month_rows(seller, warehouse_ids, first, last)
    previous: dict[tuple[int, str], tuple[date, int]] = {}
    warehouse_rows = rows.filter(source=source).order_by("warehouse_id", "item_id", "business_date")
    for warehouse_id, item, day, stock, sales in warehouse_rows.values_list(
        "warehouse_id", "item_id", "business_date", "stock_qty", "sales_qty"
    ).iterator(chunk_size=10_000):
        before = previous.get((warehouse_id, item))
        if before and (day - before[0]).days == 1:
            received = stock - before[1] + sales  # opening + received − sold = closing
            if received < 0:
                add(
                    Finding(
                        "unexplained_drop",
                        item,
                        day,
                        f"stock {before[1]} → {stock} with {sales} sold: {-received} units unaccounted for",
                        Text(
                            "finding.unexplained_drop",
                            {"before": before[1], "stock": stock, "sales": sales, "missing": -received},
                        ),
                    )
                )
        previous[(warehouse_id, item)] = (day, stock)
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
