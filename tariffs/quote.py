"""Quotes: a parcel or a month's storage priced by a rate card through the same engine as the close."""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal

from django.utils.translation import gettext as _

from tariffs.engine import Computation, MonthFacts, RuleSpec, compute_invoice
from tariffs.rules import Parcel, Period, RuleError, StockDay, get_kind

CURVE_WEIGHTS = tuple(Decimal(n) / 2 for n in range(1, 61))  # 0.5 kg to 30 kg


@dataclass(frozen=True)
class CardTerms:
    """What the engine needs of a card besides the facts."""

    rules: tuple[RuleSpec, ...]
    currency: str
    customer_class: str
    service_tax_rate: Decimal

    def for_ledger(self, ledger: str) -> tuple[RuleSpec, ...]:
        return tuple(rule for rule in self.rules if get_kind(rule.kind).ledger == ledger)


@dataclass(frozen=True)
class ParcelInput:
    weight_kg: Decimal
    length_cm: Decimal
    width_cm: Decimal
    height_cm: Decimal
    sku_kinds: int = 1
    units: int = 1
    carrier: str | None = None


@dataclass(frozen=True)
class StorageInput:
    avg_volume_m3: Decimal
    avg_stock_units: int
    avg_daily_sales: int


def _compute(terms: CardTerms, ledger: str, rows: list, period: Period) -> Computation:
    rules = terms.for_ledger(ledger)
    if not rules:
        raise RuleError(f"this rate card has no {'parcel' if ledger == 'outbound' else 'storage'} fees")
    try:
        return compute_invoice(
            MonthFacts(period=period, ledgers={ledger: rows}),
            rules,
            currency=terms.currency,
            customer_class=terms.customer_class,
            service_tax_rate=terms.service_tax_rate,
        )
    except ArithmeticError as exc:  # decimal.InvalidOperation/Overflow: an amount beyond 28 digits
        raise RuleError(_("The figures are too large to price: enter a smaller parcel or stock.")) from exc


def quote_parcel(terms: CardTerms, parcel: ParcelInput, period: Period) -> Computation:
    """One parcel's outbound fees (SPEC §7.1, §7.10)."""
    fact = Parcel(
        order_no="quote",
        weight_kg=parcel.weight_kg,
        sku_kinds=parcel.sku_kinds,
        units=parcel.units,
        carrier=parcel.carrier,
        length_mm=parcel.length_cm * 10,
        width_mm=parcel.width_cm * 10,
        height_mm=parcel.height_cm * 10,
        ship_date=period.first_day,
    )
    return _compute(terms, "outbound", [fact], period)


def quote_storage(terms: CardTerms, storage: StorageInput, period: Period) -> Computation:
    """A month of steady stock: every day the same volume, units and sales (SPEC §7.2, §7.3)."""
    days = [
        StockDay(
            business_date=period.first_day.replace(day=day),
            item_id="quote",
            stock_qty=storage.avg_stock_units,
            sales_qty=storage.avg_daily_sales,
            volume_m3=storage.avg_volume_m3,
        )
        for day in range(1, period.days + 1)
    ]
    return _compute(terms, "stock", days, period)


def fee_curve(terms: CardTerms, parcel: ParcelInput, period: Period) -> list[tuple[Decimal, Decimal | None]]:
    """The parcel's total fee at each weight of ``CURVE_WEIGHTS`` (None where the card refuses the parcel)."""
    points: list[tuple[Decimal, Decimal | None]] = []
    for weight in CURVE_WEIGHTS:
        try:
            computation = quote_parcel(terms, replace(parcel, weight_kg=weight), period)
        except RuleError:
            points.append((weight, None))
        else:
            points.append((weight, computation.totals.total))
    return points
