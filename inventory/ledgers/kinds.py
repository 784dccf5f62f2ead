"""The ledger kinds of SPEC §6 in one registry: adding a kind touches this file (and its schema, model and
fact dataclass, which the entry names).

Each ``LedgerKind`` declares its file columns (the pure ``schemas.LedgerSchema``: English and Chinese headers,
parsers, row type), the model its rows are stored in, the date a row belongs to, its natural key, how a
parsed row becomes an engine fact, and what the rows page shows. The importer (COPY columns, which are
text, which may be empty), the rows pages, the exports, the facts and the key constraints all read it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from django.db import models
from django.db.models import F, Value
from django.db.models.functions import NullIf

from inventory import models as m
from inventory.ledgers import facts
from inventory.ledgers.schemas import SCHEMAS, LedgerSchema, StockVolumes
from tariffs.rules import CustomsDeclaration, InboundWeight, Parcel, ReceivingService, ServiceUse

# Columns every stored row has besides its kind's own, in COPY order (``importer.line_builder``).
COMMON_COLUMNS = (
    "ledger_file_id",
    "warehouse_id",
    "source",
    "seller_id",
    "service_line_id",
    "row_number",
    "is_current",
)
# File columns that are resolved to the common columns, not stored as text.
RESOLVED_COLUMNS = ("warehouse", "seller", "service_line")


@dataclass(frozen=True)
class NaturalKey:
    """SPEC §6 "Natural keys": among the rows in force of one warehouse and source, one row per value of
    ``fields``; with ``when_given``, only rows where that text field is not blank are keyed."""

    fields: tuple[str, ...]
    column: str  # the file column a clash is reported on
    when_given: str | None = None

    @property
    def columns(self) -> tuple[str, ...]:
        """In index order (migration 0015): the key's own fields lead, warehouse and source follow."""
        return (*self.fields, "warehouse", "source")

    def condition(self) -> models.Q:
        q = models.Q(is_current=True)
        if self.when_given:
            q &= ~models.Q(**{self.when_given: ""})
        return q


@dataclass(frozen=True, eq=False)
class LedgerKind:
    key: str
    schema: LedgerSchema
    model: type[m.LedgerRowBase]
    date_field: str
    natural_key: NaturalKey
    # A month's parsed file rows (of one seller, in the period) as engine facts: the same facts the store
    # gives (``store_facts``); ``simulate_invoice`` uses it.
    month_facts: Callable[[Iterable[Any], Any], list[Any]]
    shown: tuple[str, ...]  # what the rows page shows and exports (after warehouse, line and source)
    search_field: str  # the rows page's free-text search
    computed: tuple[str, ...] = ()  # stored columns computed from the parsed row, last in COPY order
    calculator: Callable[[], Callable[[Any], tuple]] | None = None  # a fresh one per file (it may cache)
    # A key among rows in force can only clash with rows the upload replaces anyway (same seller, line and
    # day): no query for keys held by other uploads is needed.
    key_within_replaced_scope: bool = False
    # The month facts from the store (``store_facts``) of a kind billed row by row: the fact type and the
    # stored columns (or expressions) in the order of its fields before ``ref`` (the row's id). Stock is
    # summed per item instead (``StockItemMonth``).
    fact_type: type | None = None
    fact_columns: tuple[Any, ...] = ()

    @property
    def label(self):
        return m.LedgerFile.Kind(self.key).label

    @cached_property
    def stored_columns(self) -> tuple[str, ...]:
        """The kind's own stored columns in COPY order: the file's (schema order), then the computed ones."""
        own = tuple(c.name for c in self.schema.columns if c.name not in RESOLVED_COLUMNS)
        return own + self.computed

    @cached_property
    def copy_columns(self) -> tuple[str, ...]:
        return COMMON_COLUMNS + self.stored_columns

    def day_of(self, row) -> Any:
        """The date a parsed row belongs to."""
        return getattr(row, self.date_field)

    def model_field(self, name: str) -> models.Field:
        return self.model._meta.get_field(name)

    @cached_property
    def text_columns(self) -> frozenset[str]:
        return frozenset(
            name
            for name in self.stored_columns
            if isinstance(self.model_field(name), models.CharField | models.TextField)
        )

    @cached_property
    def nullable_columns(self) -> frozenset[str]:
        return frozenset(name for name in self.stored_columns if self.model_field(name).null)

    @cached_property
    def blank_text_columns(self) -> frozenset[str]:
        """Optional text columns stored as '' rather than NULL."""
        return frozenset(
            name
            for name in self.text_columns
            if not self.model_field(name).null and not self.schema.column(name).required
        )

    @property
    def table(self) -> str:
        return self.model._meta.db_table

    @property
    def key_constraint_name(self) -> str:
        return f"{self.key}_row_natural_key"


