"""The six ledger kinds of SPEC §6 as data: columns (English name, Chinese aliases, type, constraints)
and the typed row each file row becomes.

Rows are `typing.NamedTuple`s: immutable, typed and about ten times cheaper to build than a frozen
dataclass, which matters at a million rows per file (see readers.py).
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Context, Decimal
from typing import Any, NamedTuple

from . import values

_CONTEXT = Context(prec=34)
_MM3_PER_M3 = Decimal(10) ** 9
_MISMATCH_TOLERANCE = Decimal("0.01")

# SPEC §7.4's VAS service codes (the Cainiao card's). The codes a VAS ledger may hold are the ones a rate
# card of the warehouse prices (``tariffs.selectors.priced_service_codes``), checked by the importer; the
# reader only lower-cases them. An at-cost code of this list still needs its amount on the row.
PER_UNIT_SERVICE_CODES: tuple[str, ...] = (
    "air_column_bag",
    "card_insert",
    "repack",
    "kitting",
    "labeling",
    "unplanned_receiving",
)
AT_COST_SERVICE_CODES: tuple[str, ...] = (
    "special_packaging",
    "destruction",
    "inspection_fee",
    "lab_test",
    "declaration_amendment",
)
VAS_SERVICE_CODES: tuple[str, ...] = PER_UNIT_SERVICE_CODES + AT_COST_SERVICE_CODES

# SPEC §6.5 and §6.6.
INBOUND_LINES: tuple[str, ...] = ("ecommerce", "general", "lot")
RECEIVING_SERVICES: tuple[str, ...] = (
    "count",
    "inspect",
    "crate_shared",
    "crate_private",
    "wrap_shared",
    "wrap_private",
    "ecommerce_split",
    "container_unload",
    "shipping_mark",
)
# The inputs each receiving service needs on its row (SPEC §6.6, §7.7 to §7.9).
RECEIVING_SERVICE_INPUTS: Mapping[str, tuple[str, ...]] = {
    "count": ("units", "unit_value_cny"),
    "inspect": ("units", "unit_value_cny"),
    "crate_shared": ("volume_m3", "freight_rate_per_kg"),
    "crate_private": ("volume_m3", "freight_rate_per_kg"),
    "wrap_shared": ("volume_m3",),
    "wrap_private": ("volume_m3",),
    "ecommerce_split": ("weight_kg",),
    "container_unload": ("weight_kg",),
    "shipping_mark": ("weight_kg",),
}


class ColumnType(enum.Enum):
    DATE = "date"
    TEXT = "text"
    INTEGER = "integer"
    DECIMAL = "decimal"
    CHOICE = "choice"
    CODE = "code"  # free code text, lower-cased (checked by the caller)


@dataclass(frozen=True)
class Column:
    """One column of a ledger file. Bounds (gt/ge/lt/le) apply to numbers; `choices` to CHOICE columns."""

    name: str
    type: ColumnType
    required: bool = True
    default: Any = None
    aliases: tuple[str, ...] = ()
    gt: Decimal | None = None
    ge: Decimal | None = None
    lt: Decimal | None = None
    le: Decimal | None = None
    choices: tuple[str, ...] = ()
    places: int | None = None  # decimal places a DECIMAL column keeps (its stored column's)

    def make_parser(self, choices: tuple[str, ...] | None = None) -> Callable[[str], Any]:
        """A parser for this column's cells; `choices` overrides the listed codes of a CHOICE column."""
        kwargs: dict[str, Any] = {"required": self.required, "default": self.default}
        bounds = {"gt": self.gt, "ge": self.ge, "lt": self.lt, "le": self.le}
        if self.type is ColumnType.DATE:
            return values.date_parser(**kwargs)
        if self.type is ColumnType.TEXT:
            return values.text_parser(**kwargs)
        if self.type is ColumnType.CHOICE or choices:
            return values.choice_parser(choices or self.choices, **kwargs)
        if self.type is ColumnType.CODE:
            return values.code_parser(**kwargs)
        if self.type is ColumnType.INTEGER:
            return values.integer_parser(**kwargs, **bounds)
        return values.decimal_parser(**kwargs, **bounds, places=self.places)


def _col(name: str, kind: ColumnType, *aliases: str, **options: Any) -> Column:
    for bound in ("gt", "ge", "lt", "le"):
        if options.get(bound) is not None:
            options[bound] = Decimal(options[bound])
    return Column(name, kind, aliases=aliases, **options)


_D, _T, _I = ColumnType.DATE, ColumnType.TEXT, ColumnType.INTEGER
_N, _C, _K = ColumnType.DECIMAL, ColumnType.CHOICE, ColumnType.CODE


# --- rows -------------------------------------------------------------------------------------------


