"""An inbound order's fees as billed (issue 12, "order detail: estimate against billed"): the invoice lines
whose ledger rows name the order (VAS and receiving rows by ``reference``, customs tax rows by ``order_no``,
inbound weight rows by ``reference``), from the warehouse's rows in force. Storage is billed per item and day,
across orders, so it is not attributed to one order."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from billing.models import Invoice, InvoiceLine
from inventory.ledgers.kinds import KINDS
from inventory.models import InboundOrder, LedgerFile

# ledger kind -> the row field holding the order's number
ORDER_FIELDS = {"vas": "reference", "receiving": "reference", "inbound": "reference", "tax": "order_no"}


@dataclass(frozen=True)
class BilledLine:
    line: InvoiceLine
    order_rows: int  # rows of this order behind the line
    line_rows: int  # all rows behind the line

    @property
    def whole(self) -> bool:
        return self.order_rows >= self.line_rows


def billed_for_order(order: InboundOrder) -> list[BilledLine]:
    """The lines of the seller's invoices (drafts too, marked by their invoice) billing rows of ``order``."""
    found: list[BilledLine] = []
    for kind, field in ORDER_FIELDS.items():
        ledger = KINDS[kind]
        rows = dict(
            ledger.model.objects.filter(
                seller=order.seller,
                warehouse=order.warehouse,
                source=LedgerFile.Source.WAREHOUSE,
                is_current=True,
                **{field: order.number},
            ).values_list("pk", ledger.date_field)
        )
        if not rows:
            continue
        months = {day.replace(day=1) for day in rows.values()}
        lines = InvoiceLine.objects.filter(
            invoice__seller=order.seller,
            invoice__warehouse=order.warehouse,
            invoice__period__in=months,
            ledger=kind,
        ).select_related("invoice")
        for line in lines.order_by("invoice__period", "position"):
            mine = sum(1 for ref in line.source_refs if isinstance(ref, int) and ref in rows)
            if mine:
                found.append(BilledLine(line=line, order_rows=mine, line_rows=max(line.rows_count, mine)))
    return found


def billed_total(lines: list[BilledLine]) -> dict[str, Decimal]:
    """Per currency, the amounts of the lines wholly about the order (shared lines are shown, not summed)."""
    totals: dict[str, Decimal] = {}
    for billed in lines:
        if billed.whole and billed.line.invoice.status == Invoice.Status.ISSUED:
            currency = billed.line.invoice.currency
            totals[currency] = totals.get(currency, Decimal(0)) + billed.line.amount
    return totals