STOCK = LedgerKind(
    key="stock",
    schema=SCHEMAS["stock"],
    model=m.StockLedgerRow,
    date_field="business_date",
    natural_key=NaturalKey(("seller", "item_id", "business_date", "service_line"), "business_date"),
    month_facts=facts.stock_item_months,
    shown=(
        "business_date",
        "item_id",
        "stock_qty",
        "sales_qty",
        "length_mm",
        "width_mm",
        "height_mm",
        "units_per_carton",
        "total_volume_m3",
        "daily_volume_m3",
        "volume_mismatch",
    ),
    search_field="item_id",
    computed=("daily_volume_m3", "volume_mismatch"),
    calculator=StockVolumes,
    key_within_replaced_scope=True,
)
OUTBOUND = LedgerKind(
    key="outbound",
    schema=SCHEMAS["outbound"],
    model=m.OutboundParcelRow,
    date_field="ship_date",
    natural_key=NaturalKey(("order_no",), "order_no"),
    month_facts=facts.per_row(facts.parcel),
    fact_type=Parcel,
    fact_columns=(
        "order_no",
        "weight_kg",
        "sku_kinds",
        "units",
        NullIf(F("carrier"), Value("")),  # a file's blank carrier is None, the store's ""
        "length_mm",
        "width_mm",
        "height_mm",
        "ship_date",
    ),
    shown=("ship_date", "order_no", "weight_kg", "sku_kinds", "units", "carrier", "destination"),
    search_field="order_no",
)
VAS = LedgerKind(
    key="vas",
    schema=SCHEMAS["vas"],
    model=m.VasRow,
    date_field="date",
    natural_key=NaturalKey(("reference",), "reference", when_given="reference"),
    month_facts=facts.per_row(facts.service_use),
    fact_type=ServiceUse,
    fact_columns=("service_code", "quantity", "amount", "date", "reference"),
    shown=("date", "service_code", "quantity", "amount", "reference"),
    search_field="service_code",
)
TAX = LedgerKind(
    key="tax",
    schema=SCHEMAS["tax"],
    model=m.CustomsTaxRow,
    date_field="date",
    natural_key=NaturalKey(("order_no",), "order_no"),
    month_facts=facts.per_row(facts.customs_declaration),
    fact_type=CustomsDeclaration,
    fact_columns=("order_no", "dutiable_value", "tariff_rate", "consumption_tax_rate", "vat_rate", "date"),
    shown=("date", "order_no", "dutiable_value", "tariff_rate", "consumption_tax_rate", "vat_rate"),
    search_field="order_no",
)
INBOUND = LedgerKind(
    key="inbound",
    schema=SCHEMAS["inbound"],
    model=m.InboundWeightRow,
    date_field="date",
    natural_key=NaturalKey(("reference",), "reference", when_given="reference"),
    month_facts=facts.per_row(facts.inbound_weight),
    fact_type=InboundWeight,
    fact_columns=("line", "packages", "weight_kg", "date", "reference"),
    shown=("date", "line", "packages", "weight_kg", "reference"),
    search_field="line",
)
RECEIVING = LedgerKind(
    key="receiving",
    schema=SCHEMAS["receiving"],
    model=m.ReceivingServiceRow,
    date_field="date",
    natural_key=NaturalKey(("reference",), "reference", when_given="reference"),
    month_facts=facts.per_row(facts.receiving_service),
    fact_type=ReceivingService,
    fact_columns=(
        "service",
        "units",
        "unit_value_cny",
        "volume_m3",
        "freight_rate_per_kg",
        "weight_kg",
        "date",
        "reference",
    ),
    shown=(
        "date",
        "service",
        "units",
        "unit_value_cny",
        "volume_m3",
        "freight_rate_per_kg",
        "weight_kg",
        "reference",
    ),
    search_field="service",
)

KINDS: dict[str, LedgerKind] = {kind.key: kind for kind in (STOCK, OUTBOUND, VAS, TAX, INBOUND, RECEIVING)}


def get_kind(key: str) -> LedgerKind:
    try:
        return KINDS[key]
    except KeyError:
        raise ValueError(f"unknown ledger kind {key!r}: expected one of {', '.join(KINDS)}") from None


def all_kinds() -> Iterator[LedgerKind]:
    return iter(KINDS.values())
