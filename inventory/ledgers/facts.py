"""Parsed ledger rows (``inventory.ledgers``) to the facts the fee rules read (``tariffs.rules.facts``).

Pure: used by ``simulate_invoice`` (rows from files); ``store_facts`` builds the same facts from stored
rows. A fact's ``ref`` is the ledger row number, kept on the charge line; stock rows become one
``StockItemMonth`` per item (``stock_item_months``), whose ``ref`` is a ``RowSet`` naming the item's month.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date
from decimal import MAX_EMAX, MAX_PREC, MIN_EMIN, Context, Decimal, Inexact, Rounded
from typing import Any

from inventory.ledgers import InboundRow, OutboundRow, ReceivingRow, StockRow, TaxRow, VasRow
from tariffs.rules import (
    CustomsDeclaration,
    InboundWeight,
    Parcel,
    Period,
    ReceivingService,
    RowSet,
    RuleError,
    ServiceUse,
    StockDay,
    StockItemMonth,
)

# Sums of what the warehouse reported are exact (no rounding at all: a rounded step would raise); the
# volume is divided once per item and units per carton, at 34 digits, like a row's own volume (§6.1).
EXACT = Context(prec=MAX_PREC, Emax=MAX_EMAX, Emin=MIN_EMIN, traps=[Inexact, Rounded])
VOLUME = Context(prec=34)
MM3_PER_M3 = Decimal(10) ** 9
_ZERO = Decimal(0)


def stock_day(row: StockRow) -> StockDay:
    return StockDay(
        business_date=row.business_date,
        item_id=row.item_id,
        stock_qty=row.stock_qty,
        sales_qty=row.sales_qty,
        volume_m3=row.daily_volume_m3,
        ref=row.row_number,
    )


def parcel(row: OutboundRow) -> Parcel:
    return Parcel(
        order_no=row.order_no,
        weight_kg=row.weight_kg,
        sku_kinds=row.sku_kinds,
        units=row.units,
        carrier=row.carrier,
        length_mm=row.length_mm,
        width_mm=row.width_mm,
        height_mm=row.height_mm,
        ship_date=row.ship_date,
        ref=row.row_number,
    )


def service_use(row: VasRow) -> ServiceUse:
    return ServiceUse(
        service_code=row.service_code,
        quantity=row.quantity,
        amount=row.amount,
        date=row.date,
        reference=row.reference or "",
        ref=row.row_number,
    )


def customs_declaration(row: TaxRow) -> CustomsDeclaration:
    return CustomsDeclaration(
        order_no=row.order_no,
        dutiable_value=row.dutiable_value,
        tariff_rate=row.tariff_rate,
        consumption_tax_rate=row.consumption_tax_rate,
        vat_rate=row.vat_rate,
        date=row.date,
        ref=row.row_number,
    )


def inbound_weight(row: InboundRow) -> InboundWeight:
    return InboundWeight(
        line=row.line,
        packages=row.packages,
        weight_kg=row.weight_kg,
        date=row.date,
        reference=row.reference or "",
        ref=row.row_number,
    )


def receiving_service(row: ReceivingRow) -> ReceivingService:
    return ReceivingService(
        service=row.service,
        units=row.units,
        unit_value_cny=row.unit_value_cny,
        volume_m3=row.volume_m3,
        freight_rate_per_kg=row.freight_rate_per_kg,
        weight_kg=row.weight_kg,
        date=row.date,
        reference=row.reference or "",
        ref=row.row_number,
    )


CONVERTERS: dict[str, Callable[[Any], Any]] = {
    "stock": stock_day,
    "outbound": parcel,
    "vas": service_use,
    "tax": customs_declaration,
    "inbound": inbound_weight,
    "receiving": receiving_service,
}


def row_date(row: Any):
    """The calendar date a ledger row belongs to."""
    for attr in ("business_date", "ship_date", "date"):
        value = getattr(row, attr, None)
        if value is not None:
            return value
    raise ValueError(f"ledger row without a date: {row!r}")


# --- stock: one item's month of rows summed (StockItemMonth), the same from a file and from the store ----


class StockMonthSums:
    """One month's stock rows summed per item, by rows (a file, SQLite) or by groups a database summed.

    The month's volume of an item is what the warehouse reported: the exact sum of its reported daily
    totals (``total_volume_m3``), plus, for the days without one, Σ L × W × H × stock_qty summed exactly
    per units per carton and divided once by (units per carton × 10⁹) at 34 digits. Both ways of adding
    give the same sums, so the facts and the cents are the same from a file and from the store.
    """

    __slots__ = ("period", "_items", "_unit_mm3")

    def __init__(self, period: Period) -> None:
        self.period = period
        # item -> [rows, stock, sales, first day, last day, bit mask of days, reported m³,
        #          {units per carton: mm³}]
        self._items: dict[str, list[Any]] = {}
        self._unit_mm3: dict[tuple[Decimal, Decimal, Decimal], Decimal] = {}

    def add_row(
        self,
        item_id: str,
        business_date: date,
        units_per_carton: int,
        length_mm: Decimal,
        width_mm: Decimal,
        height_mm: Decimal,
        stock_qty: int,
        sales_qty: int,
        total_volume_m3: Decimal | None,
    ) -> None:
        """One stock row of the month."""
        sums = self._items.get(item_id)
        if sums is None:
            sums = self._items[item_id] = [0, 0, 0, business_date, business_date, 0, None, {}]
        bit = 1 << business_date.day
        if sums[5] & bit:
            raise RuleError(
                f"item {item_id} on {business_date}: two stock rows for the same item and day",
                field="business_date",
            )
        sums[0] += 1
        sums[1] += stock_qty
        sums[2] += sales_qty
        if business_date < sums[3]:
            sums[3] = business_date
        elif business_date > sums[4]:
            sums[4] = business_date
        sums[5] |= bit
        if total_volume_m3 is not None:
            sums[6] = total_volume_m3 if sums[6] is None else EXACT.add(sums[6], total_volume_m3)
            return
        key = (length_mm, width_mm, height_mm)
        unit = self._unit_mm3.get(key)
        if unit is None:
            unit = self._unit_mm3[key] = EXACT.multiply(EXACT.multiply(length_mm, width_mm), height_mm)
        mm3 = EXACT.multiply(unit, Decimal(stock_qty))
        by_carton = sums[7]
        known = by_carton.get(units_per_carton)
        by_carton[units_per_carton] = mm3 if known is None else EXACT.add(known, mm3)

    def add_group(
        self,
        item_id: str,
        units_per_carton: int,
        rows: int,
        stock_qty: int,
        sales_qty: int,
        first_day: date,
        last_day: date,
        day_mask: int,
        reported_m3: Decimal | None,
        mm3: Decimal | None,
    ) -> None:
        """The sums of an item's rows with one units per carton: their count, stock and sales totals, first
        and last day, the OR of ``1 << day`` over the rows, Σ reported totals and Σ L × W × H × stock of the
        rows without a reported total (None where no row has one)."""
        sums = self._items.get(item_id)
        if sums is None:
            sums = self._items[item_id] = [0, 0, 0, first_day, last_day, 0, None, {}]
        sums[0] += rows
        sums[1] += stock_qty
        sums[2] += sales_qty
        sums[3] = min(sums[3], first_day)
        sums[4] = max(sums[4], last_day)
        sums[5] |= day_mask
        if reported_m3 is not None:
            sums[6] = reported_m3 if sums[6] is None else EXACT.add(sums[6], reported_m3)
        if mm3 is not None:
            known = sums[7].get(units_per_carton)
            sums[7][units_per_carton] = mm3 if known is None else EXACT.add(known, mm3)

    def facts(self) -> list[StockItemMonth]:
        """One fact per item, in item order; two rows of an item on one day are refused."""
        facts = []
        for item_id in sorted(self._items):
            rows, stock, sales, first, last, mask, reported, by_carton = self._items[item_id]
            if mask.bit_count() != rows:
                raise RuleError(
                    f"item {item_id}: {rows} stock rows on {mask.bit_count()} days of {self.period} "
                    "(two stock rows for the same item and day)",
                    field="business_date",
                )
            facts.append(
                StockItemMonth(
                    item_id=item_id,
                    days=rows,
                    stock_qty=stock,
                    sales_qty=sales,
                    volume_m3=month_volume_m3(reported, by_carton),
                    first_day=first,
                    last_day=last,
                    ref=RowSet("stock", self.period, item_id),
                )
            )
        return facts


def month_volume_m3(reported_m3: Decimal | None, mm3_by_units_per_carton: dict[int, Decimal]) -> Decimal:
    """An item's CBM-days: the reported totals, plus Σ mm³ / (units per carton × 10⁹) per units per carton."""
    volume = _ZERO if reported_m3 is None else reported_m3
    for units_per_carton in sorted(mm3_by_units_per_carton):
        if units_per_carton < 1:
            raise RuleError(
                f"units_per_carton must be at least 1, got {units_per_carton}", field="units_per_carton"
            )
        share = VOLUME.divide(
            mm3_by_units_per_carton[units_per_carton], VOLUME.multiply(Decimal(units_per_carton), MM3_PER_M3)
        )
        volume = VOLUME.add(volume, share)
    return volume


def stock_item_months(rows: Iterable[StockRow], period: Period) -> list[StockItemMonth]:
    """A month's stock rows of one seller (already in the period) as one ``StockItemMonth`` per item."""
    sums = StockMonthSums(period)
    add = sums.add_row
    for row in rows:
        add(
            row.item_id,
            row.business_date,
            row.units_per_carton,
            row.length_mm,
            row.width_mm,
            row.height_mm,
            row.stock_qty,
            row.sales_qty,
            row.total_volume_m3,
        )
    return sums.facts()


def facts_of_rows(kind: str, rows: Iterable[Any], period: Period) -> list[Any]:
    """A month's parsed rows of one kind as the engine's facts: stock summed per item, the others per row."""
    if kind == "stock":
        return stock_item_months(rows, period)
    convert = CONVERTERS[kind]
    return [convert(row) for row in rows]
