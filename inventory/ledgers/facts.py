"""Parsed ledger rows (``inventory.ledgers``) to the facts the fee rules read (``tariffs.rules.facts``).

Pure: used by ``simulate_invoice`` (rows from files) and by the quote page; the close builds the same
facts from stored rows. A fact's ``ref`` is the ledger row number, kept on the charge line.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from inventory.ledgers import InboundRow, OutboundRow, ReceivingRow, StockRow, TaxRow, VasRow
from tariffs.rules import CustomsDeclaration, InboundWeight, Parcel, ReceivingService, ServiceUse, StockDay


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