class StockRow(NamedTuple):
    """SPEC §6.1: one item's stock at one day's count."""

    business_date: date
    warehouse: str
    seller: str
    item_id: str
    length_mm: Decimal
    height_mm: Decimal
    width_mm: Decimal
    units_per_carton: int
    volume_mm3: Decimal | None
    total_volume_m3: Decimal | None
    sales_qty: int
    stock_qty: int
    service_line: str | None
    row_number: int

    @property
    def computed_volume_m3(self) -> Decimal:
        """L × W × H / units_per_carton / 10^9 × stock_qty, from the dimensions alone."""
        mm3 = _CONTEXT.multiply(
            _CONTEXT.multiply(_CONTEXT.multiply(self.length_mm, self.width_mm), self.height_mm),
            Decimal(self.stock_qty),
        )
        return _CONTEXT.divide(mm3, _CONTEXT.multiply(Decimal(self.units_per_carton), _MM3_PER_M3))

    @property
    def daily_volume_m3(self) -> Decimal:
        """The volume billed for the day: the reported total when given, else the computed one (§6.1)."""
        if self.total_volume_m3 is not None:
            return self.total_volume_m3
        return self.computed_volume_m3

    @property
    def volume_mismatch(self) -> bool:
        """Reported and computed volumes differ by more than 1 % of the larger (flag for §10)."""
        if self.total_volume_m3 is None:
            return False
        reported, computed = self.total_volume_m3, self.computed_volume_m3
        return abs(reported - computed) > _MISMATCH_TOLERANCE * max(reported, computed)


class StockVolumes:
    """``row -> (daily volume, mismatch flag)`` for many stock rows (§6.1), as ``StockRow`` computes them but
    with the volume of one unit cached by dimensions: a ledger repeats each item's dimensions every day."""

    def __init__(self) -> None:
        self._unit: dict[tuple, Decimal] = {}

    def __call__(self, row: StockRow) -> tuple[Decimal, bool]:
        key = (row.length_mm, row.width_mm, row.height_mm, row.units_per_carton)
        unit = self._unit.get(key)
        if unit is None:
            mm3 = _CONTEXT.multiply(_CONTEXT.multiply(row.length_mm, row.width_mm), row.height_mm)
            unit = self._unit[key] = _CONTEXT.divide(
                mm3, _CONTEXT.multiply(Decimal(row.units_per_carton), _MM3_PER_M3)
            )
        computed = _CONTEXT.multiply(unit, Decimal(row.stock_qty))
        reported = row.total_volume_m3
        if reported is None:
            return computed, False
        return reported, abs(reported - computed) > _MISMATCH_TOLERANCE * max(reported, computed)


class OutboundRow(NamedTuple):
    """SPEC §6.2: one parcel shipped."""

    order_no: str
    ship_date: date
    warehouse: str
    seller: str
    weight_kg: Decimal
    sku_kinds: int
    units: int | None
    carrier: str | None
    destination: str | None
    length_mm: Decimal | None
    width_mm: Decimal | None
    height_mm: Decimal | None
    service_line: str | None
    row_number: int


class VasRow(NamedTuple):
    """SPEC §6.3: value-added services done on one day."""

    date: date
    warehouse: str
    seller: str
    service_code: str
    quantity: int
    amount: Decimal | None
    reference: str | None
    service_line: str | None
    row_number: int


class TaxRow(NamedTuple):
    """SPEC §6.4: one customs declaration's taxable value and rates."""

    order_no: str
    date: date
    warehouse: str
    seller: str
    dutiable_value: Decimal
    tariff_rate: Decimal
    consumption_tax_rate: Decimal
    vat_rate: Decimal
    service_line: str | None
    row_number: int


class InboundRow(NamedTuple):
    """SPEC §6.5: packages and kilograms on a China-side consolidation line."""

    date: date
    warehouse: str
    seller: str
    line: str
    packages: int
    weight_kg: Decimal
    reference: str | None
    service_line: str | None
    row_number: int


class ReceivingRow(NamedTuple):
    """SPEC §6.6: one receiving service with the inputs its price needs."""

    date: date
    warehouse: str
    seller: str
    service: str
    units: int | None
    unit_value_cny: Decimal | None
    volume_m3: Decimal | None
    freight_rate_per_kg: Decimal | None
    weight_kg: Decimal | None
    reference: str | None
    service_line: str | None
    row_number: int


LedgerRow = StockRow | OutboundRow | VasRow | TaxRow | InboundRow | ReceivingRow

# A row check sees the parsed values by attribute; a value that failed to parse is INVALID.
INVALID: Any = type("Invalid", (), {"__repr__": lambda self: "INVALID"})()
RowCheck = Callable[[Any], list[tuple[str, str]]]


def _check_vas(row: Any) -> list[tuple[str, str]]:
    if row.service_code in AT_COST_SERVICE_CODES and row.amount is None:
        return [("amount", f'is required for the at-cost service "{row.service_code}"')]
    return []


def _check_receiving(row: Any) -> list[tuple[str, str]]:
    needed = RECEIVING_SERVICE_INPUTS.get(row.service, ())
    return [
        (name, f'is required for the service "{row.service}"')
        for name in needed
        if getattr(row, name) is None
    ]


