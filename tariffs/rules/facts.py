"""Plain facts the fee rules read, one dataclass per ledger kind (spec 6); `ref` is the caller's row id."""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from .errors import RuleError
from .text import Text

MM3_PER_M3 = Decimal(10) ** 9


@dataclass(frozen=True, slots=True)
class Period:
    """A billing period: one calendar month; `days` is the spec's D (spec 2)."""

    year: int
    month: int

    def __post_init__(self) -> None:
        if not 1 <= self.month <= 12:
            raise RuleError(f"month must be 1 to 12, got {self.month}", field="period")

    @classmethod
    def parse(cls, text: str) -> Period:
        """Read `YYYY-MM`."""
        year, sep, month = text.strip().partition("-")
        if not sep or not (year.isdigit() and month.isdigit()) or len(year) != 4:
            raise RuleError(f"period must be YYYY-MM, got {text!r}", field="period")
        return cls(int(year), int(month))

    @property
    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def next_first_day(self) -> date:
        return date(self.year + self.month // 12, self.month % 12 + 1, 1)

    @property
    def days(self) -> int:
        return (self.next_first_day - self.first_day).days

    @property
    def last_day(self) -> date:
        return date(self.year, self.month, self.days)

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.first_day <= day < self.next_first_day

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


@dataclass(frozen=True, slots=True)
class Parcel:
    """One outbound parcel (spec 6.2); dimensions in millimetres, weight in kilograms."""

    order_no: str
    weight_kg: Decimal
    sku_kinds: int = 1
    units: int | None = None
    carrier: str | None = None
    length_mm: Decimal | None = None
    width_mm: Decimal | None = None
    height_mm: Decimal | None = None
    ship_date: date | None = None
    ref: Hashable | None = None


@dataclass(frozen=True, slots=True)
class StockDay:
    """One item's stock at one day's count and its stored volume that day (spec 6.1)."""

    business_date: date
    item_id: str
    stock_qty: int
    sales_qty: int
    volume_m3: Decimal
    ref: Hashable | None = None


@dataclass(frozen=True, slots=True)
class RowSet:
    """A small, hashable description of the query that selects a fact's ledger rows (a charge line's
    source ref): the rows of `kind` in `period` of the billed seller, warehouse and service line, narrowed
    to `item_id` when given. Whoever built the facts resolves it back to rows (for stored rows:
    ``inventory.ledgers.store_facts.rows_of_ref``), so a fact over a month of rows carries no row ids."""

    kind: str
    period: Period
    item_id: str | None = None

    def __str__(self) -> str:
        return f"{self.kind} rows of {self.period}" + (f", item {self.item_id}" if self.item_id else "")


@dataclass(frozen=True, slots=True)
class StockItemMonth:
    """One item's stock rows of a month summed (spec 6.1): the same sums a rule takes from its `StockDay`s.

    `days` is the number of rows (one per day counted), `stock_qty` and `sales_qty` their totals,
    `volume_m3` the sum of the daily volumes (CBM-days), `first_day` and `last_day` the first and last
    day counted; `ref` describes the rows (a `RowSet`)."""

    item_id: str
    days: int
    stock_qty: int
    sales_qty: int
    volume_m3: Decimal
    first_day: date
    last_day: date
    ref: Hashable | None = None


@dataclass(frozen=True, slots=True)
class ServiceUse:
    """One value-added service ledger row (spec 6.3); `amount` for at-cost services."""

    service_code: str
    quantity: Decimal
    amount: Decimal | None = None
    date: date | None = None
    reference: str = ""
    ref: Hashable | None = None


@dataclass(frozen=True, slots=True)
class CustomsDeclaration:
    """One order's customs tax facts (spec 6.4); rates as decimals, e.g. 0.3."""

    order_no: str
    dutiable_value: Decimal
    tariff_rate: Decimal
    consumption_tax_rate: Decimal
    vat_rate: Decimal
    date: date | None = None
    ref: Hashable | None = None


@dataclass(frozen=True, slots=True)
class InboundWeight:
    """One inbound weight ledger row of a China-side consolidation line (spec 6.5)."""

    line: str
    packages: int
    weight_kg: Decimal
    date: date | None = None
    reference: str = ""
    ref: Hashable | None = None


@dataclass(frozen=True, slots=True)
class ReceivingService:
    """One receiving services ledger row (spec 6.6); only the service's own inputs are set."""

    service: str
    units: int | None = None
    unit_value_cny: Decimal | None = None
    volume_m3: Decimal | None = None
    freight_rate_per_kg: Decimal | None = None
    weight_kg: Decimal | None = None
    date: date | None = None
    reference: str = ""
    ref: Hashable | None = None


def daily_volume_m3(
    *,
    length_mm: Decimal,
    width_mm: Decimal,
    height_mm: Decimal,
    stock_qty: int,
    units_per_carton: int = 1,
    total_volume_m3: Decimal | None = None,
) -> Decimal:
    """An item's volume for one day: the reported total, else dimensions per unit × stock (spec 6.1)."""
    if total_volume_m3 is not None:
        return total_volume_m3
    if units_per_carton < 1:
        raise RuleError(
            f"units_per_carton must be at least 1, got {units_per_carton}", field="units_per_carton"
        )
    return length_mm * width_mm * height_mm / units_per_carton / MM3_PER_M3 * stock_qty


def refs_of(facts: Iterable[object]) -> tuple[Hashable, ...]:
    """The caller's ledger row references of the facts, in order, without blanks."""
    return tuple(ref for fact in facts if (ref := getattr(fact, "ref", None)) is not None)


def describe_text(fact: object) -> Text:
    """`describe` as a message: `where.order_no`, `where.reference`, `where.row` or `where.a_row`."""
    for name in ("order_no", "reference"):
        value = getattr(fact, name, "")
        if value:
            return Text(f"where.{name}", {name: str(value)})
    ref = getattr(fact, "ref", None)
    return Text("where.row", {"ref": str(ref)}) if ref is not None else Text("where.a_row")


def describe(fact: object) -> str:
    """A short name of a fact for error messages: its order number, reference or row ref."""
    for name in ("order_no", "reference"):
        value = getattr(fact, name, "")
        if value:
            return f"{name.replace('_', ' ')} {value}"
    ref = getattr(fact, "ref", None)
    return f"row {ref}" if ref is not None else "a row"
