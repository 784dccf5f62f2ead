"""A seller's month of engine facts from the stored ledger rows in force (issue 11, "Same cents from the store
and from the file").

``month_facts`` gives the same facts as ``simulate_invoice`` builds from the same files
(``inventory.ledgers.facts``), so the close and the simulation bill the same cents:

- stock: one ``StockItemMonth`` per item, summed by the database (one ``GROUP BY`` query; no Python loop over
  the month's rows). The volume is computed from what the warehouse reported (``total_volume_m3`` when
  given, else L × W × H × stock / (units per carton × 10⁹)), never from the stored ``daily_volume_m3``
  (cut to 9 decimals): Σ L × W × H × stock is summed exactly (``numeric``) per item and units per carton,
  and divided once in Python at 34 digits, as the file path does. The fact's ``ref`` is a ``RowSet``
  naming the item's month: ``rows_of_ref`` turns it back into the rows.
- the other kinds: one fact per row from one ``values_list`` query in primary-key order (file and row
  order), ``ref`` the row's primary key.

SQLite stores decimals as floating point, so its ``SUM`` is not exact: there the stock rows are read (Django
quantizes each value back to the column's decimal places, which is exact) and summed in Python by the same
code as a file's rows.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from typing import Any

from django.db import connections
from django.db.models import BigIntegerField, Count, DecimalField, F, Func, Q, QuerySet, Sum, Value
from django.db.models.aggregates import Aggregate
from django.db.models.functions import NullIf

from inventory.ledgers.facts import StockMonthSums
from inventory.models import LEDGER_ROW_MODELS, LedgerFile
from tariffs.engine import LEDGERS, MonthFacts
from tariffs.rules import (
    CustomsDeclaration,
    InboundWeight,
    Parcel,
    Period,
    ReceivingService,
    RowSet,
    ServiceUse,
)

DATE_FIELD = {"stock": "business_date", "outbound": "ship_date"}  # the other kinds: "date"

# The per-row kinds: the fact type and the columns, in the order of its fields before ``ref`` (the pk).
ROW_FACTS: dict[str, tuple[type, tuple[Any, ...]]] = {
    "outbound": (
        Parcel,
        (
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
    ),
    "vas": (ServiceUse, ("service_code", "quantity", "amount", "date", "reference")),
    "tax": (
        CustomsDeclaration,
        ("order_no", "dutiable_value", "tariff_rate", "consumption_tax_rate", "vat_rate", "date"),
    ),
    "inbound": (InboundWeight, ("line", "packages", "weight_kg", "date", "reference")),
    "receiving": (
        ReceivingService,
        (
            "service",
            "units",
            "unit_value_cny",
            "volume_m3",
            "freight_rate_per_kg",
            "weight_kg",
            "date",
            "reference",
        ),
    ),
}


def rows_in_force(
    kind: str,
    *,
    seller,
    warehouse,
    period: Period,
    service_line=None,
    source: str = LedgerFile.Source.WAREHOUSE,
) -> QuerySet:
    """The stored rows of ``kind`` in force for the seller, warehouse (service line) and month, from
    ``source`` ("warehouse" bills; "seller" is the seller's own copy, for disputes)."""
    model = LEDGER_ROW_MODELS[kind]
    date_field = DATE_FIELD.get(kind, "date")
    rows = model.objects.filter(
        seller=seller,
        warehouse=warehouse,
        source=source,
        is_current=True,
        **{f"{date_field}__gte": period.first_day, f"{date_field}__lt": period.next_first_day},
    )
    if service_line is not None and _has_service_line(model):
        rows = rows.filter(service_line=service_line)
    return rows


def _has_service_line(model) -> bool:
    # The rows' service line (SPEC §6) is being added in another branch; until then a line cannot narrow.
    return any(field.attname == "service_line_id" for field in model._meta.concrete_fields)


def month_facts(
    *,
    seller,
    warehouse,
    period: Period,
    service_line=None,
    source: str = LedgerFile.Source.WAREHOUSE,
) -> MonthFacts:
    """The engine's facts of one seller's month from the stored rows in force (kinds without rows are left
    out), equal to ``simulate_invoice``'s facts from the same files but for the per-row refs (primary keys
    here, row numbers there)."""
    scope = {
        "seller": seller,
        "warehouse": warehouse,
        "period": period,
        "service_line": service_line,
        "source": source,
    }
    ledgers: dict[str, list] = {}
    for kind in LEDGERS:
        rows = rows_in_force(kind, **scope)
        facts = stock_facts(rows, period) if kind == "stock" else row_facts(kind, rows)
        if facts:
            ledgers[kind] = facts
    return MonthFacts(period=period, ledgers=ledgers)


def row_facts(kind: str, rows: QuerySet) -> list:
    """One fact per row, in primary-key order, ``ref`` the primary key: one query, tuples unpacked into the
    fact's fields."""
    fact_type, columns = ROW_FACTS[kind]
    fields = [column if isinstance(column, str) else f"_c{i}" for i, column in enumerate(columns)]
    expressions = {f"_c{i}": column for i, column in enumerate(columns) if not isinstance(column, str)}
    query = rows.order_by("pk")
    if expressions:
        query = query.annotate(**expressions)
    return [fact_type(*values) for values in query.values_list(*fields, "pk")]


class _BitOr(Aggregate):
    function = "BIT_OR"
    name = "BitOr"
    output_field = BigIntegerField()


class _DayBit(Func):
    """``1 << (day − first day of the month)``: one bit per day, as a bigint (PostgreSQL)."""

    template = "(1::bigint << (%(expressions)s))"
    arg_joiner = " - "
    output_field = BigIntegerField()


def stock_facts(rows: QuerySet, period: Period) -> list:
    """One ``StockItemMonth`` per item of the rows (all in ``period``); see the module's docstring."""
    sums = StockMonthSums(period)
    if connections[rows.db].vendor != "postgresql":
        add = sums.add_row
        for values in rows.order_by().values_list(
            "item_id",
            "business_date",
            "units_per_carton",
            "length_mm",
            "width_mm",
            "height_mm",
            "stock_qty",
            "sales_qty",
            "total_volume_m3",
        ):
            add(*values)
        return sums.facts()
    groups = (
        rows.order_by()
        .values("item_id", "units_per_carton")
        .annotate(
            _rows=Count("*"),
            _stock=Sum("stock_qty"),
            _sales=Sum("sales_qty"),
            _days=_BitOr(_DayBit("business_date", Value(period.first_day))),
            _reported=Sum("total_volume_m3"),
            _mm3=Sum(
                F("length_mm") * F("width_mm") * F("height_mm") * F("stock_qty"),
                filter=Q(total_volume_m3__isnull=True),
                output_field=DecimalField(),
            ),
        )
        .values_list("item_id", "units_per_carton", "_rows", "_stock", "_sales", "_days", "_reported", "_mm3")
    )
    first_day = period.first_day
    add = sums.add_group
    for item_id, units_per_carton, count, stock, sales, days, reported, mm3 in groups:
        # bit i is day i + 1 of the month; add_group keeps bit d for day d, like a file's rows
        mask = days << 1
        first = first_day.replace(day=(days & -days).bit_length())
        last = first_day.replace(day=days.bit_length())
        add(item_id, units_per_carton, count, stock, sales, first, last, mask, reported, mm3)
    return sums.facts()


def rows_of_ref(
    ref: Hashable,
    *,
    seller,
    warehouse,
    period: Period,
    service_line=None,
    source: str = LedgerFile.Source.WAREHOUSE,
    kind: str | None = None,
) -> QuerySet:
    """The stored rows a charge line's source ref stands for: an item's month of stock rows for a
    ``RowSet``, the row of that primary key for the per-row kinds (``kind`` says which ledger: the line's
    rule kind knows it). Give the scope ``month_facts`` was given."""
    return rows_of_refs(
        [ref],
        seller=seller,
        warehouse=warehouse,
        period=period,
        service_line=service_line,
        source=source,
        kind=ref.kind if kind is None and isinstance(ref, RowSet) else kind,
    )


def rows_of_refs(
    refs: Iterable[Hashable],
    *,
    kind: str | None,
    seller,
    warehouse,
    period: Period,
    service_line=None,
    source: str = LedgerFile.Source.WAREHOUSE,
) -> QuerySet:
    """The stored rows of all of a line's source refs (one query; see ``rows_of_ref``)."""
    if kind is None:
        raise ValueError("a row reference (a primary key) needs its ledger kind")
    pks, items, whole_month = [], set(), False
    for ref in refs:
        if isinstance(ref, RowSet):
            if ref.kind != kind or ref.period != period:
                raise ValueError(f"{ref} is not a set of {kind} rows of {period}")
            if ref.item_id is None:
                whole_month = True
            else:
                items.add(ref.item_id)
        elif isinstance(ref, int) and not isinstance(ref, bool):
            pks.append(ref)
        else:
            raise ValueError(f"not a reference to stored {kind} rows: {ref!r}")
    rows = rows_in_force(
        kind, seller=seller, warehouse=warehouse, period=period, service_line=service_line, source=source
    )
    if whole_month:
        return rows
    return rows.filter(Q(pk__in=pks) | Q(item_id__in=sorted(items)) if items else Q(pk__in=pks))