@dataclass(frozen=True)
class LedgerSchema:
    """A ledger kind: its columns in file-independent order, the row type, and a cross-column check."""

    kind: str
    spec_section: str
    columns: tuple[Column, ...]
    row_type: type
    check_row: RowCheck | None = None

    def __post_init__(self) -> None:
        fields = tuple(self.row_type._fields)
        if fields != (*(c.name for c in self.columns), "row_number"):
            raise TypeError(f"{self.kind}: columns and {self.row_type.__name__} fields differ")

    def column(self, name: str) -> Column:
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(name)

    @property
    def required_columns(self) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if c.required)


_WAREHOUSE = _col("warehouse", _T, "仓库名称")
_SELLER = _col("seller", _T, "卖家nick")
# SPEC §6 "Service line of a row": optional everywhere; required when the seller has several contracts at the
# warehouse (checked by the importer, which knows the contracts).
_SERVICE_LINE = _col("service_line", _K, "服务线", "业务线", required=False)

SCHEMAS: Mapping[str, LedgerSchema] = {
    "stock": LedgerSchema(
        "stock",
        "6.1",
        (
            _col("business_date", _D, "业务日期(day)", "业务日期"),
            _WAREHOUSE,
            _SELLER,
            _col("item_id", _T, "后端货品id"),
            _col("length_mm", _N, "长", gt=0, places=3),
            _col("height_mm", _N, "高", gt=0, places=3),
            _col("width_mm", _N, "宽", gt=0, places=3),
            _col("units_per_carton", _I, "箱规", required=False, default=1, ge=1),
            _col("volume_mm3", _N, "体积", required=False, ge=0, places=3),
            _col("total_volume_m3", _N, "sku总体积（立方）", "sku总体积", required=False, ge=0, places=9),
            _col("sales_qty", _I, "销售出库件数", ge=0),
            _col("stock_qty", _I, "总库存件数", ge=0),
            _SERVICE_LINE,
        ),
        StockRow,
    ),
    "outbound": LedgerSchema(
        "outbound",
        "6.2",
        (
            _col("order_no", _T),
            _col("ship_date", _D),
            _WAREHOUSE,
            _SELLER,
            _col("weight_kg", _N, gt=0, places=3),
            _col("sku_kinds", _I, ge=1),
            _col("units", _I, required=False, ge=1),
            _col("carrier", _T, required=False),
            _col("destination", _T, required=False),
            _col("length_mm", _N, required=False, gt=0, places=3),
            _col("width_mm", _N, required=False, gt=0, places=3),
            _col("height_mm", _N, required=False, gt=0, places=3),
            _SERVICE_LINE,
        ),
        OutboundRow,
    ),
    "vas": LedgerSchema(
        "vas",
        "6.3",
        (
            _col("date", _D),
            _WAREHOUSE,
            _SELLER,
            _col("service_code", _K),
            _col("quantity", _I, ge=0),
            _col("amount", _N, required=False, ge=0, places=2),
            _col("reference", _T, required=False),
            _SERVICE_LINE,
        ),
        VasRow,
        _check_vas,
    ),
    "tax": LedgerSchema(
        "tax",
        "6.4",
        (
            _col("order_no", _T),
            _col("date", _D),
            _WAREHOUSE,
            _SELLER,
            _col("dutiable_value", _N, ge=0, places=2),
            _col("tariff_rate", _N, ge=0, le=1, places=5),
            _col("consumption_tax_rate", _N, ge=0, lt=1, places=5),
            _col("vat_rate", _N, ge=0, le=1, places=5),
            _SERVICE_LINE,
        ),
        TaxRow,
    ),
    "inbound": LedgerSchema(
        "inbound",
        "6.5",
        (
            _col("date", _D),
            _WAREHOUSE,
            _SELLER,
            _col("line", _C, choices=INBOUND_LINES),
            _col("packages", _I, ge=0),
            _col("weight_kg", _N, gt=0, places=3),
            _col("reference", _T, required=False),
            _SERVICE_LINE,
        ),
        InboundRow,
    ),
    "receiving": LedgerSchema(
        "receiving",
        "6.6",
        (
            _col("date", _D),
            _WAREHOUSE,
            _SELLER,
            _col("service", _C, choices=RECEIVING_SERVICES),
            _col("units", _I, required=False, ge=1),
            _col("unit_value_cny", _N, required=False, ge=0, places=2),
            _col("volume_m3", _N, required=False, gt=0, places=4),
            _col("freight_rate_per_kg", _N, required=False, ge=0, places=2),
            _col("weight_kg", _N, required=False, gt=0, places=3),
            _col("reference", _T, required=False),
            _SERVICE_LINE,
        ),
        ReceivingRow,
        _check_receiving,
    ),
}

LEDGER_KINDS: tuple[str, ...] = tuple(SCHEMAS)


def get_schema(kind: str) -> LedgerSchema:
    try:
        return SCHEMAS[kind]
    except KeyError:
        raise ValueError(f"unknown ledger kind {kind!r}: expected one of {', '.join(LEDGER_KINDS)}") from None
