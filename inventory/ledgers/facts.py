"""Parsed ledger rows (``inventory.ledgers``) to the facts the fee rules read (``tariffs.rules.facts``).

Pure: used by ``simulate_invoice`` (rows from files); ``store_facts`` builds the same facts from stored
rows. A fact's ``ref`` is the ledger row number, kept on the charge line; stock rows become one
``StockItemMonth`` per item (``stock_item_months``), whose ``ref`` is a ``RowSet`` naming the item's month.
``inventory.ledgers.kinds`` names, per kind, which of these makes its month's facts (``month_facts``).
"""

from __future__ import annotations

import dataclasses
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
    StockItemMonth,
)

# Sums of what the warehouse reported are exact (no rounding at all: a rounded step would raise); the
# volume is divided once per item and units per carton, at 34 digits, like a row's own volume (§6.1).
EXACT = Context(prec=MAX_PREC, Emax=MAX_EMAX, Emin=MIN_EMIN, traps=[Inexact, Rounded])
VOLUME = Context(prec=34)
MM3_PER_M3 = Decimal(10) ** 9
_ZERO = Decimal(0)


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


def per_row(convert: Callable[[Any], Any]) -> Callable[[Iterable[Any], Period], list[Any]]:
    """A month's facts of a kind billed row by row: one fact per parsed row."""

    def facts(rows: Iterable[Any], period: Period) -> list[Any]:
        return [convert(row) for row in rows]

    return facts


# --- stock: one item's month of rows summed (StockItemMonth), the same from a file and from the store ----


class StockMonthSums:
    """One month's stock rows summed per item, by rows (a file, SQLite) or by groups a database summed.

    The month's volume of an item is what the warehouse reported: the exact sum of its reported daily
    totals (``total_volume_m3``), plus, for the days without one, Σ L × W × H × stock_qty summed exactly
    per units per carton and divided once by (units per carton × 10⁹) at 34 digits. Both ways of adding
    give the same sums, so the facts and the cents are the same from a file and from the store.

    The days of an item are a bit mask (bit d for day d): its first and last day, and two rows on one day
    (more rows than days), come from it.
    """

    __slots__ = ("period", "_items", "_unit_mm3")

    def __init__(self, period: Period) -> None:
        self.period = period
        # item -> [rows, stock, sales, bit mask of days, reported m³ or None, {units per carton: mm³}]
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
            sums = self._items[item_id] = [0, 0, 0, 0, None, {}]
        bit = 1 << business_date.day
        if sums[3] & bit:
            raise RuleError(
                f"item {item_id} on {business_date}: two stock rows for the same item and day",
                field="business_date",
            )
        sums[0] += 1
        sums[1] += stock_qty
        sums[2] += sales_qty
        sums[3] |= bit
        if total_volume_m3 is not None:
            sums[4] = total_volume_m3 if sums[4] is None else EXACT.add(sums[4], total_volume_m3)
            return
        key = (length_mm, width_mm, height_mm)
        unit = self._unit_mm3.get(key)
        if unit is None:
            unit = self._unit_mm3[key] = EXACT.multiply(EXACT.multiply(length_mm, width_mm), height_mm)
        mm3 = EXACT.multiply(unit, Decimal(stock_qty))
        by_carton = sums[5]
        known = by_carton.get(units_per_carton)
        by_carton[units_per_carton] = mm3 if known is None else EXACT.add(known, mm3)

    def add_groups(self, groups: Iterable[tuple]) -> None:
        """Sums a database made of an item's rows with one units per carton: ``(item_id, units_per_carton,
        rows, Σ stock_qty, Σ sales_qty, OR of 1 << day, Σ reported totals, Σ L × W × H × stock of the rows
        without a reported total)``, the last two None where no row has one."""
        items = self._items
        for item_id, units_per_carton, rows, stock, sales, mask, reported, mm3 in groups:
            sums = items.get(item_id)
            if sums is None:
                by_carton = {} if mm3 is None else {units_per_carton: mm3}
                items[item_id] = [rows, stock, sales, mask, reported, by_carton]
                continue
            sums[0] += rows
            sums[1] += stock
            sums[2] += sales
            sums[3] |= mask
            if reported is not None:
                sums[4] = reported if sums[4] is None else EXACT.add(sums[4], reported)
            if mm3 is not None:
                known = sums[5].get(units_per_carton)
                sums[5][units_per_carton] = mm3 if known is None else EXACT.add(known, mm3)

    def facts(self) -> list[StockItemMonth]:
        """One fact per item, in item order; two rows of an item on one day are refused."""
        period = self.period
        days = [None, *(date(period.year, period.month, day) for day in range(1, period.days + 1))]
        make, make_ref = fact_maker(StockItemMonth), fact_maker(RowSet)
        divide, add = VOLUME.divide, VOLUME.add
        divisors: dict[int, Decimal] = {}
        items = self._items
        facts: list[StockItemMonth] = []
        append = facts.append
        for item_id in sorted(items):
            rows, stock, sales, mask, reported, by_carton = items[item_id]
            if mask.bit_count() != rows:
                raise RuleError(
                    f"item {item_id}: {rows} stock rows on {mask.bit_count()} days of {period} "
                    "(two stock rows for the same item and day)",
                    field="business_date",
                )
            volume = _ZERO if reported is None else reported
            for units_per_carton, mm3 in (
                sorted(by_carton.items()) if len(by_carton) > 1 else by_carton.items()
            ):
                divisor = divisors.get(units_per_carton)
                if divisor is None:
                    divisor = divisors[units_per_carton] = _divisor(units_per_carton)
                volume = add(volume, divide(mm3, divisor))
            first, last = days[(mask & -mask).bit_length() - 1], days[mask.bit_length() - 1]
            append(make(item_id, rows, stock, sales, volume, first, last, make_ref("stock", period, item_id)))
        return facts


def _divisor(units_per_carton: int) -> Decimal:
    """units per carton × 10⁹: the divisor of an item's mm³ (SPEC §6.1)."""
    if units_per_carton < 1:
        raise RuleError(
            f"units_per_carton must be at least 1, got {units_per_carton}", field="units_per_carton"
        )
    return VOLUME.multiply(Decimal(units_per_carton), MM3_PER_M3)


def fact_maker(fact_type: type) -> Callable[..., Any]:
    """A constructor of a frozen, slotted fact dataclass taking every field by position, about twice as fast
    as its ``__init__`` (which sets each field through ``object.__setattr__``): for the hundreds of
    thousands of facts of a month. Only for dataclasses without ``__post_init__``."""
    maker = _MAKERS.get(fact_type)
    if maker is None:
        if not dataclasses.is_dataclass(fact_type) or hasattr(fact_type, "__post_init__"):
            raise TypeError(f"{fact_type.__name__}: not a plain dataclass")
        names = [field.name for field in dataclasses.fields(fact_type)]
        if tuple(names) != tuple(getattr(fact_type, "__slots__", ())):
            raise TypeError(f"{fact_type.__name__}: not a slotted dataclass")
        namespace: dict[str, Any] = {"NEW": object.__new__, "CLS": fact_type}
        lines = [f"def make({', '.join(names)}):", "    fact = NEW(CLS)"]
        for index, name in enumerate(names):
            namespace[f"SET{index}"] = getattr(fact_type, name).__set__
            lines.append(f"    SET{index}(fact, {name})")
        lines.append("    return fact")
        exec(compile("\n".join(lines), f"<{fact_type.__name__} maker>", "exec"), namespace)
        maker = _MAKERS[fact_type] = namespace["make"]
    return maker


_MAKERS: dict[type, Callable[..., Any]] = {}


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
